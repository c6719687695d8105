/**
 * Checks of our fused kernels (src/kernels/{rms-norm,rope,swiglu,cross-entropy,adamw}) shared by the
 * Node and Chromium tests: harness cases at shapes around the kernels' tile and workgroup edges, a
 * vocabulary far above the workgroup size, and the optimizer step (statistics, update, skip) against
 * float64 maths. They run on whatever tfjs backend is active.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { STEP_STATS, type Ops } from '../../src/kernels/index.js';
import type { Rng } from '../../src/util/rng.js';
import { adamw64, crossEntropy64, rmsNorm64, rope64, swiglu64 } from '../reference/ops64.js';
import { awkwardSize, relativeError, type KernelCase } from './kernel-harness.js';
import { FLOAT32_TOLERANCE } from './op-cases.js';

/**
 * RMSNorm inputs (threads per row from `threadsFor`): wide rows (128 threads, the last of 9 columns
 * partly filled), exactly 4 columns per thread, 9 columns per thread, a 3-D input, narrow rows in a
 * partial block of 8 rows (backward).
 */
export const RMS_NORM_SHAPES = [[3, 1031], [37, 64], [7, 129], [2, 9, 67], [61, 5]];
/** RoPE inputs `[B, H, T, hd]`: a long context, the smallest head. */
export const ROPE_SHAPES: [number, number, number, number][] = [[1, 2, 211, 8], [2, 3, 7, 2]];
/** SwiGLU: scalar path (size not a multiple of 4), vec4 path, vec4 over two workgroups. */
export const SWIGLU_SHAPES = [[3, 23, 29], [2, 5, 36], [4, 300]];
/**
 * Cross-entropy: a vocabulary far above the workgroup size with a mixed mask, one below it, and a
 * fully masked batch.
 */
export const CROSS_ENTROPY_CASES: { rows: number; vocab: number; weights: number[] }[] = [
  { rows: 7, vocab: 1031, weights: [1, 0, 0.5, 2, 0, 1, 0.25] },
  { rows: 9, vocab: 37, weights: [1, 1, 0, 1, 3, 1, 0, 1, 1] },
  { rows: 5, vocab: 257, weights: [0, 0, 0, 0, 0] },
];

export function rmsNormCase(ops: Ops, shape: number[]): KernelCase {
  const width = shape[shape.length - 1];
  const rows = shape.reduce((a, b) => a * b, 1) / width;
  return {
    name: `rmsNorm [${shape}]`,
    operands: [{ name: 'x', shape }, { name: 'weight', shape: [width] }],
    run: ([x, w]) => ops.rmsNorm(x, w, 1e-5),
    reference: ([x, w]) => rmsNorm64(x, w, rows, width, 1e-5),
    tolerance: FLOAT32_TOLERANCE,
  };
}

export function ropeCase(ops: Ops, shape: [number, number, number, number]): KernelCase {
  const [, , length, size] = shape;
  const half = size / 2;
  const angles = Float64Array.from({ length: length * size }, (_, i) => Math.floor(i / size) * 10000 ** (-(2 * ((i % size) % half)) / size));
  return {
    name: `rope [${shape}]`,
    operands: [
      { name: 'x', shape },
      { name: 'cos', shape: [length, size], values: angles.map(Math.cos) },
      { name: 'sin', shape: [length, size], values: angles.map(Math.sin) },
    ],
    run: ([x, cos, sin]) => ops.rope(x as tf.Tensor4D, cos as tf.Tensor2D, sin as tf.Tensor2D),
    reference: ([x, cos, sin]) => rope64(x, cos, sin, shape),
    tolerance: FLOAT32_TOLERANCE,
  };
}

export function swigluCase(ops: Ops, shape: number[]): KernelCase {
  return {
    name: `swiglu [${shape}]`,
    operands: [{ name: 'gate', shape, scale: 2 }, { name: 'up', shape }],
    run: ([gate, up]) => ops.swiglu(gate, up),
    reference: ([gate, up]) => swiglu64(gate, up),
    tolerance: FLOAT32_TOLERANCE,
  };
}

export function crossEntropyCase(ops: Ops, { rows, vocab, weights }: { rows: number; vocab: number; weights: number[] }): KernelCase {
  return {
    name: `crossEntropy [${rows},${vocab}] weights [${weights}]`,
    operands: [
      { name: 'logits', shape: [rows, vocab], scale: 3 },
      { name: 'targets', shape: [rows], kind: 'int', max: vocab },
      { name: 'weights', shape: [rows], values: weights },
    ],
    run: ([logits, targets, w]) => ops.crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor1D, w as tf.Tensor1D),
    reference: ([logits, targets, w]) => crossEntropy64(logits, targets, w, vocab),
    tolerance: FLOAT32_TOLERANCE,
  };
}

/** Every harness case of the fused ops. */
export function fusedCases(ops: Ops): KernelCase[] {
  return [
    ...RMS_NORM_SHAPES.map((shape) => rmsNormCase(ops, shape)),
    ...ROPE_SHAPES.map((shape) => ropeCase(ops, shape)),
    ...SWIGLU_SHAPES.map((shape) => swigluCase(ops, shape)),
    ...CROSS_ENTROPY_CASES.map((c) => crossEntropyCase(ops, c)),
  ];
}

/**
 * Cross-entropy over a 32,000-token vocabulary (imported models): forward against float64, and the
 * gradient against the float64 softmax-minus-one-hot (central differences over 96,000 logits would
 * take minutes). Returns the two errors.
 */
export async function checkLargeVocabulary(ops: Ops, rng: Rng): Promise<{ forward: number; backward: number }> {
  const [rows, vocab] = [3, 32000];
  const logits = Float32Array.from({ length: rows * vocab }, () => rng.normal() * 3);
  const targets = Int32Array.from({ length: rows }, () => rng.int(vocab));
  const weights = Float32Array.of(1, 0.5, 2);
  const dy = 0.7;
  const inputs = [tf.tensor2d(logits, [rows, vocab]), tf.tensor1d(targets, 'int32'), tf.tensor1d(weights)] as const;
  const run = (x: tf.Tensor) => ops.crossEntropy(x as tf.Tensor2D, inputs[1], inputs[2]);
  try {
    const loss = tf.tidy(() => run(inputs[0]));
    const grad = tf.tidy(() => tf.grad(run)(inputs[0], tf.scalar(dy)));
    const [got, gotGrad] = await Promise.all([loss.data(), grad.data()]);
    tf.dispose([loss, grad]);
    const forward = relativeError(got, [crossEntropy64(Float64Array.from(logits), targets, weights, vocab)], 'large-vocabulary loss');
    const backward = relativeError(gotGrad, crossEntropyGradient64(logits, targets, weights, vocab, dy), 'large-vocabulary gradient');
    expect(forward).toBeLessThanOrEqual(FLOAT32_TOLERANCE.forward);
    expect(backward).toBeLessThanOrEqual(FLOAT32_TOLERANCE.backward);
    return { forward, backward };
  } finally {
    tf.dispose([...inputs]);
  }
}

/** d(dy * loss)/dlogits = dy * w / sum(w) * (softmax - onehot), in float64. */
function crossEntropyGradient64(logits: Float32Array, targets: Int32Array, weights: Float32Array, vocab: number, dy: number): Float64Array {
  const out = new Float64Array(logits.length);
  const total = weights.reduce((a, b) => a + b, 0);
  for (let r = 0; r < targets.length; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
    const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
    const sum = row.reduce((a, b) => a + Math.exp(b - max), 0);
    const scale = (dy * weights[r]) / total;
    for (let j = 0; j < vocab; j++) out[r * vocab + j] = scale * (Math.exp(row[j] - max) / sum - (j === targets[r] ? 1 : 0));
  }
  return out;
}

/** Sizes of the optimizer checks: awkward ones, a single element, several workgroups' worth. */
function tensorSizes(rng: Rng, count: number): number[] {
  return [1, 4099, ...Array.from({ length: count - 2 }, () => awkwardSize(rng, 2, 3000))];
}

/**
 * `stepStats` over 23 gradients (more than one dispatch's worth of bindings) against float64: loss,
 * norm and clipping scale with clipping on and off, and the finite flag for a NaN gradient, an
 * infinite gradient and an infinite loss.
 */
export async function checkStepStats(ops: Ops, rng: Rng): Promise<void> {
  const grads = tensorSizes(rng, 23).map((size) => Float32Array.from({ length: size }, () => rng.normal() * 0.1));
  const squares = grads.reduce((total, g) => total + g.reduce((a, x) => a + x * x, 0), 0);
  const stats = async (lossSum: number, values: Float32Array[], accumulation: number, clipNorm: number) => {
    const tensors = values.map((g) => tf.tensor1d(g));
    const loss = tf.scalar(lossSum);
    const out = ops.stepStats(loss, tensors, { accumulation, clipNorm });
    const data = await out.data();
    tf.dispose([...tensors, loss, out]);
    return data;
  };
  for (const [accumulation, clipNorm] of [[3, 0.5], [1, 0]]) {
    const got = await stats(7.25, grads, accumulation, clipNorm);
    const norm = Math.sqrt(squares) / accumulation;
    const clip = clipNorm > 0 ? Math.min(1, clipNorm / (norm + 1e-6)) : 1;
    expect(clip < 1 || clipNorm === 0, 'the clipping case clips').toBe(true);
    expect(Math.abs(got[STEP_STATS.loss] - 7.25 / accumulation)).toBeLessThan(1e-6);
    expect(Math.abs(got[STEP_STATS.gradNorm] - norm) / norm).toBeLessThan(1e-5);
    expect(Math.abs(got[STEP_STATS.gradScale] - clip / accumulation) / (clip / accumulation)).toBeLessThan(1e-5);
    expect(got[STEP_STATS.finite]).toBe(1);
  }
  const broken = (value: number) => grads.map((g, i) => (i === 17 ? Float32Array.from(g, (x, j) => (j === 3 ? value : x)) : g));
  expect((await stats(1, broken(NaN), 1, 1))[STEP_STATS.finite]).toBe(0);
  expect((await stats(1, broken(Infinity), 1, 1))[STEP_STATS.finite]).toBe(0);
  expect((await stats(Infinity, grads, 1, 1))[STEP_STATS.finite]).toBe(0);
}

/** Parameters, gradients and moments of the optimizer checks, as float32 values. */
function optimizerState(rng: Rng, count: number) {
  return tensorSizes(rng, count).map((size, i) => {
    const draw = (scale: number) => Float32Array.from({ length: size }, () => rng.normal() * scale);
    return { param: draw(1), grad: draw(0.5), m: draw(0.1), v: Float32Array.from(draw(0.1), Math.abs), weightDecay: i % 2 === 0 ? 0.1 : 0 };
  });
}

/**
 * `adamwStep` over 11 parameters (several dispatches) against float64 AdamW; then with a non-finite
 * step's statistics, which must leave every parameter and moment bit for bit as it was.
 */
export async function checkAdamWStep(ops: Ops, rng: Rng): Promise<void> {
  const state = optimizerState(rng, 11);
  const hyper = { lr: 3e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 5 };
  const gradScale = 0.7;
  const variables = state.map((s) => ({
    param: tf.variable(tf.tensor1d(s.param), false), m: tf.variable(tf.tensor1d(s.m), false), v: tf.variable(tf.tensor1d(s.v), false),
    grad: tf.tensor1d(s.grad), weightDecay: s.weightDecay,
  }));
  const read = () => Promise.all(variables.map(async (x) => ({ param: await x.param.data(), m: await x.m.data(), v: await x.v.data() })));
  try {
    const applied = tf.tensor1d([0, 0, gradScale, 1]);
    ops.adamwStep(variables, applied, hyper);
    applied.dispose();
    const got = await read();
    state.forEach((s, i) => {
      const want = adamw64(Float64Array.from(s.param), Float64Array.from(s.grad), Float64Array.from(s.m), Float64Array.from(s.v), { ...hyper, weightDecay: s.weightDecay, gradScale });
      for (const key of ['param', 'm', 'v'] as const) {
        expect(relativeError(got[i][key], want[key], `slot ${i} ${key}`), `slot ${i} ${key}`).toBeLessThan(1e-6);
      }
    });
    const skipped = tf.tensor1d([NaN, NaN, NaN, 0]);
    const nanGrads = variables.map((x) => tf.fill(x.grad.shape, NaN));
    ops.adamwStep(variables.map((x, i) => ({ ...x, grad: nanGrads[i] })), skipped, { ...hyper, step: 6 });
    tf.dispose([skipped, ...nanGrads]);
    const after = await read();
    after.forEach((slot, i) => {
      for (const key of ['param', 'm', 'v'] as const) expect(Array.from(slot[key]), `slot ${i} ${key} after a skipped step`).toEqual(Array.from(got[i][key]));
    });
  } finally {
    tf.dispose(variables.flatMap((x) => [x.param, x.m, x.v, x.grad]));
  }
}
