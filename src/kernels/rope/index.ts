/**
 * RoPE in one pass (no split / negate / concat chain), forward and backward: the gradient of a
 * rotation is the transposed rotation, the same kernel with `inverse`. Raw WGSL dispatch like our
 * other kernels (one way for all of them; this one would also fit tfjs's one-output program model).
 * The tables are constants: no gradient flows into cos and sin.
 */
import * as tf from '../../runtime/tfjs.js';
import { InputError } from '../../util/errors.js';
import { defineKernel } from '../registry.js';
import { allocate, dispatch } from '../webgpu/dispatch.js';
import { workgroupGrid } from '../webgpu/grid.js';
import { ropeCpu } from './cpu.js';
import { ROPE_THREADS, ropeShader } from './wgsl.js';

type Attrs = { inverse: boolean };

const ropeKernel = defineKernel<Attrs>('HephaestusRope', ['x', 'cos', 'sin'], {
  webgpu([x, cos, sin], { inverse }) {
    const [length, size] = cos.shape;
    const pairs = x.shape.reduce((a, b) => a * b, 1) / 2;
    const out = allocate(x.shape);
    dispatch({
      key: `rope-${inverse ? 'inverse' : 'forward'}-${size / 2}`, code: ropeShader(inverse, size / 2), tensors: [x, cos, sin, out],
      uniforms: [{ u32: pairs }, { u32: length }], workgroups: workgroupGrid(Math.ceil(pairs / ROPE_THREADS)),
    });
    return [out];
  },
  cpu([x, cos, sin], { inverse }, backend) {
    const [length, size] = cos.shape;
    const values = (info: tf.TensorInfo) => backend.values(info) as Float32Array;
    return [backend.make(x.shape, ropeCpu(values(x), values(cos), values(sin), length, size, inverse))];
  },
});

tf.registerGradient({
  kernelName: 'HephaestusRope',
  inputsToSave: ['cos', 'sin'],
  gradFunc: (dy, [cos, sin], attrs) => ({
    x: () => ropeKernel([dy as tf.Tensor, cos, sin], { inverse: !(attrs as Attrs).inverse })[0],
  }),
});

/** Rotary embedding of x `[B, H, T, hd]` with cos/sin `[T, hd]` (the `Ops.rope` of our kernel set). */
export function rope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D {
  const [, , length, size] = x.shape;
  const table = [length, size];
  if (size % 2 !== 0 || !tf.util.arraysEqual(cos.shape, table) || !tf.util.arraysEqual(sin.shape, table)) {
    throw new InputError('rope', `x [${x.shape}] needs an even head size and cos/sin of [${table}], got [${cos.shape}] and [${sin.shape}]`);
  }
  return ropeKernel([x, cos, sin], { inverse: false })[0] as tf.Tensor4D;
}
