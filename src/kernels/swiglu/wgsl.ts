/**
 * WGSL of SwiGLU, elementwise: `silu(gate) * up` forward; both input gradients in one backward pass.
 * Tensors whose size is a multiple of 4 are read and written as vec4.
 */
import { WGSL_GROUP_INDEX } from '../webgpu/grid.js';

/** Threads per workgroup. */
export const SWIGLU_THREADS = 256;

function header(vector: boolean): string {
  return `
alias V = ${vector ? 'vec4<f32>' : 'f32'};
${WGSL_GROUP_INDEX}
struct Params { count: u32 }
fn sigmoid(g: V) -> V { return 1.0 / (1.0 + exp(-g)); }`;
}

const MAIN = `@compute @workgroup_size(${SWIGLU_THREADS})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = groupIndex(wid, groups) * ${SWIGLU_THREADS}u + lid;
  if (i >= params.count) { return; }`;

/** Bindings gate, up, out, params; `count` in elements of V. */
export function forwardShader(vector: boolean): string {
  return `${header(vector)}
@group(0) @binding(0) var<storage, read> gate: array<V>;
@group(0) @binding(1) var<storage, read> up: array<V>;
@group(0) @binding(2) var<storage, read_write> out: array<V>;
@group(0) @binding(3) var<uniform> params: Params;
${MAIN}
  let g = gate[i];
  out[i] = g * sigmoid(g) * up[i];
}`;
}

/** Bindings gate, up, dy, dgate, dup, params: `dup = dy silu(g)`, `dgate = dy up s (1 + g (1 - s))`. */
export function backwardShader(vector: boolean): string {
  return `${header(vector)}
@group(0) @binding(0) var<storage, read> gate: array<V>;
@group(0) @binding(1) var<storage, read> up: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read_write> dgate: array<V>;
@group(0) @binding(4) var<storage, read_write> dup: array<V>;
@group(0) @binding(5) var<uniform> params: Params;
${MAIN}
  let g = gate[i];
  let s = sigmoid(g);
  let d = dy[i];
  dup[i] = d * g * s;
  dgate[i] = d * up[i] * s * (1.0 + g * (1.0 - s));
}`;
}
