import * as tf from '../runtime/tfjs.js';
import type { AdamWSlot, Ops } from '../kernels/ops.js';
import type { ParamSpec } from '../model/params.js';
import { InputError } from '../util/errors.js';

/** AdamW settings. Weight decay is decoupled and applies to linear weights only. */
export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

/** Moments of every parameter plus the step count: what a checkpoint must keep to resume exactly. */
export interface AdamWState {
  step: number;
  /** First and second moments by parameter name. */
  moments: Map<string, { m: Float32Array; v: Float32Array }>;
}

/**
 * AdamW with decoupled weight decay (Loshchilov & Hutter). Norm weights and embeddings (the tied
 * output head included) are not decayed. One update of every parameter is one `ops.adamwStep`,
 * scaled and gated on the device by the step's statistics (`ops.stepStats`), so it needs no
 * read-back; whether it was applied is known once those statistics are read back, which the caller
 * reports with {@link AdamW.settle} before the next update (bias correction counts applied updates).
 */
export class AdamW {
  readonly options: AdamWOptions;
  /** Number of updates applied so far (settled ones). */
  step = 0;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private readonly decays: Map<string, boolean>;
  private unsettled = false;

  constructor(specs: ParamSpec[], options: AdamWOptions) {
    this.options = options;
    this.decays = new Map(specs.map((spec) => [spec.name, spec.kind === 'linear']));
  }

  /**
   * Enqueues one update of every parameter that has a gradient in `grads` (by name), each gradient
   * multiplied by `stats[gradScale]`, skipped on the device when `stats[finite]` is 0 (see
   * `STEP_STATS`). Call {@link AdamW.settle} with the outcome before the next update.
   */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, stats: tf.Tensor1D, lr: number, ops: Ops): void {
    this.checkSettled('apply');
    const slots: AdamWSlot[] = [];
    for (const [name, param] of params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const { m, v } = this.momentsOf(name, param);
      slots.push({ param, grad, m, v, weightDecay: this.decays.get(name) ? this.options.weightDecay : 0 });
    }
    const { beta1, beta2, eps } = this.options;
    ops.adamwStep(slots, stats, { lr, beta1, beta2, eps, step: this.step + 1 });
    this.unsettled = true;
  }

  /** Records whether the last enqueued update was applied (its step's statistics were finite). */
  settle(applied: boolean): void {
    if (applied) this.step += 1;
    this.unsettled = false;
  }

  /** Reads the state back to the CPU (for checkpoints). */
  async saveState(): Promise<AdamWState> {
    this.checkSettled('saveState');
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [name, { m, v }] of this.moments) {
      moments.set(name, { m: (await m.data()) as Float32Array, v: (await v.data()) as Float32Array });
    }
    return { step: this.step, moments };
  }

  /** Restores a state saved by {@link AdamW.saveState} for the same parameters. */
  loadState(state: AdamWState, params: Map<string, tf.Variable>): void {
    this.dispose();
    this.step = state.step;
    for (const [name, { m, v }] of state.moments) {
      const param = params.get(name);
      if (!param) continue;
      this.moments.set(name, tf.tidy(() => ({
        m: tf.variable(tf.tensor(m, param.shape), false),
        v: tf.variable(tf.tensor(v, param.shape), false),
      })));
    }
  }

  /** Frees the moment tensors. */
  dispose(): void {
    for (const { m, v } of this.moments.values()) {
      m.dispose();
      v.dispose();
    }
    this.moments.clear();
  }

  private checkSettled(what: string): void {
    if (this.unsettled) throw new InputError(`AdamW.${what}`, 'the previous update is not settled yet (call settle() once its statistics are read back)');
  }

  private momentsOf(name: string, param: tf.Variable): { m: tf.Variable; v: tf.Variable } {
    let entry = this.moments.get(name);
    if (!entry) {
      // tidy frees the zeros; the variables share their buffers and survive it.
      entry = tf.tidy(() => ({ m: tf.variable(tf.zerosLike(param), false), v: tf.variable(tf.zerosLike(param), false) }));
      this.moments.set(name, entry);
    }
    return entry;
  }
}
