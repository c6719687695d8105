/**
 * Hashed text features shared by the agent classifier and the offline embedder: a tokenizer that keeps
 * punctuation (brackets, quotes, `=`, `.` carry most of what makes a tool call look like one), and
 * fastText-style feature ids (word unigrams, word bigrams, character n-grams of each word with `<` `>`
 * boundary markers) hashed with 32-bit FNV-1a. No allocation per n-gram: hashes are computed from char
 * codes. Browser-safe (no Node imports).
 *
 * Apart from `normalize.ts` and `hash.ts` on purpose: these tokens and hashes are the classifier's
 * trained features and the embedder's dimensions (lower case without NFKC; any non-ASCII character is
 * a word character), so moving them onto the dedup normalisation would change every trained classifier
 * and the retrieval results measured with them.
 * @module
 */

import { ConfigError } from '../util/errors.js';
import { mix32 } from './hash.js';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a hash of a string's UTF-16 code units (unsigned). */
function fnv1a(text: string, seed: number = FNV_OFFSET): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Which n-gram features {@link forEachFeature} emits. */
export interface FeatureOptions {
  /** Longest word n-gram (1 = unigrams only, 2 = unigrams + bigrams). Default 2. */
  wordNgrams?: number;
  /** Shortest character n-gram (0 disables character n-grams). Default 3. */
  minn?: number;
  /** Longest character n-gram. Default 5. */
  maxn?: number;
  /** Only the first `maxTokens` tokens of a text are used. Default 2048. */
  maxTokens?: number;
}

/** {@link FeatureOptions} with every field filled in. */
export type ResolvedFeatureOptions = Required<FeatureOptions>;

/**
 * Fills in defaults and checks ranges; a bad field throws {@link ConfigError} named `${where}.${field}`.
 */
export function resolveFeatureOptions(options: FeatureOptions = {}, where = 'features'): ResolvedFeatureOptions {
  const resolved: ResolvedFeatureOptions = {
    wordNgrams: options.wordNgrams ?? 2,
    minn: options.minn ?? 3,
    maxn: options.maxn ?? 5,
    maxTokens: options.maxTokens ?? 2048,
  };
  const intIn = (field: keyof ResolvedFeatureOptions, min: number, max: number): void => {
    const value = resolved[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`${where}.${field}`, `must be an integer in [${min}, ${max}], got ${String(value)}`);
    }
  };
  intIn('wordNgrams', 1, 5);
  intIn('minn', 0, 16);
  intIn('maxn', 0, 16);
  intIn('maxTokens', 1, 1 << 24);
  if (resolved.minn > 0 && resolved.maxn < resolved.minn) {
    throw new ConfigError(`${where}.maxn`, `must be >= minn (${resolved.minn}), got ${resolved.maxn}`);
  }
  return resolved;
}

/** Type tags folded into the hash so that a word, a bigram and a char n-gram never share an id by design. */
const TAG_WORD = 0x9e3779b1;
const TAG_BIGRAM = 0x85ebca77;
const TAG_CHAR = 0xc2b2ae3d;

function isWordChar(code: number): boolean {
  return (code >= 97 && code <= 122) || (code >= 48 && code <= 57) || code === 95 || (code >= 65 && code <= 90)
    || (code > 127 && code !== 0xa0 && !(code >= 0x2000 && code <= 0x200b) && code !== 0x3000 && code !== 0xfeff);
}

function isSpace(code: number): boolean {
  return code <= 32 || code === 0xa0 || code === 0x3000 || code === 0xfeff || (code >= 0x2000 && code <= 0x200b);
}

/**
 * Splits lower-cased text into tokens: runs of word characters (letters, digits, `_`, any non-ASCII
 * non-space), and every other non-space character as a token of its own. Returns at most `maxTokens`.
 */
export function tokenize(text: string, maxTokens = Number.POSITIVE_INFINITY): string[] {
  const lower = text.toLowerCase();
  const tokens: string[] = [];
  let start = -1;
  for (let i = 0; i <= lower.length && tokens.length < maxTokens; i++) {
    const code = i < lower.length ? lower.charCodeAt(i) : 32;
    if (isWordChar(code)) {
      if (start < 0) start = i;
      continue;
    }
    if (start >= 0) {
      tokens.push(lower.slice(start, i));
      start = -1;
      if (tokens.length >= maxTokens) break;
    }
    if (!isSpace(code)) tokens.push(lower[i]);
  }
  return tokens;
}

/**
 * Calls `emit(hash)` once per feature of `text` (repeats included, so counts are kept): for every token a
 * unigram id; for every adjacent pair (up to `wordNgrams`) an n-gram id; for every word token of 2+
 * characters, ids of its character n-grams of length minn..maxn taken from `<word>`. Hashes are unsigned
 * 32-bit; callers reduce them modulo their table size.
 */
export function forEachFeature(text: string, options: ResolvedFeatureOptions, emit: (hash: number) => void): void {
  const tokens = tokenize(text, options.maxTokens);
  const wordHashes = new Uint32Array(tokens.length);
  for (let t = 0; t < tokens.length; t++) {
    const token = tokens[t];
    const h = fnv1a(token);
    wordHashes[t] = h;
    emit(mix32(h ^ TAG_WORD));
    // Word n-grams ending at this token.
    let g = h;
    for (let n = 2; n <= options.wordNgrams && t - n + 1 >= 0; n++) {
      // Order-sensitive: "a b" and "b a" get different ids.
      g = Math.imul(Math.imul(g, FNV_PRIME) ^ wordHashes[t - n + 1], FNV_PRIME);
      emit(mix32((g ^ TAG_BIGRAM) >>> 0));
    }
    // Character n-grams of `<token>` (words only; single punctuation marks add nothing beyond the unigram).
    if (options.minn > 0 && token.length >= 2 && isWordChar(token.charCodeAt(0))) {
      const len = token.length + 2;
      for (let i = 0; i + options.minn <= len; i++) {
        let c = FNV_OFFSET;
        for (let j = i; j < len && j - i < options.maxn; j++) {
          const code = j === 0 ? 60 : j === len - 1 ? 62 : token.charCodeAt(j - 1);
          c = Math.imul(c ^ code, FNV_PRIME);
          if (j - i + 1 >= options.minn) {
            // Skip the n-gram that is the whole `<token>` (already the unigram).
            if (i === 0 && j === len - 1) continue;
            emit(mix32((c ^ TAG_CHAR) >>> 0));
          }
        }
      }
    }
  }
}
