/** Plain CPU optimizer step (the reference, and the fallback on the tfjs CPU backend). */
import type { AdamWHyper, StepStatsOptions } from '../ops.js';

/** `[loss, gradNorm, gradScale, finite]` (STEP_STATS in ops.ts) of summed gradients. */
export function stepStatsCpu(lossSum: number, grads: Float32Array[], { accumulation, clipNorm }: StepStatsOptions): Float32Array {
  let squares = 0;
  for (const grad of grads) for (const g of grad) squares += g * g;
  const loss = lossSum / accumulation;
  const norm = Math.sqrt(squares) / accumulation;
  const clip = clipNorm > 0 ? Math.min(1, clipNorm / (norm + 1e-6)) : 1;
  return Float32Array.of(loss, norm, clip / accumulation, Number.isFinite(loss) && Number.isFinite(norm) ? 1 : 0);
}

/** AdamW in place on `param`, `m`, `v` with the gradient times `scale`. */
export function adamwCpu(
  param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, scale: number, weightDecay: number, hyper: AdamWHyper,
): void {
  const { lr, beta1, beta2, eps, step } = hyper;
  const [mCorrection, vCorrection] = [1 / (1 - beta1 ** step), 1 / (1 - beta2 ** step)];
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] * scale;
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    param[i] = param[i] * (1 - lr * weightDecay) - (lr * m[i] * mCorrection) / (Math.sqrt(v[i] * vCorrection) + eps);
  }
}
