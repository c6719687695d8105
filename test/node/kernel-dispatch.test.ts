import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { allocate, dispatch, toTensor } from '../../src/kernels/webgpu/dispatch.js';
import { Rng } from '../../src/util/rng.js';
import { checkKernel } from '../setup/kernel-harness.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';

useNodeWebGPU();

const AXPY = /* wgsl */ `
struct Params { n: u32, a: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= params.n) { return; }
  out[i] = params.a * x[i] + y[i];
  y[i] = -y[i];
}`;

describe('raw WGSL dispatch on the tfjs WebGPU backend', () => {
  it('runs a kernel with two outputs (one in place) in order with tfjs ops, and reads back', async () => {
    const rng = new Rng(7);
    const n = 1000 + 37;
    const xs = Float32Array.from({ length: n }, () => rng.normal());
    const ys = Float32Array.from({ length: n }, () => rng.normal());
    const x = tf.tensor1d(xs);
    const y = tf.mul(tf.tensor1d(ys), 1) as tf.Tensor1D; // a GPU-computed input, not an upload
    const out = allocate([n]);
    dispatch({ key: 'test-axpy', code: AXPY, tensors: [x, y, out], uniforms: [{ u32: n }, { f32: 2.5 }], workgroups: [Math.ceil(n / 64)] });
    const result = toTensor<tf.Rank.R1>(out);
    const after = tf.add(result, 1);
    const [got, flipped, plusOne] = await Promise.all([result.data(), y.data(), after.data()]);
    for (let i = 0; i < n; i++) {
      const expected = 2.5 * xs[i] + ys[i];
      expect(Math.abs(got[i] - expected)).toBeLessThan(1e-5 * (1 + Math.abs(expected)));
      expect(flipped[i]).toBe(-ys[i]);
      expect(Math.abs(plusOne[i] - expected - 1)).toBeLessThan(1e-5 * (2 + Math.abs(expected)));
    }
    tf.dispose([x, y, result, after]);
  });

  it('the kernel harness catches an unwritten output element through poisoned buffers', async () => {
    const n = 331;
    // Copies all but the last element: on zeroed memory the miss could pass unnoticed.
    const code = `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x + 1u >= ${n}u) { return; }
  out[id.x] = x[id.x];
}`;
    const copyAllButLast = (x: tf.Tensor) => {
      const out = allocate([n]);
      dispatch({ key: 'test-copy-all-but-last', code, tensors: [x, out], workgroups: [Math.ceil(n / 64)] });
      return toTensor(out);
    };
    const lastIsZero = Array.from({ length: n }, (_, i) => (i === n - 1 ? 0 : 1));
    await expect(checkKernel({
      name: 'copy-all-but-last',
      operands: [{ name: 'x', shape: [n], values: lastIsZero }],
      run: ([x]) => copyAllButLast(x),
      reference: ([x]) => x,
      tolerance: { forward: 1e-6 },
    }, new Rng(1))).rejects.toThrow(/element 330 is NaN .*unwritten/);
  });

  it('refuses a dispatch beyond the device limit with a clear error', () => {
    const out = allocate([4]);
    expect(() => dispatch({ key: 'test-axpy', code: AXPY, tensors: [out, out, out], workgroups: [1e9] })).toThrow(/workgroups per dimension/);
    toTensor(out).dispose();
  });
});
