import type * as tf from '../runtime/tfjs.js';

/** Hyper-parameters of one AdamW step, shared by every parameter. */
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** 1-based count of updates applied, this one included, for bias correction. */
  step: number;
}

/** One parameter of an AdamW step: updated in place with its moments. */
export interface AdamWSlot {
  param: tf.Variable;
  grad: tf.Tensor;
  m: tf.Variable;
  v: tf.Variable;
  /** Decoupled weight decay of this parameter (0 for norms and embeddings). */
  weightDecay: number;
}

/** How {@link Ops.stepStats} turns a step's summed gradients into the update's inputs. */
export interface StepStatsOptions {
  /** Micro-batches summed into the loss and the gradients. */
  accumulation: number;
  /** Global-norm clipping threshold; 0 disables clipping. */
  clipNorm: number;
}

/** Positions in the float32 `[4]` tensor of {@link Ops.stepStats}. */
export const STEP_STATS = {
  /** Mean loss over the micro-batches. */
  loss: 0,
  /** Global norm of the averaged gradient, before clipping. */
  gradNorm: 1,
  /** What every summed gradient is multiplied by: 1/accumulation times the clipping factor. */
  gradScale: 2,
  /** 1 when loss and gradient norm are finite, else 0 (the update is then skipped). */
  finite: 3,
} as const;

/**
 * The seam between the model maths and the kernels that run it. The model, loss and optimizer call
 * only these for their heavy operations, so a kernel set (the stock tfjs composition, or our WGSL
 * kernels) replaces another without touching the model. {@link kernelsFor} picks the set per backend. Every op must be differentiable through tfjs autograd (except the optimizer
 * update), e.g. a kernel registered with a gradient or wrapped in `tf.customGrad`.
 */
export interface Ops {
  /** Name shown in reports, e.g. `tfjs` or `hephaestus-webgpu`. */
  readonly name: string;
  /** Rows of the embedding `table` `[V, D]` for int32 `tokens` `[B, T]` -> `[B, T, D]`. */
  embed(table: tf.Tensor2D, tokens: tf.Tensor2D): tf.Tensor3D;
  /** `x @ weight^T`: x `[..., in]`, weight `[out, in]` (Hugging Face layout) -> `[..., out]`. */
  linear(x: tf.Tensor, weight: tf.Tensor): tf.Tensor;
  /** RMSNorm over the last axis: `x / sqrt(mean(x^2) + eps) * weight`. */
  rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor;
  /**
   * Rotary embedding (Hugging Face "rotate half" layout) of x `[B, H, T, hd]` with cos/sin `[T, hd]`
   * already sliced to the positions of x.
   */
  rope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D;
  /**
   * Causal scaled dot-product attention. q `[B, H, Tq, hd]`, k and v `[B, Hkv, Tk, hd]` with H a
   * multiple of Hkv. Query i sits at absolute position `Tk - Tq + i` and sees keys `0..Tk - Tq + i`.
   */
  attention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): tf.Tensor4D;
  /** SwiGLU gate: `silu(gate) * up`. */
  swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor;
  /**
   * Weighted mean next-token cross-entropy: logits `[N, V]`, targets int32 `[N]`, weights float32
   * `[N]` (the loss mask) -> scalar `sum(w * nll) / max(sum(w), 1e-9)`.
   */
  crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar;
  /**
   * A step's statistics on the device, without a read-back: float32 `[4]` laid out as
   * {@link STEP_STATS}, from the loss and the gradients summed over `accumulation` micro-batches.
   * Not differentiated.
   */
  stepStats(lossSum: tf.Scalar, grads: tf.Tensor[], options: StepStatsOptions): tf.Tensor1D;
  /**
   * AdamW update of every slot in place (moments, bias correction, decoupled weight decay), each
   * gradient multiplied by `stats[gradScale]` first; when `stats[finite]` is 0 nothing changes. The
   * decision is taken on the device, so the step needs no read-back. Not differentiated.
   */
  adamwStep(slots: AdamWSlot[], stats: tf.Tensor1D, hyper: AdamWHyper): void;
}
