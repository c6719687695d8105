import * as tf from '../runtime/tfjs.js';
import type { Batch, BatchSource } from '../data/batch.js';
import { STEP_STATS } from '../kernels/ops.js';
import type { LlamaModel } from '../model/model.js';
import { ConfigError, InputError, NonFiniteError, throwIfAborted } from '../util/errors.js';
import { AdamW, type AdamWState } from './adamw.js';
import { learningRate } from './schedule.js';

/** Optimisation settings of a run. Defaults: see {@link DEFAULT_TRAIN_OPTIONS}. */
export interface TrainOptions {
  /** Optimizer updates to run. */
  steps: number;
  /** Peak learning rate, reached at the end of warm-up. */
  lr: number;
  /** Learning rate at the end of the cosine decay. */
  minLr: number;
  warmupSteps: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay of linear weights (norms and embeddings are never decayed). */
  weightDecay: number;
  /** Global gradient-norm clipping threshold; 0 disables clipping. */
  clipNorm: number;
  /** Micro-batches whose gradients are averaged into one update. */
  accumulation: number;
  /** Non-finite steps in a row after which training stops with {@link NonFiniteError}. */
  maxNonFiniteInARow: number;
}

/** Defaults for a small model trained from scratch. */
export const DEFAULT_TRAIN_OPTIONS: TrainOptions = {
  steps: 200, lr: 3e-3, minLr: 3e-4, warmupSteps: 20, beta1: 0.9, beta2: 0.95, eps: 1e-8,
  weightDecay: 0.1, clipNorm: 1, accumulation: 1, maxNonFiniteInARow: 5,
};

/** What one optimizer step did. */
export interface StepResult {
  /** 1-based count of steps taken, skipped ones included. */
  step: number;
  /** Mean loss over the step's micro-batches. */
  loss: number;
  /** Global norm of the averaged gradient, before clipping. */
  gradNorm: number;
  lr: number;
  /** True when the loss or gradient was non-finite and no update was applied. */
  skipped: boolean;
  /** Tokens that counted toward the loss in this step. */
  tokens: number;
}

/**
 * A step whose forward and backward passes are enqueued on the device, with the read-back of its
 * statistics under way; {@link Trainer.apply} enqueues its update, {@link Trainer.discard} drops it.
 */
export interface PreparedStep {
  /** Summed gradients by parameter name. */
  readonly grads: Map<string, tf.Tensor>;
  /** The step's statistics on the device (`STEP_STATS` layout of src/kernels/ops.ts). */
  readonly stats: tf.Tensor1D;
  /** Those statistics once read back. */
  readonly values: Promise<Float32Array>;
  /** Tokens that count toward the loss. */
  readonly tokens: number;
}

/**
 * Runs optimizer steps on a model: forward + backward per micro-batch, gradient averaging,
 * global-norm clipping, AdamW, warm-up + cosine learning rate, and non-finite step skipping.
 *
 * A step never waits for the device: the gradient norm, the clipping scale and the finite check
 * are computed there (`ops.stepStats`), the update reads them there and skips itself when the step
 * is not finite (`ops.adamwStep`), and the loss and norm come back asynchronously. {@link Trainer.step}
 * awaits them; `runTraining` prepares step k + 1 while they travel (see {@link Trainer.prepare}).
 */
export class Trainer {
  readonly model: LlamaModel;
  readonly options: TrainOptions;
  readonly optimizer: AdamW;
  /** Steps taken so far (skipped ones included). */
  stepCount = 0;
  /** Steps skipped because of a non-finite loss or gradient. */
  skippedSteps = 0;
  private nonFiniteInARow = 0;

  constructor(model: LlamaModel, options: Partial<TrainOptions> = {}) {
    this.model = model;
    this.options = { ...DEFAULT_TRAIN_OPTIONS, ...options };
    validateTrainOptions(this.options);
    this.optimizer = new AdamW(model.specs, this.options);
  }

  /** One optimizer step over `accumulation` micro-batches from `source`. */
  async step(source: BatchSource): Promise<StepResult> {
    return this.apply(this.prepare(source));
  }

  /**
   * Enqueues the forward and backward passes of the next step over `accumulation` micro-batches
   * from `source`, and its statistics, and starts reading those back; nothing waits. The step reads
   * the weights as the updates enqueued before it leave them. On an error nothing stays allocated.
   */
  prepare(source: BatchSource): PreparedStep {
    const { accumulation, clipNorm } = this.options;
    const { grads, lossSum, tokens } = this.accumulate(source);
    try {
      const stats = this.model.ops.stepStats(lossSum, [...grads.values()], { accumulation, clipNorm });
      return { grads, stats, values: stats.data() as Promise<Float32Array>, tokens };
    } catch (error) {
      tf.dispose([...grads.values()]);
      throw error;
    } finally {
      lossSum.dispose();
    }
  }

  /**
   * Enqueues the update of a prepared step (skipped on the device when the step is not finite) and
   * resolves with its result once its statistics are read back. Await that before applying the next
   * step: the bias correction counts the updates that were applied.
   */
  async apply(prepared: PreparedStep): Promise<StepResult> {
    this.stepCount += 1;
    const step = this.stepCount;
    const lr = learningRate(step, {
      maxLr: this.options.lr, minLr: this.options.minLr, warmupSteps: this.options.warmupSteps, totalSteps: this.options.steps,
    });
    try {
      this.optimizer.apply(this.model.params, prepared.grads, prepared.stats, lr, this.model.ops);
    } catch (error) {
      this.discard(prepared);
      throw error;
    }
    tf.dispose([...prepared.grads.values()]);
    let values: Float32Array;
    try {
      values = await prepared.values;
    } finally {
      prepared.stats.dispose();
    }
    const [loss, gradNorm] = [values[STEP_STATS.loss], values[STEP_STATS.gradNorm]];
    const skipped = values[STEP_STATS.finite] === 0;
    this.optimizer.settle(!skipped);
    if (skipped) this.recordNonFinite(loss, gradNorm);
    else this.nonFiniteInARow = 0;
    return { step, loss, gradNorm, lr, skipped, tokens: prepared.tokens };
  }

  /** Frees a prepared step that will not be applied. */
  discard(prepared: PreparedStep): void {
    // The read-back's copy is already recorded; without its tensor it fails, which nobody awaits.
    prepared.values.catch(() => undefined);
    tf.dispose([...prepared.grads.values(), prepared.stats]);
  }

  /** Sums gradients and losses over the step's micro-batches; on an error nothing stays allocated. */
  private accumulate(source: BatchSource): { grads: Map<string, tf.Tensor>; lossSum: tf.Scalar; tokens: number } {
    const variables = [...this.model.params.values()];
    let sums: tf.Tensor[] = [];
    let lossSum: tf.Scalar = tf.scalar(0);
    let tokens = 0;
    try {
      for (let micro = 0; micro < this.options.accumulation; micro++) {
        const batch = source.next();
        checkBatch(batch, this.model.config.vocabSize);
        tokens += countMasked(batch);
        const { value, grads } = tf.variableGrads(() => batchLoss(this.model, batch), variables);
        const ordered = variables.map((variable) => grads[variable.name]);
        sums = sums.length > 0 ? addAndDispose(sums, ordered) : ordered;
        const nextLoss = tf.add(lossSum, value) as tf.Scalar;
        tf.dispose([lossSum, value]);
        lossSum = nextLoss;
      }
      return { grads: new Map([...this.model.params.keys()].map((name, i) => [name, sums[i]])), lossSum, tokens };
    } catch (error) {
      tf.dispose([...sums, lossSum]);
      throw error;
    }
  }

  /** Mean loss over fixed batches, without gradients (validation / benchmark loss). */
  async evaluate(batches: Batch[], signal?: AbortSignal): Promise<number> {
    let weighted = 0;
    let weight = 0;
    for (const batch of batches) {
      throwIfAborted(signal, 'evaluation');
      const lossTensor = tf.tidy(() => batchLoss(this.model, batch));
      const [loss] = await readScalars(lossTensor);
      lossTensor.dispose();
      const count = countMasked(batch);
      weighted += loss * count;
      weight += count;
    }
    return weighted / Math.max(weight, 1);
  }

  /** Continues a saved run: step counters and optimizer moments (the weights are the model's). */
  restore(counters: { step: number; skippedSteps: number }, optimizer: AdamWState): void {
    this.stepCount = counters.step;
    this.skippedSteps = counters.skippedSteps;
    this.optimizer.loadState(optimizer, this.model.params);
  }

  /**
   * The name of the first parameter holding a NaN or infinity, or undefined when all are finite
   * (one read-back for the whole model): a diverged model must not be saved or trained on.
   */
  async nonFiniteParameter(): Promise<string | undefined> {
    const names = [...this.model.params.keys()];
    const flags = tf.tidy(() => tf.stack([...this.model.params.values()].map((param) => tf.all(tf.isFinite(param)).toInt())));
    const finite = await flags.data();
    flags.dispose();
    const bad = finite.findIndex((flag) => flag === 0);
    return bad < 0 ? undefined : names[bad];
  }

  /** Frees the optimizer state (the model is the caller's). */
  dispose(): void {
    this.optimizer.dispose();
  }

  private recordNonFinite(loss: number, gradNorm: number): void {
    this.skippedSteps += 1;
    this.nonFiniteInARow += 1;
    if (this.nonFiniteInARow >= this.options.maxNonFiniteInARow) {
      throw new NonFiniteError(
        `training stopped: ${this.nonFiniteInARow} non-finite steps in a row (last at step ${this.stepCount}: ` +
          `loss ${loss}, gradient norm ${gradNorm}); lower the learning rate or check the data`,
      );
    }
  }
}

function batchLoss(model: LlamaModel, batch: Batch): tf.Scalar {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  return tf.tidy(() =>
    model.loss(
      tf.tensor2d(batch.inputs, shape, 'int32'),
      tf.tensor2d(batch.targets, shape, 'int32'),
      tf.tensor2d(batch.mask, shape, 'float32'),
    ),
  );
}

/**
 * Token ids outside the vocabulary would be read as zeros on WebGPU (a silent wrong loss), so a batch
 * is checked on the CPU before it is uploaded; a mismatch usually means tokenizer and model disagree.
 */
function checkBatch(batch: Batch, vocabSize: number): void {
  const expected = batch.batchSize * batch.seqLen;
  for (const [name, values] of [['inputs', batch.inputs], ['targets', batch.targets], ['mask', batch.mask]] as const) {
    if (values.length !== expected) {
      throw new InputError('batch', `${name} has ${values.length} values, expected ${batch.batchSize}x${batch.seqLen}`);
    }
  }
  for (const values of [batch.inputs, batch.targets]) {
    for (let i = 0; i < values.length; i++) {
      if (values[i] < 0 || values[i] >= vocabSize) {
        throw new InputError('batch', `token id ${values[i]} at batch position ${i} is outside the model's vocabulary 0..${vocabSize - 1} (do the tokenizer and the model config agree?)`);
      }
    }
  }
}

function countMasked(batch: Batch): number {
  let count = 0;
  for (const weight of batch.mask) count += weight > 0 ? 1 : 0;
  return count;
}

function addAndDispose(sums: tf.Tensor[], more: tf.Tensor[]): tf.Tensor[] {
  return sums.map((sum, i) => {
    const next = tf.add(sum, more[i]);
    sum.dispose();
    more[i].dispose();
    return next;
  });
}

/** Reads scalars back in one GPU-to-CPU transfer; the caller still owns them. */
async function readScalars(...scalars: tf.Scalar[]): Promise<number[]> {
  const stacked = tf.stack(scalars);
  const values = await stacked.data();
  stacked.dispose();
  return Array.from(values);
}

/**
 * Checks every field of training options; throws {@link ConfigError} naming the first bad one as
 * `<prefix>.<field>` (e.g. `train.lr`, or `stages[0].lr` for a stage of a run plan).
 */
export function validateTrainOptions(options: TrainOptions, prefix = 'train'): void {
  const positiveInts = ['steps', 'accumulation', 'maxNonFiniteInARow'] as const;
  for (const field of positiveInts) {
    if (!Number.isInteger(options[field]) || options[field] < 1) {
      throw new ConfigError(`${prefix}.${field}`, `must be a positive integer, got ${options[field]}`);
    }
  }
  if (!Number.isInteger(options.warmupSteps) || options.warmupSteps < 0) {
    throw new ConfigError(`${prefix}.warmupSteps`, `must be a non-negative integer, got ${options.warmupSteps}`);
  }
  for (const field of ['lr', 'minLr', 'eps', 'weightDecay', 'clipNorm'] as const) {
    if (!(options[field] >= 0) || !Number.isFinite(options[field])) {
      throw new ConfigError(`${prefix}.${field}`, `must be a finite number >= 0, got ${options[field]}`);
    }
  }
  for (const field of ['beta1', 'beta2'] as const) {
    if (!(options[field] >= 0 && options[field] < 1)) {
      throw new ConfigError(`${prefix}.${field}`, `must be in [0, 1), got ${options[field]}`);
    }
  }
}
