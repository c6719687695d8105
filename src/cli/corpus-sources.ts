import { existsSync, readdirSync } from 'node:fs';
import {
  InputError, fileSource, readAll, readCodeDocuments, readSharedData, readTextDocuments, syntheticCorpus, walkFiles,
  type CorpusDocument, type DocumentStream,
} from '../node.js';

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
  const codeDir = options.codeDir ?? pythonStdlib();
  if (codeDir) {
    await take(`code from ${codeDir}`, readCodeDocuments(walkFiles(codeDir, { extensions: ['.py', '.js', '.ts'], limit: options.codeFiles, skipDirectories: ['.git', 'test', 'tests', 'node_modules'] }), { onError: 'skip', maxChars: 64 * 1024, openPath: fileSource }));
  }
  for (const file of options.textFiles) await take(file, readTextDocuments(fileSource(file), { onError: 'skip' }));
  return documents;
}

/** Debian's Python standard library, a ready source of real code on every machine here. */
function pythonStdlib(): string | undefined {
  const found = existsSync('/usr/lib') ? readdirSync('/usr/lib').filter((name) => /^python3\.\d+$/.test(name)).sort() : [];
  return found.length > 0 ? `/usr/lib/${found.at(-1)}` : undefined;
}
