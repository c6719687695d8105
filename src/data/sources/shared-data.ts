import type { CorpusDocument } from '../document.js';
import { bfclAnswerRecords, bfclDocumentRecords, type BfclAnswer, type BfclDocumentOptions } from './bfcl.js';
import { apibenchDocumentRecords, gorillaApiDocumentRecords } from './gorilla.js';
import type { SourceInput } from './lines.js';
import { recordStream, type DocumentStream, type ReadContext, type ReadOptions } from './stream.js';
import { textDocumentRecords, type TextReadOptions } from './text.js';

/**
 * The reference data set of the project (`../shared/data`, or the same layout under a base URL): which
 * reader reads each file, and how many records each holds.
 *
 * Browser-safe.
 * @module
 */

/** Which reader reads a shared-data file. */
export type SharedDataReader = 'bfcl_questions' | 'bfcl_answers' | 'gorilla_api' | 'apibench' | 'text';

/** One file of the shared data. */
export interface SharedDataFile {
  /** Path relative to the data root (also the documents' `source` prefix). */
  path: string;
  reader: SharedDataReader;
  /** Records (JSON lines) the file holds; absent for text. */
  records?: number;
  /** For BFCL question files: the possible-answer file giving their calls (none for irrelevance). */
  answers?: string;
  /** False for files that describe the data rather than being corpus (README, licence). */
  corpus: boolean;
}

const bfcl = (category: string, records: number, answers: boolean): SharedDataFile[] => [
  {
    path: `bfcl/BFCL_v4_${category}.json`, reader: 'bfcl_questions', records, corpus: true,
    ...(answers ? { answers: `bfcl/possible_answer/BFCL_v4_${category}.json` } : {}),
  },
  ...(answers ? [{ path: `bfcl/possible_answer/BFCL_v4_${category}.json`, reader: 'bfcl_answers' as const, records, corpus: true }] : []),
];

/**
 * Every file of the shared data, with its reader and record count (counted in the files themselves;
 * `data/README.md` says 185 for APIBench eval, the file holds 186 records).
 */
export const SHARED_DATA_FILES: readonly SharedDataFile[] = [
  ...bfcl('simple_python', 400, true),
  ...bfcl('multiple', 200, true),
  ...bfcl('parallel', 200, true),
  ...bfcl('parallel_multiple', 200, true),
  ...bfcl('irrelevance', 240, false),
  { path: 'gorilla/api/huggingface_api.jsonl', reader: 'gorilla_api', records: 936, corpus: true },
  { path: 'gorilla/api/tensorflowhub_api.jsonl', reader: 'gorilla_api', records: 696, corpus: true },
  { path: 'gorilla/api/torchhub_api.jsonl', reader: 'gorilla_api', records: 94, corpus: true },
  { path: 'gorilla/apibench/torchhub_train.json', reader: 'apibench', records: 837, corpus: true },
  { path: 'gorilla/apibench/torchhub_eval.json', reader: 'apibench', records: 186, corpus: true },
  { path: 'text/tinyshakespeare.txt', reader: 'text', corpus: true },
  { path: 'README.md', reader: 'text', corpus: false },
  { path: 'LICENSE-gorilla-Apache-2.0.txt', reader: 'text', corpus: false },
];

/** Where the shared data lives: a directory path (Node), a base URL, or a function giving each file's input. */
export type SharedDataRoot = string | URL | ((path: string) => SourceInput);

/** The input of one shared-data file under `root`. */
export function sharedDataInput(root: SharedDataRoot, path: string): SourceInput {
  if (typeof root === 'function') return root(path);
  if (root instanceof URL) return new URL(path, root.href.endsWith('/') ? root : `${root.href}/`);
  return `${root.replace(/\/+$/, '')}/${path}`;
}

/** Options of {@link readSharedData}. */
export interface SharedDataOptions extends ReadOptions, Pick<BfclDocumentOptions, 'instructions' | 'toolDocs' | 'noCallAnswer'> {
  /** Paths (relative to the root) to read; default every corpus file of {@link SHARED_DATA_FILES}. */
  files?: readonly string[];
  /** Options of the text reader (Shakespeare). */
  text?: Pick<TextReadOptions, 'split' | 'maxChars'>;
  /** Emit Gorilla example code as `code` documents (default true). */
  code?: boolean;
}

/**
 * Reads the shared data as corpus documents, streaming file after file in {@link SHARED_DATA_FILES}
 * order: BFCL questions (instruction pairs with their possible answers' calls, and tool docs), Gorilla
 * API records (tool docs and code), APIBench (trajectories and instruction pairs), and text. Each
 * document's `source` is `path:line` with the path relative to the root. A BFCL answer file read for its
 * questions counts its records in the stats (it yields no document itself).
 */
export function readSharedData(root: SharedDataRoot, options: SharedDataOptions = {}): DocumentStream {
  const selected = options.files === undefined
    ? SHARED_DATA_FILES.filter((file) => file.corpus)
    : options.files.map((path) => SHARED_DATA_FILES.find((file) => file.path === path) ?? { path, reader: 'text' as const, corpus: true });
  return recordStream(async function* (context: ReadContext): AsyncGenerator<{ item: CorpusDocument; file: string }> {
    const answers = new Map<string, Map<string, BfclAnswer>>();
    const loadAnswers = async (path: string): Promise<Map<string, BfclAnswer>> => {
      let map = answers.get(path);
      if (map === undefined) {
        map = new Map();
        for await (const { item } of bfclAnswerRecords(context, sharedDataInput(root, path), options, path)) map.set(item.id, item);
        answers.set(path, map);
      }
      return map;
    };
    for (const file of selected) {
      const input = sharedDataInput(root, file.path);
      switch (file.reader) {
        case 'bfcl_questions': {
          const map = file.answers === undefined ? undefined : await loadAnswers(file.answers);
          yield* bfclDocumentRecords(context, input, { ...options, answers: map }, file.path);
          break;
        }
        case 'bfcl_answers':
          await loadAnswers(file.path);
          break;
        case 'gorilla_api':
          yield* gorillaApiDocumentRecords(context, input, options, file.path);
          break;
        case 'apibench':
          yield* apibenchDocumentRecords(context, input, {}, file.path);
          break;
        case 'text':
          yield* textDocumentRecords(context, input, { ...options.text }, file.path);
          break;
      }
    }
  }, options);
}
