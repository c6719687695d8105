import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initBackend } from '../../src/runtime/backend.js';
import { expectAwkwardMatMulMatchesFloat64 } from '../setup/matmul-check.js';
import type { GpuWorkerReport } from './gpu-worker.js';

describe('Chromium WebGPU runtime (SwiftShader)', () => {
  it("initBackend({ prefer: 'webgpu' }) succeeds on the SwiftShader adapter", async () => {
    expect(navigator.gpu, 'navigator.gpu (is --enable-unsafe-webgpu passed?)').toBeDefined();
    const info = await initBackend({ prefer: 'webgpu' });
    console.info(`browser adapter: ${info.adapter}`);
    expect(info.name).toBe('webgpu');
    expect(info.fallbackReason).toBeUndefined();
    expect(info.adapter.toLowerCase()).toContain('swiftshader');
    expect(tf.getBackend()).toBe('webgpu');
  });

  it('a matmul of awkward size matches a float64 reference', async () => {
    if (tf.getBackend() !== 'webgpu') await initBackend({ prefer: 'webgpu' });
    await expectAwkwardMatMulMatchesFloat64();
  });
});

describe('Chromium platform features the library relies on', () => {
  it('IndexedDB: open a database, put and get a value', async () => {
    const name = `hephaestus-test-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const request = <T,>(r: IDBRequest<T>): Promise<T> =>
      new Promise((resolve, reject) => {
        r.onsuccess = () => resolve(r.result);
        r.onerror = () => reject(r.error);
      });
    const open = indexedDB.open(name, 1);
    open.onupgradeneeded = () => open.result.createObjectStore('kv');
    const db = await request(open);
    try {
      const value = { step: 7, weights: new Float32Array([1.5, -2, 3.25]) };
      const put = db.transaction('kv', 'readwrite');
      put.objectStore('kv').put(value, 'checkpoint');
      await new Promise<void>((resolve, reject) => {
        put.oncomplete = () => resolve();
        put.onerror = () => reject(put.error);
      });
      const got = await request<typeof value>(db.transaction('kv').objectStore('kv').get('checkpoint'));
      expect(got.step).toBe(7);
      expect(got.weights).toBeInstanceOf(Float32Array);
      expect(Array.from(got.weights)).toEqual([1.5, -2, 3.25]);
    } finally {
      db.close();
      await request(indexedDB.deleteDatabase(name));
    }
  });

  it('a module Web Worker starts and sees navigator.gpu', async () => {
    const worker = new Worker(new URL('./gpu-worker.ts', import.meta.url), { type: 'module' });
    try {
      const report = await new Promise<GpuWorkerReport>((resolve, reject) => {
        worker.onmessage = (event: MessageEvent<GpuWorkerReport>) => resolve(event.data);
        worker.onerror = (event) => reject(new Error(`worker failed: ${event.message}`));
        worker.postMessage('report');
      });
      console.info(`worker adapter: ${report.adapter}`);
      expect(report.isModule).toBe(true);
      expect(report.hasGpu).toBe(true);
      expect(report.error).toBeUndefined();
      expect(report.adapter?.toLowerCase()).toContain('swiftshader');
    } finally {
      worker.terminate();
    }
  });
});
