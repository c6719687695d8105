/**
 * The stock tfjs kernel sets (WebGPU and CPU) through the kernel harness: every op of the `Ops` seam
 * against float64 maths, forward and backward, at awkward sizes, with poisoned outputs on WebGPU.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, describe, expect, it } from 'vitest';
import { kernelsFor, type Ops } from '../../src/kernels/index.js';
import { Rng } from '../../src/util/rng.js';
import { adamw64 } from '../reference/ops64.js';
import { checkKernel, relativeError } from '../setup/kernel-harness.js';
import { nodeWebGPU } from '../setup/node-webgpu.js';
import { opCases } from '../setup/op-cases.js';

for (const backend of ['webgpu', 'cpu'] as const) {
  describe(`stock kernels on ${backend}`, () => {
    const select = async () => {
      await nodeWebGPU();
      await tf.setBackend(backend);
      return kernelsFor(backend);
    };
    afterAll(() => tf.setBackend('webgpu'));

    for (const c of opCases(kernelsFor(backend), new Rng(11))) {
      it(`${c.name} matches float64 forward and backward`, async () => {
        const ops = await select();
        const cases = opCases(ops, new Rng(11));
        const errors = await checkKernel(cases.find((x) => x.name === c.name)!, new Rng(5));
        console.info(`${backend} ${c.name}: ${JSON.stringify(errors)}`);
      });
    }

    it('adamwStep matches float64 maths in place', async () => {
      await checkAdamW(await select(), new Rng(3));
    });
  });
}

async function checkAdamW(ops: Ops, rng: Rng): Promise<void> {
  const size = 1009;
  const draw = (scale: number) => Float32Array.from({ length: size }, () => rng.normal() * scale);
  const [param, grad, m] = [draw(1), draw(0.5), draw(0.1)];
  const v = Float32Array.from(draw(0.1), Math.abs);
  const hyper = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 7 };
  const [weightDecay, gradScale] = [0.1, 0.6];
  const variables = [param, m, v].map((values) => tf.variable(tf.tensor1d(values), false));
  const gradient = tf.tensor1d(grad);
  const stats = tf.tensor1d([0, 0, gradScale, 1]);
  ops.adamwStep([{ param: variables[0], grad: gradient, m: variables[1], v: variables[2], weightDecay }], stats, hyper);
  const want = adamw64(Float64Array.from(param), Float64Array.from(grad), Float64Array.from(m), Float64Array.from(v), { ...hyper, weightDecay, gradScale });
  const got = await Promise.all(variables.map((variable) => variable.data()));
  expect(relativeError(got[0], want.param, 'param')).toBeLessThan(1e-6);
  expect(relativeError(got[1], want.m, 'm')).toBeLessThan(1e-6);
  expect(relativeError(got[2], want.v, 'v')).toBeLessThan(1e-6);
  tf.dispose([...variables, gradient, stats]);
}
