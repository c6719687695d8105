/**
 * GPU compute dispatches of a run: tfjs's own programs (counted where the WebGPU backend records them)
 * and ours (src/kernels/webgpu/dispatch.ts keeps a count per kernel key). `tf.profile` counts tfjs
 * kernel invocations instead, which include reshapes and identities that dispatch nothing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { dispatchCounts } from '../../src/kernels/webgpu/dispatch.js';

export interface Launches {
  total: number;
  /** By tfjs program class (`tfjs:BinaryOpProgram`) or our kernel key with its shape suffix cut (`ours:matmul-texture-8x8`). */
  byName: { name: string; count: number }[];
}

interface Recording {
  recordAndSubmit(program: { constructor: { name: string } }, ...rest: unknown[]): unknown;
}

/** Our keys end in layout and size details (`-nt-12`); the launch table groups by kernel. */
function kernelOf(key: string): string {
  return key.replace(/-(nn|nt|tn|tt)(-\d+)?$/, '').replace(/-\d+$/, '');
}

export async function countLaunches<T>(fn: () => Promise<T>): Promise<{ result: T; launches: Launches }> {
  const backend = tf.backend() as unknown as Recording;
  const original = backend.recordAndSubmit;
  const counts = new Map<string, number>();
  backend.recordAndSubmit = function (program, ...rest) {
    const name = `tfjs:${program.constructor.name}`;
    counts.set(name, (counts.get(name) ?? 0) + 1);
    return original.call(this, program, ...rest);
  };
  const before = dispatchCounts();
  let result: T;
  try {
    result = await fn();
  } finally {
    backend.recordAndSubmit = original;
  }
  for (const [key, count] of dispatchCounts()) {
    const delta = count - (before.get(key) ?? 0);
    if (delta > 0) counts.set(`ours:${kernelOf(key)}`, (counts.get(`ours:${kernelOf(key)}`) ?? 0) + delta);
  }
  const byName = [...counts].map(([name, count]) => ({ name, count })).sort((a, b) => b.count - a.count);
  return { result, launches: { total: byName.reduce((sum, k) => sum + k.count, 0), byName } };
}
