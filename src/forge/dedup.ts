/**
 * Deduplication of a corpus (Hephaestus-Forge step "dedup"): exact duplicates by a 64-bit hash of the
 * normalised text (`exactKey` of `src/text`), and near duplicates by MinHash signatures indexed with
 * LSH banding (`dedup/minhash.ts`).
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
import { exactKey } from '../text/index.js';
import { ConfigError, throwIfAborted } from '../util/errors.js';
import { LshIndex, MinHasher, lshParameters, shingleHashes } from './dedup/minhash.js';

export {
  shingleHashes, jaccard, MinHasher, estimateJaccard, lshParameters, candidateProbability,
} from './dedup/minhash.js';

/** Options of {@link Deduplicator} and {@link deduplicate}. */
export interface DedupOptions {
  /** Remove exact duplicates of the normalised text (`normalizeForHash` of `src/text`). Default true. */
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

/**
 * What {@link Deduplicator.addWithDecision} decided: kept, or removed as a duplicate of an earlier kept
 * document, saying how it matched.
 */
export type DedupDecision =
  | { kept: true }
  | {
    kept: false;
    reason: 'exact' | 'near';
    /** 0-based position (in the order of {@link Deduplicator.add} calls) of the kept document it duplicates. */
    duplicateOf: number;
    /** Estimated Jaccard similarity with that document (1 for exact duplicates). */
    similarity: number;
  };

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

/** The near-duplicate pass: the hasher, the LSH index of kept signatures, and a signature buffer. */
interface NearPass {
  hasher: MinHasher;
  index: LshIndex;
  scratch: Uint32Array;
}

/** Bands and rows: given ones (checked), else the rule of {@link lshParameters}. */
function banding(options: DedupOptions, threshold: number, permutations: number): { bands: number; rows: number } {
  if (options.bands === undefined && options.rows === undefined) return lshParameters(threshold, permutations, options.recall);
  const bands = options.bands ?? Math.floor(permutations / (options.rows ?? 1));
  const rows = options.rows ?? Math.floor(permutations / bands);
  if (!Number.isInteger(bands) || !Number.isInteger(rows) || bands < 1 || rows < 1 || bands * rows > permutations) {
    throw new ConfigError('bands', `bands x rows (${bands} x ${rows}) must be positive integers with a product <= permutations (${permutations})`);
  }
  return { bands, rows };
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
  /** The LSH banding (0 x 0 when near dedup is off). */
  readonly bands: number;
  readonly rows: number;
  readonly exact: boolean;
  readonly near: boolean;
  /** Documents seen, kept, and removed by each pass. */
  seen = 0;
  keptCount = 0;
  removedExact = 0;
  removedNear = 0;

  private readonly exactKeys = new Map<string, number>();
  private readonly nearPass: NearPass | undefined;

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
      const hasher = new MinHasher(permutations, options.seed ?? 1);
      ({ bands: this.bands, rows: this.rows } = banding(options, this.threshold, permutations));
      this.nearPass = {
        hasher, index: new LshIndex(permutations, this.bands, this.rows, this.threshold), scratch: new Uint32Array(permutations),
      };
    } else {
      this.bands = 0;
      this.rows = 0;
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
    if (this.nearPass !== undefined) {
      const shingles = shingleHashes(text, this.shingleSize);
      if (shingles.length > 0) {
        const { hasher, index, scratch } = this.nearPass;
        const signature = hasher.signature(shingles, scratch);
        const match = index.match(signature);
        if (match !== undefined) {
          this.removedNear++;
          return { kept: false, reason: 'near', duplicateOf: match.position, similarity: match.similarity };
        }
        index.add(signature, position);
      }
    }
    if (key !== undefined) this.exactKeys.set(key, position);
    this.keptCount++;
    return { kept: true };
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
        kept: decision.duplicateOf,
        reason: decision.reason,
        similarity: decision.similarity,
        removedSource: documents[i].source,
        keptSource: documents[decision.duplicateOf].source,
      });
    }
  }
  throwIfAborted(options.signal, 'deduplicate');
  options.onProgress?.(progress(documents.length));
  return { kept, removedExact: dedup.removedExact, removedNear: dedup.removedNear, pairs, bands: dedup.bands, rows: dedup.rows };
}
