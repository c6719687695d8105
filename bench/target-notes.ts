/**
 * Why a target of issue 9 is missed on this machine's software adapter, and what was tried: printed
 * under the targets table of BENCHMARKS.md for each target the run misses. Written from measurements
 * (in the kernels' module comments and commit messages, and in this run's tables); update them when
 * a kernel changes.
 */

/** The targets of issue 9, as bench/report-kernels.ts names them. */
export type TargetId = 'step-vs-stock' | 'step-vs-peer' | 'matmul-1024' | 'attention-256' | 'launches';

export const MISSED_TARGETS: Record<TargetId, string> = {
  'step-vs-stock': 'Why: on llvmpipe every load from a storage or workgroup buffer is a per-lane loop, so a step costs '
    + 'about what it loads; our matmul (texture operands: branch-free texel gathers) and the fused attention cut the '
    + 'loads of the products, while the elementwise kernels (RMSNorm, RoPE, SwiGLU, cross-entropy, AdamW) save passes and '
    + 'launches but still load every element once, and the tfjs programs left in the step (embedding gather and its '
    + 'gradient, reshapes, casts, gradient accumulation) are the same as stock\'s. Tried: every matmul variant '
    + 'autotuned per product (table below); RMSNorm with about 16 columns per thread and cross-entropy with 32 threads per '
    + 'row (fewer, busier threads measured faster here); workgroup reductions folded by one invocation; the optimizer '
    + 'step without read-back and the next step prepared while the last one\'s statistics are read back.',
  'step-vs-peer': 'Why: the peer\'s fastest mode keeps packed f16 tensors (half the bytes per load, and loads are what costs '
    + 'on this adapter); our kernels are float32 throughout. Not tried: a packed-f16 path.',
  'matmul-1024': 'Why: the texture variants reach the fraction of the FMA-chain ceiling in the matmul table; what limits them '
    + 'is rm + rn texel gathers per 4 steps of k for rm x rn outputs. Tried: texture 4x4, 8x4, 8x8, 16x8, 8x16 and tiled '
    + '32x32 / 64x64 with workgroup-memory tiles (slower here: a workgroup load costs a per-lane loop like a storage load).',
  'attention-256': 'Why: the same per-lane load cost: each streamed key (or query) row is loaded once per block of rows an '
    + 'invocation owns, so the rows per invocation set the speed, and LLVM\'s compile time on llvmpipe bounds them. Tried: '
    + 'K/V tiles in workgroup memory (1.1-1.6x slower than direct storage loads here), 8 rows for dq and dk/dv (80-90 s '
    + 'compile, slower than 4), 8 rows in the forward (239 s compile against 64 s for 4, equal speed within the noise), 2 '
    + 'rows (about 1.3x slower), staged row loads and stores (shorter programs).',
  launches: 'Why: AdamW runs one dispatch per parameter and the gradient sums of squares one per 4 gradients (measured: the '
    + 'masked branches of a multi-tensor shader make it slower per tensor on software adapters than one tensor per '
    + 'dispatch), and the tfjs programs of the backward (gradient accumulation, reshapes, casts, the embedding gather) '
    + 'remain. Tried: the per-parameter optimizer without read-back; not tried: one multi-tensor dispatch for GPUs only.',
};
