/**
 * Node test helper: initialises tfjs on WebGPU (Dawn over Mesa llvmpipe) once per test file.
 *
 * With the `forks` pool every test file runs in its own process, so "once per process" is "once per
 * file". The Dawn instance itself lives in src/runtime/node-webgpu.ts, which keeps it reachable.
 */
import { beforeAll } from 'vitest';
import type { BackendInfo } from '../../src/runtime/backend.js';
import { initNodeBackend, type NodeAdapterKind } from '../../src/runtime/node-webgpu.js';

let ready: Promise<BackendInfo> | undefined;

/** Initialises WebGPU for this process (idempotent); rejects when no adapter can be had. */
export function nodeWebGPU(adapter?: NodeAdapterKind): Promise<BackendInfo> {
  ready ??= initNodeBackend({ prefer: 'webgpu', adapter });
  return ready;
}

/**
 * Call at the top of a test file (or describe block): WebGPU is set up in `beforeAll`, and the
 * returned function gives the backend info inside tests.
 */
export function useNodeWebGPU(adapter?: NodeAdapterKind): () => BackendInfo {
  let info: BackendInfo | undefined;
  beforeAll(async () => {
    info = await nodeWebGPU(adapter);
  });
  return () => {
    if (!info) throw new Error('useNodeWebGPU: WebGPU is not initialised (did beforeAll fail?)');
    return info;
  };
}
