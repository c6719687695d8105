/**
 * Float64 references of the `Ops` seam (src/kernels/ops.ts), written from the definitions with plain
 * loops and nothing shared with the library. Arrays are row-major; shapes are passed explicitly.
 * Gradients are not written here: the kernel harness differentiates these numerically, so the
 * reference for a backward pass never repeats the derivation it checks.
 */

/** `x [rows, inF] @ w[outF, inF]^T -> [rows, outF]`. */
export function linear64(x: Float64Array, w: Float64Array, rows: number, inF: number, outF: number): Float64Array {
  const out = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let sum = 0;
      for (let i = 0; i < inF; i++) sum += x[r * inF + i] * w[o * inF + i];
      out[r * outF + o] = sum;
    }
  }
  return out;
}

/**
 * `op(a) @ op(b) -> [m, n]` over `k`: a stored `[m, k]` (or `[k, m]` when `transposeA`), b stored
 * `[k, n]` (or `[n, k]` when `transposeB`).
 */
export function matmul64(
  a: Float64Array, b: Float64Array, p: { m: number; n: number; k: number; transposeA: boolean; transposeB: boolean },
): Float64Array {
  const out = new Float64Array(p.m * p.n);
  for (let i = 0; i < p.m; i++) {
    for (let j = 0; j < p.n; j++) {
      let sum = 0;
      for (let k = 0; k < p.k; k++) sum += (p.transposeA ? a[k * p.m + i] : a[i * p.k + k]) * (p.transposeB ? b[j * p.k + k] : b[k * p.n + j]);
      out[i * p.n + j] = sum;
    }
  }
  return out;
}

/** RMSNorm over rows of width `d`: `x / sqrt(mean(x^2) + eps) * w`. */
export function rmsNorm64(x: Float64Array, w: Float64Array, rows: number, d: number, eps: number): Float64Array {
  const out = new Float64Array(rows * d);
  for (let r = 0; r < rows; r++) {
    let meanSquare = 0;
    for (let i = 0; i < d; i++) meanSquare += x[r * d + i] ** 2;
    const scale = 1 / Math.sqrt(meanSquare / d + eps);
    for (let i = 0; i < d; i++) out[r * d + i] = x[r * d + i] * scale * w[i];
  }
  return out;
}

/** Rotary embedding, "rotate half" layout, of x `[B, H, T, hd]` with cos/sin `[T, hd]`. */
export function rope64(x: Float64Array, cos: Float64Array, sin: Float64Array, shape: [number, number, number, number]): Float64Array {
  const [batch, heads, length, size] = shape;
  const half = size / 2;
  const out = new Float64Array(x.length);
  for (let bh = 0; bh < batch * heads; bh++) {
    for (let t = 0; t < length; t++) {
      const row = (bh * length + t) * size;
      for (let i = 0; i < size; i++) {
        const rotated = i < half ? -x[row + i + half] : x[row + i - half];
        out[row + i] = x[row + i] * cos[t * size + i] + rotated * sin[t * size + i];
      }
    }
  }
  return out;
}

/**
 * Causal attention: q `[B, H, Tq, hd]`, k and v `[B, Hkv, Tk, hd]`; query i sits at position
 * `Tk - Tq + i` and sees keys up to it; head h reads kv head `floor(h / (H / Hkv))`.
 */
export function attention64(
  q: Float64Array, k: Float64Array, v: Float64Array,
  shape: { batch: number; heads: number; kvHeads: number; queryLength: number; keyLength: number; size: number },
): Float64Array {
  const { batch, heads, kvHeads, queryLength, keyLength, size } = shape;
  const group = heads / kvHeads;
  const out = new Float64Array(batch * heads * queryLength * size);
  const scores = new Float64Array(keyLength);
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvBase = (b * kvHeads + Math.floor(h / group)) * keyLength * size;
      for (let i = 0; i < queryLength; i++) {
        const qBase = ((b * heads + h) * queryLength + i) * size;
        const last = keyLength - queryLength + i;
        let max = -Infinity;
        for (let j = 0; j <= last; j++) {
          let dot = 0;
          for (let c = 0; c < size; c++) dot += q[qBase + c] * k[kvBase + j * size + c];
          scores[j] = dot / Math.sqrt(size);
          max = Math.max(max, scores[j]);
        }
        let total = 0;
        for (let j = 0; j <= last; j++) total += (scores[j] = Math.exp(scores[j] - max));
        for (let c = 0; c < size; c++) {
          let sum = 0;
          for (let j = 0; j <= last; j++) sum += scores[j] * v[kvBase + j * size + c];
          out[qBase + c] = sum / total;
        }
      }
    }
  }
  return out;
}

/** `silu(gate) * up`, elementwise. */
export function swiglu64(gate: Float64Array, up: Float64Array): Float64Array {
  return gate.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]);
}

/** Weighted mean cross-entropy of logits `[N, V]` against integer targets, weights `[N]`. */
export function crossEntropy64(logits: Float64Array, targets: ArrayLike<number>, weights: ArrayLike<number>, vocab: number): number {
  let total = 0;
  let weightSum = 0;
  for (let n = 0; n < targets.length; n++) {
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[n * vocab + j]);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[n * vocab + j] - max);
    const logProb = logits[n * vocab + targets[n]] - max - Math.log(sum);
    total += -logProb * weights[n];
    weightSum += weights[n];
  }
  return total / Math.max(weightSum, 1e-9);
}

/** Rows of `table [V, D]` for `ids`. */
export function embed64(table: Float64Array, ids: ArrayLike<number>, width: number): Float64Array {
  const out = new Float64Array(ids.length * width);
  for (let n = 0; n < ids.length; n++) {
    for (let c = 0; c < width; c++) out[n * width + c] = table[ids[n] * width + c];
  }
  return out;
}

/** One AdamW update (decoupled decay, bias correction), returning the new param and moments. */
export function adamw64(
  param: Float64Array, grad: Float64Array, m: Float64Array, v: Float64Array,
  hyper: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number; gradScale: number },
): { param: Float64Array; m: Float64Array; v: Float64Array } {
  const next = { param: new Float64Array(param.length), m: new Float64Array(m.length), v: new Float64Array(v.length) };
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * hyper.gradScale;
    next.m[i] = hyper.beta1 * m[i] + (1 - hyper.beta1) * g;
    next.v[i] = hyper.beta2 * v[i] + (1 - hyper.beta2) * g * g;
    const mHat = next.m[i] / (1 - hyper.beta1 ** hyper.step);
    const vHat = next.v[i] / (1 - hyper.beta2 ** hyper.step);
    next.param[i] = param[i] * (1 - hyper.lr * hyper.weightDecay) - hyper.lr * (mHat / (Math.sqrt(vHat) + hyper.eps));
  }
  return next;
}
