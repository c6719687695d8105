/**
 * Kernel-harness cases of our matmul, shared by the Node (Dawn) and Chromium tests: every variant on
 * every operand layout at sizes just around its tile (and an aligned one that takes the plain-copy
 * path), the registered gradient of every layout, and runs under artificially small device limits.
 */
import { currentLimits, matmul, runVariant, supports, type MatmulLimits, type MatmulProblem, type MatmulVariant } from '../../src/kernels/matmul/index.js';
import { toTensor } from '../../src/kernels/webgpu/dispatch.js';
import type { Rng } from '../../src/util/rng.js';
import { matmul64 } from '../reference/ops64.js';
import { awkwardSize, type KernelCase } from './kernel-harness.js';
import { FLOAT32_TOLERANCE } from './op-cases.js';

export const LAYOUTS = [[false, false], [false, true], [true, false], [true, true]] as const;

const label = (p: MatmulProblem) => `${p.transposeA ? 'Aᵀ' : 'A'}${p.transposeB ? 'Bᵀ' : 'B'} ${p.m}x${p.n}x${p.k}`;

function operands(p: MatmulProblem): KernelCase['operands'] {
  return [
    { name: 'a', shape: p.transposeA ? [p.k, p.m] : [p.m, p.k] },
    { name: 'b', shape: p.transposeB ? [p.n, p.k] : [p.k, p.n] },
  ];
}

/** One variant, forward only, with the given limits (a dispatch plan of several chunks when they are small). */
export function variantCase(v: MatmulVariant, p: MatmulProblem, limits?: MatmulLimits): KernelCase {
  return {
    name: `${v.name} ${label(p)}${limits ? ' (small limits)' : ''}`,
    operands: operands(p),
    run: ([a, b]) => {
      const chosen = limits ?? currentLimits();
      if (!supports(v, p, chosen)) throw new Error(`${v.name} does not support ${label(p)}`);
      return toTensor(runVariant(v, p, a, b, chosen));
    },
    reference: ([a, b]) => matmul64(a, b, p),
    tolerance: { forward: FLOAT32_TOLERANCE.forward },
  };
}

/**
 * Problems around a variant's output tile (rows x cols per workgroup): one more row than a tile, one
 * column fewer, a prime k, in the three layouts of training (`x @ Wᵀ`, `dy @ W`, `dyᵀ @ x`). With `all`,
 * also `Aᵀ @ Bᵀ` and an aligned k of 128 in each layout (rows of 512 bytes: the plain buffer-to-texture
 * copy instead of the pack shader).
 */
export function tileEdgeProblems(v: MatmulVariant, rng: Rng, all: boolean): MatmulProblem[] {
  const rows = v.rm * v.wy;
  const cols = v.rn * v.wx;
  const layouts = all ? LAYOUTS : LAYOUTS.slice(0, 3);
  return layouts.flatMap(([transposeA, transposeB]) => [
    { m: rows + 1, n: cols - 1, k: awkwardSize(rng, 37, 71), transposeA, transposeB },
    ...(all ? [{ m: rows - 3, n: 2 * cols, k: 128, transposeA, transposeB }] : []),
  ]);
}

/** The registered gradient of every layout, through `matmul` (whatever variant the autotune picks). */
export function gradientCases(rng: Rng): KernelCase[] {
  return LAYOUTS.map(([transposeA, transposeB]) => {
    const p = { m: awkwardSize(rng, 11, 29), n: awkwardSize(rng, 13, 31), k: awkwardSize(rng, 17, 37), transposeA, transposeB };
    return {
      name: `matmul ${label(p)} forward and backward`,
      operands: operands(p),
      run: ([a, b]) => matmul(a, b, transposeA, transposeB),
      reference: ([a, b]) => matmul64(a, b, p),
      tolerance: FLOAT32_TOLERANCE,
    };
  });
}

/**
 * Limits that force several chunks: 4 KiB bindings (C, A and B split by rows or along k, with
 * accumulation), one workgroup per dimension, 32-texel textures (operands folded into bands).
 */
export function smallLimits(): MatmulLimits {
  return { ...currentLimits(), maxStorageBufferBindingSize: 4096, maxComputeWorkgroupsPerDimension: 1, maxTextureDimension2D: 32 };
}

/**
 * Products every variant supports under {@link smallLimits}: `layouts` of 37x29xk (k = 33 keeps every
 * texture operand within 32 texels once folded; tiled variants take k = 45, which splits k wherever A or B
 * is stored k-major).
 */
export function smallLimitProblems(layouts: readonly (readonly [boolean, boolean])[], k: number): MatmulProblem[] {
  return layouts.map(([transposeA, transposeB]) => ({ m: 37, n: 29, k, transposeA, transposeB }));
}
