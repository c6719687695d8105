import type { SourceInput } from './lines.js';
import { codeDocument } from '../formats.js';
import { checkLine, lineBatches, recordStream, type DocumentStream, type ReadOptions } from './stream.js';

/** Options of {@link readCodeDocuments}. */
export interface CodeReadOptions extends ReadOptions {
  /** Largest file kept, in characters (default 1 MiB); a larger one is malformed (too large to be one document). */
  maxChars?: number;
  /** Names of the APIs the files use, when known (default none). */
  functions?: string[];
}

/** Default of {@link CodeReadOptions.maxChars}. */
export const DEFAULT_CODE_CHARS = 1024 * 1024;

/**
 * Reads code files, one `code` document per file ({@link codeDocument}: the code verbatim, line ends
 * normalised to `\n`), streaming each file. A file that is binary, not UTF-8, empty, unreadable or larger
 * than `maxChars` is malformed (thrown or skipped per `onError`). `source` is `file:1`; each file is one
 * record. `inputs` may be one source or many (e.g. the paths a directory walk yields).
 */
export function readCodeDocuments(
  inputs: SourceInput | Iterable<SourceInput> | AsyncIterable<SourceInput>, options: CodeReadOptions = {},
): DocumentStream {
  const maxChars = options.maxChars ?? DEFAULT_CODE_CHARS;
  const many = isMany(inputs);
  const list = many ? inputs : [inputs];
  // Names of several inputs come from the inputs themselves.
  const name = many ? undefined : options.name;
  return recordStream(async function* (context) {
    for await (const input of list) {
      let file = '';
      const lines: string[] = [];
      let size = 0;
      let tooLarge = false;
      const before = context.stats.skipped;
      read: for await (const batch of lineBatches(context, input, name)) {
        file = batch.file;
        for (const line of batch.lines) {
          // The record is the whole file: its first bad line rejects it.
          if (!checkLine(context, file, line)) break read;
          size += line.text.length + 1;
          if (size > maxChars + 1) {
            tooLarge = true;
            break read;
          }
          lines.push(line.text);
        }
      }
      const failed = context.stats.skipped > before;
      if (tooLarge) {
        context.reject(file, undefined, `code file larger than ${maxChars} characters`);
        continue;
      }
      if (failed || lines.length === 0) continue;
      context.accept(file);
      yield { item: codeDocument({ code: lines.join('\n'), source: `${file}:1`, functions: options.functions }), file };
    }
  }, options);
}

function isMany(inputs: unknown): inputs is Iterable<SourceInput> | AsyncIterable<SourceInput> {
  if (typeof inputs === 'string' || inputs instanceof URL) return false;
  if (typeof Blob !== 'undefined' && inputs instanceof Blob) return false;
  const value = inputs as { [Symbol.iterator]?: unknown; [Symbol.asyncIterator]?: unknown; open?: unknown };
  if (typeof value.open === 'function') return false;
  return typeof value[Symbol.iterator] === 'function' || typeof value[Symbol.asyncIterator] === 'function';
}
