import type { Tokenizer } from '../tokenizer/types.js';

/** Encodes documents into one token stream, each document followed by `<|endoftext|>`. */
export function encodeDocuments(tokenizer: Tokenizer, texts: Iterable<string>): Int32Array {
  const ids: number[] = [];
  for (const text of texts) {
    for (const id of tokenizer.encode(text)) ids.push(id);
    ids.push(tokenizer.special.endOfText);
  }
  return Int32Array.from(ids);
}

/** Splits a token stream into a training head and a validation tail of about `fraction` of it. */
export function splitTokens(tokens: Int32Array, fraction: number): { train: Int32Array; validation: Int32Array } {
  const cut = Math.floor(tokens.length * (1 - fraction));
  return { train: tokens.subarray(0, cut), validation: tokens.subarray(cut) };
}
