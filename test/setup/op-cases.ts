/**
 * The kernel harness's cases for every op of the `Ops` seam, at awkward sizes (primes: multiples of
 * no tile width). A kernel set under test is passed in; its float64 references are in ops64.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Ops } from '../../src/kernels/index.js';
import type { Rng } from '../../src/util/rng.js';
import { attention64, crossEntropy64, embed64, linear64, rmsNorm64, rope64, swiglu64 } from '../reference/ops64.js';
import { awkwardSize, type KernelCase } from './kernel-harness.js';

/** Tolerances of float32 kernels against float64 maths, relative to the largest reference value. */
export const FLOAT32_TOLERANCE = { forward: 2e-5, backward: 1e-4 };

/** One case per op of `ops`, with sizes drawn from `rng`. */
export function opCases(ops: Ops, rng: Rng): KernelCase[] {
  return [linearCase(ops, rng), rmsNormCase(ops, rng), ropeCase(ops, rng), attentionCase(ops, rng, 1), attentionCase(ops, rng, 2),
    swigluCase(ops, rng), crossEntropyCase(ops, rng), embedCase(ops, rng)];
}

function linearCase(ops: Ops, rng: Rng): KernelCase {
  const [batch, length, inF, outF] = [2, awkwardSize(rng, 5, 17), awkwardSize(rng, 19, 53), awkwardSize(rng, 19, 61)];
  return {
    name: `linear [${batch},${length},${inF}] x [${outF},${inF}]^T`,
    operands: [{ name: 'x', shape: [batch, length, inF] }, { name: 'weight', shape: [outF, inF], scale: 0.2 }],
    run: ([x, w]) => ops.linear(x, w),
    reference: ([x, w]) => linear64(x, w, batch * length, inF, outF),
    tolerance: FLOAT32_TOLERANCE,
  };
}

function rmsNormCase(ops: Ops, rng: Rng): KernelCase {
  const [rows, width] = [awkwardSize(rng, 11, 29), awkwardSize(rng, 23, 67)];
  return {
    name: `rmsNorm [${rows},${width}]`,
    operands: [{ name: 'x', shape: [rows, width] }, { name: 'weight', shape: [width] }],
    run: ([x, w]) => ops.rmsNorm(x, w, 1e-5),
    reference: ([x, w]) => rmsNorm64(x, w, rows, width, 1e-5),
    tolerance: FLOAT32_TOLERANCE,
  };
}

function ropeCase(ops: Ops, rng: Rng): KernelCase {
  const shape: [number, number, number, number] = [2, 3, awkwardSize(rng, 7, 19), 2 * awkwardSize(rng, 3, 11)];
  const [, , length, size] = shape;
  const angles = Float64Array.from({ length: length * size }, (_, i) => Math.floor(i / size) * 10000 ** (-(2 * ((i % size) % (size / 2))) / size));
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

/** `group` query heads per key/value head; with group 1 the queries also start after a cached prefix. */
function attentionCase(ops: Ops, rng: Rng, group: number): KernelCase {
  const kvHeads = 2;
  const heads = kvHeads * group;
  const size = awkwardSize(rng, 5, 13);
  const keyLength = awkwardSize(rng, 11, 37);
  const queryLength = group === 1 ? keyLength - awkwardSize(rng, 2, 7) : keyLength;
  const shape = { batch: 2, heads, kvHeads, queryLength, keyLength, size };
  return {
    name: `attention q [2,${heads},${queryLength},${size}] kv [2,${kvHeads},${keyLength},${size}]`,
    operands: [
      { name: 'q', shape: [2, heads, queryLength, size] },
      { name: 'k', shape: [2, kvHeads, keyLength, size] },
      { name: 'v', shape: [2, kvHeads, keyLength, size] },
    ],
    run: ([q, k, v]) => ops.attention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D),
    reference: ([q, k, v]) => attention64(q, k, v, shape),
    tolerance: FLOAT32_TOLERANCE,
  };
}

function swigluCase(ops: Ops, rng: Rng): KernelCase {
  const shape = [3, awkwardSize(rng, 11, 41), awkwardSize(rng, 13, 43)];
  return {
    name: `swiglu [${shape}]`,
    operands: [{ name: 'gate', shape, scale: 2 }, { name: 'up', shape }],
    run: ([gate, up]) => ops.swiglu(gate, up),
    reference: ([gate, up]) => swiglu64(gate, up),
    tolerance: FLOAT32_TOLERANCE,
  };
}

function crossEntropyCase(ops: Ops, rng: Rng): KernelCase {
  const [rows, vocab] = [awkwardSize(rng, 17, 47), awkwardSize(rng, 97, 263)];
  const mask = Float64Array.from({ length: rows }, (_, i) => (i % 3 === 1 ? 0 : 1));
  return {
    name: `crossEntropy [${rows},${vocab}] with a loss mask`,
    operands: [
      { name: 'logits', shape: [rows, vocab], scale: 3 },
      { name: 'targets', shape: [rows], kind: 'int', max: vocab },
      { name: 'weights', shape: [rows], values: mask },
    ],
    run: ([logits, targets, weights]) => ops.crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor1D, weights as tf.Tensor1D),
    reference: ([logits, targets, weights]) => crossEntropy64(logits, targets, weights, vocab),
    tolerance: FLOAT32_TOLERANCE,
  };
}

function embedCase(ops: Ops, rng: Rng): KernelCase {
  const [vocab, width, batch, length] = [awkwardSize(rng, 41, 101), awkwardSize(rng, 7, 23), 2, awkwardSize(rng, 5, 19)];
  return {
    name: `embed [${vocab},${width}] at [${batch},${length}]`,
    operands: [{ name: 'table', shape: [vocab, width] }, { name: 'tokens', shape: [batch, length], kind: 'int', max: vocab }],
    run: ([table, tokens]) => ops.embed(table as tf.Tensor2D, tokens as tf.Tensor2D),
    reference: ([table, tokens]) => embed64(table, tokens, width),
    tolerance: FLOAT32_TOLERANCE,
  };
}
