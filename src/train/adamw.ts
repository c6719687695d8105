import * as tf from '../runtime/tfjs.js';
import type { Ops } from '../kernels/ops.js';
import type { ParamSpec } from '../model/params.js';

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
 * output head included) are not decayed. The arithmetic runs through `ops.adamwUpdate`.
 */
export class AdamW {
  readonly options: AdamWOptions;
  /** Number of updates applied so far. */
  step = 0;
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  private readonly decays: Map<string, boolean>;

  constructor(specs: ParamSpec[], options: AdamWOptions) {
    this.options = options;
    this.decays = new Map(specs.map((spec) => [spec.name, spec.kind === 'linear']));
  }

  /**
   * Applies one update. `grads` by parameter name; `gradScale` multiplies every gradient first
   * (averaging over accumulation and global-norm clipping).
   */
  apply(params: Map<string, tf.Variable>, grads: Map<string, tf.Tensor>, lr: number, gradScale: number, ops: Ops): void {
    this.step += 1;
    for (const [name, param] of params) {
      const grad = grads.get(name);
      if (!grad) continue;
      const { m, v } = this.momentsOf(name, param);
      ops.adamwUpdate(param, grad, m, v, {
        lr,
        beta1: this.options.beta1,
        beta2: this.options.beta2,
        eps: this.options.eps,
        weightDecay: this.decays.get(name) ? this.options.weightDecay : 0,
        step: this.step,
        gradScale,
      });
    }
  }

  /** Reads the state back to the CPU (for checkpoints). */
  async saveState(): Promise<AdamWState> {
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
