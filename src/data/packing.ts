import { ConfigError, InputError, CheckpointError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { Batch, BatchSourceState, PackedDatasetState, ResumableBatchSource } from './batch.js';

/** One tokenised document: ids and, per id, whether it is trained on (1) or not (0). */
export interface TokenizedDocument {
  ids: ArrayLike<number>;
  /** Per-token loss mask; all ones when absent. */
  mask?: ArrayLike<number>;
}

/** Options of {@link PackedDataset.build}. */
export interface PackOptions {
  /** Tokens per training sequence. */
  seqLen: number;
  /** Seeds the document order and each epoch's sequence order. */
  seed: number;
  /**
   * Id appended after every document (`<|endoftext|>`). It is trained when the document's last token is:
   * a response that ends its document is followed by the end the model must learn to emit, so that it stops.
   */
  separator: number;
  /** Id filling the unused end of a row (never trained on). */
  pad: number;
  /**
   * `'stream'` (pre-training): documents run on across rows, no padding but the very end.
   * `'whole'` (instruction tuning): a document never straddles two rows; one longer than a row is cut.
   */
  mode: 'stream' | 'whole';
}

/** Counts from {@link PackedDataset.build}. */
export interface PackStats {
  rows: number;
  documents: number;
  /** Tokens in rows, separators included, padding excluded. */
  tokens: number;
  /** Padding tokens. */
  padding: number;
  /** Documents cut because they were longer than a row (`'whole'` mode). */
  truncated: number;
}

/**
 * Fixed-length training rows packed from documents, served in a seeded order per epoch. Row `r`
 * holds `seqLen + 1` tokens: inputs are the first `seqLen`, targets the last `seqLen`. The state is
 * just `{ epoch, index }`, so a checkpoint restores the exact remaining sequence of batches.
 */
export class PackedDataset implements ResumableBatchSource {
  readonly seqLen: number;
  readonly rows: number;
  readonly stats: PackStats;
  private readonly tokens: Int32Array;
  private readonly mask: Uint8Array;
  private readonly seed: number;
  private readonly batchSize: number;
  private epoch = 0;
  private index = 0;
  private order: Uint32Array;

  private constructor(tokens: Int32Array, mask: Uint8Array, stats: PackStats, seqLen: number, seed: number, batchSize: number) {
    this.tokens = tokens;
    this.mask = mask;
    this.stats = stats;
    this.seqLen = seqLen;
    this.rows = stats.rows;
    this.seed = seed;
    this.batchSize = batchSize;
    this.order = this.epochOrder(0);
  }

  /** Packs documents (in a seeded order) into rows, served `batchSize` rows at a time. */
  static build(documents: TokenizedDocument[], options: PackOptions, batchSize: number): PackedDataset {
    if (!Number.isInteger(options.seqLen) || options.seqLen < 1) throw new ConfigError('seqLen', `must be a positive integer, got ${options.seqLen}`);
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
    const order = new Rng(options.seed).shuffle(documents.map((_, i) => i));
    const packer = new RowPacker(options);
    for (const i of order) packer.add(documents[i]);
    const { tokens, mask, stats } = packer.finish();
    if (stats.rows < batchSize) {
      throw new InputError('corpus', `the corpus packs into ${stats.rows} rows of ${options.seqLen + 1} tokens, fewer than one batch of ${batchSize}`);
    }
    return new PackedDataset(tokens, mask, stats, options.seqLen, options.seed, batchSize);
  }

  /** The next `batchSize` rows; a new epoch (new seeded order) starts when the rows run out. */
  next(): Batch {
    const { seqLen, batchSize } = this;
    const width = seqLen + 1;
    const inputs = new Int32Array(batchSize * seqLen);
    const targets = new Int32Array(batchSize * seqLen);
    const mask = new Float32Array(batchSize * seqLen);
    // An epoch's last rows that do not fill a batch are dropped; the next epoch has a new order.
    if (this.index + batchSize > this.rows) this.startEpoch(this.epoch + 1);
    for (let b = 0; b < batchSize; b++) {
      const start = this.order[this.index++] * width;
      for (let i = 0; i < seqLen; i++) {
        inputs[b * seqLen + i] = this.tokens[start + i];
        targets[b * seqLen + i] = this.tokens[start + i + 1];
        mask[b * seqLen + i] = this.mask[start + i + 1];
      }
    }
    return { batchSize, seqLen, inputs, targets, mask };
  }

  /** Rows of one epoch, in served order, as `{ inputs, targets, mask }` batches (for evaluation). */
  batchesOfEpoch(): Batch[] {
    const copy = new PackedDataset(this.tokens, this.mask, this.stats, this.seqLen, this.seed, this.batchSize);
    return Array.from({ length: Math.floor(this.rows / this.batchSize) }, () => copy.next());
  }

  state(): PackedDatasetState {
    return { kind: 'packed', seed: this.seed, rows: this.rows, epoch: this.epoch, index: this.index };
  }

  restore(state: BatchSourceState): void {
    if (state.kind !== 'packed' || state.seed !== this.seed || state.rows !== this.rows
      || !Number.isInteger(state.epoch) || state.epoch < 0 || !Number.isInteger(state.index) || state.index < 0 || state.index > this.rows) {
      throw new CheckpointError(`saved data cursor (${JSON.stringify(state)}) does not fit this corpus (seed ${this.seed}, ${this.rows} rows)`);
    }
    this.startEpoch(state.epoch);
    this.index = state.index;
  }

  /** Every row's tokens, separators included, in packed (not served) order: the corpus as the model sees it. */
  tokenStream(): Int32Array {
    return this.tokens;
  }

  private startEpoch(epoch: number): void {
    this.epoch = epoch;
    this.index = 0;
    this.order = this.epochOrder(epoch);
  }

  private epochOrder(epoch: number): Uint32Array {
    const rng = new Rng(this.seed * 1_000_003 + epoch + 1);
    return Uint32Array.from(rng.shuffle(Array.from({ length: this.rows }, (_, i) => i)));
  }
}

/** Appends documents to rows of `seqLen + 1` tokens. */
class RowPacker {
  private readonly width: number;
  private readonly options: PackOptions;
  private readonly tokens: number[] = [];
  private readonly mask: number[] = [];
  private readonly stats: PackStats = { rows: 0, documents: 0, tokens: 0, padding: 0, truncated: 0 };

  constructor(options: PackOptions) {
    this.options = options;
    this.width = options.seqLen + 1;
  }

  add(document: TokenizedDocument): void {
    const ids = Array.from(document.ids);
    const mask = document.mask ? Array.from(document.mask) : ids.map(() => 1);
    ids.push(this.options.separator);
    mask.push(mask.length === 0 ? 1 : mask[mask.length - 1]);
    this.stats.documents += 1;
    if (this.options.mode === 'whole') {
      const room = this.width - (this.tokens.length % this.width);
      if (ids.length > room && room < this.width) this.padRow();
      if (ids.length > this.width) {
        ids.length = this.width;
        mask.length = this.width;
        this.stats.truncated += 1;
      }
    }
    for (let i = 0; i < ids.length; i++) {
      this.tokens.push(ids[i]);
      this.mask.push(mask[i]);
    }
    this.stats.tokens += ids.length;
  }

  finish(): { tokens: Int32Array; mask: Uint8Array; stats: PackStats } {
    if (this.tokens.length % this.width !== 0) this.padRow();
    this.stats.rows = this.tokens.length / this.width;
    return { tokens: Int32Array.from(this.tokens), mask: Uint8Array.from(this.mask), stats: this.stats };
  }

  private padRow(): void {
    const missing = this.width - (this.tokens.length % this.width);
    for (let i = 0; i < missing; i++) {
      this.tokens.push(this.options.pad);
      this.mask.push(0);
    }
    this.stats.padding += missing;
  }
}
