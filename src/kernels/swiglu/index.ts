/**
 * Fused SwiGLU, `silu(gate) * up`: one dispatch forward, one backward writing both gradients (raw
 * WGSL dispatch for the two outputs; stock tfjs needs a sigmoid, two multiplies and a chain of
 * gradient kernels).
 */
import * as tf from '../../runtime/tfjs.js';
import { InputError } from '../../util/errors.js';
import { defineKernel } from '../registry.js';
import { allocate, dispatch } from '../webgpu/dispatch.js';
import { workgroupGrid } from '../webgpu/grid.js';
import { swigluBackwardCpu, swigluForwardCpu } from './cpu.js';
import { SWIGLU_THREADS, backwardShader, forwardShader } from './wgsl.js';

/** Elements per thread (4 as vec4 where the size allows) and the thread count. */
function layout(info: tf.TensorInfo): { vector: boolean; count: number; workgroups: [number, number] } {
  const size = info.shape.reduce((a, b) => a * b, 1);
  const vector = size % 4 === 0;
  const count = vector ? size / 4 : size;
  return { vector, count, workgroups: workgroupGrid(Math.ceil(count / SWIGLU_THREADS)) };
}

const forwardKernel = defineKernel('HephaestusSwiglu', ['gate', 'up'], {
  webgpu([gate, up]) {
    const { vector, count, workgroups } = layout(gate);
    const out = allocate(gate.shape);
    dispatch({ key: `swiglu-forward-${vector}`, code: forwardShader(vector), tensors: [gate, up, out], uniforms: [{ u32: count }], workgroups });
    return [out];
  },
  cpu([gate, up], _, backend) {
    return [backend.make(gate.shape, swigluForwardCpu(backend.values(gate) as Float32Array, backend.values(up) as Float32Array))];
  },
});

const backwardKernel = defineKernel('HephaestusSwigluGrad', ['gate', 'up', 'dy'], {
  webgpu([gate, up, dy]) {
    const { vector, count, workgroups } = layout(gate);
    const dgate = allocate(gate.shape);
    const dup = allocate(gate.shape);
    dispatch({
      key: `swiglu-backward-${vector}`, code: backwardShader(vector), tensors: [gate, up, dy, dgate, dup],
      uniforms: [{ u32: count }], workgroups,
    });
    return [dgate, dup];
  },
  cpu([gate, up, dy], _, backend) {
    const values = (info: tf.TensorInfo) => backend.values(info) as Float32Array;
    const { dgate, dup } = swigluBackwardCpu(values(gate), values(up), values(dy));
    return [backend.make(gate.shape, dgate), backend.make(gate.shape, dup)];
  },
});

tf.registerGradient({
  kernelName: 'HephaestusSwiglu',
  inputsToSave: ['gate', 'up'],
  gradFunc: (dy, [gate, up]) => {
    const [dgate, dup] = backwardKernel([gate, up, dy as tf.Tensor], {});
    return { gate: () => dgate, up: () => dup };
  },
});

/** `silu(gate) * up` for tensors of one shape (the `Ops.swiglu` of our kernel set). */
export function swiglu(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  if (!tf.util.arraysEqual(gate.shape, up.shape)) {
    throw new InputError('swiglu', `gate [${gate.shape}] and up [${up.shape}] differ in shape`);
  }
  return forwardKernel([gate, up], {})[0];
}
