/** Plain CPU RoPE (the reference, and the fallback on the tfjs CPU backend). */

/**
 * Rotates rows of x `[rows, size]` (row r at position `r % length`) by the `[length, size]` tables;
 * `inverse` applies the transposed rotation, which is the gradient.
 */
export function ropeCpu(x: Float32Array, cos: Float32Array, sin: Float32Array, length: number, size: number, inverse: boolean): Float32Array {
  const half = size / 2;
  const out = new Float32Array(x.length);
  for (let base = 0, row = 0; base < x.length; base += size, row++) {
    const t = (row % length) * size;
    for (let i = 0; i < half; i++) {
      const a = x[base + i];
      const b = x[base + i + half];
      const loSin = inverse ? -sin[t + i + half] : sin[t + i];
      const hiSin = inverse ? -sin[t + i] : sin[t + i + half];
      out[base + i] = a * cos[t + i] - b * loSin;
      out[base + i + half] = b * cos[t + i + half] + a * hiSin;
    }
  }
  return out;
}
