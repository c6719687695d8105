/**
 * Fused RMSNorm over the last axis, forward and backward. Raw WGSL dispatch (not tfjs's program
 * model) because the backward writes two outputs (dx and the partial weight gradients) in one pass.
 *
 * Forward: one dispatch (one workgroup per row). Backward: two; the first computes dx and, per block
 * of 8 rows, the partial sums of dw; the second adds the blocks up. The backward recomputes each row's
 * scale from x instead of saving it: it reads x anyway, and the forward then keeps nothing extra.
 */
import * as tf from '../../runtime/tfjs.js';
import { InputError } from '../../util/errors.js';
import { defineKernel, type CpuAccess } from '../registry.js';
import { allocate, dispatch } from '../webgpu/dispatch.js';
import { workgroupGrid } from '../webgpu/grid.js';
import { rmsNormBackwardCpu, rmsNormForwardCpu } from './cpu.js';
import { BACKWARD_ROWS_PER_GROUP, backwardShader, forwardShader, reduceShader } from './wgsl.js';

type Attrs = { eps: number };

const forwardKernel = defineKernel<Attrs>('HephaestusRmsNorm', ['x', 'weight'], {
  webgpu([x, w], { eps }) {
    const width = w.shape[0];
    const rows = size(x) / width;
    const y = allocate(x.shape);
    dispatch({
      key: `rms-norm-forward-${width}`, code: forwardShader(width), tensors: [x, w, y],
      uniforms: [{ u32: rows }, { f32: eps }], workgroups: workgroupGrid(rows),
    });
    return [y];
  },
  cpu([x, w], { eps }, backend) {
    return [backend.make(x.shape, rmsNormForwardCpu(floats(backend, x), floats(backend, w), w.shape[0], eps))];
  },
});

const backwardKernel = defineKernel<Attrs>('HephaestusRmsNormGrad', ['x', 'weight', 'dy'], {
  webgpu([x, w, dy], { eps }) {
    const width = w.shape[0];
    const rows = size(x) / width;
    const blocks = Math.ceil(rows / BACKWARD_ROWS_PER_GROUP);
    const dx = allocate(x.shape);
    const partials = allocate([blocks, width]);
    const dw = allocate(w.shape);
    dispatch({
      key: `rms-norm-backward-${width}`, code: backwardShader(width), tensors: [x, w, dy, dx, partials],
      uniforms: [{ u32: rows }, { u32: blocks }, { f32: eps }], workgroups: workgroupGrid(blocks),
    });
    dispatch({
      key: `rms-norm-reduce-${width}`, code: reduceShader(width), tensors: [partials, dw],
      uniforms: [{ u32: blocks }], workgroups: workgroupGrid(Math.ceil(width / 64)),
    });
    tf.backend().disposeData(partials.dataId);
    return [dx, dw];
  },
  cpu([x, w, dy], { eps }, backend) {
    const { dx, dw } = rmsNormBackwardCpu(floats(backend, x), floats(backend, w), floats(backend, dy), w.shape[0], eps);
    return [backend.make(x.shape, dx), backend.make(w.shape, dw)];
  },
});

tf.registerGradient({
  kernelName: 'HephaestusRmsNorm',
  inputsToSave: ['x', 'weight'],
  gradFunc: (dy, [x, weight], attrs) => {
    const [dx, dw] = backwardKernel([x, weight, dy as tf.Tensor], attrs as Attrs);
    return { x: () => dx, weight: () => dw };
  },
});

/** RMSNorm over the last axis of `x` with a `[width]` weight (the `Ops.rmsNorm` of our kernel set). */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor, eps: number): tf.Tensor {
  if (weight.rank !== 1 || x.shape[x.rank - 1] !== weight.shape[0]) {
    throw new InputError('rmsNorm', `weight [${weight.shape}] does not match the last axis of x [${x.shape}]`);
  }
  return forwardKernel([x, weight], { eps })[0];
}

function size(info: tf.TensorInfo): number {
  return info.shape.reduce((a, b) => a * b, 1);
}

function floats(backend: CpuAccess, info: tf.TensorInfo): Float32Array {
  return backend.values(info) as Float32Array;
}
