/**
 * Our fused kernels (RMSNorm, RoPE, SwiGLU, softmax + cross-entropy, the optimizer step) on WebGPU
 * (Dawn over llvmpipe) and on the CPU backend (their plain references), against float64 maths
 * through the kernel harness (poisoned outputs on WebGPU); dispatch splitting under artificially
 * small device limits; and training steps with them against the stock composition.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { webgpuOps } from '../../src/kernels/webgpu/set.js';
import { overrideDeviceLimits } from '../../src/kernels/webgpu/dispatch.js';
import { Rng } from '../../src/util/rng.js';
import { checkKernel } from '../setup/kernel-harness.js';
import { nodeWebGPU } from '../setup/node-webgpu.js';
import { checkAdamWStep, checkLargeVocabulary, checkStepStats, crossEntropyCase, fusedCases, rmsNormCase, ropeCase, swigluCase } from '../setup/fused-checks.js';
import { opCases } from '../setup/op-cases.js';

const OURS = /rmsNorm|rope|swiglu|crossEntropy/;

for (const backend of ['webgpu', 'cpu'] as const) {
  describe(`fused kernels on ${backend}`, () => {
    const select = async () => {
      await nodeWebGPU();
      await tf.setBackend(backend);
    };
    const cases = [...opCases(webgpuOps, new Rng(11)).filter((c) => OURS.test(c.name)), ...fusedCases(webgpuOps)];
    for (const c of cases) {
      it(`${c.name} matches float64 forward and backward`, async () => {
        await select();
        const errors = await checkKernel(c, new Rng(5));
        console.info(`${backend} ${c.name}: ${JSON.stringify(errors)}`);
      });
    }

    it('crossEntropy over a 32,000-token vocabulary matches float64 loss and gradient', async () => {
      await select();
      console.info(`${backend} crossEntropy V=32000: ${JSON.stringify(await checkLargeVocabulary(webgpuOps, new Rng(8)))}`);
    });

    it('stepStats gives the loss, global norm, clipping scale and finite flag of 23 gradients', async () => {
      await select();
      await checkStepStats(webgpuOps, new Rng(4));
    });

    it('adamwStep matches float64 AdamW on 11 parameters, and a non-finite step changes nothing', async () => {
      await select();
      await checkAdamWStep(webgpuOps, new Rng(6));
    });
  });
}

describe('fused kernels under artificially small device limits (WebGPU)', () => {
  afterEach(() => overrideDeviceLimits({}));

  it('split their dispatches over a 2-D grid of at most 8 x 8 workgroups and still match float64', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    overrideDeviceLimits({ maxComputeWorkgroupsPerDimension: 8 });
    // Each needs more than 8 workgroups in one dimension: 61 rows, 14 rope groups, 18 swiglu groups, 19 rows.
    const cases = [
      rmsNormCase(webgpuOps, [61, 5]), ropeCase(webgpuOps, [2, 2, 211, 8]), swigluCase(webgpuOps, [3, 37, 41]),
      crossEntropyCase(webgpuOps, { rows: 19, vocab: 97, weights: Array.from({ length: 19 }, (_, i) => i % 4) }),
    ];
    for (const c of cases) await checkKernel(c, new Rng(2));
    await checkStepStats(webgpuOps, new Rng(4));
    await checkAdamWStep(webgpuOps, new Rng(6));
  });

  it('bind at most 5 storage buffers per dispatch in the optimizer step and still match float64', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    overrideDeviceLimits({ maxStorageBuffersPerShaderStage: 5 });
    await checkStepStats(webgpuOps, new Rng(4));
    await checkAdamWStep(webgpuOps, new Rng(6));
  });

  it('refuse with a clear error what the limits cannot hold', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    overrideDeviceLimits({ maxComputeWorkgroupsPerDimension: 8, maxStorageBuffersPerShaderStage: 5 });
    const x = tf.ones([100, 5]);
    const w = tf.ones([5]);
    expect(() => webgpuOps.rmsNorm(x, w, 1e-5)).toThrow(/100 workgroups exceed the device's 8 x 8 grid/);
    const logits = tf.ones([4, 7]) as tf.Tensor2D;
    const targets = tf.zeros([4], 'int32') as tf.Tensor1D;
    const weights = tf.ones([4]) as tf.Tensor1D;
    expect(() => tf.grad((l: tf.Tensor) => webgpuOps.crossEntropy(l as tf.Tensor2D, targets, weights))(logits)).toThrow(/storage buffers exceed the device's 5 per shader stage/);
    tf.dispose([x, w, logits, targets, weights]);
  });
});
