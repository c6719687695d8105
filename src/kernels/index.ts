import { getBackend } from '../runtime/tfjs.js';
import type { Ops } from './ops.js';
import { tfjsCpuOps, tfjsOps } from './stock/tfjs.js';
import { webgpuOps } from './webgpu/set.js';

export type { Ops, AdamWHyper, AdamWSlot, StepStatsOptions } from './ops.js';
export { STEP_STATS } from './ops.js';
export { tfjsOps, tfjsCpuOps } from './stock/tfjs.js';
export { webgpuOps } from './webgpu/set.js';

/** Which kernels {@link kernelsFor} returns: ours where a backend has them (default), or the stock composition. */
export type KernelChoice = 'ours' | 'stock';

/**
 * The kernel set for a tfjs backend (default: the active one). The model and its optimizer take their
 * kernels from here once, at creation, so no op asks which backend it runs on. On WebGPU that is our
 * WGSL set; `{ kernels: 'stock' }` gives the stock tfjs composition instead (for comparison, or as a
 * fallback).
 */
export function kernelsFor(backend: string = getBackend(), options: { kernels?: KernelChoice } = {}): Ops {
  if (backend === 'cpu') return tfjsCpuOps;
  return backend === 'webgpu' && options.kernels !== 'stock' ? webgpuOps : tfjsOps;
}
