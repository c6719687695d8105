/**
 * Node-only helpers: read and write Hugging Face tokenizer files with node:fs. Not re-exported by
 * `src/tokenizer/index.ts` (which must stay browser-safe); the Node entry point re-exports them.
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../util/errors.js';
import { loadTokenizer, type LoadTokenizerOptions } from './hf-tokenizer.js';
import type { Tokenizer, TokenizerFiles } from './types.js';

/** File name of the tokenizer definition in a Hugging Face model directory. */
export const TOKENIZER_JSON = 'tokenizer.json';
/** File name of the tokenizer's configuration in a Hugging Face model directory. */
export const TOKENIZER_CONFIG_JSON = 'tokenizer_config.json';

async function readJsonObject(file: string, optional: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    if (optional && code === 'ENOENT') return undefined;
    throw new InputError(file, `cannot read: ${code ?? String(cause)}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new InputError(file, `invalid JSON: ${cause instanceof Error ? cause.message : String(cause)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InputError(file, 'expected a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads `tokenizer.json` (required) and `tokenizer_config.json` (optional: `{}` when absent) from `dir`.
 * @throws InputError naming the file that cannot be read or is not a JSON object
 */
export async function readTokenizerFiles(dir: string): Promise<TokenizerFiles> {
  const tokenizerJson = await readJsonObject(join(dir, TOKENIZER_JSON), false);
  const tokenizerConfig = (await readJsonObject(join(dir, TOKENIZER_CONFIG_JSON), true)) ?? {};
  return { tokenizerJson: tokenizerJson as Record<string, unknown>, tokenizerConfig };
}

/**
 * Loads a tokenizer from a Hugging Face model directory (offline): {@link readTokenizerFiles} then
 * {@link loadTokenizer}.
 * @throws InputError naming the file that cannot be read; TokenizerError as {@link loadTokenizer}
 */
export async function loadTokenizerFromDir(dir: string, options?: LoadTokenizerOptions): Promise<Tokenizer> {
  return loadTokenizer(await readTokenizerFiles(dir), options);
}

/** Writes `tokenizer.json` and `tokenizer_config.json` of `tokenizer` into `dir` (created if needed). */
export async function saveTokenizerToDir(tokenizer: Tokenizer | TokenizerFiles, dir: string): Promise<void> {
  const files = 'toFiles' in tokenizer ? tokenizer.toFiles() : tokenizer;
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, TOKENIZER_JSON), JSON.stringify(files.tokenizerJson, null, 2) + '\n');
  await writeFile(join(dir, TOKENIZER_CONFIG_JSON), JSON.stringify(files.tokenizerConfig, null, 2) + '\n');
}
