import { InputError } from '../util/errors.js';

/**
 * Decodes a text file's bytes as UTF-8, rejecting what is not text: an empty file, a NUL byte or
 * invalid UTF-8 (both mean a binary file) give an {@link InputError} with the file and line.
 */
export function decodeTextFile(bytes: Uint8Array, file: string): string {
  if (bytes.length === 0) throw new InputError(file, 'file is empty');
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InputError(file, 'binary file (NUL byte); expected UTF-8 text', lineOfByte(bytes, nul));
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new InputError(file, 'not valid UTF-8 text (binary file?)', lineOfByte(bytes, firstInvalidUtf8(bytes)));
  }
}

/** Result of {@link parseJsonl}. */
export interface JsonlDocuments {
  texts: string[];
  /** Lines skipped in `onError: 'skip'` mode, with why. */
  skipped: { line: number; reason: string }[];
}

/**
 * Reads JSON Lines whose objects carry a string field (default `text`). Blank lines are ignored.
 * A broken line throws an {@link InputError} naming file and line, or is skipped and reported when
 * `onError` is `'skip'`.
 */
export function parseJsonl(
  content: string, file: string, options: { field?: string; onError?: 'throw' | 'skip' } = {},
): JsonlDocuments {
  const field = options.field ?? 'text';
  const result: JsonlDocuments = { texts: [], skipped: [] };
  content.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '') return;
    const problem = jsonlProblem(line, field);
    if (problem === undefined) {
      result.texts.push((JSON.parse(line) as Record<string, string>)[field]);
    } else if (options.onError === 'skip') {
      result.skipped.push({ line: index + 1, reason: problem });
    } else {
      throw new InputError(file, problem, index + 1);
    }
  });
  if (result.texts.length === 0) throw new InputError(file, `no JSON line with a string field "${field}"`);
  return result;
}

function jsonlProblem(line: string, field: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (error) {
    return `invalid JSON (${(error as Error).message})`;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'expected a JSON object';
  if (typeof (value as Record<string, unknown>)[field] !== 'string') return `missing string field "${field}"`;
  return undefined;
}

function lineOfByte(bytes: Uint8Array, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (bytes[i] === 0x0a) line += 1;
  return line;
}

function firstInvalidUtf8(bytes: Uint8Array): number {
  let low = 0;
  let high = bytes.length;
  // The longest valid prefix: binary search on whether a prefix decodes, allowing a cut sequence.
  while (high - low > 4) {
    const middle = (low + high) >> 1;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, middle), { stream: true });
      low = middle;
    } catch {
      high = middle;
    }
  }
  return low;
}
