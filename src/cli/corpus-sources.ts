import { join } from 'node:path';
import {
  InputError, fileSource, loadBfclItems, pythonStdlibDir, readAll, readCodeDocuments, readSharedData, readTextDocuments, syntheticCorpus, walkFiles,
  type BfclItem, type CorpusDocument, type DocumentStream,
} from '../node.js';

/** The BFCL categories of the shared data folder that expect calls (irrelevance expects none). */
const BFCL_CALL_CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple'];

/** The BFCL items of the shared data folder: the four call categories with their answers, and irrelevance. */
export function loadSharedBfclItems(dataDir: string): Promise<BfclItem[]> {
  const questions = [...BFCL_CALL_CATEGORIES, 'irrelevance'].map((name) => join(dataDir, 'bfcl', `BFCL_v4_${name}.json`));
  const answers = BFCL_CALL_CATEGORIES.map((name) => join(dataDir, 'bfcl', 'possible_answer', `BFCL_v4_${name}.json`));
  return loadBfclItems(questions, answers, { openPath: fileSource });
}

/** Where the `forge` and `mix-search` commands take their documents from. */
export interface CorpusSourceOptions {
  /** The shared data folder (BFCL, Gorilla, text); absent: the embedded synthetic sample. */
  dataDir?: string;
  /** A folder of code files (default: the Python standard library when present). */
  codeDir?: string;
  /** Most code files read. */
  codeFiles: number;
  /** More general-text files. */
  textFiles: string[];
  seed: number;
}

/** Reads every source into memory (the toy corpora here are a few MB), skipping and counting bad records. */
export async function loadCorpusSources(options: CorpusSourceOptions, log: (line: string) => void): Promise<CorpusDocument[]> {
  const documents: CorpusDocument[] = [];
  const take = async (what: string, stream: DocumentStream) => {
    const { items, stats } = await readAll(stream);
    documents.push(...items);
    log(`read ${what}: ${items.length} documents${stats.skipped ? `, ${stats.skipped} malformed records skipped` : ''}`);
    return { documents: items.length, skipped: stats.skipped };
  };
  if (options.dataDir) {
    const read = await take(options.dataDir, readSharedData(options.dataDir, { onError: 'skip', openPath: fileSource }));
    if (read.documents === 0) {
      throw new InputError('--data-dir', `${options.dataDir} holds none of the shared data files (bfcl/, gorilla/, text/; ${read.skipped} records unreadable)`);
    }
  } else {
    const sample = syntheticCorpus({ seed: options.seed, documents: 2000 });
    documents.push(...sample);
    log(`read the embedded synthetic sample: ${sample.length} documents`);
  }
  const codeDir = options.codeDir ?? pythonStdlibDir();
  if (codeDir) {
    await take(`code from ${codeDir}`, readCodeDocuments(walkFiles(codeDir, { extensions: ['.py', '.js', '.ts'], limit: options.codeFiles, skipDirectories: ['.git', 'test', 'tests', 'node_modules'] }), { onError: 'skip', maxChars: 64 * 1024, openPath: fileSource }));
  }
  for (const file of options.textFiles) await take(file, readTextDocuments(fileSource(file), { onError: 'skip' }));
  return documents;
}
