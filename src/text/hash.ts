/**
 * The non-cryptographic hashes of the text layer, one family: a multiply-xorshift step over UTF-16
 * code units ({@link hashChars}, and two lanes of it for 64-bit keys, {@link Hash64}) and a
 * multiply-rotate step over 32-bit values ({@link hashSequence}: word n-grams, signature bands), each
 * finished with murmur3's {@link mix32}. Deterministic on every platform; browser-safe.
 *
 * Kept apart, on purpose: the FNV-1a feature hashes of `features.ts`, whose values are the agent
 * classifier's buckets and the embedder's dimensions (changing them changes trained weights and
 * retrieval results), and MinHash's universal hashing (`forge/dedup`), which is a permutation family.
 * @module
 */

/** Final avalanche (murmur3 fmix32) so that low bits of combined hashes are well mixed. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

const CHAR_MULTIPLIER = 0x5bd1e995;
const CHAR_LANE_1 = 0x9747b28c;
const CHAR_LANE_2 = 0x2f8a6c1d;

/**
 * 32-bit hash of the UTF-16 code units `text[start, end)` (unsigned). The word hash of shingles and
 * n-grams: its values decide near duplicates (through MinHash), so it must never change.
 */
export function hashChars(text: string, start = 0, end = text.length, seed = 0): number {
  let h = seed ^ CHAR_LANE_1;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), CHAR_MULTIPLIER);
    h ^= h >>> 15;
  }
  return mix32(h ^ (end - start));
}

/** {@link hashChars} of a whole string. */
export function hash32(text: string, seed = 0): number {
  return hashChars(text, 0, text.length, seed);
}

/**
 * A 64-bit hash built up piece by piece: two lanes of the {@link hashChars} step from different
 * starting states (the first lane is exactly `hashChars` of everything added), as 16 hex digits.
 * Accidental collisions among n distinct strings have probability about n² / 2^65 (≈ 3e-8 for a
 * million), which is what an exact-duplicate key needs.
 */
export class Hash64 {
  private h1: number;
  private h2: number;
  private length = 0;

  constructor(seed = 0) {
    this.h1 = seed ^ CHAR_LANE_1;
    this.h2 = seed ^ CHAR_LANE_2;
  }

  /** Adds the code units `text[start, end)`. */
  addRange(text: string, start: number, end: number): this {
    let { h1, h2 } = this;
    for (let i = start; i < end; i++) {
      const c = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, CHAR_MULTIPLIER);
      h1 ^= h1 >>> 15;
      h2 = Math.imul(h2 ^ c, CHAR_MULTIPLIER);
      h2 ^= h2 >>> 15;
    }
    this.h1 = h1;
    this.h2 = h2;
    this.length += end - start;
    return this;
  }

  /** The hash of everything added so far. */
  hex(): string {
    const hex = (h: number): string => mix32(h ^ this.length).toString(16).padStart(8, '0');
    return hex(this.h2) + hex(this.h1);
  }
}

/** 64-bit hash of a string ({@link Hash64}), as 16 hex digits. */
export function hash64(text: string, seed = 0): string {
  return new Hash64(seed).addRange(text, 0, text.length).hex();
}

/** Default seed of {@link hashSequence}: the shingle hash. */
const SEQUENCE_SEED = 0x27d4eb2f;
const SEQUENCE_LANE_2 = 0x165667b1;

/**
 * 32-bit hash of the `n` values `values[start, start + n)`, order-sensitive (unsigned). With the
 * default seed it is the shingle hash of word hashes, whose values decide near duplicates, so it must
 * never change.
 */
export function hashSequence(values: ArrayLike<number>, start: number, n: number, seed = SEQUENCE_SEED): number {
  let h = seed ^ n;
  for (let j = 0; j < n; j++) {
    h = Math.imul(h ^ values[start + j], 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
  }
  return mix32(h);
}

/**
 * A 53-bit key of the `n` values from `start` (a safe integer, for a `Map`): the high 32 bits are
 * {@link hashSequence}, the low 21 a second lane of it. For indexes that verify their hits.
 */
export function sequenceKey(values: ArrayLike<number>, start: number, n: number): number {
  return hashSequence(values, start, n) * 2097152 + (hashSequence(values, start, n, SEQUENCE_LANE_2) >>> 11);
}
