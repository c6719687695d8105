/**
 * What several commands share: option specs (backend, seed, tokenizer, corpus sources), checks of paths
 * given as options (made before any data is read), atomic output files and small formatting helpers.
 * @module
 */
import { createWriteStream } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  InputError, MAX_TRAINED_VOCAB_SIZE, MIN_TRAINED_VOCAB_SIZE, TOKENIZER_JSON, errorMessage, loadTokenizerFromDir, trainBpeTokenizer,
  type CorpusDocument, type MixRatio, type PresetName, type Tokenizer, type TrainProgress,
} from '../node.js';

/** `--backend`, the same for every command that computes. */
export const BACKEND_OPTION = {
  type: 'choice', choices: ['auto', 'webgpu', 'cpu'], default: 'auto',
  help: 'auto: WebGPU (Dawn) when an adapter is found, else the CPU',
} as const;

/** The model presets `--preset` offers (checked against the library's preset names). */
const PRESET_NAMES = ['nano', 'tiny', 'small'] as const satisfies readonly PresetName[];

/** `--preset`. */
export const PRESET_OPTION = {
  type: 'choice', choices: PRESET_NAMES, default: 'nano', help: 'model size: nano (~0.5M), tiny (~3M), small (~20M parameters)',
} as const;

/** `--seed`. */
export const SEED_OPTION = { type: 'integer', default: 0, help: 'seed of weights, sampling and data order' } as const;

/** `--tokenizer` and `--vocab-size`: load a tokenizer, or train a byte-level BPE one. */
export const TOKENIZER_OPTIONS = {
  tokenizer: { type: 'string', arg: 'folder', help: 'use the tokenizer.json in this folder instead of training one' },
  'vocab-size': {
    type: 'integer', min: MIN_TRAINED_VOCAB_SIZE, max: MAX_TRAINED_VOCAB_SIZE, defaultText: 'the preset\'s',
    help: 'vocabulary of the byte-level BPE tokenizer trained on the data',
  },
} as const;

/** Where `forge` and `mix-search` read documents from. */
export const CORPUS_OPTIONS = {
  'data-dir': { type: 'string', arg: 'folder', defaultText: 'the embedded synthetic sample', help: 'the shared data folder (bfcl/, gorilla/, text/)' },
  'code-dir': { type: 'string', arg: 'folder', defaultText: 'Debian\'s Python standard library', help: 'code files (.py, .js, .ts) to mix in' },
  'code-files': { type: 'integer', min: 0, default: 600, help: 'most code files read' },
} as const;

/** Progress and notes go to stderr (on a terminal, over the progress bar's line); results to stdout. */
export function log(message: string): void {
  process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${message}\n`);
}

/** Formats seconds as `1m05s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/** A word for a POSIX shell: as it is when safe, else single-quoted. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Parses `agent:code:text` shares, e.g. `1:1:1` or `0.36:0.32:0.32`. */
export function parseRatio(text: string): MixRatio {
  const parts = text.split(':').map((part) => (part.trim() === '' ? NaN : Number(part)));
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part) || part < 0) || parts.every((part) => part === 0)) {
    throw new InputError('--ratio', `expects agent:code:text shares, e.g. 1:1:1, got "${text}"`);
  }
  return { agent: parts[0], code: parts[1], text: parts[2] };
}

/** Checks that `path`, given as `option`, is an existing file. */
export async function requireFile(option: string, path: string): Promise<void> {
  const kind = await kindOf(path);
  if (kind !== 'file') throw new InputError(option, kind === 'missing' ? `no such file: ${path}` : `${path} is a folder, not a file`);
}

/** Checks that `path`, given as `option`, is an existing folder. */
export async function requireFolder(option: string, path: string): Promise<void> {
  const kind = await kindOf(path);
  if (kind !== 'folder') throw new InputError(option, kind === 'missing' ? `no such folder: ${path}` : `${path} is a file, not a folder`);
}

/** Checks that `path`, given as `option`, is a folder holding a Hugging Face `tokenizer.json`. */
export async function requireTokenizerFolder(option: string, path: string): Promise<void> {
  await requireFolder(option, path);
  await requireFile(option, join(path, TOKENIZER_JSON));
}

/** Checks that a file can be written at `path`: its folder exists, and it is not itself a folder. */
export async function checkOutputFile(option: string, path: string): Promise<void> {
  if ((await kindOf(path)) === 'folder') throw new InputError(option, `${path} is a folder; give a file name`);
  const parent = dirname(path);
  const kind = await kindOf(parent);
  if (kind !== 'folder') throw new InputError(option, `cannot write ${path}: ${kind === 'missing' ? `no folder ${parent}` : `${parent} is a file`}`);
}

/**
 * Checks that `path` can receive an export folder: missing, empty, or holding only files `ours` matches
 * (a previous export, replaced); anything else of the user's is refused untouched.
 */
export async function checkOutputFolder(option: string, path: string, ours: (name: string) => boolean): Promise<void> {
  const kind = await kindOf(path);
  if (kind === 'missing') return;
  if (kind === 'file') throw new InputError(option, `${path} is a file, not a folder; nothing was changed`);
  const foreign = (await readdir(path)).filter((name) => !ours(name));
  if (foreign.length > 0) {
    throw new InputError(option, `${path} holds files that are not an export of ours (${foreign.slice(0, 3).join(', ')}); nothing was changed: give an empty or new folder`);
  }
}

/**
 * Writes `chunks` to `path` through a temporary file beside it, renamed over `path` at the end: a failed
 * or interrupted export never leaves a truncated file, nor destroys the one that was there.
 */
export async function writeFileAtomic(option: string, path: string, chunks: Iterable<string | Uint8Array>): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    const out = createWriteStream(temp);
    const failed = new Promise<never>((_, reject) => out.once('error', reject));
    for (const chunk of chunks) {
      if (!out.write(chunk)) await Promise.race([new Promise<void>((resolve) => out.once('drain', () => resolve())), failed]);
    }
    await Promise.race([new Promise<void>((resolve) => out.end(() => resolve())), failed]);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new InputError(option, `cannot write ${path} (${errorMessage(error)})`);
  }
}

/** `--tokenizer DIR` when given, else a byte-level BPE tokenizer of `vocabSize` trained on `texts`. */
export async function tokenizerFor(folder: string | undefined, texts: string[], vocabSize: number): Promise<Tokenizer> {
  if (folder !== undefined) return loadTokenizerFromDir(folder);
  log(`tokenizer: training byte-level BPE, vocabulary ${vocabSize}, on ${texts.length} documents`);
  return trainBpeTokenizer(texts, { vocabSize });
}

/** Every 4th document: enough text to train a toy vocabulary, a quarter of the time. */
export function tokenizerSample(documents: CorpusDocument[]): string[] {
  return documents.filter((_, i) => i % 4 === 0).map((document) => document.text);
}

async function kindOf(path: string): Promise<'missing' | 'file' | 'folder'> {
  try {
    return (await stat(path)).isDirectory() ? 'folder' : 'file';
  } catch {
    return 'missing';
  }
}

/** First Ctrl-C: stop after the step in progress and save; a second one quits at once (the last save stays). */
export function interruptOnCtrlC(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    log('stopping after this step to save a checkpoint (Ctrl-C again quits at once; the last saved checkpoint stays)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  return { signal: controller.signal, dispose: () => process.removeListener('SIGINT', onSigint) };
}

/**
 * Progress on a terminal: one bar, redrawn. Elsewhere (a log): the first step of this process, every
 * 10th, the last. `label` (e.g. the stage) starts the line.
 */
export function progressPrinter(label = ''): (progress: TrainProgress) => void {
  let firstStep: number | undefined;
  return (progress) => {
    firstStep ??= progress.step;
    const width = 24;
    const filled = Math.round((progress.step / progress.totalSteps) * width);
    const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
    const line = `${label}[${bar}] step ${progress.step}/${progress.totalSteps}  loss ${progress.loss.toFixed(4)}  ` +
      `${Math.round(progress.tokensPerSecond)} tok/s  ETA ${formatDuration(progress.etaSeconds)}` +
      (progress.skippedSteps ? `  skipped ${progress.skippedSteps}` : '');
    if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
    else if (progress.step % 10 === 0 || progress.step === progress.totalSteps || progress.step === firstStep) process.stderr.write(`${line}\n`);
  };
}
