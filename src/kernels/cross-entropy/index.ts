/**
 * Softmax + cross-entropy over the vocabulary fused with its gradient, honouring the loss mask: no
 * one-hot and no [N, V] probability tensor. The forward keeps each row's log-sum-exp (N floats) and
 * the backward recomputes the softmax from the logits: computing the gradient in the forward pass
 * instead would keep an [N, V] tensor alive until the backward, and waste it in evaluation, where
 * there is no backward. Two dispatches forward (rows, then the weighted mean), one backward. Raw
 * WGSL dispatch: the forward has three outputs (loss, log-sum-exp, 1 / total weight).
 */
import * as tf from '../../runtime/tfjs.js';
import { InputError } from '../../util/errors.js';
import { defineKernel } from '../registry.js';
import { allocate, dispatch } from '../webgpu/dispatch.js';
import { workgroupGrid } from '../webgpu/grid.js';
import { crossEntropyBackwardCpu, crossEntropyForwardCpu } from './cpu.js';
import { gradientShader, logSumExpShader, lossShader } from './wgsl.js';

const forwardKernel = defineKernel('HephaestusCrossEntropy', ['logits', 'targets', 'weights'], {
  webgpu([logits, targets, weights]) {
    const [rows, vocab] = logits.shape;
    const [loss, lse, inverse] = [allocate([]), allocate([rows]), allocate([])];
    const uniforms = [{ u32: rows }, { u32: vocab }];
    dispatch({ key: 'cross-entropy-lse', code: logSumExpShader(), tensors: [logits, weights, lse], uniforms, workgroups: workgroupGrid(rows) });
    dispatch({ key: 'cross-entropy-loss', code: lossShader(), tensors: [logits, targets, weights, lse, loss, inverse], uniforms, workgroups: [1] });
    return [loss, lse, inverse];
  },
  cpu([logits, targets, weights], _, backend) {
    const { loss, lse, inverse } = crossEntropyForwardCpu(
      backend.values(logits) as Float32Array, backend.values(targets) as Int32Array, backend.values(weights) as Float32Array, logits.shape[1],
    );
    return [backend.make([], Float32Array.of(loss)), backend.make([targets.shape[0]], lse), backend.make([], Float32Array.of(inverse))];
  },
});

const backwardKernel = defineKernel('HephaestusCrossEntropyGrad', ['logits', 'targets', 'weights', 'lse', 'inverse', 'dy'], {
  webgpu([logits, targets, weights, lse, inverse, dy]) {
    const [rows, vocab] = logits.shape;
    const dlogits = allocate(logits.shape);
    dispatch({
      key: 'cross-entropy-gradient', code: gradientShader(), tensors: [logits, targets, weights, lse, inverse, dy, dlogits],
      uniforms: [{ u32: rows }, { u32: vocab }], workgroups: workgroupGrid(rows),
    });
    return [dlogits];
  },
  cpu([logits, targets, weights, lse, inverse, dy], _, backend) {
    const f = (info: tf.TensorInfo) => backend.values(info) as Float32Array;
    return [backend.make(logits.shape, crossEntropyBackwardCpu(
      f(logits), backend.values(targets) as Int32Array, f(weights), f(lse), f(inverse)[0], f(dy)[0], logits.shape[1],
    ))];
  },
});

tf.registerGradient({
  kernelName: 'HephaestusCrossEntropy',
  inputsToSave: ['logits', 'targets', 'weights'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, [logits, targets, weights, lse, inverse]) => {
    const dy = (dys as tf.Tensor[])[0];
    return { logits: () => backwardKernel([logits, targets, weights, lse, inverse, dy], {})[0] };
  },
});

/**
 * `sum(w * nll) / max(sum(w), 1e-9)` of logits `[N, V]` against int32 targets `[N]` (each in
 * `[0, V)`) with weights `[N]` (the `Ops.crossEntropy` of our kernel set).
 */
export function crossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const rows = logits.shape[0];
  if (targets.shape[0] !== rows || weights.shape[0] !== rows || targets.dtype !== 'int32') {
    throw new InputError('crossEntropy', `logits [${logits.shape}] need int32 targets [${rows}] and weights [${rows}], got ${targets.dtype} [${targets.shape}] and [${weights.shape}]`);
  }
  const [loss, lse, inverse] = forwardKernel([logits, targets, weights], {});
  tf.dispose([lse, inverse]);
  return loss as tf.Scalar;
}
