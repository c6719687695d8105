/**
 * Plain-loop float64 reference of the fused causal attention, forward and backward: the maths the
 * WGSL programs implement, written for reading and for checking them (tests compare the kernels with
 * it at sizes where numerical differentiation would be too slow). Like the kernels it keeps only one
 * score row at a time (memory O(T)) and recomputes the probabilities in the backward from the
 * log-sum-exp.
 *
 * Layout: q `[B, H, Tq, hd]`, k and v `[B, Hkv, Tk, hd]`, row-major; query i sits at position
 * `Tk - Tq + i` and sees keys `0..Tk - Tq + i`; head h reads key/value head `floor(h / (H / Hkv))`.
 */
import type { AttentionShape } from './plan.js';

/** Float64 values of one attention call. */
export interface AttentionArrays {
  q: ArrayLike<number>;
  k: ArrayLike<number>;
  v: ArrayLike<number>;
}

/** Output `[B, H, Tq, hd]` and log-sum-exp of the scaled scores `[B, H, Tq]`. */
export function attentionForwardReference(x: AttentionArrays, shape: AttentionShape): { out: Float64Array; lse: Float64Array } {
  const { batch, heads, queryLength, size } = shape;
  const out = new Float64Array(batch * heads * queryLength * size);
  const lse = new Float64Array(batch * heads * queryLength);
  forEachRow(shape, (row, qBase, kvBase, last) => {
    const probs = rowProbabilities(x, shape, qBase, kvBase, last);
    lse[row] = probs.lse;
    for (let j = 0; j <= last; j++) {
      for (let c = 0; c < size; c++) out[qBase + c] += probs.p[j] * x.v[kvBase + j * size + c];
    }
  });
  return { out, lse };
}

/** Gradients of `sum(dOut * attention(q, k, v))` with respect to q, k and v. */
export function attentionBackwardReference(
  x: AttentionArrays, dOut: ArrayLike<number>, shape: AttentionShape,
): { dq: Float64Array; dk: Float64Array; dv: Float64Array } {
  const { size } = shape;
  const scale = 1 / Math.sqrt(size);
  const dq = new Float64Array(x.q.length);
  const dk = new Float64Array(x.k.length);
  const dv = new Float64Array(x.v.length);
  const { out } = attentionForwardReference(x, shape);
  forEachRow(shape, (_, qBase, kvBase, last) => {
    const { p } = rowProbabilities(x, shape, qBase, kvBase, last);
    let delta = 0;
    for (let c = 0; c < size; c++) delta += dOut[qBase + c] * out[qBase + c];
    for (let j = 0; j <= last; j++) {
      const kv = kvBase + j * size;
      let dp = 0;
      for (let c = 0; c < size; c++) dp += dOut[qBase + c] * x.v[kv + c];
      const ds = p[j] * (dp - delta) * scale;
      for (let c = 0; c < size; c++) {
        dv[kv + c] += p[j] * dOut[qBase + c];
        dq[qBase + c] += ds * x.k[kv + c];
        dk[kv + c] += ds * x.q[qBase + c];
      }
    }
  });
  return { dq, dk, dv };
}

/** Calls `visit` per query row with its index, the offsets of its q row and kv head, and its last visible key. */
function forEachRow(shape: AttentionShape, visit: (row: number, qBase: number, kvBase: number, last: number) => void): void {
  const { batch, heads, kvHeads, queryLength, keyLength, size } = shape;
  const group = heads / kvHeads;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const kvBase = (b * kvHeads + Math.floor(h / group)) * keyLength * size;
      for (let i = 0; i < queryLength; i++) {
        const row = (b * heads + h) * queryLength + i;
        visit(row, row * size, kvBase, keyLength - queryLength + i);
      }
    }
  }
}

/** Softmax of one row's scaled scores over keys `0..last`, and its log-sum-exp. */
function rowProbabilities(x: AttentionArrays, shape: AttentionShape, qBase: number, kvBase: number, last: number): { p: Float64Array; lse: number } {
  const { size } = shape;
  const scale = 1 / Math.sqrt(size);
  const p = new Float64Array(last + 1);
  let max = -Infinity;
  for (let j = 0; j <= last; j++) {
    let dot = 0;
    for (let c = 0; c < size; c++) dot += x.q[qBase + c] * x.k[kvBase + j * size + c];
    p[j] = dot * scale;
    max = Math.max(max, p[j]);
  }
  let total = 0;
  for (let j = 0; j <= last; j++) total += (p[j] = Math.exp(p[j] - max));
  for (let j = 0; j <= last; j++) p[j] /= total;
  return { p, lse: max + Math.log(total) };
}
