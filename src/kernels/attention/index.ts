/**
 * Fused causal attention on WebGPU as an `Ops.attention`: the forward and backward WGSL programs of
 * this folder behind a `tf.customGrad`, so training never holds a T x T tensor (memory O(T): the
 * output, one log-sum-exp per query row, and one `delta` per row during the backward).
 *
 * A call whose tensors exceed the device's storage-binding size runs in batch slices; a device with
 * too few storage buffers per stage, or a head larger than {@link MAX_HEAD_SIZE}, gets the stock
 * composition instead (same maths, T x T memory).
 */
import * as tf from '../../runtime/tfjs.js';
import { BackendError, InputError } from '../../util/errors.js';
import { tfjsOps } from '../stock/tfjs.js';
import { deviceLimits, toTensor } from '../webgpu/dispatch.js';
import { attentionBackward } from './backward.js';
import { attentionForward } from './forward.js';
import { attentionLimits, shapeOf, supported, type AttentionLimits, type AttentionShape } from './plan.js';

export type { AttentionLimits } from './plan.js';
export { MAX_HEAD_SIZE } from './plan.js';

/** Signature of `Ops.attention`. */
export type AttentionOp = (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D) => tf.Tensor4D;

/**
 * The fused attention op on the active WebGPU backend. `limits` replaces some of the device's limits
 * by smaller ones (tests use it to force split dispatches and the stock fallback); the real limits
 * are read at each call.
 */
export function createFusedAttention(limits: Partial<AttentionLimits> = {}): AttentionOp {
  const currentLimits = (): AttentionLimits => attentionLimits(deviceLimits(), limits);
  const fused = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [q, k, v, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const shape = shapeOf(q, k);
    const device = currentLimits();
    const [out, lse] = inBatchSlices([q, k, v], shape, device, ([qs, ks, vs], part) => {
      const result = attentionForward(qs, ks, vs, part, device);
      return [toTensor(result.out), toTensor(result.lse)];
    });
    save([q, k, v, out, lse]);
    const gradFunc = (dOut: tf.Tensor, saved: tf.Tensor[]) => inBatchSlices([...saved, dOut], shape, device, (parts, part) => {
      const [qs, ks, vs, outs, lses, dOuts] = parts;
      const { dq, dk, dv, delta } = attentionBackward({ q: qs, k: ks, v: vs, out: outs, lse: lses, dOut: dOuts }, part, device);
      toTensor(delta).dispose();
      return [toTensor(dq), toTensor(dk), toTensor(dv)];
    });
    return { value: out, gradFunc };
  });
  return (q, k, v) => {
    const shape = checkShapes(q, k, v);
    if (!supported(shape, currentLimits())) return tfjsOps.attention(q, k, v);
    return fused(q, k, v) as tf.Tensor4D;
  };
}

/** {@link createFusedAttention} with the device's own limits. */
export const fusedAttention: AttentionOp = createFusedAttention();

/**
 * Runs `run` on slices of the batch small enough that every tensor fits one storage binding, and
 * concatenates the results (one slice, no copies, when the whole call fits).
 */
function inBatchSlices(
  tensors: tf.Tensor[], shape: AttentionShape, limits: AttentionLimits,
  run: (parts: tf.Tensor[], part: AttentionShape) => tf.Tensor[],
): tf.Tensor[] {
  const perBatch = 4 * Math.max(...tensors.map((t) => t.size / shape.batch));
  const slice = Math.floor(limits.maxStorageBufferBindingSize / perBatch);
  if (slice < 1) {
    throw new BackendError(`attention: one batch item needs ${perBatch} bytes per tensor, the device binds at most ${limits.maxStorageBufferBindingSize}`);
  }
  if (slice >= shape.batch) return run(tensors, shape);
  const pieces: tf.Tensor[][] = [];
  for (let start = 0; start < shape.batch; start += slice) {
    const count = Math.min(slice, shape.batch - start);
    const parts = tensors.map((t) => tf.slice(t, start, count));
    pieces.push(run(parts, { ...shape, batch: count }));
    tf.dispose(parts);
  }
  return pieces[0].map((_, i) => {
    const whole = tf.concat(pieces.map((piece) => piece[i]), 0);
    tf.dispose(pieces.map((piece) => piece[i]));
    return whole;
  });
}

function checkShapes(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D): AttentionShape {
  const shape = shapeOf(q, k);
  const same = k.shape.every((n, i) => v.shape[i] === n);
  if (!same || k.shape[0] !== shape.batch || k.shape[3] !== shape.size || shape.heads % shape.kvHeads !== 0
    || shape.queryLength > shape.keyLength) {
    throw new InputError('attention', `q [${q.shape}] and k [${k.shape}], v [${v.shape}] do not fit: k and v must be equal, `
      + 'with the batch and head size of q, a number of heads dividing those of q, and at least as many positions');
  }
  return shape;
}
