/**
 * Cases for the fused attention kernels, shared by the Node (Dawn) and Chromium tests:
 *
 * - small shapes through the kernel harness (float64 maths of test/reference/ops64.ts, gradients by
 *   central differences, poisoned outputs);
 * - long contexts against the plain-loop float64 reference of src/kernels/attention/reference.ts
 *   (numerical gradients would take minutes there), itself checked against central differences of
 *   ops64's attention on small shapes (`referenceGradientErrors`).
 *
 * Sizes are awkward on purpose: head size 13 (not a multiple of 4: the scalar load path, 3 lanes of
 * padding) next to 24 and 32 (vec4 rows); lengths around the kernels' row blocks (4 rows x 16 invocations = 64 for head
 * 32); grouped-query heads 1, 2 and 4 per key/value head; fewer queries than keys (the KV cache).
 *
 * Each head size is three programs (forward, dq, dk/dv) that llvmpipe compiles in tens of seconds
 * (minutes under load) when Mesa's disk cache is cold, as on a fresh CI machine: the long contexts
 * reuse the harness's head sizes, and one small case covers a wide head ({@link WIDE_SHAPE}).
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import type { AttentionOp } from '../../src/kernels/attention/index.js';
import { attentionBackwardReference, attentionForwardReference } from '../../src/kernels/attention/reference.js';
import type { Rng } from '../../src/util/rng.js';
import { attention64 } from '../reference/ops64.js';
import { poison, relativeError, type KernelCase } from './kernel-harness.js';
import { FLOAT32_TOLERANCE } from './op-cases.js';

/** Sizes of one attention call (as in src/kernels/attention/plan.ts). */
export interface Shape {
  batch: number;
  heads: number;
  kvHeads: number;
  queryLength: number;
  keyLength: number;
  size: number;
}

const label = (s: Shape) => `q [${s.batch},${s.heads},${s.queryLength},${s.size}] kv [${s.batch},${s.kvHeads},${s.keyLength},${s.size}]`;
const qShape = (s: Shape) => [s.batch, s.heads, s.queryLength, s.size];
const kvShape = (s: Shape) => [s.batch, s.kvHeads, s.keyLength, s.size];
const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Small shapes for the harness (forward and backward by central differences). */
export const HARNESS_SHAPES: Shape[] = [
  { batch: 1, heads: 1, kvHeads: 1, queryLength: 1, keyLength: 1, size: 13 },
  { batch: 1, heads: 4, kvHeads: 2, queryLength: 23, keyLength: 23, size: 13 },
  { batch: 1, heads: 4, kvHeads: 1, queryLength: 19, keyLength: 19, size: 24 },
  { batch: 2, heads: 2, kvHeads: 2, queryLength: 7, keyLength: 17, size: 13 },
  { batch: 1, heads: 2, kvHeads: 1, queryLength: 11, keyLength: 11, size: 32 },
];

/** Long contexts against the float64 plain-loop reference; `forwardOnly` for the KV-cache shapes. */
export const LONG_SHAPES: (Shape & { forwardOnly?: boolean })[] = [
  { batch: 2, heads: 4, kvHeads: 4, queryLength: 129, keyLength: 129, size: 32 },
  { batch: 1, heads: 4, kvHeads: 2, queryLength: 257, keyLength: 257, size: 32 },
  { batch: 1, heads: 4, kvHeads: 1, queryLength: 211, keyLength: 211, size: 24 },
  { batch: 1, heads: 2, kvHeads: 2, queryLength: 300, keyLength: 300, size: 13 },
  { batch: 1, heads: 4, kvHeads: 2, queryLength: 1, keyLength: 300, size: 32, forwardOnly: true },
  { batch: 2, heads: 2, kvHeads: 1, queryLength: 50, keyLength: 211, size: 24, forwardOnly: true },
];

/**
 * A wide head (64: 2 rows per invocation), one small case: its three programs compile in 100 s on a
 * cold cache under load (head 128, 1 row, took 156 s: left out, same generator).
 */
export const WIDE_SHAPE: Shape = { batch: 1, heads: 2, kvHeads: 1, queryLength: 37, keyLength: 37, size: 64 };

/** A harness case of `op` at `shape`. */
export function harnessCase(op: AttentionOp, shape: Shape): KernelCase {
  return {
    name: `attention ${label(shape)}`,
    operands: [
      { name: 'q', shape: qShape(shape), scale: 1.5 },
      { name: 'k', shape: kvShape(shape), scale: 1.5 },
      { name: 'v', shape: kvShape(shape) },
    ],
    run: ([q, k, v]) => op(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D),
    reference: ([q, k, v]) => attention64(q, k, v, shape),
    tolerance: FLOAT32_TOLERANCE,
  };
}

/** Errors of one {@link checkAgainstReference} run: forward, and dq, dk, dv unless forward only. */
export type ReferenceErrors = Record<'out' | 'dq' | 'dk' | 'dv', number | undefined>;

/**
 * Runs `op` forward (and backward for a random upstream gradient) on random inputs, on poisoned
 * buffers, and compares with the float64 reference within the float32 tolerances.
 */
export async function checkAgainstReference(op: AttentionOp, shape: Shape, rng: Rng, forwardOnly = false): Promise<ReferenceErrors> {
  const draw = (shape: number[], scale = 1) => Float32Array.from({ length: count(shape) }, () => rng.normal() * scale);
  const values = { q: draw(qShape(shape), 1.5), k: draw(kvShape(shape), 1.5), v: draw(kvShape(shape)) };
  const upstream = draw(qShape(shape));
  const q = tf.tensor4d(values.q, qShape(shape) as [number, number, number, number]);
  const k = tf.tensor4d(values.k, kvShape(shape) as [number, number, number, number]);
  const v = tf.tensor4d(values.v, kvShape(shape) as [number, number, number, number]);
  const dy = tf.tensor4d(upstream, q.shape);
  try {
    await poison([qShape(shape), kvShape(shape)]);
    const out = tf.tidy(() => op(q, k, v));
    const got = await out.data();
    out.dispose();
    const want = attentionForwardReference(values, shape);
    const errors: ReferenceErrors = { out: relativeError(got, want.out, `${label(shape)} forward`), dq: undefined, dk: undefined, dv: undefined };
    expect(errors.out, `${label(shape)}: forward error`).toBeLessThanOrEqual(FLOAT32_TOLERANCE.forward);
    if (forwardOnly) return errors;
    await poison([qShape(shape), kvShape(shape)]);
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => op(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D))([q, k, v], dy);
    const [dq, dk, dv] = await Promise.all(grads.map((g) => g.data()));
    tf.dispose(grads);
    const ref = attentionBackwardReference(values, upstream, shape);
    for (const [name, ours, theirs] of [['dq', dq, ref.dq], ['dk', dk, ref.dk], ['dv', dv, ref.dv]] as const) {
      errors[name] = relativeError(ours, theirs, `${label(shape)} ${name}`);
      expect(errors[name], `${label(shape)}: ${name} error`).toBeLessThanOrEqual(FLOAT32_TOLERANCE.backward);
    }
    return errors;
  } finally {
    tf.dispose([q, k, v, dy]);
  }
}

/**
 * Relative errors of the plain-loop reference (forward, and its analytic dq, dk, dv) against ops64's
 * attention and central differences of it, in float64.
 */
export function referenceGradientErrors(shape: Shape, rng: Rng): ReferenceErrors {
  const draw = (shape: number[]) => Float64Array.from({ length: count(shape) }, () => rng.normal() * 1.5);
  const values = { q: draw(qShape(shape)), k: draw(kvShape(shape)), v: draw(kvShape(shape)) };
  const upstream = draw(qShape(shape));
  const ref = attentionBackwardReference(values, upstream, shape);
  const objective = () => attention64(values.q, values.k, values.v, shape).reduce((total, x, i) => total + x * upstream[i], 0);
  const central = (x: Float64Array) => x.map((saved, j) => {
    const h = 1e-5;
    x[j] = saved + h;
    const plus = objective();
    x[j] = saved - h;
    const minus = objective();
    x[j] = saved;
    return (plus - minus) / (2 * h);
  });
  return {
    out: relativeError(attentionForwardReference(values, shape).out, attention64(values.q, values.k, values.v, shape), 'reference forward'),
    dq: relativeError(ref.dq, central(values.q), 'reference dq'),
    dk: relativeError(ref.dk, central(values.k), 'reference dk'),
    dv: relativeError(ref.dv, central(values.v), 'reference dv'),
  };
}
