import { ConfigError, InputError, throwIfAborted } from '../util/errors.js';
import { BYTE_TO_UNICODE, GPT2_PRETOKENIZE_PATTERN } from './bytes.js';
import { addedTokenEntry, loadTokenizer } from './hf-tokenizer.js';
import { SPECIAL_TOKENS, type Tokenizer, type TokenizerFiles } from './types.js';
import { PairHeap } from './pair-heap.js';

/** Number of special tokens (ids 0..7) in tokenizers trained here. */
export const NUM_SPECIAL_TOKENS = Object.keys(SPECIAL_TOKENS).length;
/** Id of byte `b` in tokenizers trained here is `FIRST_BYTE_ID + b`. */
export const FIRST_BYTE_ID = NUM_SPECIAL_TOKENS;
/** Smallest vocabulary {@link trainBpeTokenizer} accepts: specials, 256 bytes and one merge. */
export const MIN_TRAINED_VOCAB_SIZE = NUM_SPECIAL_TOKENS + 256 + 1;
/** Largest vocabulary {@link trainBpeTokenizer} accepts (2^21; pair keys must stay exact doubles). */
export const MAX_TRAINED_VOCAB_SIZE = 1 << 21;

/** Progress of {@link trainBpeTokenizer}. */
export interface BpeTrainProgress {
  /** Merges learned so far (each adds one token, except the rare merge whose string already exists). */
  merges: number;
  /** Merges needed to reach `vocabSize` (`vocabSize - 264`); training may stop earlier. */
  target: number;
}

/** Options of {@link trainBpeTokenizer}. */
export interface BpeTrainOptions {
  /**
   * Size of the vocabulary to learn, special and byte tokens included: an integer in
   * [{@link MIN_TRAINED_VOCAB_SIZE}, {@link MAX_TRAINED_VOCAB_SIZE}]. Training stops earlier, with a
   * smaller vocabulary, when no pair of adjacent tokens occurs at least twice in the corpus.
   */
  vocabSize: number;
  /** Called about every 0.5% of the target merges, and once at the end. */
  onProgress?: (p: BpeTrainProgress) => void;
  /** Checked between texts and between merges; when it fires the call rejects with `AbortedError`. */
  signal?: AbortSignal;
  /** `model_max_length` written to tokenizer_config.json (default 2048). */
  modelMaxLength?: number;
}

/** Pair key of adjacent ids `a`, `b`: orders like the pair (a, b) and is exact while ids < 2^21. */
const KEY_MUL = MAX_TRAINED_VOCAB_SIZE;
/** Yield to the event loop after this many ms of work, so that an abort (or a UI) gets a turn. */
const YIELD_EVERY_MS = 25;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Splits off the special-token strings (they are never merged with text), like the loaded tokenizer does. */
const SPECIAL_SPLIT = new RegExp(Object.values(SPECIAL_TOKENS).map(escapeRegExp).join('|'), 'g');

function validateOptions(options: BpeTrainOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('vocabSize', 'options with a vocabSize are required');
  }
  const { vocabSize, onProgress, signal, modelMaxLength } = options;
  if (typeof vocabSize !== 'number' || !Number.isInteger(vocabSize)) {
    throw new ConfigError('vocabSize', `must be an integer, got ${JSON.stringify(vocabSize) ?? String(vocabSize)}`);
  }
  if (vocabSize < MIN_TRAINED_VOCAB_SIZE || vocabSize > MAX_TRAINED_VOCAB_SIZE) {
    throw new ConfigError(
      'vocabSize',
      `must be in [${MIN_TRAINED_VOCAB_SIZE}, ${MAX_TRAINED_VOCAB_SIZE}] ` +
        `(${NUM_SPECIAL_TOKENS} special + 256 byte tokens + at least one merge), got ${vocabSize}`,
    );
  }
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new ConfigError('onProgress', 'must be a function');
  }
  if (signal !== undefined && (typeof signal !== 'object' || signal === null || typeof signal.aborted !== 'boolean')) {
    throw new ConfigError('signal', 'must be an AbortSignal');
  }
  if (modelMaxLength !== undefined && (!Number.isInteger(modelMaxLength) || modelMaxLength < 1)) {
    throw new ConfigError('modelMaxLength', `must be a positive integer, got ${String(modelMaxLength)}`);
  }
}

/**
 * Trains a byte-level BPE tokenizer (GPT-2 style) and returns it loaded through {@link loadTokenizer},
 * so it encodes and decodes like any Hugging Face tokenizer.
 *
 * Vocabulary layout: ids 0..7 are {@link SPECIAL_TOKENS} (in that order), ids 8..263 the 256 bytes
 * (byte `b` has id `8 + b`, written in GPT-2's byte-to-unicode alphabet), then one token per merge in
 * the order learned. Every input is therefore encodable, and decoding is lossless.
 *
 * Algorithm: the texts are split on the special-token strings and pre-tokenised with GPT-2's regex;
 * distinct pre-tokens are counted once; pair counts are then updated incrementally after each merge
 * (only the words containing the merged pair are touched) and the most frequent pair is taken from a
 * lazily-updated max-heap. Ties go to the pair with the smaller (left id, right id), so the result
 * depends only on the multiset of texts (not on their order): same input and vocabSize give a
 * byte-identical tokenizer.json. If a merge yields a string that is already a token (it can, from a
 * different split), the merge is recorded and mapped to the existing id, as Hugging Face's trainer does.
 *
 * The emitted files (see `toFiles()`) are a standard `tokenizer.json` (BPE model, ByteLevel
 * pre-tokenizer with `add_prefix_space: false`, ByteLevel post-processor and decoder, the specials as
 * special added tokens) and a `tokenizer_config.json` (`PreTrainedTokenizerFast`,
 * `clean_up_tokenization_spaces: false`, bos = eos = `<|endoftext|>`, pad = `<|pad|>`, the other
 * specials as `additional_special_tokens`), loadable by transformers.js, `@huggingface/tokenizers` and Python
 * `tokenizers` / `transformers`.
 *
 * @param texts the corpus, as strings (sync or async iterable)
 * @param options vocabulary size, progress callback, abort signal
 * @throws ConfigError naming the field when an option is invalid
 * @throws InputError when an element of `texts` is not a string
 * @throws AbortedError when `options.signal` fires
 */
export async function trainBpeTokenizer(
  texts: Iterable<string> | AsyncIterable<string>,
  options: BpeTrainOptions,
): Promise<Tokenizer> {
  validateOptions(options);
  const files = await trainBpeTokenizerFiles(texts, options);
  return loadTokenizer(files, { missingSpecialTokens: 'error' });
}

/**
 * The training half of {@link trainBpeTokenizer}: returns the Hugging Face files without loading them.
 * Same options, errors and determinism.
 */
export async function trainBpeTokenizerFiles(
  texts: Iterable<string> | AsyncIterable<string>,
  options: BpeTrainOptions,
): Promise<TokenizerFiles> {
  validateOptions(options);
  const { vocabSize, onProgress, signal } = options;
  const what = 'BPE tokenizer training';
  throwIfAborted(signal, what);
  if (texts === null || typeof texts !== 'object' || !(Symbol.iterator in texts || Symbol.asyncIterator in texts)) {
    throw new InputError('texts', 'must be an iterable or async iterable of strings');
  }

  // 1. Count distinct pre-tokens.
  let lastYield = performance.now();
  const wordCounts = new Map<string, number>();
  let textIndex = 0;
  for await (const text of texts) {
    if (typeof text !== 'string') {
      throw new InputError(`texts[${textIndex}]`, `expected a string, got ${text === null ? 'null' : typeof text}`);
    }
    textIndex++;
    for (const section of text.split(SPECIAL_SPLIT)) {
      const pieces = section.match(GPT2_PRETOKENIZE_PATTERN);
      if (pieces === null) continue;
      for (const piece of pieces) wordCounts.set(piece, (wordCounts.get(piece) ?? 0) + 1);
    }
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
      throwIfAborted(signal, what);
    }
  }
  throwIfAborted(signal, what);

  // 2. Words as byte-token id sequences, with counts. Words of one byte have no pair: skipped.
  const encoder = new TextEncoder();
  const words: Int32Array[] = [];
  const lengths: number[] = [];
  const freqs: number[] = [];
  for (const [piece, count] of wordCounts) {
    const bytes = encoder.encode(piece);
    if (bytes.length < 2) continue;
    const syms = new Int32Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) syms[i] = FIRST_BYTE_ID + bytes[i];
    words.push(syms);
    lengths.push(bytes.length);
    freqs.push(count);
  }
  wordCounts.clear();

  // 3. Initial pair counts and, per pair, the words it occurs in (appended, possibly stale: a word may no
  //    longer contain the pair; duplicates are skipped at merge time with a per-merge stamp).
  const pairCounts = new Map<number, number>();
  const pairWords = new Map<number, number[]>();
  const addWhere = (key: number, w: number): void => {
    const list = pairWords.get(key);
    if (list === undefined) pairWords.set(key, [w]);
    else if (list[list.length - 1] !== w) list.push(w);
  };
  for (let w = 0; w < words.length; w++) {
    const syms = words[w];
    const c = freqs[w];
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = syms[i] * KEY_MUL + syms[i + 1];
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + c);
      addWhere(key, w);
    }
  }
  const heap = new PairHeap();
  // Pushed in key order so that the heap's content does not depend on the insertion order of the Map.
  for (const key of [...pairCounts.keys()].sort((x, y) => x - y)) heap.push(pairCounts.get(key) as number, key);

  // 4. Merge loop.
  const tokens: string[] = Object.values(SPECIAL_TOKENS);
  for (let b = 0; b < 256; b++) tokens.push(BYTE_TO_UNICODE[b]);
  const tokenIds = new Map<string, number>(tokens.map((t, i) => [t, i]));
  const merges: string[] = [];
  const target = vocabSize - MIN_TRAINED_VOCAB_SIZE + 1;
  const progressEvery = Math.max(1, Math.floor(target / 200));
  const stamp = new Int32Array(words.length).fill(-1);
  const delta = new Map<number, number>();
  const increased = new Set<number>();

  while (tokens.length < vocabSize && heap.size > 0) {
    const key = heap.topKey();
    const entryCount = heap.topCount();
    const count = pairCounts.get(key) ?? 0;
    heap.pop();
    if (count !== entryCount) {
      // Stale entry: counts only go down lazily; every increase pushed a fresh entry already.
      if (count > 0 && count < entryCount) heap.push(count, key);
      continue;
    }
    if (count < 2) break;

    const a = Math.floor(key / KEY_MUL);
    const b = key - a * KEY_MUL;
    const merged = tokens[a] + tokens[b];
    let x = tokenIds.get(merged);
    if (x === undefined) {
      x = tokens.length;
      tokens.push(merged);
      tokenIds.set(merged, x);
    } else if (x < NUM_SPECIAL_TOKENS) {
      throw new Error(`internal error: merge produced the special token ${merged}`);
    }
    merges.push(`${tokens[a]} ${tokens[b]}`);
    const mergeIndex = merges.length;

    // Rewrite every word containing (a, b) and apply the net change of its pairs.
    const where = pairWords.get(key) ?? [];
    pairWords.delete(key);
    increased.clear();
    for (const w of where) {
      if (stamp[w] === mergeIndex) continue;
      stamp[w] = mergeIndex;
      const syms = words[w];
      const len = lengths[w];
      let found = false;
      for (let i = 0; i + 1 < len; i++) {
        if (syms[i] === a && syms[i + 1] === b) {
          found = true;
          break;
        }
      }
      if (!found) continue;
      delta.clear();
      for (let i = 0; i + 1 < len; i++) {
        const k = syms[i] * KEY_MUL + syms[i + 1];
        delta.set(k, (delta.get(k) ?? 0) - 1);
      }
      let j = 0;
      for (let i = 0; i < len; ) {
        if (i + 1 < len && syms[i] === a && syms[i + 1] === b) {
          syms[j++] = x;
          i += 2;
        } else {
          syms[j++] = syms[i++];
        }
      }
      lengths[w] = j;
      for (let i = 0; i + 1 < j; i++) {
        const k = syms[i] * KEY_MUL + syms[i + 1];
        delta.set(k, (delta.get(k) ?? 0) + 1);
      }
      const c = freqs[w];
      for (const [k, d] of delta) {
        if (d === 0) continue;
        const next = (pairCounts.get(k) ?? 0) + d * c;
        if (next > 0) pairCounts.set(k, next);
        else pairCounts.delete(k);
        if (d > 0) {
          addWhere(k, w);
          increased.add(k);
        }
      }
    }
    // Fresh heap entries for the pairs whose count went up, in key order (determinism).
    for (const k of [...increased].sort((p, q) => p - q)) {
      const c = pairCounts.get(k);
      if (c !== undefined) heap.push(c, k);
    }

    if (onProgress !== undefined && merges.length % progressEvery === 0) {
      onProgress({ merges: merges.length, target });
    }
    if (signal?.aborted) throwIfAborted(signal, what);
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
      throwIfAborted(signal, what);
    }
  }
  onProgress?.({ merges: merges.length, target });
  throwIfAborted(signal, what);

  return buildTokenizerFiles(tokens, merges, options.modelMaxLength ?? 2048);
}

/** The Hugging Face files of a byte-level BPE with the given token list (specials first) and merges. */
function buildTokenizerFiles(tokens: readonly string[], merges: readonly string[], modelMaxLength: number): TokenizerFiles {
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => {
    vocab[t] = i;
  });
  const specials = Object.values(SPECIAL_TOKENS);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizerJson: Record<string, unknown> = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((content, id) => addedTokenEntry(id, content)),
    normalizer: null,
    pre_tokenizer: { ...byteLevel },
    post_processor: { ...byteLevel, trim_offsets: false },
    decoder: { ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: [...merges],
    },
  };
  const addedTokensDecoder: Record<string, unknown> = {};
  specials.forEach((content, id) => {
    const { id: _id, ...rest } = addedTokenEntry(id, content);
    addedTokensDecoder[String(id)] = rest;
  });
  const tokenizerConfig: Record<string, unknown> = {
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: specials.filter((s) => s !== SPECIAL_TOKENS.endOfText && s !== SPECIAL_TOKENS.pad),
    bos_token: SPECIAL_TOKENS.endOfText,
    eos_token: SPECIAL_TOKENS.endOfText,
    pad_token: SPECIAL_TOKENS.pad,
    unk_token: null,
    add_bos_token: false,
    add_eos_token: false,
    add_prefix_space: false,
    clean_up_tokenization_spaces: false,
    model_max_length: modelMaxLength,
    tokenizer_class: 'PreTrainedTokenizerFast',
  };
  return { tokenizerJson, tokenizerConfig };
}
