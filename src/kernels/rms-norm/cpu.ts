/** Plain CPU RMSNorm (the reference, and the fallback on the tfjs CPU backend). */

/** `y = x / sqrt(mean(x^2) + eps) * w` over rows of `width`. */
export function rmsNormForwardCpu(x: Float32Array, w: Float32Array, width: number, eps: number): Float32Array {
  const y = new Float32Array(x.length);
  for (let base = 0; base < x.length; base += width) {
    const scale = rowScale(x, base, width, eps);
    for (let c = 0; c < width; c++) y[base + c] = x[base + c] * scale * w[c];
  }
  return y;
}

/**
 * Gradients of `sum(dy * y)`: with `s = rsqrt(mean(x^2) + eps)`,
 * `dx = s * dy * w - x * s^3 * sum(dy * w * x) / width` and `dw = sum_rows(dy * x * s)`.
 */
export function rmsNormBackwardCpu(
  x: Float32Array, w: Float32Array, dy: Float32Array, width: number, eps: number,
): { dx: Float32Array; dw: Float32Array } {
  const dx = new Float32Array(x.length);
  const dw = new Float64Array(width);
  for (let base = 0; base < x.length; base += width) {
    const scale = rowScale(x, base, width, eps);
    let dot = 0;
    for (let c = 0; c < width; c++) dot += dy[base + c] * w[c] * x[base + c];
    const coupling = (scale ** 3 * dot) / width;
    for (let c = 0; c < width; c++) {
      dx[base + c] = scale * dy[base + c] * w[c] - x[base + c] * coupling;
      dw[c] += dy[base + c] * x[base + c] * scale;
    }
  }
  return { dx, dw: Float32Array.from(dw) };
}

function rowScale(x: Float32Array, base: number, width: number, eps: number): number {
  let squares = 0;
  for (let c = 0; c < width; c++) squares += x[base + c] ** 2;
  return 1 / Math.sqrt(squares / width + eps);
}
