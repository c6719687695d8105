import type { CorpusDocument } from '../data/document.js';
import type { MixRatio } from '../forge/mixing.js';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer.js';
import { loadTokenizerFromDir } from '../tokenizer/node-files.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { InputError } from '../util/errors.js';

/** Reads a numeric command-line option, or its default; names the option when it is not a number. */
export function numberOption(values: Record<string, unknown>, name: string, fallback: number, integer = true): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw new InputError(`--${name}`, `--${name} expects ${integer ? 'an integer' : 'a number'}, got "${String(raw)}"`);
  }
  return value;
}

/** Reads a string option, or its default. */
export function stringOption(values: Record<string, unknown>, name: string, fallback: string): string {
  const raw = values[name];
  return typeof raw === 'string' ? raw : fallback;
}

/** Formats seconds as `1m05s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.round(seconds);
  const minutes = Math.floor(whole / 60);
  return minutes > 0 ? `${minutes}m${String(whole % 60).padStart(2, '0')}s` : `${whole}s`;
}

/** Parses `agent:code:text` shares, e.g. `1:1:1` or `0.36:0.32:0.32`. */
export function parseRatio(text: string): MixRatio {
  const parts = text.split(':').map(Number);
  if (parts.length !== 3 || parts.some((part) => !Number.isFinite(part) || part < 0)) {
    throw new InputError('--ratio', `--ratio expects agent:code:text, e.g. 1:1:1, got "${text}"`);
  }
  return { agent: parts[0], code: parts[1], text: parts[2] };
}

/** `--tokenizer DIR` when given, else a byte-level BPE tokenizer of `--vocab-size` trained on `texts`. */
export async function tokenizerOption(values: Record<string, unknown>, texts: string[], defaultVocabSize: number): Promise<Tokenizer> {
  if (typeof values.tokenizer === 'string') return loadTokenizerFromDir(values.tokenizer);
  const vocabSize = numberOption(values, 'vocab-size', defaultVocabSize);
  process.stderr.write(`tokenizer: training byte-level BPE, vocabulary ${vocabSize}, on ${texts.length} documents\n`);
  return trainBpeTokenizer(texts, { vocabSize });
}

/** Every 4th document: enough text to train a toy vocabulary, a quarter of the time. */
export function tokenizerSample(documents: CorpusDocument[]): string[] {
  return documents.filter((_, i) => i % 4 === 0).map((document) => document.text);
}
