/**
 * WGSL of the fused softmax + cross-entropy over the vocabulary. One workgroup per row strides over
 * the vocabulary (any size), so no [N, V] probability tensor is ever written: the forward keeps only
 * each row's log-sum-exp, and the backward recomputes the softmax from the logits and it. Rows of
 * weight 0 (the loss mask) are skipped: they read nothing and get a zero gradient.
 */
import { WGSL_GROUP_INDEX, wgslWorkgroupReduce } from '../webgpu/grid.js';

/**
 * Threads per workgroup (per row) unless a shader is asked for another count. Software adapters
 * favour few threads with more work each; measured on llvmpipe, forward + backward of 1024 x 2048
 * with 16 / 32 / 64 / 128 / 256 threads: 432 / 458 / 571 / 625 / 689 ms (one interleaved run, load
 * average 22 on 2 cores). 32 keeps a full warp for GPUs.
 */
export const CE_THREADS = 32;

const BINDINGS = `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<i32>;
@group(0) @binding(2) var<storage, read> weights: array<f32>;`;

const workgroupMain = (threads: number) => `@compute @workgroup_size(${threads})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32)`;

/** Per row: `lse = max + log(sum(exp(logit - max)))`; bindings logits, weights, lse, params. */
export function logSumExpShader(threads = CE_THREADS): string {
  return `
${WGSL_GROUP_INDEX}
struct Params { rows: u32, vocab: u32 }
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> weights: array<f32>;
@group(0) @binding(2) var<storage, read_write> lse: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
${wgslWorkgroupReduce('rowMax', 'f32', threads, 'max(a, b)')}
${wgslWorkgroupReduce('rowSum', 'f32', threads, 'a + b')}

${workgroupMain(threads)} {
  let row = groupIndex(wid, groups);
  if (row >= params.rows) { return; }
  if (weights[row] == 0.0) {
    if (lid == 0u) { lse[row] = 0.0; }
    return;
  }
  let base = row * params.vocab;
  var best = -3.0e38;
  for (var j = lid; j < params.vocab; j += ${threads}u) { best = max(best, logits[base + j]); }
  let top = rowMax(best, lid);
  var total = 0.0;
  for (var j = lid; j < params.vocab; j += ${threads}u) { total += exp(logits[base + j] - top); }
  let sum = rowSum(total, lid);
  if (lid == 0u) { lse[row] = top + log(sum); }
}`;
}

/**
 * One workgroup: `loss = sum(w * (lse - logit[target])) / max(sum(w), 1e-9)`, and the factor
 * `1 / max(sum(w), 1e-9)` the backward needs; bindings logits, targets, weights, lse, loss, inverse, params.
 */
export function lossShader(threads = CE_THREADS): string {
  return `
struct Params { rows: u32, vocab: u32 }
${BINDINGS}
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> inverse: array<f32>;
@group(0) @binding(6) var<uniform> params: Params;
${wgslWorkgroupReduce('totals', 'vec2<f32>', threads, 'a + b')}

${workgroupMain(threads)} {
  var acc = vec2<f32>(0.0, 0.0);
  for (var r = lid; r < params.rows; r += ${threads}u) {
    let w = weights[r];
    if (w != 0.0) {
      let goal = u32(clamp(targets[r], 0, i32(params.vocab) - 1));
      acc += vec2<f32>(w * (lse[r] - logits[r * params.vocab + goal]), w);
    }
  }
  let total = totals(acc, lid);
  if (lid == 0u) {
    let scale = 1.0 / max(total.y, 1e-9);
    loss[0] = total.x * scale;
    inverse[0] = scale;
  }
}`;
}

/**
 * Per row: `dlogits = dy * w * inverse * (softmax(logits) - onehot(target))`; bindings logits,
 * targets, weights, lse, inverse, dy, dlogits, params.
 */
export function gradientShader(threads = CE_THREADS): string {
  return `
${WGSL_GROUP_INDEX}
struct Params { rows: u32, vocab: u32 }
${BINDINGS}
@group(0) @binding(3) var<storage, read> lse: array<f32>;
@group(0) @binding(4) var<storage, read> inverse: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

${workgroupMain(threads)} {
  let row = groupIndex(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.vocab;
  let w = weights[row];
  if (w == 0.0) {
    for (var j = lid; j < params.vocab; j += ${threads}u) { dlogits[base + j] = 0.0; }
    return;
  }
  let scale = dy[0] * w * inverse[0];
  let rowLse = lse[row];
  let goal = u32(targets[row]);
  for (var j = lid; j < params.vocab; j += ${threads}u) {
    let p = exp(logits[base + j] - rowLse);
    dlogits[base + j] = scale * (p - select(0.0, 1.0, j == goal));
  }
}`;
}
