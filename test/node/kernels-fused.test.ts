/**
 * Our fused kernels (RMSNorm, RoPE, SwiGLU, softmax + cross-entropy, the optimizer step) on WebGPU
 * (Dawn over llvmpipe) and on the CPU backend (their plain references), against float64 maths
 * through the kernel harness (poisoned outputs on WebGPU); dispatch splitting under artificially
 * small device limits; and training steps with them against the stock composition.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch, BatchSource } from '../../src/data/batch.js';
import { tfjsOps, type Ops } from '../../src/kernels/index.js';
import { overrideDeviceLimits } from '../../src/kernels/webgpu/dispatch.js';
import { webgpuOps } from '../../src/kernels/webgpu/set.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { Trainer } from '../../src/train/trainer.js';
import { Rng } from '../../src/util/rng.js';
import { checkKernel, relativeError } from '../setup/kernel-harness.js';
import { nodeWebGPU } from '../setup/node-webgpu.js';
import { checkAdamWStep, checkLargeVocabulary, checkStepStats, crossEntropyCase, fusedCases, rmsNormCase, ropeCase, swigluCase } from '../setup/fused-checks.js';
import { opCases } from '../setup/op-cases.js';

const OURS = /rmsNorm|rope|swiglu|crossEntropy/;

for (const backend of ['webgpu', 'cpu'] as const) {
  describe(`fused kernels on ${backend}`, () => {
    const select = async () => {
      await nodeWebGPU();
      await tf.setBackend(backend);
    };
    const cases = [...opCases(webgpuOps, new Rng(11)).filter((c) => OURS.test(c.name)), ...fusedCases(webgpuOps)];
    for (const c of cases) {
      it(`${c.name} matches float64 forward and backward`, async () => {
        await select();
        const errors = await checkKernel(c, new Rng(5));
        console.info(`${backend} ${c.name}: ${JSON.stringify(errors)}`);
      });
    }

    it('crossEntropy over a 32,000-token vocabulary matches float64 loss and gradient', async () => {
      await select();
      console.info(`${backend} crossEntropy V=32000: ${JSON.stringify(await checkLargeVocabulary(webgpuOps, new Rng(8)))}`);
    });

    it('stepStats gives the loss, global norm, clipping scale and finite flag of 23 gradients', async () => {
      await select();
      await checkStepStats(webgpuOps, new Rng(4));
    });

    it('adamwStep matches float64 AdamW on 11 parameters, and a non-finite step changes nothing', async () => {
      await select();
      await checkAdamWStep(webgpuOps, new Rng(6));
    });
  });
}

describe('fused kernels under artificially small device limits (WebGPU)', () => {
  afterEach(() => overrideDeviceLimits({}));

  it('split their dispatches over a 2-D grid of at most 8 x 8 workgroups and still match float64', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    overrideDeviceLimits({ maxComputeWorkgroupsPerDimension: 8 });
    // Each needs more than 8 workgroups in one dimension: 61 rows, 14 rope groups, 18 swiglu groups, 19 rows.
    const cases = [
      rmsNormCase(webgpuOps, [61, 5]), ropeCase(webgpuOps, [2, 2, 211, 8]), swigluCase(webgpuOps, [3, 37, 41]),
      crossEntropyCase(webgpuOps, { rows: 19, vocab: 97, weights: Array.from({ length: 19 }, (_, i) => i % 4) }),
    ];
    for (const c of cases) await checkKernel(c, new Rng(2));
    await checkStepStats(webgpuOps, new Rng(4));
    await checkAdamWStep(webgpuOps, new Rng(6));
  });

  it('sum the squares of 2 gradients per dispatch where only 3 storage buffers may be bound, and still match float64', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    overrideDeviceLimits({ maxStorageBuffersPerShaderStage: 3 });
    await checkStepStats(webgpuOps, new Rng(4));
  });

  it('refuse with a clear error what the limits cannot hold', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    overrideDeviceLimits({ maxComputeWorkgroupsPerDimension: 8, maxStorageBuffersPerShaderStage: 5 });
    const x = tf.ones([100, 5]);
    const w = tf.ones([5]);
    expect(() => webgpuOps.rmsNorm(x, w, 1e-5)).toThrow(/100 workgroups exceed the device's 8 x 8 grid/);
    const logits = tf.ones([4, 7]) as tf.Tensor2D;
    const targets = tf.zeros([4], 'int32') as tf.Tensor1D;
    const weights = tf.ones([4]) as tf.Tensor1D;
    expect(() => tf.grad((l: tf.Tensor) => webgpuOps.crossEntropy(l as tf.Tensor2D, targets, weights))(logits)).toThrow(/storage buffers exceed the device's 5 per shader stage/);
    overrideDeviceLimits({ maxStorageBuffersPerShaderStage: 4 });
    const [param, m, v] = [0, 1, 2].map(() => tf.variable(tf.zeros([3]), false));
    const [grad, stats] = [tf.ones([3]), tf.tensor1d([0, 0, 1, 1])];
    expect(() => webgpuOps.adamwStep([{ param, grad, m, v, weightDecay: 0 }], stats, { lr: 1, beta1: 0.9, beta2: 0.9, eps: 1e-8, step: 1 }))
      .toThrow(/kernel adamw: 5 storage buffers exceed the device's 4 per shader stage/);
    tf.dispose([x, w, logits, targets, weights, param, m, v, grad, stats]);
  });
});

describe('training with the fused kernels on WebGPU', () => {
  // Odd sizes: vocabulary 67, head size 8 in 3 query heads over 1 key/value head, FFN 37, a loss mask.
  const config = resolveConfig('nano', { vocabSize: 67, dModel: 24, nHeads: 3, nKvHeads: 1, ffnHidden: 37, nLayers: 2, contextLength: 16 });
  const rng = new Rng(21);
  const [batch, length] = [3, 13];
  const draw = () => Int32Array.from({ length: batch * length }, () => rng.int(config.vocabSize));
  const fixed: Batch = {
    batchSize: batch, seqLen: length, inputs: draw(), targets: draw(),
    mask: Float32Array.from({ length: batch * length }, (_, i) => (i % 5 === 2 ? 0 : 1)),
  };
  const source: BatchSource = { next: () => fixed };

  it('one step: the loss and every parameter gradient match the stock composition within 1e-4', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    const model = LlamaModel.create(config, { seed: 4 });
    const shape: [number, number] = [batch, length];
    const [inputs, targets, mask] = [tf.tensor2d(fixed.inputs, shape, 'int32'), tf.tensor2d(fixed.targets, shape, 'int32'), tf.tensor2d(fixed.mask, shape)];
    const lossAndGrads = async (ops: Ops) => {
      model.useOps(ops);
      const { value, grads } = tf.variableGrads(() => model.loss(inputs, targets, mask));
      const out = { loss: (await value.data())[0], grads: new Map<string, Float32Array>() };
      for (const [name, variable] of model.params) out.grads.set(name, (await grads[variable.name].data()) as Float32Array);
      tf.dispose([value, ...Object.values(grads)]);
      return out;
    };
    const stock = await lossAndGrads(tfjsOps);
    const ours = await lossAndGrads(webgpuOps);
    expect(Math.abs(ours.loss - stock.loss) / stock.loss).toBeLessThan(1e-4);
    const errors = [...stock.grads].map(([name, want]) => ({ name, error: relativeError(ours.grads.get(name)!, want, name) }));
    const worst = errors.reduce((a, b) => (b.error > a.error ? b : a));
    console.info(`fused vs stock: loss ${Math.abs(ours.loss - stock.loss) / stock.loss}, worst gradient ${worst.error} (${worst.name})`);
    expect(errors.filter((e) => !(e.error < 1e-4))).toEqual([]);
    tf.dispose([inputs, targets, mask]);
    model.dispose();
  });

  it('Trainer steps follow the stock composition, launch fewer kernels, and skip a NaN step on the device', async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
    const run = async (base: Ops) => {
      const model = LlamaModel.create(config, { seed: 4 });
      let call = 0;
      // The third step's loss (and so every gradient) is NaN.
      model.useOps({ ...base, crossEntropy: (l, t, w) => (++call === 3 ? tf.mul(base.crossEntropy(l, t, w), NaN) as tf.Scalar : base.crossEntropy(l, t, w)) });
      const trainer = new Trainer(model, { steps: 10, lr: 1e-2, warmupSteps: 0 });
      const results = [await trainer.step(source), await trainer.step(source)];
      const before = await state(model, trainer);
      results.push(await trainer.step(source));
      const after = await state(model, trainer);
      const profile = await tf.profile(async () => void results.push(await trainer.step(source)));
      const final = (await state(model, trainer)).params;
      trainer.dispose();
      model.dispose();
      return { results, before, after, kernels: profile.kernels.length, final };
    };
    const stock = await run(tfjsOps);
    const ours = await run(webgpuOps);
    for (const [i, result] of ours.results.entries()) {
      const want = stock.results[i];
      expect(result.skipped).toBe(want.skipped);
      if (!want.skipped) {
        expect(Math.abs(result.loss - want.loss) / want.loss, `step ${i + 1} loss`).toBeLessThan(1e-4);
        expect(Math.abs(result.gradNorm - want.gradNorm) / want.gradNorm, `step ${i + 1} gradient norm`).toBeLessThan(1e-4);
      }
    }
    expect(ours.results.map((r) => r.skipped)).toEqual([false, false, true, false]);
    expect(ours.after).toEqual(ours.before);
    for (const [name, want] of stock.final) expect(relativeError(ours.final.get(name)!, want, name), name).toBeLessThan(1e-3);
    console.info(`kernels per training step: stock ${stock.kernels}, fused ${ours.kernels}`);
    expect(ours.kernels).toBeLessThan(stock.kernels);
  });
});

/** Every parameter and moment, and the optimizer's step count, read back. */
async function state(model: LlamaModel, trainer: Trainer) {
  const params = new Map<string, Float32Array>();
  for (const [name, variable] of model.params) params.set(name, (await variable.data()) as Float32Array);
  const { step, moments } = await trainer.optimizer.saveState();
  return { params, step, moments };
}
