/**
 * Deduplication of a corpus (Hephaestus-Forge step "dedup"): exact duplicates by a 64-bit hash of the
 * normalised text, and near duplicates by MinHash signatures indexed with LSH banding.
 *
 * Both passes keep the *first* occurrence in input order and compare every new document only with the
 * documents kept so far, so the batch function {@link deduplicate} and the streaming
 * {@link Deduplicator} make identical decisions, and the streaming one needs memory for the kept
 * documents' hashes and signatures only (never their text).
 *
 * Browser-safe: no Node imports, no crypto.
 * @module
 */
import type { CorpusDocument } from '../data/document.js';
import { mix32 } from '../text/features.js';
import { ConfigError, throwIfAborted } from '../util/errors.js';
import { Rng } from '../util/rng.js';

// ---------------------------------------------------------------------------------------------
// Normalisation and hashing
// ---------------------------------------------------------------------------------------------

/** Character classes of {@link charClass}. */
const SPACE = 0;
const WORD_CHAR = 1;
const UNDERSCORE = 2;
const OTHER = 3;
let classTable: Uint8Array | undefined;
const LETTER_OR_NUMBER = /[\p{L}\p{M}\p{N}]/u;

/** Class of a UTF-16 code unit (BMP): space, letter/number, `_`, or other (punctuation, symbols). */
function charClassTable(): Uint8Array {
  if (classTable !== undefined) return classTable;
  const table = new Uint8Array(65536);
  const space = /\s/u;
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) { table[c] = OTHER; continue; }
    const ch = String.fromCharCode(c);
    table[c] = c === 95 ? UNDERSCORE : LETTER_OR_NUMBER.test(ch) ? WORD_CHAR : space.test(ch) ? SPACE : OTHER;
  }
  classTable = table;
  return table;
}

/** Class of the character at `i` and its length in code units (2 for a surrogate pair). */
function charClass(text: string, i: number, table: Uint8Array): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return table[c];
  const next = text.charCodeAt(i + 1); // NaN past the end
  if (!(next >= 0xdc00 && next <= 0xdfff)) return table[c]; // a lone surrogate: OTHER, one unit
  const cp = text.codePointAt(i)!;
  return LETTER_OR_NUMBER.test(String.fromCodePoint(cp)) ? WORD_CHAR | 4 : OTHER | 4;
}

/** Applies NFKC and lower case (the common first step of every normal form here). */
function fold(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * The normal form used for exact deduplication:
 * 1. Unicode NFKC (full-width forms, ligatures and compatibility characters fold to their plain form);
 * 2. lower case;
 * 3. the text is cut into tokens, each a maximal run of letters (with combining marks), digits and `_`,
 *    or a single other non-space character (punctuation, operators, brackets), and the tokens are
 *    joined by one space.
 *
 * So case and *all* whitespace differences between tokens vanish (`{"a":1}` = `{ "A" : 1 }`,
 * re-indented code = original), while punctuation is kept, because in code and JSON it carries
 * meaning (`f(x)` is not `f x`), and whitespace inside a word still counts (`ab` is not `a b`).
 * Edits beyond that are the near-duplicate pass's business.
 */
export function normalizeForHash(text: string): string {
  const s = fold(text);
  const table = charClassTable();
  const parts: string[] = [];
  let i = 0;
  while (i < s.length) {
    const cls = charClass(s, i, table);
    const width = cls & 4 ? 2 : 1;
    const kind = cls & 3;
    if (kind === SPACE) {
      i += width;
    } else if (kind === OTHER) {
      parts.push(s.slice(i, i + width));
      i += width;
    } else {
      const start = i;
      i += width;
      while (i < s.length) {
        const next = charClass(s, i, table);
        if ((next & 3) !== WORD_CHAR && (next & 3) !== UNDERSCORE) break;
        i += next & 4 ? 2 : 1;
      }
      parts.push(s.slice(start, i));
    }
  }
  return parts.join(' ');
}

/**
 * The words of a text as used by shingling and by the leakage check's n-grams: NFKC, lower case,
 * maximal runs of letters (with their combining marks) and digits. Punctuation, whitespace and `_`
 * separate words, so an identifier such as `calculate_triangle_area` yields the words `calculate`,
 * `triangle`, `area`.
 */
export function words(text: string): string[] {
  const s = fold(text);
  const out: string[] = [];
  const bounds = wordBounds(s);
  for (let w = 0; w < bounds.count; w++) out.push(s.slice(bounds.starts[w], bounds.ends[w]));
  return out;
}

/** Start and end offsets of the words of an already folded text. */
function wordBounds(s: string): { starts: Uint32Array; ends: Uint32Array; count: number } {
  const table = charClassTable();
  const capacity = (s.length >> 1) + 1;
  const starts = new Uint32Array(capacity);
  const ends = new Uint32Array(capacity);
  let count = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    const cls = c < 0xd800 ? table[c] : charClass(s, i, table);
    if ((cls & 3) !== WORD_CHAR) { i += cls & 4 ? 2 : 1; continue; }
    starts[count] = i;
    i += cls & 4 ? 2 : 1;
    while (i < n) {
      const d = s.charCodeAt(i);
      const next = d < 0xd800 ? table[d] : charClass(s, i, table);
      if ((next & 3) !== WORD_CHAR) break;
      i += next & 4 ? 2 : 1;
    }
    ends[count++] = i;
  }
  return { starts, ends, count };
}

/** {@link hash32} of each of the text's {@link words}, without building the strings. */
export function wordHashes(text: string): Uint32Array {
  const s = fold(text);
  const { starts, ends, count } = wordBounds(s);
  const out = new Uint32Array(count);
  for (let w = 0; w < count; w++) out[w] = hashRange(s, starts[w], ends[w], 0);
  return out;
}

/**
 * 64-bit non-cryptographic hash of a string (two interleaved 32-bit multiply-xor lanes over the UTF-16
 * code units, cross-mixed at the end, as in cyrb53 but keeping all 64 bits), as 16 hex digits.
 * Accidental collisions among n distinct strings have probability about n² / 2^65 (≈ 3e-8 for a million).
 */
export function hash64(text: string, seed = 0): string {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  return finish64(h1, h2);
}

function finish64(h1: number, h2: number): string {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/** The exact-dedup key of a text: {@link hash64} of {@link normalizeForHash}. */
export function exactKey(text: string): string {
  // Streams the tokens of normalizeForHash (joined by one space) into the hash64 lanes, building no string.
  const s = fold(text);
  const table = charClassTable();
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  let first = true;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    const cls = c < 0xd800 ? table[c] : charClass(s, i, table);
    const width = cls & 4 ? 2 : 1;
    const kind = cls & 3;
    if (kind === SPACE) { i += width; continue; }
    if (!first) {
      h1 = Math.imul(h1 ^ 32, 2654435761);
      h2 = Math.imul(h2 ^ 32, 1597334677);
    }
    first = false;
    let stop = i + width;
    if (kind !== OTHER) {
      // A run of letters, digits and `_`.
      while (stop < n) {
        const d = s.charCodeAt(stop);
        const next = d < 0xd800 ? table[d] : charClass(s, stop, table);
        if ((next & 3) !== WORD_CHAR && (next & 3) !== UNDERSCORE) break;
        stop += next & 4 ? 2 : 1;
      }
    }
    for (; i < stop; i++) {
      const ch = s.charCodeAt(i);
      h1 = Math.imul(h1 ^ ch, 2654435761);
      h2 = Math.imul(h2 ^ ch, 1597334677);
    }
  }
  return finish64(h1, h2);
}

/** 32-bit hash of a string (murmur-style mixing of its UTF-16 code units). */
export function hash32(text: string, seed = 0): number {
  return hashRange(text, 0, text.length, seed);
}

function hashRange(text: string, start: number, end: number, seed: number): number {
  let h = seed ^ 0x9747b28c;
  for (let i = start; i < end; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  return mix32(h ^ (end - start));
}

/** Hash of the `n` word hashes starting at `start` (order-sensitive). */
function combineHashes(wordHashes: ArrayLike<number>, start: number, n: number): number {
  let h = 0x27d4eb2f ^ n;
  for (let j = 0; j < n; j++) {
    h = Math.imul(h ^ wordHashes[start + j], 0xcc9e2d51);
    h = (h << 15) | (h >>> 17);
    h = Math.imul(h, 0x1b873593);
  }
  return mix32(h);
}

/**
 * The sorted, distinct 32-bit hashes of a text's word `shingleSize`-grams (see {@link words}). A text
 * with fewer words than `shingleSize` gives one shingle of all its words; an empty text gives none.
 */
export function shingleHashes(text: string, shingleSize = 5): Uint32Array {
  const hashes = wordHashes(text);
  if (hashes.length === 0) return new Uint32Array(0);
  const n = Math.min(shingleSize, hashes.length);
  const out = new Uint32Array(hashes.length - n + 1);
  for (let i = 0; i < out.length; i++) out[i] = combineHashes(hashes, i, n);
  out.sort();
  let unique = 0;
  for (let i = 0; i < out.length; i++) if (i === 0 || out[i] !== out[i - 1]) out[unique++] = out[i];
  return out.slice(0, unique);
}

/** Exact Jaccard similarity |A ∩ B| / |A ∪ B| of two sorted distinct hash sets (from {@link shingleHashes}). */
export function jaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length === 0 && b.length === 0) return 1;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    if (a[i] === b[j]) { common++; i++; j++; } else if (a[i] < b[j]) i++; else j++;
  }
  return common / (a.length + b.length - common);
}

// ---------------------------------------------------------------------------------------------
// MinHash
// ---------------------------------------------------------------------------------------------

/** The Mersenne prime 2^31 - 1: the modulus of the universal hash family. */
const PRIME = 2147483647;
const TWO31 = 2147483648;
const INV_TWO31 = 1 / TWO31;
/** Multipliers are drawn below 2^21 so that a*x + b < 2^53 stays exact in float64. */
const MAX_MULTIPLIER = 2 ** 21;
/** Signature value of a document without shingles (greater than every hash value). */
const EMPTY = 0xffffffff;

/**
 * MinHash over 32-bit shingle hashes with `permutations` seeded universal hash functions
 * h_i(x) = (a_i x + b_i) mod p, p = 2^31 - 1, x = shingle hash mod p, a_i uniform in [1, 2^21) and b_i
 * uniform in [0, p), drawn from {@link Rng}(seed). With a_i < 2^21 the product is exact in float64 and is
 * reduced with the Mersenne identity 2^31 ≡ 1 (mod p), about 2x faster than a full-range multiplier; each
 * h_i is still a bijection of Z_p and the family stays universal. The fraction of equal entries of two
 * signatures estimates the Jaccard similarity of the shingle sets with standard error
 * sqrt(J(1-J)/permutations) (0.035 at J = 0.8 with 128 permutations).
 */
export class MinHasher {
  /** Number of hash functions (signature length). */
  readonly permutations: number;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private x = new Float64Array(256);

  constructor(permutations = 128, seed = 1) {
    if (!Number.isInteger(permutations) || permutations < 1 || permutations > 4096) {
      throw new ConfigError('permutations', `expected an integer in [1, 4096], got ${permutations}`);
    }
    this.permutations = permutations;
    // Padded to a multiple of 4 for the unrolled loop; the padding is never written out.
    const padded = Math.ceil(permutations / 4) * 4;
    this.a = new Float64Array(padded).fill(1);
    this.b = new Float64Array(padded);
    const rng = new Rng(seed);
    for (let i = 0; i < permutations; i++) {
      this.a[i] = 1 + (rng.nextUint32() % (MAX_MULTIPLIER - 1));
      this.b[i] = rng.nextUint32() % PRIME;
    }
  }

  /** The signature of a shingle set; all entries are 0xffffffff for an empty set. */
  signature(shingles: Uint32Array, out: Uint32Array = new Uint32Array(this.permutations)): Uint32Array {
    const n = shingles.length;
    if (this.x.length < n) this.x = new Float64Array(Math.max(n, this.x.length * 2));
    const xs = this.x;
    for (let s = 0; s < n; s++) xs[s] = shingles[s] % PRIME;
    const { a, b } = this;
    for (let i = 0; i < this.permutations; i += 4) {
      const a0 = a[i], a1 = a[i + 1], a2 = a[i + 2], a3 = a[i + 3];
      const b0 = b[i], b1 = b[i + 1], b2 = b[i + 2], b3 = b[i + 3];
      let m0 = EMPTY, m1 = EMPTY, m2 = EMPTY, m3 = EMPTY;
      for (let s = 0; s < n; s++) {
        const x = xs[s];
        // v = t mod p for t = a*x + b < 2^52: t = hi*2^31 + lo ≡ hi + lo, then one conditional subtraction.
        // Written out per lane: a modPrime(t) helper measured about 2% slower in this loop.
        let t = a0 * x + b0;
        let hi = Math.floor(t * INV_TWO31);
        let v = t - hi * TWO31 + hi;
        if (v >= PRIME) v -= PRIME;
        if (v < m0) m0 = v;
        t = a1 * x + b1;
        hi = Math.floor(t * INV_TWO31);
        v = t - hi * TWO31 + hi;
        if (v >= PRIME) v -= PRIME;
        if (v < m1) m1 = v;
        t = a2 * x + b2;
        hi = Math.floor(t * INV_TWO31);
        v = t - hi * TWO31 + hi;
        if (v >= PRIME) v -= PRIME;
        if (v < m2) m2 = v;
        t = a3 * x + b3;
        hi = Math.floor(t * INV_TWO31);
        v = t - hi * TWO31 + hi;
        if (v >= PRIME) v -= PRIME;
        if (v < m3) m3 = v;
      }
      out[i] = m0;
      if (i + 1 < this.permutations) out[i + 1] = m1;
      if (i + 2 < this.permutations) out[i + 2] = m2;
      if (i + 3 < this.permutations) out[i + 3] = m3;
    }
    return out;
  }
}

/** Fraction of equal entries of two signatures of the same length: the MinHash Jaccard estimate. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array, aOffset = 0, bOffset = 0, length = a.length - aOffset): number {
  let equal = 0;
  for (let i = 0; i < length; i++) if (a[aOffset + i] === b[bOffset + i]) equal++;
  return equal / length;
}

/**
 * LSH banding for a Jaccard threshold: a signature of `permutations` values is cut into `bands` bands of
 * `rows` rows, and two documents become a candidate pair when any band is identical, which happens with
 * probability 1 - (1 - J^rows)^bands. Candidates are then verified with the full signature, so a missed
 * pair (false negative) is lost for good while a spurious candidate only costs one comparison. The rule
 * therefore picks the largest `rows` (fewest spurious candidates) for which a pair exactly at the
 * threshold is still a candidate with probability >= `recall` (default 0.99), `bands = floor(k / rows)`.
 * For threshold 0.8 and 128 permutations this gives 21 bands x 6 rows (P = 0.998 at J = 0.8, 0.28 at
 * J = 0.5, 0.015 at J = 0.3; the (1/b)^(1/r) midpoint is 0.60).
 */
export function lshParameters(threshold: number, permutations: number, recall = 0.99): { bands: number; rows: number } {
  if (!(threshold > 0 && threshold <= 1)) throw new ConfigError('threshold', `expected a number in (0, 1], got ${threshold}`);
  if (!(recall > 0 && recall < 1)) throw new ConfigError('recall', `expected a number in (0, 1), got ${recall}`);
  for (let rows = permutations; rows >= 1; rows--) {
    const bands = Math.floor(permutations / rows);
    if (candidateProbability(threshold, bands, rows) >= recall) return { bands, rows };
  }
  return { bands: permutations, rows: 1 };
}

/** Probability that a pair with Jaccard similarity `j` becomes an LSH candidate. */
export function candidateProbability(j: number, bands: number, rows: number): number {
  return 1 - (1 - j ** rows) ** bands;
}

// ---------------------------------------------------------------------------------------------
// Deduplicator (streaming) and deduplicate (batch)
// ---------------------------------------------------------------------------------------------

/** Options of {@link Deduplicator} and {@link deduplicate}. */
export interface DedupOptions {
  /** Remove exact duplicates of the normalised text ({@link normalizeForHash}). Default true. */
  exact?: boolean;
  /** Remove near duplicates (MinHash + LSH). Default true. */
  near?: boolean;
  /** Estimated Jaccard similarity of word shingles at or above which a document is a near duplicate. Default 0.8. */
  threshold?: number;
  /** Words per shingle. Default 5. */
  shingleSize?: number;
  /** MinHash signature length. Default 128. */
  permutations?: number;
  /** Seed of the MinHash hash functions. Default 1. */
  seed?: number;
  /** LSH bands; with `rows`, overrides {@link lshParameters}. bands x rows must not exceed `permutations`. */
  bands?: number;
  /** LSH rows per band. */
  rows?: number;
  /** Probability that a pair exactly at the threshold becomes an LSH candidate (see {@link lshParameters}). Default 0.99. */
  recall?: number;
}

/** Why a document was removed, and which kept document it duplicates. */
export interface DedupDecision {
  kept: boolean;
  /** `exact` or `near` when removed. */
  reason?: 'exact' | 'near';
  /** 0-based position (in the order of {@link Deduplicator.add} calls) of the kept document it duplicates. */
  duplicateOf?: number;
  /** Estimated Jaccard similarity with that document (1 for exact duplicates). */
  similarity?: number;
}

/** A removed document and the kept document it duplicates (indices into the input). */
export interface DuplicatePair {
  removed: number;
  kept: number;
  reason: 'exact' | 'near';
  similarity: number;
  removedSource: string;
  keptSource: string;
}

/** Progress of {@link deduplicate}. */
export interface DedupProgress {
  done: number;
  total: number;
  kept: number;
  removedExact: number;
  removedNear: number;
}

/** Result of {@link deduplicate}. */
export interface DedupResult {
  /** The kept documents, in input order. */
  kept: CorpusDocument[];
  removedExact: number;
  removedNear: number;
  /** One entry per removed document, in input order. */
  pairs: DuplicatePair[];
  /** The LSH banding used (0 x 0 when near dedup is off). */
  bands: number;
  rows: number;
}

/**
 * Incremental deduplicator: feed documents one at a time with {@link Deduplicator.add}; each is compared
 * with the documents kept so far. Memory grows with the kept documents only: a 16-hex-digit hash each
 * for exact dedup, plus a signature (4 x permutations bytes) and one bucket entry per band for near
 * dedup. Texts are never stored.
 */
export class Deduplicator {
  /** The resolved options. */
  readonly threshold: number;
  readonly shingleSize: number;
  readonly bands: number;
  readonly rows: number;
  readonly exact: boolean;
  readonly near: boolean;
  /** Documents seen, kept, and removed by each pass. */
  seen = 0;
  keptCount = 0;
  removedExact = 0;
  removedNear = 0;

  private readonly hasher: MinHasher | undefined;
  private readonly exactKeys = new Map<string, number>();
  private readonly buckets: Map<number, number | number[]>[] = [];
  /** Signatures of the near-indexed kept documents, back to back. */
  private signatures = new Uint32Array(0);
  /** Input position of each near-indexed kept document. */
  private positions: number[] = [];
  private readonly scratch: Uint32Array;
  private stamp = new Int32Array(0);

  constructor(options: DedupOptions = {}) {
    this.exact = options.exact ?? true;
    this.near = options.near ?? true;
    this.threshold = options.threshold ?? 0.8;
    this.shingleSize = options.shingleSize ?? 5;
    const permutations = options.permutations ?? 128;
    if (!(this.threshold > 0 && this.threshold <= 1)) {
      throw new ConfigError('threshold', `expected a number in (0, 1], got ${this.threshold}`);
    }
    if (!Number.isInteger(this.shingleSize) || this.shingleSize < 1) {
      throw new ConfigError('shingleSize', `expected a positive integer, got ${this.shingleSize}`);
    }
    if (this.near) {
      this.hasher = new MinHasher(permutations, options.seed ?? 1);
      if (options.bands !== undefined || options.rows !== undefined) {
        const bands = options.bands ?? Math.floor(permutations / (options.rows ?? 1));
        const rows = options.rows ?? Math.floor(permutations / bands);
        if (!Number.isInteger(bands) || !Number.isInteger(rows) || bands < 1 || rows < 1 || bands * rows > permutations) {
          throw new ConfigError('bands', `bands x rows (${bands} x ${rows}) must be positive integers with a product <= permutations (${permutations})`);
        }
        this.bands = bands;
        this.rows = rows;
      } else {
        ({ bands: this.bands, rows: this.rows } = lshParameters(this.threshold, permutations, options.recall));
      }
      for (let b = 0; b < this.bands; b++) this.buckets.push(new Map());
      this.scratch = new Uint32Array(permutations);
    } else {
      this.bands = 0;
      this.rows = 0;
      this.scratch = new Uint32Array(0);
    }
  }

  /** Adds a document; true when it is kept (not a duplicate of a kept one). */
  add(document: CorpusDocument | string): boolean {
    return this.addWithDecision(document).kept;
  }

  /** Adds a document and says why it was removed, if it was. */
  addWithDecision(document: CorpusDocument | string): DedupDecision {
    const text = typeof document === 'string' ? document : document.text;
    const position = this.seen++;
    let key: string | undefined;
    if (this.exact) {
      key = exactKey(text);
      const first = this.exactKeys.get(key);
      if (first !== undefined) {
        this.removedExact++;
        return { kept: false, reason: 'exact', duplicateOf: first, similarity: 1 };
      }
    }
    if (this.hasher !== undefined) {
      const shingles = shingleHashes(text, this.shingleSize);
      if (shingles.length > 0) {
        const signature = this.hasher.signature(shingles, this.scratch);
        const match = this.bestMatch(signature);
        if (match !== undefined) {
          this.removedNear++;
          return { kept: false, reason: 'near', duplicateOf: this.positions[match.index], similarity: match.similarity };
        }
        this.index(signature, position);
      }
    }
    if (key !== undefined) this.exactKeys.set(key, position);
    this.keptCount++;
    return { kept: true };
  }

  private bandKey(signature: Uint32Array, band: number): number {
    let h = 0x811c9dc5 ^ band;
    for (let r = 0; r < this.rows; r++) {
      h = Math.imul(h ^ signature[band * this.rows + r], 0x01000193);
      h ^= h >>> 15;
    }
    return mix32(h);
  }

  /** The most similar indexed signature at or above the threshold (earliest on ties). */
  private bestMatch(signature: Uint32Array): { index: number; similarity: number } | undefined {
    const k = this.hasher!.permutations;
    const query = this.seen; // unique stamp for this query
    let best: { index: number; similarity: number } | undefined;
    for (let band = 0; band < this.bands; band++) {
      const bucket = this.buckets[band].get(this.bandKey(signature, band));
      if (bucket === undefined) continue;
      const ids = typeof bucket === 'number' ? [bucket] : bucket;
      for (const id of ids) {
        if (this.stamp[id] === query) continue;
        this.stamp[id] = query;
        const similarity = estimateJaccard(signature, this.signatures, 0, id * k, k);
        if (similarity >= this.threshold
          && (best === undefined || similarity > best.similarity || (similarity === best.similarity && id < best.index))) {
          best = { index: id, similarity };
        }
      }
    }
    return best;
  }

  private index(signature: Uint32Array, position: number): void {
    const k = this.hasher!.permutations;
    const id = this.positions.length;
    if ((id + 1) * k > this.signatures.length) {
      const grown = new Uint32Array(Math.max(64 * k, this.signatures.length * 2));
      grown.set(this.signatures);
      this.signatures = grown;
      const stamp = new Int32Array(grown.length / k).fill(-1);
      stamp.set(this.stamp);
      this.stamp = stamp;
    }
    this.signatures.set(signature, id * k);
    this.positions.push(position);
    for (let band = 0; band < this.bands; band++) {
      const map = this.buckets[band];
      const key = this.bandKey(signature, band);
      const bucket = map.get(key);
      if (bucket === undefined) map.set(key, id);
      else if (typeof bucket === 'number') map.set(key, [bucket, id]);
      else bucket.push(id);
    }
  }
}

/**
 * Removes exact and near duplicates, keeping the first occurrence of each (input order preserved).
 * Asynchronous only to stay responsive: it yields to the event loop about every 50 ms, checks `signal`
 * there and reports progress. Same documents and options give the same result on every platform.
 */
export async function deduplicate(
  documents: readonly CorpusDocument[],
  options: DedupOptions & { signal?: AbortSignal; onProgress?: (progress: DedupProgress) => void } = {},
): Promise<DedupResult> {
  const dedup = new Deduplicator(options);
  const kept: CorpusDocument[] = [];
  const pairs: DuplicatePair[] = [];
  const progress = (done: number): DedupProgress => ({
    done, total: documents.length, kept: dedup.keptCount, removedExact: dedup.removedExact, removedNear: dedup.removedNear,
  });
  throwIfAborted(options.signal, 'deduplicate');
  let lastYield = Date.now();
  for (let i = 0; i < documents.length; i++) {
    if ((i & 63) === 0 && Date.now() - lastYield > 50) {
      options.onProgress?.(progress(i));
      await new Promise((resolve) => setTimeout(resolve, 0));
      throwIfAborted(options.signal, 'deduplicate');
      lastYield = Date.now();
    }
    const decision = dedup.addWithDecision(documents[i]);
    if (decision.kept) {
      kept.push(documents[i]);
    } else {
      pairs.push({
        removed: i,
        kept: decision.duplicateOf!,
        reason: decision.reason!,
        similarity: decision.similarity!,
        removedSource: documents[i].source,
        keptSource: documents[decision.duplicateOf!].source,
      });
    }
  }
  throwIfAborted(options.signal, 'deduplicate');
  options.onProgress?.(progress(documents.length));
  return { kept, removedExact: dedup.removedExact, removedNear: dedup.removedNear, pairs, bands: dedup.bands, rows: dedup.rows };
}
