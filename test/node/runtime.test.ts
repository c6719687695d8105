import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initNodeBackend } from '../../src/runtime/node-webgpu.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';
import { expectAwkwardMatMulMatchesFloat64 } from '../setup/matmul-check.js';

describe('Node WebGPU runtime (Dawn over llvmpipe)', () => {
  const backend = useNodeWebGPU();

  it("initNodeBackend({ prefer: 'webgpu' }) selects the WebGPU backend", () => {
    const info = backend();
    expect(info.name).toBe('webgpu');
    expect(info.fallbackReason).toBeUndefined();
    expect(info.adapter).not.toBe('unknown adapter');
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('a matmul of awkward size matches a float64 reference', expectAwkwardMatMulMatchesFloat64);

  it("prefer: 'auto' reports the adapter it chose", async () => {
    const info = await initNodeBackend({ prefer: 'auto' });
    expect(info.name).toBe('webgpu');
    expect(info.adapter).toMatch(/\S/);
    expect(info.adapter).not.toBe('unknown adapter');
    console.info(`node adapter: ${info.adapter}`);
  });
});
