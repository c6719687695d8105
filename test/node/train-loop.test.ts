/**
 * runTraining prepares step k + 1 while step k's statistics are read back. What a caller sees must be
 * exactly what one step at a time gives (bit for bit on the deterministic CPU backend): losses,
 * evaluations, the weights and data position at every save, and after an early exit (non-finite
 * steps, a bad batch, an abort) the weights, the data position and the tensor count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { RandomWindowSampler, type Batch, type ResumableBatchSource } from '../../src/data/batch.js';
import { kernelsFor, type Ops } from '../../src/kernels/index.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { initBackend } from '../../src/runtime/backend.js';
import { runTraining } from '../../src/train/loop.js';
import { Trainer, type TrainOptions } from '../../src/train/trainer.js';
import { AbortedError, InputError, NonFiniteError } from '../../src/util/errors.js';

const config = resolveConfig('nano', { vocabSize: 53, dModel: 16, nHeads: 2, ffnHidden: 24, contextLength: 12, nLayers: 1 });
const tokens = Int32Array.from({ length: 600 }, (_, i) => (i * 17 + (i >> 2)) % config.vocabSize);
const sampler = () => new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 8, seed: 3 });
const options: Partial<TrainOptions> = { steps: 9, lr: 1e-2, warmupSteps: 2 };

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

/** A trainer on a fresh model, whose cross-entropy returns NaN on the given 1-based calls. */
function setup(poisoned: number[] = [], extra: Partial<TrainOptions> = {}) {
  const model = LlamaModel.create(config, { seed: 2 });
  let calls = 0;
  const ops: Ops = {
    ...kernelsFor(),
    crossEntropy: (logits, targets, weights) => {
      calls += 1;
      const loss = kernelsFor().crossEntropy(logits, targets, weights);
      return poisoned.includes(calls) ? (tf.mul(loss, NaN) as tf.Scalar) : loss;
    },
  };
  model.useOps(ops);
  const trainer = new Trainer(model, { ...options, ...extra });
  return { model, trainer, dispose: () => { trainer.dispose(); model.dispose(); } };
}

const weights = async (model: LlamaModel) => Array.from(await model.param('model.layers.0.mlp.up_proj.weight').data());

describe('runTraining, pipelined', () => {
  it('gives the losses, evaluations and saved states of one step at a time', async () => {
    const evalBatches = [sampler().next()];
    const saves = async (trainer: Trainer, model: LlamaModel, source: ResumableBatchSource) => ({
      step: trainer.stepCount, position: source.state(), weights: await weights(model), optimizerStep: trainer.optimizer.step,
    });

    const one = setup();
    const oneSource = sampler();
    const expected = { losses: [] as number[], evals: [] as { step: number; loss: number }[], saves: [] as unknown[] };
    for (let step = 1; step <= 9; step++) {
      expected.losses.push((await one.trainer.step(oneSource)).loss);
      if (step % 3 === 0) expected.evals.push({ step, loss: await one.trainer.evaluate(evalBatches) });
      if (step % 4 === 0 || step === 9) expected.saves.push(await saves(one.trainer, one.model, oneSource));
    }

    const run = setup();
    const runSource = sampler();
    const got = { losses: [] as number[], evals: [] as { step: number; loss: number }[], saves: [] as unknown[] };
    const evals = await runTraining(run.trainer, runSource, {
      evalBatches, evalEvery: 3, saveEvery: 4,
      onProgress: (p) => got.losses.push(p.loss),
      onEval: (e) => got.evals.push(e),
      onSave: async () => void got.saves.push(await saves(run.trainer, run.model, runSource)),
    });
    expect(got.losses).toEqual(expected.losses);
    expect(got.evals).toEqual(expected.evals);
    expect(evals).toEqual(expected.evals);
    expect(got.saves).toEqual(expected.saves);
    one.dispose();
    run.dispose();
  });

  it('stops at the N-th non-finite step in a row with the weights, data position and tensors of one step at a time', async () => {
    const one = setup([3, 4, 5], { maxNonFiniteInARow: 3 });
    const oneSource = sampler();
    for (let step = 1; step <= 4; step++) await one.trainer.step(oneSource);
    await expect(one.trainer.step(oneSource)).rejects.toThrow(NonFiniteError);

    const run = setup([3, 4, 5], { maxNonFiniteInARow: 3 });
    const runSource = sampler();
    const before = tf.memory().numTensors;
    const progress: boolean[] = [];
    await expect(runTraining(run.trainer, runSource, { onProgress: (p) => progress.push(p.skipped) })).rejects.toThrow(NonFiniteError);
    expect(progress).toEqual([false, false, true, true]);
    expect(run.trainer.stepCount).toBe(5);
    expect(run.trainer.skippedSteps).toBe(3);
    expect(run.trainer.optimizer.step).toBe(2);
    expect(runSource.state()).toEqual(oneSource.state());
    expect(await weights(run.model)).toEqual(await weights(one.model));
    // The optimizer's moments (m and v per parameter) are the only tensors the run adds.
    expect(tf.memory().numTensors).toBe(before + 2 * run.model.params.size);
    one.dispose();
    run.dispose();
  });

  it('reports step k before the bad batch of step k + 1, prepared ahead, stops the run', async () => {
    const { trainer, dispose } = setup();
    const good = sampler();
    let draws = 0;
    const source: ResumableBatchSource = {
      next: (): Batch => {
        const batch = good.next();
        if (++draws === 4) batch.inputs[3] = config.vocabSize + 5;
        return batch;
      },
      // The position is the number of draws, carried in a packed-corpus state's row index.
      state: () => ({ kind: 'packed', seed: 0, rows: 0, epoch: 0, index: draws }),
      restore: (state) => void (draws = state.kind === 'packed' ? state.index : Number.NaN),
    };
    const steps: number[] = [];
    await expect(runTraining(trainer, source, { onProgress: (p) => steps.push(p.step) })).rejects.toThrow(InputError);
    expect(steps).toEqual([1, 2, 3]);
    expect(trainer.stepCount).toBe(3);
    dispose();
  });

  it('on an abort drops the step prepared ahead and rewinds the source', async () => {
    const { trainer, dispose } = setup();
    const source = sampler();
    const reference = sampler();
    const abort = new AbortController();
    await trainer.step(source);
    reference.next();
    const before = tf.memory().numTensors;
    const run = runTraining(trainer, source, { signal: abort.signal, onProgress: (p) => p.step === 3 && abort.abort() });
    await expect(run).rejects.toThrow(AbortedError);
    reference.next();
    reference.next();
    expect(trainer.stepCount).toBe(3);
    expect(source.state()).toEqual(reference.state());
    expect(tf.memory().numTensors).toBe(before);
    dispose();
  });
});
