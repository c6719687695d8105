import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/runtime/node-webgpu.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';
import { compare, float32DotTolerance, matMulFloat64, randomFloat32 } from '../setup/reference.js';

describe('Node WebGPU runtime (Dawn over llvmpipe)', () => {
  const backend = useNodeWebGPU();

  it("initNodeBackend({ prefer: 'webgpu' }) selects the WebGPU backend", () => {
    const info = backend();
    expect(info.name).toBe('webgpu');
    expect(info.fallbackReason).toBeUndefined();
    expect(info.adapter).not.toBe('unknown adapter');
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('a matmul of awkward size matches a float64 reference', async () => {
    const [m, k, n] = [37, 61, 29];
    const a = randomFloat32(m * k, 1);
    const b = randomFloat32(k * n, 2);
    const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
    try {
      expect(product.shape).toEqual([m, n]);
      const actual = await product.data();
      const diff = compare(actual, matMulFloat64(a, b, m, k, n));
      expect(diff.nonFinite).toBe(0);
      // float32 accumulation over k = 61 terms: 2.3e-4 allowed (llvmpipe measured 2e-6); a dropped or
      // doubled term would be off by about 0.1.
      expect(diff.maxAbs).toBeLessThanOrEqual(float32DotTolerance(k));
    } finally {
      product.dispose();
    }
  });

  it("prefer: 'auto' reports the adapter it chose", async () => {
    const info = await initNodeBackend({ prefer: 'auto' });
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toMatch(/\S/);
    expect(info.adapter).not.toBe('unknown adapter');
    console.info(`node adapter: ${info.adapter}`);
  });
});
