/**
 * Plain-JavaScript references for tests, usable in Node and in the browser (no Node imports).
 * Kernels are checked against float64 maths on the float32-rounded inputs.
 */
import { Rng } from '../../src/util/rng.js';

/** `length` float32 values uniform in [-1, 1), from `seed`. */
export function randomFloat32(length: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) out[i] = rng.next() * 2 - 1;
  return out;
}

/** Row-major `[m, k] x [k, n]` product in float64. */
export function matMulFloat64(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
): Float64Array {
  if (a.length !== m * k) throw new Error(`matMulFloat64: a has ${a.length} values, expected ${m}x${k}`);
  if (b.length !== k * n) throw new Error(`matMulFloat64: b has ${b.length} values, expected ${k}x${n}`);
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a[i * k + p];
      for (let j = 0; j < n; j++) out[i * n + j] += aip * b[p * n + j];
    }
  }
  return out;
}

/** How far `actual` is from `expected`: the largest absolute and relative errors, and where. */
export interface Difference {
  maxAbs: number;
  maxRel: number;
  index: number;
  nonFinite: number;
}

export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>): Difference {
  if (actual.length !== expected.length) {
    throw new Error(`compare: ${actual.length} values against ${expected.length} expected`);
  }
  let maxAbs = 0;
  let maxRel = 0;
  let index = -1;
  let nonFinite = 0;
  for (let i = 0; i < actual.length; i++) {
    if (!Number.isFinite(actual[i])) {
      nonFinite++;
      continue;
    }
    const abs = Math.abs(actual[i] - expected[i]);
    if (abs > maxAbs) {
      maxAbs = abs;
      index = i;
    }
    maxRel = Math.max(maxRel, abs / Math.max(Math.abs(expected[i]), 1e-6));
  }
  return { maxAbs, maxRel, index, nonFinite };
}

/**
 * Tolerance for a float32 dot product of length `k` with inputs in [-1, 1]: each of the k
 * multiply-adds may round by half an ulp of a partial sum that stays below about sqrt(k), so
 * the error is bounded by roughly k * sqrt(k) * 2^-24; we allow 8x that plus a floor.
 */
export function float32DotTolerance(k: number): number {
  return Math.max(1e-5, 8 * k * Math.sqrt(k) * 2 ** -24);
}
