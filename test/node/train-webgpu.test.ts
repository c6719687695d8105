/**
 * A full training step with our WebGPU kernel set against the stock tfjs composition on the same
 * backend, weights and batch: the loss and every parameter's gradient (relative error per tensor
 * max|ours - stock| / max|stock| under 1e-4), then three `Trainer` steps (loss, gradient norm).
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Batch, BatchSource } from '../../src/data/batch.js';
import { kernelsFor, type Ops } from '../../src/kernels/index.js';
import { configureMatmul } from '../../src/kernels/matmul/index.js';
import { resolveConfig, type ModelConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { initialValues } from '../../src/model/params.js';
import { Trainer } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { relativeError } from '../setup/kernel-harness.js';
import { nodeWebGPU } from '../setup/node-webgpu.js';

const TOLERANCE = 1e-4;

const cases: { name: string; config: ModelConfig; batch: number; length: number }[] = [
  { name: 'nano', config: resolveConfig('nano', { vocabSize: 512 }), batch: 4, length: 32 },
  {
    name: 'odd sizes, grouped-query attention, untied head',
    config: resolveConfig('nano', { vocabSize: 97, dModel: 24, nHeads: 4, nKvHeads: 2, ffnHidden: 37, contextLength: 19, tieEmbeddings: false }),
    batch: 3, length: 13,
  },
];

function randomBatch(batchSize: number, seqLen: number, vocab: number, seed: number): Batch {
  const rng = new Rng(seed);
  const draw = () => Int32Array.from({ length: batchSize * seqLen }, () => rng.int(vocab));
  const mask = Float32Array.from({ length: batchSize * seqLen }, (_, i) => (i % 5 === 3 ? 0 : 1));
  return { batchSize, seqLen, inputs: draw(), targets: draw(), mask };
}

async function lossAndGrads(model: LlamaModel, batch: Batch): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const shape: [number, number] = [batch.batchSize, batch.seqLen];
  const { value, grads } = tf.variableGrads(() => model.loss(
    tf.tensor2d(batch.inputs, shape, 'int32'), tf.tensor2d(batch.targets, shape, 'int32'), tf.tensor2d(batch.mask, shape, 'float32'),
  ));
  const out = new Map<string, Float32Array>();
  for (const [name, variable] of model.params) out.set(name, (await grads[variable.name].data()) as Float32Array);
  const loss = (await value.data())[0];
  tf.dispose([value, ...Object.values(grads)]);
  return { loss, grads: out };
}

beforeAll(async () => {
  await nodeWebGPU();
  await tf.setBackend('webgpu');
  configureMatmul({ store: null, autotune: 'off' });
});

describe('a training step with our WebGPU kernels matches the stock composition', () => {
  for (const c of cases) {
    it(`${c.name}: loss, every gradient, and three Trainer steps`, async () => {
      const weights = initialValues(c.config, 7);
      const batch = randomBatch(c.batch, c.length, c.config.vocabSize, 3);
      const source: BatchSource = { next: () => batch };
      const sets: Ops[] = [kernelsFor('webgpu', { kernels: 'stock' }), kernelsFor('webgpu')];
      expect(sets.map((ops) => ops.name)).toEqual(['tfjs', 'hephaestus-webgpu']);
      const results = [];
      for (const ops of sets) {
        const model = LlamaModel.create(c.config, { weights, ops });
        const first = await lossAndGrads(model, batch);
        const trainer = new Trainer(model, { steps: 10, lr: 3e-3, warmupSteps: 0 });
        const steps = [];
        for (let i = 0; i < 3; i++) steps.push(await trainer.step(source));
        trainer.dispose();
        model.dispose();
        results.push({ ...first, steps });
      }
      const [stock, ours] = results;

      expect(Math.abs(ours.loss - stock.loss) / Math.abs(stock.loss), 'loss').toBeLessThan(TOLERANCE);
      const errors = [...stock.grads].map(([name, want]) => ({ name, error: relativeError(ours.grads.get(name)!, want, name) }));
      const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
      console.info(`${c.name}: loss ${ours.loss} vs ${stock.loss}; worst gradient ${worst.name} ${worst.error.toExponential(2)}`);
      expect(errors.filter((e) => !(e.error < TOLERANCE)), 'gradients over the limit').toEqual([]);
      for (const [i, step] of ours.steps.entries()) {
        const want = stock.steps[i];
        expect(step.skipped).toBe(false);
        expect(Math.abs(step.loss - want.loss) / want.loss, `step ${i + 1} loss`).toBeLessThan(TOLERANCE);
        expect(Math.abs(step.gradNorm - want.gradNorm) / want.gradNorm, `step ${i + 1} gradient norm`).toBeLessThan(TOLERANCE);
      }
    });
  }
});
