import type { CorpusDocument, DocumentKind } from '../document.js';
import { jsonLineReader, reader, type ReadOptions } from './stream.js';

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

function isDocumentKind(value: unknown): value is DocumentKind {
  return DOCUMENT_KINDS.some((kind) => kind === value);
}

/** One line's document under `options`: the text field, then the kind and functions fields when present. */
function parseDocument(value: Record<string, unknown>, source: string, options: JsonlReadOptions): CorpusDocument | string {
  const field = options.field ?? 'text';
  const kindField = options.kindField === undefined ? 'kind' : options.kindField;
  const functionsField = options.functionsField === undefined ? 'functions' : options.functionsField;
  const text = value[field];
  if (typeof text !== 'string') return `missing string field "${field}"`;
  const rawKind = kindField === null ? undefined : value[kindField];
  if (rawKind !== undefined && !isDocumentKind(rawKind)) {
    return `field "${kindField}" must be one of ${DOCUMENT_KINDS.join(', ')}, got ${JSON.stringify(rawKind)}`;
  }
  const document: CorpusDocument = { kind: rawKind ?? options.kind ?? 'text', source, text };
  const functions = functionsField === null ? undefined : value[functionsField];
  if (functions !== undefined) {
    if (!Array.isArray(functions) || !functions.every((name): name is string => typeof name === 'string')) {
      return `field "${functionsField}" must be an array of strings`;
    }
    document.functions = functions;
  }
  return document;
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
export const readJsonlDocuments = reader(jsonLineReader(parseDocument, (document) => [document]), {});
