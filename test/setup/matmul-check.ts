/** The matmul sanity check both runtime tests (Node and Chromium) run on the active tfjs backend. */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { compare, float32DotTolerance, matMulFloat64, randomFloat32 } from './reference.js';

/** A 37x61 @ 61x29 product (awkward sizes) against float64 maths on the same float32 inputs. */
export async function expectAwkwardMatMulMatchesFloat64(): Promise<void> {
  const [m, k, n] = [37, 61, 29];
  const a = randomFloat32(m * k, 1);
  const b = randomFloat32(k * n, 2);
  const product = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])));
  try {
    expect(product.shape).toEqual([m, n]);
    const diff = compare(await product.data(), matMulFloat64(a, b, m, k, n));
    expect(diff.nonFinite).toBe(0);
    // float32 accumulation over k = 61 terms: 2.3e-4 allowed (measured about 2e-6); a dropped or
    // doubled term would be off by about 0.1.
    expect(diff.maxAbs).toBeLessThanOrEqual(float32DotTolerance(k));
  } finally {
    product.dispose();
  }
}
