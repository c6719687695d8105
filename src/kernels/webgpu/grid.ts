import { BackendError } from '../../util/errors.js';
import { deviceLimits } from './dispatch.js';

/**
 * Workgroup counts `[x, y]` that cover `groups` workgroups within the device's per-dimension limit
 * (a second dimension only when one is not enough). Shaders recover the flat index with
 * {@link WGSL_GROUP_INDEX} and must skip indices at or past `groups`.
 */
export function workgroupGrid(groups: number): [number, number] {
  const max = deviceLimits().maxComputeWorkgroupsPerDimension;
  if (groups <= max) return [groups, 1];
  const rows = Math.ceil(groups / max);
  if (rows > max) throw new BackendError(`${groups} workgroups exceed the device's ${max} x ${max} grid`);
  return [Math.ceil(groups / rows), rows];
}

/** WGSL: the flat workgroup index of a {@link workgroupGrid} dispatch. */
export const WGSL_GROUP_INDEX = /* wgsl */ `
fn groupIndex(id: vec3<u32>, count: vec3<u32>) -> u32 { return id.x + id.y * count.x; }`;

/**
 * WGSL: true unless `x` is NaN or infinite, from its bits (compilers may assume that float
 * comparisons never see NaN, so `x != x` is not a reliable test).
 */
export const WGSL_IS_FINITE = /* wgsl */ `
fn isFiniteF32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7f800000u) != 0x7f800000u; }`;

/**
 * WGSL: `fn {name}(value: {type}, lid: u32) -> {type}`, the workgroup-wide combination of every
 * invocation's `value` by `combine` (e.g. `a + b`), returned to all of them. Invocation 0 folds the
 * values serially between two barriers: on software adapters (llvmpipe, SwiftShader) that beats a
 * tree of log2(threads) barriers, and it costs `threads` additions, not `threads` squared.
 * Call it from uniform control flow only.
 */
export function wgslWorkgroupReduce(name: string, type: string, threads: number, combine: string): string {
  return `
var<workgroup> ${name}Values: array<${type}, ${threads}>;
var<workgroup> ${name}Result: ${type};
fn ${name}(value: ${type}, lid: u32) -> ${type} {
  ${name}Values[lid] = value;
  workgroupBarrier();
  if (lid == 0u) {
    var a = ${name}Values[0];
    for (var i = 1u; i < ${threads}u; i++) {
      let b = ${name}Values[i];
      a = ${combine};
    }
    ${name}Result = a;
  }
  return workgroupUniformLoad(&${name}Result);
}`;
}
