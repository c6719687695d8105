import * as tf from '../../runtime/tfjs.js';
import { STEP_STATS, type Ops } from '../ops.js';

/**
 * The stock composition of tfjs ops; the reference every custom kernel is compared with. Its embedding
 * gradient is tfjs's own (UnsortedSegmentSum), the fast one on WebGPU: 18 ms for 512 tokens x 1,024 x 128.
 */
export const tfjsOps: Ops = {
  name: 'tfjs',

  embed(table, tokens) {
    return tf.gather(table, tokens) as tf.Tensor as tf.Tensor3D;
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

  stepStats(lossSum, grads, { accumulation, clipNorm }) {
    return tf.tidy(() => {
      // Pairwise adds, not tf.addN: a many-input kernel can exceed the adapter's storage-buffer limit.
      const squares = grads.map((grad) => tf.sum(tf.square(grad))).reduce((a, b) => tf.add(a, b));
      const loss = tf.div(lossSum, accumulation);
      const norm = tf.div(tf.sqrt(squares), accumulation);
      const finite = tf.cast(tf.logicalAnd(tf.isFinite(loss), tf.isFinite(norm)), 'float32');
      const clip = clipNorm > 0 ? tf.minimum(1, tf.div(clipNorm, tf.add(norm, 1e-6))) : tf.scalar(1);
      return tf.stack([loss, norm, tf.div(clip, accumulation), finite]) as tf.Tensor1D;
    });
  },

  adamwStep(slots, stats, { lr, beta1, beta2, eps, step }) {
    tf.tidy(() => {
      const scale = tf.reshape(tf.slice(stats, [STEP_STATS.gradScale], [1]), []);
      const finite = tf.cast(tf.slice(stats, [STEP_STATS.finite], [1]), 'bool');
      for (const { param, grad, m, v, weightDecay } of slots) {
        const g = tf.mul(grad, scale);
        const mNext = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
        const vNext = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
        const mHat = tf.div(mNext, 1 - beta1 ** step);
        const vHat = tf.div(vNext, 1 - beta2 ** step);
        const update = tf.div(mHat, tf.add(tf.sqrt(vHat), eps));
        const next = tf.sub(tf.mul(param, 1 - lr * weightDecay), tf.mul(update, lr));
        const keep = tf.broadcastTo(finite, param.shape);
        m.assign(tf.where(keep, mNext, m));
        v.assign(tf.where(keep, vNext, v));
        param.assign(tf.where(keep, next, param));
      }
    });
  },
};

/**
 * The stock set for the tfjs CPU backend. tfjs's UnsortedSegmentSum loops over the whole vocabulary per
 * row there (10.6 s for the nano embedding gradient, 70% of a step); a one-hot matmul computes the same
 * sum in 0.2 s.
 */
export const tfjsCpuOps: Ops = {
  ...tfjsOps,
  name: 'tfjs-cpu',
  embed(table, tokens) {
    return embedOneHotGradient(table, tokens) as tf.Tensor as tf.Tensor3D;
  },
};

/** `tf.gather` whose gradient is `oneHot(ids)^T @ dy`. */
const embedOneHotGradient = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, tokens, save] = args as [tf.Tensor2D, tf.Tensor, tf.GradSaveFunc];
  save([tokens]);
  const value = tf.gather(table, tokens);
  const [vocab, width] = table.shape;
  const gradFunc = (dy: tf.Tensor, [ids]: tf.Tensor[]) => {
    const rows = tf.reshape(dy, [-1, width]);
    const flatIds = tf.reshape(ids, [-1]) as tf.Tensor1D;
    return [tf.matMul(tf.oneHot(flatIds, vocab), rows, true, false), tf.zerosLike(ids)];
  };
  return { value, gradFunc };
});

function repeatHeads(x: tf.Tensor4D, group: number): tf.Tensor4D {
  const [batch, kvHeads, length, size] = x.shape;
  const expanded = tf.tile(tf.reshape(x, [batch * kvHeads, 1, length * size]), [1, group, 1]);
  return tf.reshape(expanded, [batch, kvHeads * group, length, size]);
}
