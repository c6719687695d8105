/**
 * One profiled run: kernel invocations, tensor-memory high-water mark, and wall time attributed to
 * each kernel name.
 *
 * Attribution: `tf.profile` appends one record per kernel right after it ran; we stamp the clock at
 * each append and give each kernel the time since the previous one (its JS, tape recording and, where
 * the backend executes synchronously, its execution). The CPU backend is synchronous. The WebGPU
 * backend records dispatches into a command encoder and, while profiling, does not submit them until a
 * read-back; so at each append we submit what was recorded. With Dawn over OpenGL ES (llvmpipe) a
 * submission executes on the calling thread, so each kernel's execution lands in its own slot (on a
 * real GPU the slots would hold host time only). Not used for the timed iterations.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

/** Submits the WebGPU backend's recorded commands, if any (reaches into a private field: bench only). */
function submitPending(backend: WebGPUBackend): void {
  const pending = (backend as unknown as { commandEncoder: GPUCommandEncoder | null }).commandEncoder;
  if (pending) backend.submitQueue();
}

export interface KernelTime {
  name: string;
  count: number;
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
  const webgpu = tf.getBackend() === 'webgpu' ? (tf.backend() as WebGPUBackend) : undefined;
  const stamps: number[] = [];
  let start = 0;
  const profile = await tf.profile(async () => {
    const records = tf.engine().state.activeProfile.kernels;
    const push = records.push.bind(records);
    records.push = (...items) => {
      if (webgpu) submitPending(webgpu);
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
