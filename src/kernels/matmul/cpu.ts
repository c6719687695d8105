import type { MatmulProblem } from './plan.js';

/**
 * The plain reference: `op(A) @ op(B)` with float64 accumulation, rounded to float32. It runs the
 * matmul kernel on the tfjs CPU backend, and the kernel tests check the WGSL variants against it.
 */
export function matmulCpu(a: ArrayLike<number>, b: ArrayLike<number>, p: MatmulProblem): Float32Array {
  const out = new Float32Array(p.m * p.n);
  const row = new Float64Array(p.n);
  for (let i = 0; i < p.m; i++) {
    row.fill(0);
    for (let k = 0; k < p.k; k++) {
      const x = p.transposeA ? a[k * p.m + i] : a[i * p.k + k];
      if (p.transposeB) for (let j = 0; j < p.n; j++) row[j] += x * b[j * p.k + k];
      else for (let j = 0, base = k * p.n; j < p.n; j++) row[j] += x * b[base + j];
    }
    out.set(row, i * p.n);
  }
  return out;
}
