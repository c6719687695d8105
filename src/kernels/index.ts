import { getBackend } from '../runtime/tfjs.js';
import type { Ops } from './ops.js';
import { tfjsCpuOps, tfjsOps } from './stock/tfjs.js';

export type { Ops, AdamWHyper, AdamWSlot, StepStatsOptions } from './ops.js';
export { STEP_STATS } from './ops.js';
export { tfjsOps, tfjsCpuOps } from './stock/tfjs.js';

/**
 * The kernel set for a tfjs backend (default: the active one). The model and its optimizer take their
 * kernels from here once, at creation, so no op asks which backend it runs on.
 */
export function kernelsFor(backend: string = getBackend()): Ops {
  return backend === 'cpu' ? tfjsCpuOps : tfjsOps;
}
