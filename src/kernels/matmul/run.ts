/** Runs one matmul variant on the WebGPU backend: packing (texture variants), chunked dispatches. */
import * as tf from '../../runtime/tfjs.js';
import { allocate, deviceLimits, dispatch, type UniformValue } from '../webgpu/dispatch.js';
import { planChunks, rowRange, textureLayout, type MatmulChunk, type MatmulLimits, type MatmulProblem } from './plan.js';
import { packOperand } from './textures.js';
import { textureShader, tiledShader, type MatmulVariant } from './wgsl.js';

/** The limits of the active WebGPU device. */
export function currentLimits(): MatmulLimits {
  const limits = deviceLimits();
  return {
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    minStorageBufferOffsetAlignment: limits.minStorageBufferOffsetAlignment,
    maxTextureDimension2D: limits.maxTextureDimension2D,
  };
}

/** Whether `variant` can run `problem` within `limits` (texture sizes, workgroup size and memory). */
export function supports(variant: MatmulVariant, problem: MatmulProblem, limits: MatmulLimits): boolean {
  const device = deviceLimits();
  if (variant.wx * variant.wy > device.maxComputeInvocationsPerWorkgroup) return false;
  if (variant.kind === 'tiled') {
    return (variant.rm * variant.wy + variant.rn * variant.wx) * variant.tk * 4 <= device.maxComputeWorkgroupStorageSize;
  }
  const [aRows, aCols] = problem.transposeA ? [problem.k, problem.m] : [problem.m, problem.k];
  const [bRows, bCols] = problem.transposeB ? [problem.n, problem.k] : [problem.k, problem.n];
  return textureLayout(aRows, aCols, limits) !== undefined && textureLayout(bRows, bCols, limits) !== undefined;
}

const tileOf = (v: MatmulVariant) => ({ rows: v.rm * v.wy, cols: v.rn * v.wx });

/** `C = op(A) @ op(B)` with one variant; returns a new `[m, n]` tensor. `supports` must hold. */
export function runVariant(variant: MatmulVariant, problem: MatmulProblem, a: tf.TensorInfo, b: tf.TensorInfo, limits: MatmulLimits): tf.TensorInfo {
  const out = allocate([problem.m, problem.n]);
  if (variant.kind === 'texture') runTexture(variant, problem, a, b, out, limits);
  else runTiled(variant, problem, a, b, out, limits);
  return out;
}

/** The uniform struct of `PARAMS_WGSL`. */
function params(p: MatmulProblem, c: MatmulChunk, starts: { c: number; a: number; b: number }, accumulate: boolean, texels: { a: number; b: number }): UniformValue[] {
  return [
    p.m, p.n, p.k, c.rows.start, c.rows.end, c.cols.start, c.cols.end, c.depth.start, c.depth.end,
    starts.c, starts.a, starts.b, accumulate ? 1 : 0, texels.a, texels.b,
  ].map((u32) => ({ u32 }));
}

function groups(v: MatmulVariant, c: MatmulChunk): [number, number] {
  const tile = tileOf(v);
  return [Math.ceil((c.cols.end - c.cols.start) / tile.cols), Math.ceil((c.rows.end - c.rows.start) / tile.rows)];
}

function runTexture(v: MatmulVariant, p: MatmulProblem, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, limits: MatmulLimits): void {
  const aLayout = p.transposeA ? textureLayout(p.k, p.m, limits)! : textureLayout(p.m, p.k, limits)!;
  const bLayout = p.transposeB ? textureLayout(p.n, p.k, limits)! : textureLayout(p.k, p.n, limits)!;
  const aView = packOperand(a, aLayout, 'a', p.transposeA, limits);
  const bView = packOperand(b, bLayout, 'b', !p.transposeB, limits);
  const code = textureShader(v, p, aLayout.foldShift);
  const key = `matmul-${v.name}-${p.transposeA ? 't' : 'n'}${p.transposeB ? 't' : 'n'}-${aLayout.foldShift}`;
  for (const chunk of planChunks(p, tileOf(v), { a: false, b: false }, limits)) {
    const range = rowRange(chunk.rows.start, chunk.rows.end, p.n, limits);
    dispatch({
      key, code, tensors: [out], ranges: [{ offset: range.offset, size: range.size }], textures: [aView, bView],
      uniforms: params(p, chunk, { c: range.startElement, a: 0, b: 0 }, false, { a: aLayout.texels, b: bLayout.texels }),
      workgroups: groups(v, chunk),
    });
  }
}

function runTiled(v: MatmulVariant, p: MatmulProblem, a: tf.TensorInfo, b: tf.TensorInfo, out: tf.TensorInfo, limits: MatmulLimits): void {
  const code = tiledShader(v, p);
  const key = `matmul-${v.name}-${p.transposeA ? 't' : 'n'}${p.transposeB ? 't' : 'n'}`;
  for (const chunk of planChunks(p, tileOf(v), { a: true, b: true }, limits)) {
    const cRange = rowRange(chunk.rows.start, chunk.rows.end, p.n, limits);
    // A: rows of [m, k], or k-rows of [k, m]; B: rows of [n, k], or k-rows of [k, n].
    const aRange = p.transposeA ? rowRange(chunk.depth.start, chunk.depth.end, p.m, limits) : rowRange(chunk.rows.start, chunk.rows.end, p.k, limits);
    const bRange = p.transposeB ? rowRange(chunk.cols.start, chunk.cols.end, p.k, limits) : rowRange(chunk.depth.start, chunk.depth.end, p.n, limits);
    dispatch({
      key, code, tensors: [a, b, out],
      ranges: [aRange, bRange, cRange].map(({ offset, size }) => ({ offset, size })),
      uniforms: params(p, chunk, { c: cRange.startElement, a: aRange.startElement, b: bRange.startElement }, chunk.depth.start > 0, { a: 0, b: 0 }),
      workgroups: groups(v, chunk),
    });
  }
}
