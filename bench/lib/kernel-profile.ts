/**
 * One profiled run: kernel invocations, tensor-memory high-water mark, and wall time attributed to
 * each kernel name.
 *
 * Attribution: `tf.profile` appends one record per kernel right after it ran; we stamp the clock at
 * each append and give each kernel the time since the previous one. That is exact on the synchronous
 * CPU backend. It is meaningless on WebGPU: while profiling, the tfjs WebGPU backend does not submit
 * its recorded dispatches until a read-back, so the whole execution lands on whatever kernel follows
 * the read-back (and even with forced submissions, Dawn over llvmpipe runs the work at later
 * synchronisation points). WebGPU time per op comes from the ops benchmark instead.
 */
import * as tf from '@tensorflow/tfjs-core';

export interface KernelTime {
  name: string;
  count: number;
  /** Attributed wall time; only meaningful on the CPU backend (see above). */
  ms: number;
}

export interface KernelProfile {
  /** Wall time of the whole profiled run, including the final read-back. */
  totalMs: number;
  kernels: number;
  peakBytes: number;
  /** By kernel name, most time first. */
  byName: KernelTime[];
}

export async function profileKernels(fn: () => Promise<void>): Promise<KernelProfile> {
  const stamps: number[] = [];
  let start = 0;
  const profile = await tf.profile(async () => {
    const records = tf.engine().state.activeProfile.kernels;
    const push = records.push.bind(records);
    records.push = (...items) => {
      stamps.push(performance.now());
      return push(...items);
    };
    start = performance.now();
    await fn();
  });
  const totalMs = performance.now() - start;
  const byName = new Map<string, KernelTime>();
  profile.kernels.forEach((kernel, i) => {
    const entry = byName.get(kernel.name) ?? { name: kernel.name, count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += stamps[i] - (i === 0 ? start : stamps[i - 1]);
    byName.set(kernel.name, entry);
  });
  return {
    totalMs,
    kernels: profile.kernels.length,
    peakBytes: profile.peakBytes,
    byName: [...byName.values()].sort((a, b) => b.ms - a.ms),
  };
}
