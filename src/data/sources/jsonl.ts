import type { CorpusDocument, DocumentKind } from '../document.js';
import { isObject } from '../../tools/index.js';
import type { SourceInput, SourceLine } from './lines.js';
import {
  jsonValue, lineBatches, SKIP, recordStream, type DocumentStream, type ReadContext, type ReadOptions,
} from './stream.js';

/** The document kinds, for checking a `kind` field. */
export const DOCUMENT_KINDS: readonly DocumentKind[] = ['tool_doc', 'trajectory', 'code', 'text', 'instruction'];

/** Options of {@link readJsonlDocuments}. */
export interface JsonlReadOptions extends ReadOptions {
  /** The field holding the document's text (default `text`). */
  field?: string;
  /**
   * A field holding the document's kind (one of {@link DOCUMENT_KINDS}); when it is absent from a line
   * the line gets `kind`. Default `kind`; `null` ignores any such field.
   */
  kindField?: string | null;
  /** Kind of the documents that do not say (default `text`). */
  kind?: DocumentKind;
  /** A field holding the names of the functions the document is about (array of strings; default `functions`). */
  functionsField?: string | null;
}

/**
 * Reads a user's JSON Lines file, streaming: one document per line from a string field (default
 * `text`), with an optional kind field (default `kind`) and functions field (default `functions`).
 * Blank lines are ignored. A line that is not JSON, not an object, lacks the text field or has an
 * unknown kind is malformed: thrown or skipped per `onError`, with file and line. `source` is
 * `file:line`.
 *
 * ```json
 * {"text": "def area(r):\n    return 3.14159 * r * r", "kind": "code"}
 * {"text": "The river remembers the long summer evenings."}
 * ```
 */
export function readJsonlDocuments(input: SourceInput, options: JsonlReadOptions = {}): DocumentStream {
  const field = options.field ?? 'text';
  const kindField = options.kindField === undefined ? 'kind' : options.kindField;
  const functionsField = options.functionsField === undefined ? 'functions' : options.functionsField;
  const defaultKind = options.kind ?? 'text';
  return recordStream(async function* (context) {
    for await (const { file, lines } of lineBatches(context, input)) {
      for (const sourceLine of lines) {
        const value = jsonObject(context, file, sourceLine);
        if (value === SKIP) continue;
        const line = sourceLine.line;
        const text = value[field];
        if (typeof text !== 'string') {
          context.reject(file, line, `missing string field "${field}"`);
          continue;
        }
        let kind = defaultKind;
        const rawKind = kindField === null ? undefined : value[kindField];
        if (rawKind !== undefined) {
          if (!DOCUMENT_KINDS.includes(rawKind as DocumentKind)) {
            context.reject(file, line, `field "${kindField}" must be one of ${DOCUMENT_KINDS.join(', ')}, got ${JSON.stringify(rawKind)}`);
            continue;
          }
          kind = rawKind as DocumentKind;
        }
        const document: CorpusDocument = { kind, source: `${file}:${line}`, text };
        const functions = functionsField === null ? undefined : value[functionsField];
        if (functions !== undefined) {
          if (!Array.isArray(functions) || !functions.every((name) => typeof name === 'string')) {
            context.reject(file, line, `field "${functionsField}" must be an array of strings`);
            continue;
          }
          document.functions = functions as string[];
        }
        context.accept(file);
        yield { item: document, file };
      }
    }
  }, options);
}

/**
 * @internal The JSON object of a JSON Lines line, or {@link SKIP}: blank lines are ignored; bad lines, lines that
 * are not JSON and values that are not objects are rejected under the policy. The object still has to
 * be accepted or rejected. (A plain function rather than a generator over the lines: the readers stream
 * millions of lines, and one more async generator layer costs about a quarter of their speed.)
 */
export function jsonObject(context: ReadContext, file: string, line: SourceLine): Record<string, unknown> | typeof SKIP {
  const value = jsonValue(context, file, line);
  if (value === SKIP) return SKIP;
  if (!isObject(value)) {
    context.reject(file, line.line, 'expected a JSON object');
    return SKIP;
  }
  return value;
}
