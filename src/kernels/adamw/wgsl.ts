/**
 * WGSL of the optimizer step on the device: the global gradient norm (sums of squares per workgroup
 * over several gradients per dispatch, then one workgroup that turns them into the step's
 * statistics) and the AdamW update of one parameter per dispatch. The sum-of-squares shader binds a
 * fixed number of gradients ("slots") and is generated per slot count; a workgroup finds its slot
 * from the slots' first workgroup indices (uniforms).
 */
import { WGSL_GROUP_INDEX, WGSL_IS_FINITE } from '../webgpu/grid.js';

/** Threads per workgroup of the multi-tensor shaders. */
export const THREADS = 256;
/** Elements a sum-of-squares workgroup reads (8 per thread). */
export const SQUARES_CHUNK = THREADS * 8;

const range = (count: number) => Array.from({ length: count }, (_, i) => i);

/** `var slot` = the last slot whose first workgroup is at or before `group`. */
function slotOf(slots: number): string {
  return ['var slot = 0u;', ...range(slots).slice(1).map((s) => `if (group >= params.start${s}) { slot = ${s}u; }`)].join('\n  ');
}

/** Uniform fields per slot: element count and first workgroup. */
function slotFields(slots: number): string {
  return range(slots).map((s) => `count${s}: u32, start${s}: u32,`).join('\n  ');
}

/**
 * Sums of squares of `slots` tensors, one per workgroup of SQUARES_CHUNK elements, written to
 * `partials[offset + group]`; bindings g0..g{slots-1}, partials, params.
 */
export function sumSquaresShader(slots: number): string {
  const bindings = range(slots).map((s) => `@group(0) @binding(${s}) var<storage, read> g${s}: array<f32>;`).join('\n');
  const sums = range(slots).map((s) => `
fn sum${s}(first: u32, lid: u32) -> f32 {
  var total = 0.0;
  for (var e = 0u; e < ${SQUARES_CHUNK / THREADS}u; e++) {
    let i = first + e * ${THREADS}u + lid;
    if (i < params.count${s}) { total += g${s}[i] * g${s}[i]; }
  }
  return total;
}`).join('');
  const pick = range(slots).map((s) => `if (slot == ${s}u) { total = sum${s}((group - params.start${s}) * ${SQUARES_CHUNK}u, lid); }`).join('\n  ');
  return `
${WGSL_GROUP_INDEX}
struct Params {
  groups: u32, offset: u32,
  ${slotFields(slots)}
}
${bindings}
@group(0) @binding(${slots}) var<storage, read_write> partials: array<f32>;
@group(0) @binding(${slots + 1}) var<uniform> params: Params;
var<workgroup> scratch: array<f32, ${THREADS}>;
${sums}

@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let group = groupIndex(wid, groups);
  if (group >= params.groups) { return; }
  ${slotOf(slots)}
  var total = 0.0;
  ${pick}
  scratch[lid] = total;
  workgroupBarrier();
  if (lid == 0u) {
    var sum = 0.0;
    for (var i = 0u; i < ${THREADS}u; i++) { sum += scratch[i]; }
    partials[params.offset + group] = sum;
  }
}`;
}

/**
 * One workgroup: the step's statistics `[loss, gradNorm, gradScale, finite]` (see STEP_STATS in
 * ops.ts) from the partial sums of squares and the summed loss; bindings partials, lossSum, stats, params.
 */
export function statsShader(): string {
  return `
${WGSL_IS_FINITE}
struct Params { count: u32, accumulation: f32, clipNorm: f32 }
@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read> lossSum: array<f32>;
@group(0) @binding(2) var<storage, read_write> stats: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
var<workgroup> scratch: array<f32, ${THREADS}>;

@compute @workgroup_size(${THREADS})
fn main(@builtin(local_invocation_index) lid: u32) {
  var total = 0.0;
  for (var i = lid; i < params.count; i += ${THREADS}u) { total += partials[i]; }
  scratch[lid] = total;
  workgroupBarrier();
  if (lid != 0u) { return; }
  var squares = 0.0;
  for (var i = 0u; i < ${THREADS}u; i++) { squares += scratch[i]; }
  let loss = lossSum[0] / params.accumulation;
  let norm = sqrt(squares) / params.accumulation;
  var clip = 1.0;
  if (params.clipNorm > 0.0) { clip = min(1.0, params.clipNorm / (norm + 1e-6)); }
  stats[0] = loss;
  stats[1] = norm;
  stats[2] = clip / params.accumulation;
  stats[3] = select(0.0, 1.0, isFiniteF32(loss) && isFiniteF32(norm));
}`;
}

/**
 * AdamW of one parameter in place, one element per thread; nothing is written when `stats[3]` is 0.
 * Bindings stats, p, g, m, v, params.
 */
export function adamwShader(): string {
  return `
${WGSL_GROUP_INDEX}
struct Params {
  count: u32, lr: f32, beta1: f32, oneMinusBeta1: f32, beta2: f32, oneMinusBeta2: f32,
  mCorrection: f32, vCorrection: f32, eps: f32, keep: f32,
}
@group(0) @binding(0) var<storage, read> stats: array<f32>;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(${THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = groupIndex(wid, groups) * ${THREADS}u + lid;
  if (i >= params.count || stats[3] == 0.0) { return; }
  let grad = g[i] * stats[2];
  let mi = params.beta1 * m[i] + params.oneMinusBeta1 * grad;
  let vi = params.beta2 * v[i] + params.oneMinusBeta2 * grad * grad;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] * params.keep - params.lr * (mi * params.mCorrection) / (sqrt(vi * params.vCorrection) + params.eps);
}`;
}
