/**
 * Near-duplicate machinery of the dedup step: word shingles, their exact Jaccard similarity, MinHash
 * signatures that estimate it, and the LSH banding that finds candidate pairs.
 * @module
 */
import { hashSequence, wordHashes } from '../../text/index.js';
import { ConfigError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';

/**
 * The sorted, distinct 32-bit hashes of a text's word `shingleSize`-grams (the `words` of `src/text`). A text
 * with fewer words than `shingleSize` gives one shingle of all its words; an empty text gives none.
 */
export function shingleHashes(text: string, shingleSize = 5): Uint32Array {
  const hashes = wordHashes(text);
  if (hashes.length === 0) return new Uint32Array(0);
  const n = Math.min(shingleSize, hashes.length);
  const out = new Uint32Array(hashes.length - n + 1);
  for (let i = 0; i < out.length; i++) out[i] = hashSequence(hashes, i, n);
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


/** The best indexed match of a signature: its position and estimated similarity. */
export interface LshMatch {
  position: number;
  similarity: number;
}

/**
 * The signatures of kept documents, indexed by LSH band: {@link LshIndex.match} finds the most similar
 * indexed signature at or above the threshold among those sharing a band. Memory: one signature and
 * one bucket entry per band for each indexed document.
 */
export class LshIndex {
  private readonly buckets: Map<number, number | number[]>[] = [];
  /** Signatures of the indexed documents, back to back. */
  private signatures = new Uint32Array(0);
  /** Input position of each indexed document. */
  private readonly positions: number[] = [];
  /** Per indexed document, the last query that compared it (so each is compared once per query). */
  private stamp = new Int32Array(0);
  private queries = 0;

  constructor(
    private readonly permutations: number, readonly bands: number, readonly rows: number, private readonly threshold: number,
  ) {
    for (let b = 0; b < bands; b++) this.buckets.push(new Map());
  }

  private bandKey(signature: Uint32Array, band: number): number {
    return hashSequence(signature, band * this.rows, this.rows);
  }

  /** The most similar indexed signature at or above the threshold (earliest on ties), or `undefined`. */
  match(signature: Uint32Array): LshMatch | undefined {
    const k = this.permutations;
    const query = ++this.queries;
    let best: { id: number; similarity: number } | undefined;
    for (let band = 0; band < this.bands; band++) {
      const bucket = this.buckets[band].get(this.bandKey(signature, band));
      if (bucket === undefined) continue;
      const ids = typeof bucket === 'number' ? [bucket] : bucket;
      for (const id of ids) {
        if (this.stamp[id] === query) continue;
        this.stamp[id] = query;
        const similarity = estimateJaccard(signature, this.signatures, 0, id * k, k);
        if (similarity >= this.threshold
          && (best === undefined || similarity > best.similarity || (similarity === best.similarity && id < best.id))) {
          best = { id, similarity };
        }
      }
    }
    return best === undefined ? undefined : { position: this.positions[best.id], similarity: best.similarity };
  }

  /** Indexes the signature of the document at input `position`. */
  add(signature: Uint32Array, position: number): void {
    const k = this.permutations;
    const id = this.positions.length;
    if ((id + 1) * k > this.signatures.length) {
      const grown = new Uint32Array(Math.max(64 * k, this.signatures.length * 2));
      grown.set(this.signatures);
      this.signatures = grown;
      const stamp = new Int32Array(grown.length / k);
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
