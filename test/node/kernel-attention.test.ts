/**
 * The fused causal attention kernels (src/kernels/attention/) on WebGPU through Dawn over llvmpipe:
 * forward and backward against float64 maths at awkward shapes with poisoned outputs, split
 * dispatches under artificially small device limits, the stock fallback, memory that grows linearly
 * with the context (no T x T buffer), and a model's loss and gradients against the stock composition.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { createFusedAttention, fusedAttention, type AttentionOp } from '../../src/kernels/attention/index.js';
import { tfjsOps } from '../../src/kernels/stock/tfjs.js';
import { webgpuOps } from '../../src/kernels/webgpu/set.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { Rng } from '../../src/util/rng.js';
import { checkAgainstReference, harnessCase, HARNESS_SHAPES, LONG_SHAPES, referenceGradientErrors, WIDE_SHAPE, type Shape } from '../setup/attention-cases.js';
import { checkKernel, relativeError } from '../setup/kernel-harness.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';

useNodeWebGPU();

describe('the float64 plain-loop attention reference', () => {
  for (const shape of [HARNESS_SHAPES[1], HARNESS_SHAPES[3]]) {
    it(`matches ops64 and central differences at ${JSON.stringify(shape)}`, () => {
      const errors = referenceGradientErrors(shape, new Rng(4));
      console.info(`reference vs float64 central differences: ${JSON.stringify(errors)}`);
      for (const error of Object.values(errors)) expect(error).toBeLessThan(1e-8);
    });
  }
});

describe('fused attention through the kernel harness (central differences, poisoned outputs)', () => {
  for (const shape of HARNESS_SHAPES) {
    const c = harnessCase(fusedAttention, shape);
    it(`${c.name} forward and backward`, async () => {
      console.info(`${c.name}: ${JSON.stringify(await checkKernel(c, new Rng(shape.size * 31 + shape.keyLength)))}`);
    });
  }
});

describe('fused attention at long contexts and a wide head against the float64 reference', () => {
  for (const { forwardOnly, ...shape } of LONG_SHAPES) {
    it(`${JSON.stringify(shape)}${forwardOnly ? ' forward (KV cache)' : ' forward and backward'}`, async () => {
      const errors = await checkAgainstReference(fusedAttention, shape, new Rng(shape.keyLength), forwardOnly);
      console.info(`fused attention ${JSON.stringify(shape)}: ${JSON.stringify(errors)}`);
    });
  }
  // Mostly the compile of three new programs (see WIDE_SHAPE): more time than the default on a cold cache.
  it(`${JSON.stringify(WIDE_SHAPE)} forward and backward`, { timeout: 240_000 }, async () => {
    const errors = await checkAgainstReference(fusedAttention, WIDE_SHAPE, new Rng(WIDE_SHAPE.keyLength));
    console.info(`fused attention ${JSON.stringify(WIDE_SHAPE)}: ${JSON.stringify(errors)}`);
  });
});

/** The workgroup counts of every dispatch of an attention program while `run` records its work. */
function dispatchesOf(run: () => void): [number, number, number][] {
  const prototype = GPUComputePassEncoder.prototype;
  const { setPipeline, dispatchWorkgroups } = prototype;
  const seen: [number, number, number][] = [];
  let current = '';
  prototype.setPipeline = function (this: GPUComputePassEncoder, pipeline: GPUComputePipeline) {
    current = pipeline.label;
    setPipeline.call(this, pipeline);
  };
  prototype.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y = 1, z = 1) {
    if (current.startsWith('attention-')) seen.push([x, y, z]);
    dispatchWorkgroups.call(this, x, y, z);
  };
  try {
    run();
  } finally {
    Object.assign(prototype, { setPipeline, dispatchWorkgroups });
  }
  return seen;
}

describe('device limits', () => {
  const shape: Shape = { batch: 3, heads: 4, kvHeads: 2, queryLength: 45, keyLength: 45, size: 24 };
  const bytesPerBatch = 4 * shape.heads * shape.queryLength * shape.size;
  // Two workgroups per dimension, 4 invocations per workgroup, one batch item per storage binding.
  const small = createFusedAttention({
    maxComputeWorkgroupsPerDimension: 2, maxComputeInvocationsPerWorkgroup: 4, maxStorageBufferBindingSize: bytesPerBatch,
  });

  it('splits dispatches and batches to fit small limits and still matches float64', async () => {
    const errors = await checkAgainstReference(small, shape, new Rng(8));
    console.info(`small limits ${JSON.stringify(shape)}: ${JSON.stringify(errors)}`);
    const q = tf.zeros([shape.batch, shape.heads, shape.queryLength, shape.size]) as tf.Tensor4D;
    const kv = tf.zeros([shape.batch, shape.kvHeads, shape.keyLength, shape.size]) as tf.Tensor4D;
    let out: tf.Tensor | undefined;
    const seen = dispatchesOf(() => (out = small(q, kv, kv)));
    // 45 rows in blocks of 4 x 4 = 3 blocks, 4 heads per batch slice, 3 slices: 2 x 2 dispatches of at most 2 x 2 per slice.
    expect(seen).toHaveLength(12);
    for (const [x, y] of seen) expect(Math.max(x, y)).toBeLessThanOrEqual(2);
    const unsplit = dispatchesOf(() => tf.dispose(fusedAttention(q, kv, kv)));
    expect(unsplit).toEqual([[1, shape.batch * shape.heads, 1]]);
    tf.dispose([q, kv, out!]);
  });

  it('falls back to the stock composition when a stage has fewer than 8 storage buffers', async () => {
    const few = createFusedAttention({ maxStorageBuffersPerShaderStage: 4 });
    const kernelsOf = async (op: AttentionOp) => (await tf.profile(() => {
      const q = tf.ones([1, 2, 9, 32]) as tf.Tensor4D;
      return op(q, q, q);
    })).kernelNames;
    expect(await kernelsOf(few)).toContain('BatchMatMul');
    expect(await kernelsOf(fusedAttention)).not.toContain('BatchMatMul');
    await checkAgainstReference(few, { batch: 1, heads: 2, kvHeads: 1, queryLength: 9, keyLength: 9, size: 32 }, new Rng(2));
  });
});

describe('memory grows linearly with the context', () => {
  /** Sizes of every GPU buffer the backend hands out (new or pooled) while `run` runs. */
  async function buffersOf(run: () => Promise<void>): Promise<number[]> {
    type Acquire = (size: number, ...rest: unknown[]) => GPUBuffer;
    const manager = (tf.backend() as unknown as { bufferManager: { acquireBuffer: Acquire } }).bufferManager;
    const original = manager.acquireBuffer;
    const sizes: number[] = [];
    manager.acquireBuffer = function (size, ...rest) {
      sizes.push(size);
      return original.call(this, size, ...rest);
    };
    try {
      await run();
    } finally {
      manager.acquireBuffer = original;
    }
    return sizes;
  }
  const step = (op: AttentionOp, length: number, backward: boolean) => async () => {
    const rng = new Rng(length);
    const shape = [1, 2, length, 32];
    const [q, k, v] = [0, 1, 2].map(() => tf.tensor4d(Float32Array.from({ length: 2 * length * 32 }, () => rng.normal()), shape as [number, number, number, number]));
    const outputs = backward
      ? tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => op(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D))([q, k, v])
      : [op(q, k, v)];
    await Promise.all(outputs.map((t) => t.data()));
    tf.dispose([q, k, v, ...outputs]);
  };

  it('the fused forward + backward at T = 1024 uses no buffer of T x T floats; the stock forward does', async () => {
    const square = 4 * 1024 * 1024;
    const fused = await buffersOf(step(fusedAttention, 1024, true));
    const half = await buffersOf(step(fusedAttention, 512, true));
    const stock = await buffersOf(step(tfjsOps.attention, 1024, false));
    const total = (sizes: number[]) => sizes.reduce((a, b) => a + b, 0);
    console.info(`largest buffer: fused fwd+bwd ${Math.max(...fused)} B (T 1024), stock fwd ${Math.max(...stock)} B; `
      + `all buffers fused T 512 -> 1024: ${total(half)} -> ${total(fused)} B`);
    expect(Math.max(...fused)).toBeLessThan(square / 8);
    expect(Math.max(...stock)).toBeGreaterThanOrEqual(2 * square);
    expect(total(fused) / total(half)).toBeLessThan(2.05);
  });
});

describe('a model with the fused attention', () => {
  it('gives the stock composition\'s loss and gradients on WebGPU (odd sizes, grouped-query heads)', async () => {
    // Head size 24 (not a multiple of the 8 rows an invocation owns), two query heads per key/value head.
    const config = resolveConfig('nano', { vocabSize: 61, dModel: 48, nHeads: 2, nKvHeads: 1, ffnHidden: 37, nLayers: 2, contextLength: 48 });
    const model = LlamaModel.create(config, { seed: 5 });
    const rng = new Rng(9);
    const [batch, length] = [3, 41];
    const ids = () => tf.tensor2d(Int32Array.from({ length: batch * length }, () => rng.int(config.vocabSize)), [batch, length], 'int32');
    const [tokens, targets] = [ids(), ids()];
    const mask = tf.tensor2d(Float32Array.from({ length: batch * length }, (_, i) => (i % 5 === 0 ? 0 : 1)), [batch, length]);
    const run = async (ops: typeof tfjsOps) => {
      model.useOps(ops);
      const { value, grads } = tf.variableGrads(() => model.loss(tokens, targets, mask));
      const result = { loss: (await value.data())[0], grads: new Map<string, Float32Array>() };
      for (const [name, variable] of model.params) result.grads.set(name, (await grads[variable.name].data()) as Float32Array);
      tf.dispose([value, ...Object.values(grads)]);
      return result;
    };
    try {
      const stock = await run(tfjsOps);
      const ours = await run(webgpuOps);
      expect(Math.abs(ours.loss - stock.loss) / stock.loss).toBeLessThan(1e-4);
      let worst = 0;
      for (const [name, grad] of stock.grads) worst = Math.max(worst, relativeError(ours.grads.get(name)!, grad, name));
      console.info(`model with fused attention vs stock: loss ${ours.loss} vs ${stock.loss}, worst gradient ${worst.toExponential(2)}`);
      expect(worst).toBeLessThan(1e-4);
    } finally {
      tf.dispose([tokens, targets, mask]);
      model.dispose();
    }
  });
});
