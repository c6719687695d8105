import * as tf from '@tensorflow/tfjs';

/** Hyper-parameters of one AdamW update. */
export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay for this parameter (0 for norms and embeddings). */
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
  /** Multiplies the gradient first: 1/accumulation and the global-norm clipping factor. */
  gradScale: number;
}

/**
 * The seam between the model maths and the kernels that run it. The model, loss and optimizer call
 * only these for their heavy operations, so the WebGPU kernels of `src/kernels` replace them without
 * touching the model. Every op must be differentiable through tfjs autograd (except the optimizer
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
  /** In-place AdamW update of `param` and its moments `m`, `v` from `grad`. Not differentiated. */
  adamwUpdate(param: tf.Variable, grad: tf.Tensor, m: tf.Variable, v: tf.Variable, hyper: AdamWHyper): void;
}

/** The stock composition of tfjs ops; the reference every custom kernel is compared with. */
export const tfjsOps: Ops = {
  name: 'tfjs',

  embed(table, tokens) {
    return embedWithGradient(table, tokens) as tf.Tensor as tf.Tensor3D;
  },

  linear(x, weight) {
    const inFeatures = x.shape[x.shape.length - 1];
    const rows = tf.reshape(x, [-1, inFeatures]);
    const out = tf.matMul(rows, weight, false, true);
    return tf.reshape(out, [...x.shape.slice(0, -1), weight.shape[0]]);
  },

  rmsNorm(x, weight, eps) {
    const meanSquare = tf.mean(tf.square(x), -1, true);
    return tf.mul(tf.mul(x, tf.rsqrt(tf.add(meanSquare, eps))), weight);
  },

  rope(x, cos, sin) {
    const half = x.shape[3] / 2;
    const [x1, x2] = tf.split(x, [half, half], 3);
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    return tf.add(tf.mul(x, cos), tf.mul(rotated, sin));
  },

  attention(q, k, v) {
    const [batch, heads, queryLength, size] = q.shape;
    const kvHeads = k.shape[1];
    const keyLength = k.shape[2];
    const group = heads / kvHeads;
    const keys = group === 1 ? k : repeatHeads(k, group);
    const values = group === 1 ? v : repeatHeads(v, group);
    const scores = tf.mul(tf.matMul(q, keys, false, true), 1 / Math.sqrt(size));
    const visible = tf.linalg.bandPart(tf.ones([queryLength, keyLength]), -1, keyLength - queryLength);
    const masked = tf.add(scores, tf.mul(tf.sub(1, visible), -1e9));
    const out = tf.matMul(tf.softmax(masked, -1), values);
    return tf.reshape(out, [batch, heads, queryLength, size]);
  },

  swiglu(gate, up) {
    return tf.mul(tf.mul(gate, tf.sigmoid(gate)), up);
  },

  crossEntropy(logits, targets, weights) {
    const logProbs = tf.logSoftmax(logits, -1);
    const picked = tf.sum(tf.mul(logProbs, tf.oneHot(targets, logits.shape[1])), -1);
    const total = tf.sum(tf.mul(tf.neg(picked), weights));
    return tf.div(total, tf.maximum(tf.sum(weights), 1e-9));
  },

  adamwUpdate(param, grad, m, v, hyper) {
    tf.tidy(() => {
      const g = tf.mul(grad, hyper.gradScale);
      const mNext = tf.add(tf.mul(m, hyper.beta1), tf.mul(g, 1 - hyper.beta1));
      const vNext = tf.add(tf.mul(v, hyper.beta2), tf.mul(tf.square(g), 1 - hyper.beta2));
      const mHat = tf.div(mNext, 1 - hyper.beta1 ** hyper.step);
      const vHat = tf.div(vNext, 1 - hyper.beta2 ** hyper.step);
      const update = tf.div(mHat, tf.add(tf.sqrt(vHat), hyper.eps));
      const decayed = tf.mul(param, 1 - hyper.lr * hyper.weightDecay);
      m.assign(mNext);
      v.assign(vNext);
      param.assign(tf.sub(decayed, tf.mul(update, hyper.lr)));
    });
  },
};

/**
 * `tf.gather` with a backend-aware gradient. The stock gradient (UnsortedSegmentSum) is fine on
 * WebGPU (18 ms for 512 tokens x 1,024 x 128) but loops over the whole vocabulary per row on the
 * tfjs CPU backend (10.6 s, 70% of a nano step); there a one-hot matmul does the same sum in 0.2 s.
 */
const embedWithGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, tokens, save] = args as [tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
  save([tokens]);
  const value = tf.gather(table, tokens);
  const [vocab, width] = table.shape;
  const gradFunc = (dy: tf.Tensor, [ids]: tf.Tensor[]) => {
    const rows = tf.reshape(dy, [-1, width]);
    const flatIds = tf.reshape(ids, [-1]) as tf.Tensor1D;
    const tableGrad = tf.getBackend() === 'cpu'
      ? tf.matMul(tf.oneHot(flatIds, vocab), rows, true, false)
      : tf.unsortedSegmentSum(rows, flatIds, vocab);
    return [tableGrad, tf.zerosLike(ids)];
  };
  return { value, gradFunc };
});

function repeatHeads(x: tf.Tensor4D, group: number): tf.Tensor4D {
  const [batch, kvHeads, length, size] = x.shape;
  const expanded = tf.tile(tf.reshape(x, [batch * kvHeads, 1, length * size]), [1, group, 1]);
  return tf.reshape(expanded, [batch, kvHeads * group, length, size]);
}
