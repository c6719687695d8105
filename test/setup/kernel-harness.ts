/**
 * Kernel test harness in the llm.c manner: every op of a kernel set is run on random inputs of awkward
 * sizes and compared, forward and backward, with a float64 reference (test/reference/ops64.ts).
 *
 * - Inputs are drawn in float32 precision, so op and reference see identical values.
 * - Backward: the op's gradient of `sum(dy * op(x))` for a random `dy` against the central
 *   difference of the float64 reference (no derivation shared with the op under test).
 * - Outputs are poisoned: on WebGPU, buffers of every output and gradient size are filled with NaN and
 *   returned to tfjs's buffer pool just before the op runs, so an element a kernel forgets to write
 *   reads NaN and fails the check (zero-initialised memory would hide it).
 * - Error = max |ours - reference| / max |reference| per tensor; any non-finite value is an error.
 */
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { Rng } from '../../src/util/rng.js';

/** One operand of an op under test. */
export interface Operand {
  name: string;
  shape: number[];
  /** `float` operands are random normals times `scale` and differentiated; `int` ones are ids in [0, max). */
  kind?: 'float' | 'int';
  scale?: number;
  /** Exclusive bound of `int` operands. */
  max?: number;
  /** Fixed values instead of random ones (e.g. a loss mask); such operands are not differentiated. */
  values?: ArrayLike<number>;
}

/** One op on one set of shapes. */
export interface KernelCase {
  name: string;
  operands: Operand[];
  /** The op under test on tensors of the operands, in order. */
  run: (inputs: tf.Tensor[]) => tf.Tensor;
  /** Its float64 reference on the same values, output flattened (a number for a scalar). */
  reference: (inputs: Float64Array[]) => Float64Array | number;
  /** Limits of the relative error (see the module comment). `backward: undefined` checks forward only. */
  tolerance: { forward: number; backward?: number };
}

/** What {@link checkKernel} measured. */
export interface KernelErrors {
  forward: number;
  /** By operand name, for the differentiated operands. */
  backward: Record<string, number>;
}

/** A prime in [lo, hi]: sizes that are multiples of no tile width. */
export function awkwardSize(rng: Rng, lo: number, hi: number): number {
  const primes: number[] = [];
  for (let n = Math.max(2, lo); n <= hi; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) prime = false;
    if (prime) primes.push(n);
  }
  if (primes.length === 0) throw new Error(`no prime in [${lo}, ${hi}]`);
  return primes[rng.int(primes.length)];
}

/** Runs a case forward and backward on the active backend, asserts the tolerances, returns the errors. */
export async function checkKernel(c: KernelCase, rng: Rng): Promise<KernelErrors> {
  const values = c.operands.map((operand) => drawOperand(operand, rng));
  const inputs = c.operands.map((operand, i) => operand.kind === 'int'
    ? tf.tensor(Int32Array.from(values[i]), operand.shape, 'int32')
    : tf.tensor(Float32Array.from(values[i]), operand.shape, 'float32'));
  const differentiated = c.operands.map((operand, i) => (isDifferentiated(operand) ? i : -1)).filter((i) => i >= 0);
  try {
    const outShape = tf.tidy(() => c.run(inputs).shape);
    await poison([outShape, ...differentiated.map((i) => c.operands[i].shape)]);
    const forward = relativeError(await readTidy(() => c.run(inputs)), toArray(c.reference(values)), `${c.name} forward`);
    expect(forward, `${c.name}: forward error`).toBeLessThanOrEqual(c.tolerance.forward);
    const backward: Record<string, number> = {};
    if (c.tolerance.backward !== undefined && differentiated.length > 0) {
      const dy = drawFloats(rng, outShape.reduce((a, b) => a * b, 1), 1);
      const grads = await opGradients(c, inputs, differentiated, dy, outShape);
      for (const [k, i] of differentiated.entries()) {
        const name = c.operands[i].name;
        const reference = numericalGradient(c, values, i, dy);
        backward[name] = relativeError(grads[k], reference, `${c.name} d${name}`);
        expect(backward[name], `${c.name}: gradient of ${name}`).toBeLessThanOrEqual(c.tolerance.backward);
      }
    }
    return { forward, backward };
  } finally {
    tf.dispose(inputs);
  }
}

function isDifferentiated(operand: Operand): boolean {
  return operand.kind !== 'int' && operand.values === undefined;
}

function drawOperand(operand: Operand, rng: Rng): Float64Array {
  const size = operand.shape.reduce((a, b) => a * b, 1);
  if (operand.values) return Float64Array.from(operand.values);
  if (operand.kind === 'int') return Float64Array.from({ length: size }, () => rng.int(operand.max ?? 2));
  return drawFloats(rng, size, operand.scale ?? 1);
}

/** Normals times `scale`, rounded to float32 so both sides see the same numbers. */
function drawFloats(rng: Rng, size: number, scale: number): Float64Array {
  return Float64Array.from(Float32Array.from({ length: size }, () => rng.normal() * scale));
}

async function opGradients(c: KernelCase, inputs: tf.Tensor[], differentiated: number[], dy: Float64Array, outShape: number[]): Promise<Float64Array[]> {
  const grads = tf.tidy(() => {
    const upstream = tf.tensor(Float32Array.from(dy), outShape, 'float32');
    const f = (...args: tf.Tensor[]) => {
      const all = inputs.slice();
      differentiated.forEach((operand, k) => (all[operand] = args[k]));
      return c.run(all);
    };
    return tf.grads(f)(differentiated.map((i) => inputs[i]), upstream);
  });
  try {
    return await Promise.all(grads.map(async (grad) => Float64Array.from(await grad.data())));
  } finally {
    tf.dispose(grads);
  }
}

/** d/dx_j sum(dy * f(x)) by central differences in float64. */
function numericalGradient(c: KernelCase, values: Float64Array[], operand: number, dy: Float64Array): Float64Array {
  const x = values[operand];
  const gradient = new Float64Array(x.length);
  const objective = () => {
    const out = toArray(c.reference(values));
    let sum = 0;
    for (let i = 0; i < out.length; i++) sum += out[i] * dy[i];
    return sum;
  };
  for (let j = 0; j < x.length; j++) {
    const saved = x[j];
    const h = 1e-5 * Math.max(1, Math.abs(saved));
    x[j] = saved + h;
    const plus = objective();
    x[j] = saved - h;
    const minus = objective();
    x[j] = saved;
    gradient[j] = (plus - minus) / (2 * h);
  }
  return gradient;
}

function toArray(result: Float64Array | number): Float64Array {
  return typeof result === 'number' ? Float64Array.of(result) : result;
}

async function readTidy(run: () => tf.Tensor): Promise<Float64Array> {
  const out = tf.tidy(run);
  try {
    return Float64Array.from(await out.data());
  } finally {
    out.dispose();
  }
}

/** max |got - want| / max |want|; throws on a non-finite value or a length mismatch. */
export function relativeError(got: ArrayLike<number>, want: ArrayLike<number>, what: string): number {
  if (got.length !== want.length) throw new Error(`${what}: ${got.length} values, expected ${want.length}`);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    if (!Number.isFinite(got[i])) throw new Error(`${what}: element ${i} is ${got[i]} (expected ${want[i]}): unwritten or overflowed`);
    worst = Math.max(worst, Math.abs(got[i] - want[i]));
    scale = Math.max(scale, Math.abs(want[i]));
  }
  return worst / Math.max(scale, 1e-30);
}

/**
 * Fills pooled GPU buffers of each shape's float32 size with NaN (two per size) and releases them, so
 * the next outputs of those sizes start as NaN. No-op off WebGPU, whose outputs start as fresh arrays.
 */
export async function poison(shapes: number[][]): Promise<void> {
  if (tf.getBackend() !== 'webgpu') return;
  const filled = shapes.flatMap((shape) => [tf.fill(shape, NaN), tf.fill(shape, NaN)]);
  await Promise.all(filled.map((t) => t.data()));
  tf.dispose(filled);
  // A read submits the queue, which hands the disposed buffers back to the pool.
  const flush = tf.zeros([1]);
  await flush.data();
  flush.dispose();
}
