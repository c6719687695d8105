/**
 * The fused causal attention kernels in Chromium (WebGPU on SwiftShader): the harness cases (central
 * differences, poisoned outputs) and long contexts against the float64 reference, as in Node.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, it } from 'vitest';
import { fusedAttention } from '../../src/kernels/attention/index.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { checkAgainstReference, harnessCase, HARNESS_SHAPES, LONG_SHAPES } from '../setup/attention-cases.js';
import { checkKernel } from '../setup/kernel-harness.js';

beforeAll(async () => {
  if (tf.getBackend() !== 'webgpu') await initBackend({ prefer: 'webgpu' });
});

describe('fused attention on Chromium WebGPU (SwiftShader)', () => {
  for (const shape of HARNESS_SHAPES) {
    const c = harnessCase(fusedAttention, shape);
    it(`${c.name} forward and backward through the harness`, async () => {
      console.info(`${c.name}: ${JSON.stringify(await checkKernel(c, new Rng(shape.size * 31 + shape.keyLength)))}`);
    });
  }
  // Row blocks and their edge (129), four query heads per key/value head, and one query against 300 keys.
  for (const { forwardOnly, ...shape } of [LONG_SHAPES[0], LONG_SHAPES[2], LONG_SHAPES[4]]) {
    it(`${JSON.stringify(shape)} against the float64 reference`, async () => {
      const errors = await checkAgainstReference(fusedAttention, shape, new Rng(shape.keyLength), forwardOnly);
      console.info(`fused attention ${JSON.stringify(shape)}: ${JSON.stringify(errors)}`);
    });
  }
});
