import { isObject } from '../../tools/index.js';
import { InputError, AbortedError, throwIfAborted, errorMessage } from '../../util/errors.js';
import type { CorpusDocument } from '../document.js';
import { readLineBatches, sourceName, type LineOptions, type PathOpener, type SourceInput, type SourceLine } from './lines.js';

/**
 * The readers' error policy and counts: every reader returns a {@link RecordStream}, an async iterable
 * of its records or documents whose `stats` say how many input records were read and skipped and why.
 *
 * Browser-safe.
 * @module
 */

/** What to do with malformed input: skip it and report it in the stats, or throw an {@link InputError}. */
export type ErrorPolicy = 'skip' | 'throw';

/** One problem found in the input. */
export interface ReadIssue {
  file: string;
  /** 1-based line, when the problem is on a line (not e.g. a missing or empty file). */
  line?: number;
  reason: string;
}

/** Per-file counts in {@link ReadStats.byFile}. */
export interface FileCounts {
  read: number;
  skipped: number;
  yielded: number;
}

/**
 * Counts of a read. A "record" is the reader's input unit: a JSON line, a text document, a code file.
 * `read` counts those accepted, `skipped` those rejected (each with an entry in `errors`, up to
 * `maxErrors`; `errorsOmitted` counts the rest), `yielded` what the stream produced (a record can give
 * several documents: a BFCL question gives an instruction pair and tool docs).
 */
export interface ReadStats {
  read: number;
  skipped: number;
  yielded: number;
  errors: ReadIssue[];
  errorsOmitted: number;
  /** The same counts per file name. */
  byFile: Record<string, FileCounts>;
}

/** Options every reader takes. */
export interface ReadOptions {
  /** `'throw'` (default): the first malformed record throws an {@link InputError} naming file and line. */
  onError?: ErrorPolicy;
  /** Longest list of {@link ReadStats.errors} kept (default 100). */
  maxErrors?: number;
  /** Overrides the file name used in errors and document `source`s (e.g. a path relative to a data root). */
  name?: string;
  /** Longest line, in bytes (default 16 MiB). */
  maxLineBytes?: number;
  signal?: AbortSignal;
  /** `fetch` for URL inputs (default the global one). */
  fetch?: typeof fetch;
  /** Opens file-path inputs (in Node: `fileSource` of `hephaestus-web/node`); without it a path is an error. */
  openPath?: PathOpener;
}

/** An async iterable of records with live counts (final once iteration ends). Each iteration re-reads. */
export interface RecordStream<T> extends AsyncIterable<T> {
  readonly stats: ReadStats;
}

/** A {@link RecordStream} of corpus documents. */
export type DocumentStream = RecordStream<CorpusDocument>;

/** Default of {@link ReadOptions.maxErrors}. */
export const DEFAULT_MAX_ERRORS = 100;

function emptyStats(): ReadStats {
  return { read: 0, skipped: 0, yielded: 0, errors: [], errorsOmitted: 0, byFile: {} };
}

/** Applies the error policy and keeps the counts of one iteration. Internal to the readers. */
export class ReadContext {
  readonly policy: ErrorPolicy;
  private readonly maxErrors: number;

  constructor(readonly stats: ReadStats, readonly options: ReadOptions) {
    this.policy = options.onError ?? 'throw';
    this.maxErrors = options.maxErrors ?? DEFAULT_MAX_ERRORS;
  }

  private counts(file: string): FileCounts {
    let counts = this.stats.byFile[file];
    if (counts === undefined) {
      counts = { read: 0, skipped: 0, yielded: 0 };
      this.stats.byFile[file] = counts;
    }
    return counts;
  }

  /** Counts an accepted record of `file`. */
  accept(file: string): void {
    this.stats.read += 1;
    this.counts(file).read += 1;
  }

  /** Counts an item yielded from `file`. */
  yielded(file: string): void {
    this.stats.yielded += 1;
    this.counts(file).yielded += 1;
  }

  /** Counts a rejected record and reports it; throws an {@link InputError} under the `'throw'` policy. */
  reject(file: string, line: number | undefined, reason: string): void {
    this.stats.skipped += 1;
    this.counts(file).skipped += 1;
    if (this.stats.errors.length < this.maxErrors) this.stats.errors.push(line === undefined ? { file, reason } : { file, line, reason });
    else this.stats.errorsOmitted += 1;
    if (this.policy === 'throw') throw new InputError(file, reason, line);
  }

  /** Makes sure `file` appears in {@link ReadStats.byFile} even when it gives nothing. */
  touch(file: string): void {
    this.counts(file);
  }
}

/**
 * Builds a {@link RecordStream} from a generator body. The body gets a fresh {@link ReadContext} per
 * iteration (the stats object is reset in place) and counts what it yields.
 */
export function recordStream<T>(body: (context: ReadContext) => AsyncGenerator<{ item: T; file: string }>, options: ReadOptions): RecordStream<T> {
  const stats = emptyStats();
  return {
    stats,
    async *[Symbol.asyncIterator]() {
      Object.assign(stats, emptyStats());
      const context = new ReadContext(stats, options);
      for await (const { item, file } of body(context)) {
        throwIfAborted(options.signal, `reading ${file}`);
        context.yielded(file);
        yield item;
      }
    },
  };
}

/**
 * The body of a reader: the items of one input under `context`, which counts them and applies the
 * error policy; `name` overrides the input's name (the shared-data reader names each file by its path).
 */
export type ReaderBody<T, O extends ReadOptions> = (
  context: ReadContext, input: SourceInput, options: O, name?: string,
) => AsyncGenerator<{ item: T; file: string }>;

/**
 * The public reader of a body: each call reads one input into a {@link RecordStream} with its own
 * counts. `defaults` are the options when none are given (`{}`: every reader option is optional).
 */
export function reader<T, O extends ReadOptions>(body: ReaderBody<T, O>, defaults: O): (input: SourceInput, options?: O) => RecordStream<T> {
  return (input, options = defaults) => recordStream((context) => body(context, input, options), options);
}

/** Reads a whole stream into memory: its items and final stats. */
export async function readAll<T>(stream: RecordStream<T>): Promise<{ items: T[]; stats: ReadStats }> {
  const items: T[] = [];
  for await (const item of stream) items.push(item);
  return { items, stats: stream.stats };
}

function lineOptions(options: ReadOptions, name: string): LineOptions {
  return { name, maxLineBytes: options.maxLineBytes, signal: options.signal, fetch: options.fetch, openPath: options.openPath };
}

/** A batch of lines of one file (see {@link lineBatches}). */
export interface LineBatch {
  file: string;
  lines: SourceLine[];
}

/**
 * The lines of a source in batches, under the error policy for whole-file problems: a source that
 * cannot be opened or read, or an empty one (no byte), is rejected as a whole. Bad lines stay in the
 * batches, to be rejected in order by {@link checkLine}; a binary file's one fatal line ends it.
 * `name` overrides the source's name.
 */
export async function* lineBatches(context: ReadContext, input: SourceInput, name?: string): AsyncGenerator<LineBatch> {
  const file = sourceName(input, name ?? context.options.name);
  context.touch(file);
  const batches = readLineBatches(input, lineOptions(context.options, file));
  let any = false;
  try {
    for (;;) {
      let step: IteratorResult<SourceLine[]>;
      try {
        step = await batches.next();
      } catch (error) {
        if (error instanceof AbortedError || !(error instanceof InputError)) throw error;
        context.reject(file, undefined, error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message);
        return;
      }
      if (step.done) break;
      any = true;
      yield { file, lines: step.value };
    }
  } finally {
    // Closes the file / stream also when the consumer stops early or the policy throws.
    await batches.return(undefined);
  }
  if (!any) context.reject(file, undefined, 'file is empty');
}

/** True for a good line; a bad one (undecodable, binary) is rejected under the policy and gives false. */
export function checkLine(context: ReadContext, file: string, line: SourceLine): boolean {
  if (line.error === undefined) return true;
  context.reject(file, line.line, line.error);
  return false;
}

/**
 * Reads one JSON object of a JSON Lines file into a record (`source` is its `file:line`), or says why
 * it cannot: the returned string is the line's rejection reason.
 */
export type JsonRecordParser<R extends object, O = ReadOptions> = (value: Record<string, unknown>, source: string, options: O) => R | string;

/**
 * The records of one batch of JSON Lines, in order. Blank lines are skipped; a bad line, a line that is
 * not JSON or not a JSON object, and an object that `parse` refuses are rejected under the policy.
 */
function* jsonRecords<R extends object, O>(
  context: ReadContext, batch: LineBatch, parse: JsonRecordParser<R, O>, options: O,
): Generator<{ line: number; record: R }> {
  const { file } = batch;
  for (const sourceLine of batch.lines) {
    if (!checkLine(context, file, sourceLine) || sourceLine.text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(sourceLine.text);
    } catch (error) {
      context.reject(file, sourceLine.line, `invalid JSON (${errorMessage(error)})`);
      continue;
    }
    const parsed = isObject(value) ? parse(value, `${file}:${sourceLine.line}`, options) : 'expected a JSON object';
    if (typeof parsed === 'string') context.reject(file, sourceLine.line, parsed);
    else yield { line: sourceLine.line, record: parsed };
  }
}

/**
 * The reader body of a JSON Lines format: each line is read into a record by `parse`, and each record
 * gives its items (one record, or the documents made from it). A record whose items cannot be made (the
 * function throws, e.g. a text holding a special-token string) is rejected with the error's message;
 * one that gives its items counts as read. One async step per item: the batch's lines are walked
 * synchronously (the readers stream millions of lines, and an async generator layer per line costs about
 * a quarter of their speed).
 */
export function jsonLineReader<R extends object, T, O extends ReadOptions>(
  parse: JsonRecordParser<R, O>, items: (record: R, options: O) => readonly T[],
): ReaderBody<T, O> {
  return async function* (context, input, options, name) {
    for await (const batch of lineBatches(context, input, name)) {
      for (const { line, record } of jsonRecords(context, batch, parse, options)) {
        let out: readonly T[];
        try {
          out = items(record, options);
        } catch (error) {
          context.reject(batch.file, line, errorMessage(error));
          continue;
        }
        context.accept(batch.file);
        for (const item of out) yield { item, file: batch.file };
      }
    }
  };
}
