import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { InputError } from '../util/errors.js';
import { decodeTextFile, parseJsonl } from './parse.js';

/**
 * Reads training documents from a file: `.jsonl` / `.json` as JSON Lines with a `text` field, any
 * other file as one plain-text document. Errors name the file (and line).
 */
export async function readDocumentsFile(path: string): Promise<string[]> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError(path, `cannot read file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const text = decodeTextFile(bytes, path);
  const extension = extname(path).toLowerCase();
  if (extension === '.jsonl' || extension === '.json') return parseJsonl(text, path).texts;
  return [text];
}
