/**
 * `hephaestus-web/kernels`: the `Ops` seam the model and optimizer run on, the stock tfjs sets, our
 * WebGPU set, and our WGSL kernels one by one (matmul with its autotune, fused causal attention, RMSNorm,
 * RoPE, SwiGLU, cross-entropy, the AdamW step). The single kernels run on the WebGPU backend.
 * @module
 */
export { kernelsFor, tfjsOps, tfjsCpuOps, webgpuOps, STEP_STATS } from '../kernels/index.js';
export type { Ops, AdamWHyper, AdamWSlot, StepStatsOptions, KernelChoice } from '../kernels/index.js';
export * from '../kernels/matmul/index.js';
export type { KernelLimits } from '../kernels/webgpu/dispatch.js';
export { createFusedAttention, fusedAttention, MAX_HEAD_SIZE } from '../kernels/attention/index.js';
export type { AttentionLimits, AttentionOp } from '../kernels/attention/index.js';
export { rmsNorm } from '../kernels/rms-norm/index.js';
export { rope } from '../kernels/rope/index.js';
export { swiglu } from '../kernels/swiglu/index.js';
export { crossEntropy } from '../kernels/cross-entropy/index.js';
export { adamwStep, stepStats } from '../kernels/adamw/index.js';
