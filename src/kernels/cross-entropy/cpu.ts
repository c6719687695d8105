/** Plain CPU softmax + cross-entropy (the reference, and the fallback on the tfjs CPU backend). */

/** Loss, per-row log-sum-exp and `1 / max(sum(w), 1e-9)`; rows of weight 0 are skipped. */
export function crossEntropyForwardCpu(
  logits: Float32Array, targets: Int32Array, weights: Float32Array, vocab: number,
): { loss: number; lse: Float32Array; inverse: number } {
  const lse = new Float32Array(targets.length);
  let total = 0;
  let weightSum = 0;
  for (let r = 0; r < targets.length; r++) {
    if (weights[r] === 0) continue;
    const base = r * vocab;
    let max = -Infinity;
    for (let j = 0; j < vocab; j++) max = Math.max(max, logits[base + j]);
    let sum = 0;
    for (let j = 0; j < vocab; j++) sum += Math.exp(logits[base + j] - max);
    lse[r] = max + Math.log(sum);
    total += weights[r] * (lse[r] - logits[base + targets[r]]);
    weightSum += weights[r];
  }
  const inverse = 1 / Math.max(weightSum, 1e-9);
  return { loss: total * inverse, lse, inverse };
}

/** `dlogits = dy * w * inverse * (softmax - onehot(target))` from the saved log-sum-exp. */
export function crossEntropyBackwardCpu(
  logits: Float32Array, targets: Int32Array, weights: Float32Array, lse: Float32Array, inverse: number, dy: number, vocab: number,
): Float32Array {
  const dlogits = new Float32Array(logits.length);
  for (let r = 0; r < targets.length; r++) {
    if (weights[r] === 0) continue;
    const base = r * vocab;
    const scale = dy * weights[r] * inverse;
    for (let j = 0; j < vocab; j++) dlogits[base + j] = scale * Math.exp(logits[base + j] - lse[r]);
    dlogits[base + targets[r]] -= scale;
  }
  return dlogits;
}
