import { BPE, Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { ConfigError, TokenizerError } from '../util/errors.js';
import { SPECIAL_TOKENS, type SpecialTokenIds, type Tokenizer, type TokenizerFiles } from './types.js';

/** What {@link loadTokenizer} does when the files lack some of the special tokens of {@link SPECIAL_TOKENS}. */
export type MissingSpecialTokens = 'add' | 'error';

/** Options of {@link loadTokenizer}. */
export interface LoadTokenizerOptions {
  /**
   * The chat / tool-call template needs all eight {@link SPECIAL_TOKENS}. A third-party tokenizer (GPT-2,
   * SmolLM...) usually lacks most of them.
   * - `'add'` (default): each missing one is appended as a special added token with the next free id
   *   (max id + 1, in the order of {@link SPECIAL_TOKENS}), exactly what Python's
   *   `tokenizer.add_special_tokens(...)` does. The tokenizer's `vocabSize` grows accordingly, so a model
   *   imported with it must have its embedding resized; `toFiles()` then returns the extended files.
   * - `'error'`: throw a {@link TokenizerError} naming the missing tokens.
   *
   * A special-token string that is already in the model's vocabulary but not declared as an added token
   * is declared as one with its existing id in both modes, so that it is never split by BPE.
   */
  missingSpecialTokens?: MissingSpecialTokens;
}

type JsonObject = Record<string, unknown>;

function isObject(x: unknown): x is JsonObject {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** One entry of `tokenizer.json`'s `added_tokens`, as Hugging Face `tokenizers` writes it. */
export function addedTokenEntry(id: number, content: string): JsonObject {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

/**
 * Copies and normalises the files: fills the optional top-level keys of tokenizer.json that the reader
 * requires (`added_tokens`, `normalizer`, `pre_tokenizer`, `post_processor`, `decoder`) and converts
 * merges written as pairs (`[["a","b"], ...]`, tokenizers >= 0.20) to the `"a b"` form that every
 * reader understands.
 */
function normaliseFiles(files: TokenizerFiles): { json: JsonObject; config: JsonObject } {
  if (!isObject(files) || !isObject(files.tokenizerJson)) {
    throw new TokenizerError('tokenizer.json must be a JSON object (files.tokenizerJson)');
  }
  if (files.tokenizerConfig !== undefined && !isObject(files.tokenizerConfig)) {
    throw new TokenizerError('tokenizer_config.json must be a JSON object (files.tokenizerConfig)');
  }
  const json = structuredClone(files.tokenizerJson);
  const config = structuredClone(files.tokenizerConfig ?? {});
  const model = json.model;
  if (!isObject(model)) throw new TokenizerError('tokenizer.json has no "model" object');
  for (const key of ['normalizer', 'pre_tokenizer', 'post_processor', 'decoder'] as const) {
    if (json[key] === undefined) json[key] = null;
  }
  if (json.added_tokens === undefined || json.added_tokens === null) json.added_tokens = [];
  if (!Array.isArray(json.added_tokens)) throw new TokenizerError('tokenizer.json: "added_tokens" must be an array');
  json.added_tokens.forEach((t: unknown, i: number) => {
    if (!isObject(t) || typeof t.content !== 'string' || !Number.isInteger(t.id)) {
      throw new TokenizerError(`tokenizer.json: added_tokens[${i}] needs a string "content" and an integer "id"`);
    }
  });
  if (Array.isArray(model.merges)) {
    model.merges = model.merges.map((m: unknown, i: number) => {
      if (typeof m === 'string') return m;
      if (
        Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string' &&
        !m[0].includes(' ') && !m[1].includes(' ')
      ) {
        return `${m[0]} ${m[1]}`;
      }
      throw new TokenizerError(`tokenizer.json: model.merges[${i}] is neither "a b" nor a pair of space-free strings`);
    });
  }
  return { json, config };
}

/**
 * The reader: Hugging Face's pure-JS tokenizers (the tokenizer code of transformers.js as its own package,
 * no dependencies). Chosen over importing transformers.js' tokenizer module, whose imports reach
 * onnxruntime: same ids on every file of ../shared/data, a twentieth of the bundle (BENCHMARKS.md).
 */
function buildReader(json: JsonObject, config: JsonObject): HfTokenizer {
  let tok: HfTokenizer;
  try {
    tok = new HfTokenizer(json, config);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new TokenizerError(`tokenizer.json could not be loaded: ${why}`, { cause });
  }
  if (tok.model instanceof BPE) useFastWordCache(tok.model);
  return tok;
}

/**
 * Replaces the BPE model's word cache. Version 0.2's LRU deletes and re-inserts a Map entry on every
 * hit, which made encoding about 2x slower than transformers.js here (interleaved runs on
 * tinyshakespeare); a Map emptied when full memoises the same words (so the same ids) without that.
 */
function useFastWordCache(model: BPE): void {
  const words = new Map<string, string[]>();
  const capacity = model.cache_capacity;
  const cache = {
    get: (word: string): string[] | undefined => words.get(word),
    put: (word: string, pieces: string[]): void => {
      if (words.size >= capacity) words.clear();
      words.set(word, pieces);
    },
    clear: (): void => words.clear(),
  };
  // The declared type is the library's LRU class (private fields): same methods, nominal type.
  model.cache = cache as unknown as BPE['cache'];
}

function maxId(tok: HfTokenizer): number {
  let max = -1;
  for (const id of tok.get_vocab(true).values()) if (id > max) max = id;
  return max;
}

/**
 * Builds a {@link Tokenizer} from Hugging Face tokenizer files, offline: the files are read in memory by
 * `@huggingface/tokenizers`, nothing is fetched. One implementation for tokenizers trained here and
 * loaded ones.
 *
 * - `encode` adds no BOS/EOS (`add_special_tokens: false`); the eight {@link SPECIAL_TOKENS} (and any
 *   other added token) written literally in the text map to their ids.
 * - `decode` keeps special tokens and does no whitespace clean-up; an empty id list decodes to `''`;
 *   an id outside the vocabulary throws a {@link TokenizerError} naming it. Ids that end inside a UTF-8
 *   sequence decode to U+FFFD.
 * - For byte-level BPE tokenizers (GPT-2 style, such as the ones {@link trainBpeTokenizer} emits)
 *   `decode(encode(s)) === s` for every well-formed string `s`; lone surrogates become U+FFFD, as
 *   `TextEncoder` does. Other model types (WordPiece, Unigram...) load too, with their own lossiness.
 *
 * @param files parsed `tokenizer.json` and `tokenizer_config.json` (the latter may be `{}`)
 * @param options what to do about missing special tokens (see {@link LoadTokenizerOptions})
 * @throws TokenizerError when the files are malformed or (with `missingSpecialTokens: 'error'`) lack a special token
 * @throws ConfigError when an option is invalid
 */
export async function loadTokenizer(files: TokenizerFiles, options: LoadTokenizerOptions = {}): Promise<Tokenizer> {
  const mode = options.missingSpecialTokens ?? 'add';
  if (mode !== 'add' && mode !== 'error') {
    throw new ConfigError('missingSpecialTokens', `must be 'add' or 'error', got ${JSON.stringify(mode)}`);
  }
  const { json, config } = normaliseFiles(files);
  let tok = buildReader(json, config);

  // Make sure every special token of the template is a declared added token.
  const addedTokens = json.added_tokens as JsonObject[];
  const declared = new Set(addedTokens.map((t) => t.content as string));
  const missing: string[] = [];
  let nextId = maxId(tok) + 1;
  let changed = false;
  for (const content of Object.values(SPECIAL_TOKENS)) {
    if (declared.has(content)) continue;
    let id = tok.token_to_id(content);
    if (id === undefined) {
      if (mode === 'error') {
        missing.push(content);
        continue;
      }
      id = nextId++;
    }
    const entry = addedTokenEntry(id, content);
    addedTokens.push(entry);
    if (isObject(config.added_tokens_decoder)) {
      const { id: _id, ...rest } = entry;
      config.added_tokens_decoder[String(id)] = rest;
    }
    changed = true;
  }
  if (missing.length > 0) {
    throw new TokenizerError(
      `tokenizer lacks the special token${missing.length > 1 ? 's' : ''} ${missing.map((s) => JSON.stringify(s)).join(', ')}` +
        ` (load it with missingSpecialTokens: 'add' to append ${missing.length > 1 ? 'them' : 'it'})`,
    );
  }
  if (changed) tok = buildReader(json, config);

  const special = Object.fromEntries(
    Object.entries(SPECIAL_TOKENS).map(([role, content]) => [role, tok.token_to_id(content) as number]),
  ) as unknown as SpecialTokenIds;
  const vocabSize = maxId(tok) + 1;
  const files_: TokenizerFiles = { tokenizerJson: json, tokenizerConfig: config };

  return {
    vocabSize,
    special: Object.freeze(special),
    encode(text: string): number[] {
      if (typeof text !== 'string') throw new TokenizerError(`encode: expected a string, got ${typeof text}`);
      if (text.length === 0) return [];
      const out = tok.encode(text, { add_special_tokens: false }).ids;
      for (let i = 0; i < out.length; i++) {
        if (out[i] === undefined) {
          throw new TokenizerError(`encode: the tokenizer has no id (and no unk_token) for a piece of ${JSON.stringify(text.slice(0, 40))}`);
        }
      }
      return out;
    },
    decode(idList: ArrayLike<number>): string {
      const arr = Array.from(idList);
      if (arr.length === 0) return '';
      for (let i = 0; i < arr.length; i++) {
        const id = arr[i];
        if (!Number.isInteger(id) || id < 0 || id >= vocabSize || tok.id_to_token(id) === undefined) {
          throw new TokenizerError(`decode: ids[${i}] = ${String(id)} is not a token id (vocabulary size ${vocabSize})`);
        }
      }
      return tok.decode(arr, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    },
    toFiles(): TokenizerFiles {
      return structuredClone(files_);
    },
  };
}
