import { fusedAttention } from '../attention/index.js';
import type { Ops } from '../ops.js';
import { tfjsOps } from '../stock/tfjs.js';

/** Our WebGPU kernel set: the stock composition with our WGSL kernels swapped in, op by op. */
export const webgpuOps: Ops = { ...tfjsOps, name: 'hephaestus-webgpu', attention: fusedAttention };
