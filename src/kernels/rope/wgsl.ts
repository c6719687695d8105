/**
 * WGSL of RoPE ("rotate half" layout) in one pass: each thread owns one rotation pair (columns i and
 * i + half of a row) and writes both. The inverse (the gradient) rotates by the transposed matrix.
 */
import { WGSL_GROUP_INDEX } from '../webgpu/grid.js';

/** Threads per workgroup. */
export const ROPE_THREADS = 256;

/**
 * Bindings x, cos, sin, out, params; `inverse` applies the transpose (the backward pass). Specialised
 * on half the head size, so the index arithmetic divides by a constant.
 */
export function ropeShader(inverse: boolean, half: number): string {
  // Forward: lo' = lo*cos_lo - hi*sin_lo, hi' = hi*cos_hi + lo*sin_hi. The transpose swaps which sine
  // multiplies which partner and flips the signs.
  const [loSin, hiSin] = inverse ? ['-sinTable[t + half]', '-sinTable[t]'] : ['sinTable[t]', 'sinTable[t + half]'];
  return `
${WGSL_GROUP_INDEX}
const half: u32 = ${half}u;
struct Params { pairs: u32, length: u32 }
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> cosTable: array<f32>;
@group(0) @binding(2) var<storage, read> sinTable: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(${ROPE_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let pair = groupIndex(wid, groups) * ${ROPE_THREADS}u + lid;
  if (pair >= params.pairs) { return; }
  let row = pair / half;
  let i = pair - row * half;
  let lo = row * 2u * half + i;
  let t = (row % params.length) * 2u * half + i;
  let a = x[lo];
  let b = x[lo + half];
  out[lo] = a * cosTable[t] - b * ${loSin};
  out[lo + half] = b * cosTable[t + half] + a * ${hiSin};
}`;
}
