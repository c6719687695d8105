import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch, BatchSource } from '../../src/data/batch.js';
import { RandomWindowSampler } from '../../src/data/batch.js';
import { resolveConfig, type ModelConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { kernelsFor, type Ops } from '../../src/kernels/index.js';
import { AdamW } from '../../src/train/adamw.js';
import { learningRate } from '../../src/train/schedule.js';
import { Trainer } from '../../src/train/trainer.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { NonFiniteError } from '../../src/util/errors.js';

/** A small config that trains quickly on the CPU backend. */
const microConfig: ModelConfig = resolveConfig('nano', { vocabSize: 61, dModel: 32, nHeads: 2, ffnHidden: 48, contextLength: 24 });

function fixedSource(batch: Batch): BatchSource {
  return { next: () => batch };
}

function randomBatch(batchSize: number, seqLen: number, vocab: number, seed: number): Batch {
  const rng = new Rng(seed);
  const draw = () => Int32Array.from({ length: batchSize * seqLen }, () => rng.int(vocab));
  return { batchSize, seqLen, inputs: draw(), targets: draw(), mask: new Float32Array(batchSize * seqLen).fill(1) };
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('training step', () => {
  it('overfits one fixed batch below 0.05 with a flat tensor count (step 5 == step 50)', async () => {
    const model = LlamaModel.create(microConfig, { seed: 3 });
    const trainer = new Trainer(model, { steps: 120, lr: 1e-2, minLr: 1e-3, warmupSteps: 5, weightDecay: 0 });
    const source = fixedSource(randomBatch(2, 16, microConfig.vocabSize, 7));
    const counts = new Map<number, number>();
    let loss = Infinity;
    for (let step = 1; step <= 120; step++) {
      loss = (await trainer.step(source)).loss;
      counts.set(step, tf.memory().numTensors);
    }
    expect(loss).toBeLessThan(0.05);
    expect(counts.get(50)).toBe(counts.get(5));
    expect(counts.get(120)).toBe(counts.get(5));
    trainer.dispose();
    model.dispose();
  });

  it('averages gradients over accumulation: 2 micro-batches of 2 == 1 batch of 4', async () => {
    const full = randomBatch(4, 8, microConfig.vocabSize, 11);
    const half = (part: number): Batch => {
      const slice = <T extends Int32Array | Float32Array>(a: T) => a.slice(part * 16, part * 16 + 16) as T;
      return { batchSize: 2, seqLen: 8, inputs: slice(full.inputs), targets: slice(full.targets), mask: slice(full.mask) };
    };
    let part = 0;
    const halves: BatchSource = { next: () => half(part++ % 2) };
    const weightsAfter = async (accumulation: number, source: BatchSource) => {
      const model = LlamaModel.create(microConfig, { seed: 5 });
      const trainer = new Trainer(model, { steps: 3, accumulation, lr: 1e-2, warmupSteps: 0 });
      for (let i = 0; i < 3; i++) await trainer.step(source);
      const values = await model.param('model.layers.0.mlp.up_proj.weight').data();
      trainer.dispose();
      model.dispose();
      return values;
    };
    const once = await weightsAfter(1, fixedSource(full));
    const accumulated = await weightsAfter(2, halves);
    let worst = 0;
    once.forEach((value, i) => (worst = Math.max(worst, Math.abs(value - accumulated[i]))));
    expect(worst).toBeLessThan(1e-6);
  });

  it('skips non-finite steps, counts them, and stops after N in a row', async () => {
    const model = LlamaModel.create(microConfig, { seed: 1 });
    let poisoned = new Set([2, 3]);
    let call = 0;
    const poisonOps: Ops = {
      ...kernelsFor(),
      crossEntropy: (logits, targets, weights) => {
        call += 1;
        const loss = kernelsFor().crossEntropy(logits, targets, weights);
        return poisoned.has(call) ? (tf.mul(loss, NaN) as tf.Scalar) : loss;
      },
    };
    model.useOps(poisonOps);
    const trainer = new Trainer(model, { steps: 20, maxNonFiniteInARow: 3 });
    const source = fixedSource(randomBatch(2, 8, microConfig.vocabSize, 2));
    const before = await model.param('model.norm.weight').data();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await trainer.step(source));
    expect(results.map((r) => r.skipped)).toEqual([false, true, true, false]);
    expect(trainer.skippedSteps).toBe(2);
    expect(Array.from(before)).not.toEqual(Array.from(await model.param('model.norm.weight').data()));

    poisoned = new Set([5, 6, 7]);
    await trainer.step(source);
    await trainer.step(source);
    const tensorsBefore = tf.memory().numTensors;
    await expect(trainer.step(source)).rejects.toThrow(NonFiniteError);
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    await expect(trainer.step(source)).resolves.toBeDefined(); // a caller may catch and go on
    trainer.dispose();
    model.dispose();
  });

  it('rejects a batch with token ids outside the vocabulary, naming the id', async () => {
    const model = LlamaModel.create(microConfig);
    const trainer = new Trainer(model);
    const batch = randomBatch(2, 8, microConfig.vocabSize, 3);
    batch.targets[5] = microConfig.vocabSize;
    await trainer.step(fixedSource(randomBatch(2, 8, microConfig.vocabSize, 4)));
    const before = tf.memory().numTensors;
    await expect(trainer.step(fixedSource(batch))).rejects.toThrow(`token id ${microConfig.vocabSize} at batch position 5`);
    expect(tf.memory().numTensors).toBe(before);
    trainer.dispose();
    model.dispose();
  });

  it('rejects bad options naming the field', () => {
    const model = LlamaModel.create(microConfig);
    expect(() => new Trainer(model, { accumulation: 0 })).toThrow(/"train.accumulation"/);
    expect(() => new Trainer(model, { beta2: 1 })).toThrow(/"train.beta2"/);
    model.dispose();
  });
});

describe('AdamW', () => {
  it('matches a float64 AdamW on awkward sizes, with decay on linear weights only', async () => {
    const shapes = { 'w.linear': [7, 13], 'w.norm': [13] };
    const specs = [
      { name: 'w.linear', shape: shapes['w.linear'], kind: 'linear' as const },
      { name: 'w.norm', shape: shapes['w.norm'], kind: 'norm' as const },
    ];
    const options = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };
    const optimizer = new AdamW(specs, options);
    const rng = new Rng(9);
    const params = new Map<string, tf.Variable>();
    const reference = new Map<string, { p: number[]; m: number[]; v: number[] }>();
    for (const spec of specs) {
      const values = Array.from({ length: spec.shape.reduce((a, b) => a * b) }, () => rng.normal());
      params.set(spec.name, tf.variable(tf.tensor(values, spec.shape)));
      reference.set(spec.name, { p: values.map((x) => Math.fround(x)), m: values.map(() => 0), v: values.map(() => 0) });
    }
    for (let step = 1; step <= 4; step++) {
      const lr = 0.01 * step;
      const gradScale = 0.5;
      const grads = new Map<string, tf.Tensor>();
      for (const spec of specs) {
        const g = Array.from({ length: reference.get(spec.name)!.p.length }, () => Math.fround(rng.normal()));
        grads.set(spec.name, tf.tensor(g, spec.shape));
        const r = reference.get(spec.name)!;
        const decay = spec.kind === 'linear' ? options.weightDecay : 0;
        r.p.forEach((p, i) => {
          const gi = g[i] * gradScale;
          r.m[i] = 0.9 * r.m[i] + 0.1 * gi;
          r.v[i] = 0.95 * r.v[i] + 0.05 * gi * gi;
          const mHat = r.m[i] / (1 - 0.9 ** step);
          const vHat = r.v[i] / (1 - 0.95 ** step);
          r.p[i] = p * (1 - lr * decay) - lr * (mHat / (Math.sqrt(vHat) + 1e-8));
        });
      }
      const stats = tf.tensor1d([0, 0, gradScale, 1]);
      optimizer.apply(params, grads, stats, lr, kernelsFor());
      optimizer.settle(true);
      tf.dispose([...grads.values(), stats]);
    }
    for (const spec of specs) {
      const ours = await params.get(spec.name)!.data();
      const ref = reference.get(spec.name)!.p;
      const scale = Math.max(...ref.map(Math.abs));
      const worst = Math.max(...ref.map((x, i) => Math.abs(x - ours[i])));
      expect(worst / scale).toBeLessThan(1e-5);
    }
    optimizer.dispose();
    tf.dispose([...params.values()]);
  });
});

describe('learning-rate schedule', () => {
  const schedule = { maxLr: 1, minLr: 0.1, warmupSteps: 10, totalSteps: 110 };
  it('warms up linearly, peaks, decays by cosine to minLr', () => {
    expect(learningRate(1, schedule)).toBeCloseTo(0.1, 12);
    expect(learningRate(10, schedule)).toBeCloseTo(1, 12);
    expect(learningRate(60, schedule)).toBeCloseTo(0.55, 12);
    expect(learningRate(110, schedule)).toBeCloseTo(0.1, 12);
    expect(learningRate(500, schedule)).toBe(0.1);
    for (let step = 11; step < 110; step++) {
      expect(learningRate(step + 1, schedule)).toBeLessThanOrEqual(learningRate(step, schedule));
    }
  });
});

describe('seeded batch sampling', () => {
  it('gives the same batches for the same seed and resumes exactly from its state', () => {
    const tokens = Int32Array.from({ length: 500 }, (_, i) => (i * 7) % 97);
    const a = new RandomWindowSampler(tokens, { batchSize: 3, seqLen: 10, seed: 4 });
    const b = new RandomWindowSampler(tokens, { batchSize: 3, seqLen: 10, seed: 4 });
    a.next();
    b.next();
    const saved = a.state();
    const expected = [a.next(), a.next()];
    const resumed = new RandomWindowSampler(tokens, { batchSize: 3, seqLen: 10, seed: 999 });
    resumed.restore(JSON.parse(JSON.stringify(saved)));
    expect([resumed.next(), resumed.next()]).toEqual(expected);
    expect(b.next()).toEqual(expected[0]);
    const batch = expected[0];
    expect(Array.from(batch.targets.subarray(0, 9))).toEqual(Array.from(batch.inputs.subarray(1, 10)));
  });
});
