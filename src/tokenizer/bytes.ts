/**
 * GPT-2's byte-level alphabet and pre-tokenisation pattern, shared by the BPE trainer and the tests.
 * They are the same as those of Hugging Face `tokenizers` (`ByteLevel` pre-tokenizer with
 * `use_regex: true`) and of `@huggingface/tokenizers` (and transformers.js), so that what the trainer counts is exactly what
 * the loaded tokenizer later splits.
 * @module
 */

/**
 * GPT-2's `bytes_to_unicode`: byte `b` is written as the character `BYTE_TO_UNICODE[b]`. Printable
 * Latin-1 bytes map to themselves; the other 68 (controls, space, soft hyphen...) map to U+0100.. in
 * order, so that no token string contains whitespace or a control character.
 */
export const BYTE_TO_UNICODE: readonly string[] = (() => {
  const printable = (b: number): boolean =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const out: string[] = new Array<string>(256);
  let n = 0;
  for (let b = 0; b < 256; b++) out[b] = String.fromCharCode(printable(b) ? b : 256 + n++);
  return Object.freeze(out);
})();

/** Inverse of {@link BYTE_TO_UNICODE}. */
export const UNICODE_TO_BYTE: ReadonlyMap<string, number> = new Map(BYTE_TO_UNICODE.map((c, b) => [c, b]));

/**
 * GPT-2's pre-tokenisation regex (contractions, optional-space + letters / digits / other, whitespace
 * runs where the last space goes with the next word). Global and sticky-free: use with `String.match`.
 */
export const GPT2_PRETOKENIZE_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
