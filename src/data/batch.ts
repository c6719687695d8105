import { ConfigError, InputError, CheckpointError } from '../util/errors.js';
import { Rng, type RngState } from '../util/rng.js';

/** One training batch on the CPU, row-major `[batchSize, seqLen]`. */
export interface Batch {
  batchSize: number;
  seqLen: number;
  inputs: Int32Array;
  /** Next token of each input position. */
  targets: Int32Array;
  /** 1 where the position counts toward the loss, 0 where it does not (padding, prompt tokens). */
  mask: Float32Array;
}

/** Anything that yields batches (what the trainer needs). */
export interface BatchSource {
  next(): Batch;
}

/** A batch source that can save and restore its position exactly (what a checkpoint needs). */
export interface ResumableBatchSource extends BatchSource {
  /** Its position as plain JSON data; {@link ResumableBatchSource.restore} continues from it. */
  state(): BatchSourceState;
  /** @throws CheckpointError when `state` is not a position of this source. */
  restore(state: BatchSourceState): void;
}

/** Saved position of a {@link RandomWindowSampler}: its generator's state. */
export interface WindowSamplerState {
  kind: 'random-window';
  rng: RngState;
}

/** Saved position of a `PackedDataset`: which corpus (seed, rows), which epoch, which row of it. */
export interface PackedDatasetState {
  kind: 'packed';
  seed: number;
  rows: number;
  epoch: number;
  index: number;
}

/** Saved position of a {@link ResumableBatchSource}, told apart by `kind`. */
export type BatchSourceState = WindowSamplerState | PackedDatasetState;

/** Options for {@link RandomWindowSampler}. */
export interface WindowSamplerOptions {
  batchSize: number;
  seqLen: number;
  seed: number;
}

/**
 * Samples random windows of `seqLen + 1` tokens from one token stream (nanoGPT style): every row's
 * targets are its inputs shifted by one. Seeded, and its state is the generator's state.
 */
export class RandomWindowSampler implements ResumableBatchSource {
  private readonly tokens: ArrayLike<number>;
  private readonly options: WindowSamplerOptions;
  private rng: Rng;

  constructor(tokens: ArrayLike<number>, options: WindowSamplerOptions) {
    for (const field of ['batchSize', 'seqLen'] as const) {
      if (!Number.isInteger(options[field]) || options[field] < 1) {
        throw new ConfigError(field, `must be a positive integer, got ${options[field]}`);
      }
    }
    if (tokens.length < options.seqLen + 1) {
      throw new InputError('token stream', `token stream of ${tokens.length} tokens is shorter than one window of ${options.seqLen + 1}`);
    }
    this.tokens = tokens;
    this.options = options;
    this.rng = new Rng(options.seed);
  }

  next(): Batch {
    const { batchSize, seqLen } = this.options;
    const inputs = new Int32Array(batchSize * seqLen);
    const targets = new Int32Array(batchSize * seqLen);
    const starts = this.tokens.length - seqLen;
    for (let row = 0; row < batchSize; row++) {
      const start = this.rng.int(starts);
      for (let i = 0; i < seqLen; i++) {
        inputs[row * seqLen + i] = this.tokens[start + i];
        targets[row * seqLen + i] = this.tokens[start + i + 1];
      }
    }
    return { batchSize, seqLen, inputs, targets, mask: new Float32Array(batchSize * seqLen).fill(1) };
  }

  state(): WindowSamplerState {
    return { kind: 'random-window', rng: this.rng.state() };
  }

  restore(state: BatchSourceState): void {
    if (state.kind !== 'random-window') {
      throw new CheckpointError(`batch source state of kind "${state.kind}" does not fit a random-window sampler`);
    }
    this.rng = Rng.fromState(state.rng);
  }
}

/**
 * Consecutive non-overlapping windows over a token stream, in order: a fixed evaluation set.
 * At most `maxBatches` batches.
 */
export function sequentialBatches(tokens: ArrayLike<number>, batchSize: number, seqLen: number, maxBatches: number): Batch[] {
  const batches: Batch[] = [];
  const rowsAvailable = Math.floor((tokens.length - 1) / seqLen);
  for (let row0 = 0; row0 + batchSize <= rowsAvailable && batches.length < maxBatches; row0 += batchSize) {
    const inputs = new Int32Array(batchSize * seqLen);
    const targets = new Int32Array(batchSize * seqLen);
    for (let row = 0; row < batchSize; row++) {
      const start = (row0 + row) * seqLen;
      for (let i = 0; i < seqLen; i++) {
        inputs[row * seqLen + i] = tokens[start + i];
        targets[row * seqLen + i] = tokens[start + i + 1];
      }
    }
    batches.push({ batchSize, seqLen, inputs, targets, mask: new Float32Array(batchSize * seqLen).fill(1) });
  }
  return batches;
}
