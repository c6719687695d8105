/**
 * WGSL of the fused RMSNorm. One workgroup owns a row (forward) or a block of rows (backward); its
 * threads stride over the columns, keep their columns in registers, and share each row's sums
 * through one workgroup reduction. Shaders are specialised on the row width.
 */
import { WGSL_GROUP_INDEX, wgslWorkgroupReduce } from '../webgpu/grid.js';

/** Rows per workgroup in the backward pass: the partial weight gradients are `[rows / 8, width]`. */
export const BACKWARD_ROWS_PER_GROUP = 8;

/**
 * Threads per workgroup for rows of `width`: about 16 columns each (16 to 256 threads). Software
 * adapters favour few threads with more work each; measured on llvmpipe, forward + backward of
 * 1024 x 256 with 16 / 32 / 64 / 128 threads: 79 / 119 / 108 / 140 ms, and of 512 x 128: 6.6 / 8.9 /
 * 8.3 / 12.2 ms (one interleaved run, load average 21 on 2 cores).
 */
export function threadsFor(width: number): number {
  let threads = 16;
  while (threads < 256 && threads * 16 < width) threads *= 2;
  return threads;
}

function header(width: number, threads: number): string {
  return `
const D: u32 = ${width}u;
const WG: u32 = ${threads}u;
const PER: u32 = ${Math.ceil(width / threads)}u;
${WGSL_GROUP_INDEX}`;
}

/** Forward: `y = x * rsqrt(mean(x^2) + eps) * w`; bindings x, w, y, params. */
export function forwardShader(width: number, threads = threadsFor(width)): string {
  return `${header(width, threads)}
struct Params { rows: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;
${wgslWorkgroupReduce('rowSum', 'f32', threads, 'a + b')}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let row = groupIndex(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * D;
  var xs: array<f32, PER>;
  var squares = 0.0;
  for (var k = 0u; k < PER; k++) {
    let c = lid + k * WG;
    xs[k] = select(0.0, x[base + min(c, D - 1u)], c < D);
    squares += xs[k] * xs[k];
  }
  let scale = 1.0 / sqrt(rowSum(squares, lid) / f32(D) + params.eps);
  for (var k = 0u; k < PER; k++) {
    let c = lid + k * WG;
    if (c < D) { y[base + c] = xs[k] * scale * w[c]; }
  }
}`;
}

/**
 * Backward over blocks of rows: `dx` per row, and the block's partial sums of
 * `dw = sum_rows(dy * x * rsqrt(...))`; bindings x, w, dy, dx, partials, params.
 */
export function backwardShader(width: number, threads = threadsFor(width)): string {
  return `${header(width, threads)}
const RPG: u32 = ${BACKWARD_ROWS_PER_GROUP}u;
struct Params { rows: u32, blocks: u32, eps: f32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;
${wgslWorkgroupReduce('rowSums', 'vec2<f32>', threads, 'a + b')}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let block = groupIndex(wid, groups);
  if (block >= params.blocks) { return; }
  var ws: array<f32, PER>;
  var dw: array<f32, PER>;
  for (var k = 0u; k < PER; k++) {
    let c = lid + k * WG;
    ws[k] = select(0.0, w[min(c, D - 1u)], c < D);
    dw[k] = 0.0;
  }
  let rows = min(RPG, params.rows - block * RPG);
  for (var r = 0u; r < rows; r++) {
    let base = (block * RPG + r) * D;
    var xs: array<f32, PER>;
    var gs: array<f32, PER>;
    var part = vec2<f32>(0.0, 0.0);
    for (var k = 0u; k < PER; k++) {
      let c = lid + k * WG;
      let i = base + min(c, D - 1u);
      xs[k] = select(0.0, x[i], c < D);
      gs[k] = select(0.0, dy[i], c < D);
      part += vec2<f32>(xs[k] * xs[k], gs[k] * ws[k] * xs[k]);
    }
    let total = rowSums(part, lid);
    let scale = 1.0 / sqrt(total.x / f32(D) + params.eps);
    let coupling = scale * scale * scale * total.y / f32(D);
    for (var k = 0u; k < PER; k++) {
      let c = lid + k * WG;
      if (c < D) { dx[base + c] = scale * gs[k] * ws[k] - xs[k] * coupling; }
      dw[k] += gs[k] * xs[k] * scale;
    }
  }
  for (var k = 0u; k < PER; k++) {
    let c = lid + k * WG;
    if (c < D) { partials[block * D + c] = dw[k]; }
  }
}`;
}

/** Sums the backward pass's partials over blocks: `dw[c] = sum_b partials[b, c]`; bindings partials, dw, params. */
export function reduceShader(width: number): string {
  return `
const D: u32 = ${width}u;
${WGSL_GROUP_INDEX}
struct Params { blocks: u32 }
@group(0) @binding(0) var<storage, read> partials: array<f32>;
@group(0) @binding(1) var<storage, read_write> dw: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let c = groupIndex(wid, groups) * 64u + lid;
  if (c >= D) { return; }
  var total = 0.0;
  for (var b = 0u; b < params.blocks; b++) { total += partials[b * D + c]; }
  dw[c] = total;
}`;
}
