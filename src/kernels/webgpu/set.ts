import { linear } from '../matmul/index.js';
import type { Ops } from '../ops.js';
import { tfjsOps } from '../stock/tfjs.js';

/**
 * Our WebGPU kernel set: the stock composition with our WGSL kernels swapped in, op by op. The
 * embedding stays tfjs's gather (and UnsortedSegmentSum gradient): no kernel of ours beats it yet.
 */
export const webgpuOps: Ops = { ...tfjsOps, name: 'hephaestus-webgpu', linear };
