/**
 * Our fused kernels on Chromium's WebGPU (SwiftShader): the same harness cases and optimizer checks
 * as the Node test (test/node/kernels-fused.test.ts), against float64 maths with poisoned outputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { deviceLimits } from '../../src/kernels/webgpu/dispatch.js';
import { webgpuOps } from '../../src/kernels/webgpu/set.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { checkKernel } from '../setup/kernel-harness.js';
import { checkAdamWStep, checkLargeVocabulary, checkStepStats, fusedCases } from '../setup/fused-checks.js';

describe('fused kernels on Chromium WebGPU', () => {
  beforeAll(async () => {
    const info = await initBackend({ prefer: 'webgpu' });
    expect(info.name).toBe('webgpu');
    console.info(`browser limits: ${JSON.stringify(deviceLimits())}`);
  });

  for (const c of fusedCases(webgpuOps)) {
    it(`${c.name} matches float64 forward and backward`, async () => {
      expect(tf.getBackend()).toBe('webgpu');
      console.info(`chromium ${c.name}: ${JSON.stringify(await checkKernel(c, new Rng(5)))}`);
    });
  }

  it('crossEntropy over a 32,000-token vocabulary matches float64 loss and gradient', async () => {
    console.info(`chromium crossEntropy V=32000: ${JSON.stringify(await checkLargeVocabulary(webgpuOps, new Rng(8)))}`);
  });

  it('stepStats and adamwStep match float64 maths, and a non-finite step changes nothing', async () => {
    await checkStepStats(webgpuOps, new Rng(4));
    await checkAdamWStep(webgpuOps, new Rng(6));
  });
});
