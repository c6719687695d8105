import { adamwStep, stepStats } from '../adamw/index.js';
import { fusedAttention } from '../attention/index.js';
import { crossEntropy } from '../cross-entropy/index.js';
import { linear } from '../matmul/index.js';
import type { Ops } from '../ops.js';
import { rmsNorm } from '../rms-norm/index.js';
import { rope } from '../rope/index.js';
import { tfjsOps } from '../stock/tfjs.js';
import { swiglu } from '../swiglu/index.js';

/**
 * Our WebGPU kernel set: the stock composition with our WGSL kernels swapped in, op by op. The
 * embedding stays tfjs's gather (and UnsortedSegmentSum gradient): no kernel of ours beats it yet.
 */
export const webgpuOps: Ops = {
  ...tfjsOps,
  name: 'hephaestus-webgpu',
  linear,
  rmsNorm,
  rope,
  swiglu,
  attention: fusedAttention,
  crossEntropy,
  stepStats,
  adamwStep,
};
