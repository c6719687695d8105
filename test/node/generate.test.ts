import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/model/config.js';
import { generate, nextLogits, pickToken } from '../../src/model/generate.js';
import { LlamaModel, disposeCache } from '../../src/model/model.js';
import { tfjsOps } from '../../src/kernels/stock/tfjs.js';
import { webgpuOps } from '../../src/kernels/webgpu/set.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { nodeWebGPU } from '../setup/node-webgpu.js';

// Odd sizes and grouped-query attention; weights larger than the default init so logits differ a lot.
const config = resolveConfig('nano', {
  vocabSize: 53, dModel: 24, nHeads: 4, nKvHeads: 2, ffnHidden: 37, nLayers: 2, contextLength: 40,
});

function spreadWeights(seed: number): Map<string, Float32Array> {
  const model = LlamaModel.create(config, { seed });
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of model.specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    weights.set(spec.name, Float32Array.from({ length: size }, () => (spec.kind === 'norm' ? 1 + 0.2 * rng.normal() : 0.3 * rng.normal())));
  }
  model.dispose();
  return weights;
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('generation with a KV cache', () => {
  it('gives the same logits as the full forward pass at every position (max abs diff < 1e-4)', async () => {
    const model = LlamaModel.create(config, { weights: spreadWeights(1) });
    const tokens = Array.from({ length: 29 }, (_, i) => (i * 17 + 3) % config.vocabSize);
    const full = tf.tidy(() => model.forward(tf.tensor2d([tokens], [1, tokens.length], 'int32')));
    const fullValues = await full.data();
    full.dispose();
    const cache = model.emptyCache(1);
    // Feed a 7-token prefix, then chunks of 1, 3 and 1 tokens...
    const chunks = [7, 1, 3, 1, 5, 12];
    let position = 0;
    let worst = 0;
    for (const size of chunks) {
      const chunk = tokens.slice(position, position + size);
      const logits = tf.tidy(() => model.forward(tf.tensor2d([chunk], [1, size], 'int32'), cache));
      const values = await logits.data();
      logits.dispose();
      values.forEach((value, i) => {
        worst = Math.max(worst, Math.abs(value - fullValues[position * config.vocabSize + i]));
      });
      position += size;
    }
    disposeCache(cache);
    expect(position).toBe(tokens.length);
    expect(worst).toBeLessThan(1e-4);
    model.dispose();
  });

  it('greedy decoding is token-for-token identical with and without the cache', async () => {
    const model = LlamaModel.create(config, { weights: spreadWeights(2) });
    for (const prompt of [[5], [1, 2, 3, 4], [50, 0, 7, 7, 7, 9, 11]]) {
      const cached = await generate(model, prompt, { maxNewTokens: 25, useCache: true });
      const uncached = await generate(model, prompt, { maxNewTokens: 25, useCache: false });
      expect(cached.tokens).toHaveLength(25);
      expect(cached.tokens).toEqual(uncached.tokens);
    }
    model.dispose();
  });

  it('leaves no tensors behind', async () => {
    const model = LlamaModel.create(config, { weights: spreadWeights(3) });
    const before = tf.memory().numTensors;
    await generate(model, [1, 2], { maxNewTokens: 6 });
    await generate(model, [1, 2], { maxNewTokens: 6, useCache: false, temperature: 1, topK: 5 });
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('stops at a stop token, at maxNewTokens, and at the context length', async () => {
    const model = LlamaModel.create(config, { weights: spreadWeights(4) });
    const free = await generate(model, [3], { maxNewTokens: 10 });
    const stopAt = free.tokens[4];
    const stopped = await generate(model, [3], { maxNewTokens: 10, stopTokens: [stopAt] });
    expect(stopped.stopReason).toBe('stop-token');
    expect(stopped.tokens.at(-1)).toBe(stopAt);
    expect(stopped.tokens).toEqual(free.tokens.slice(0, free.tokens.indexOf(stopAt) + 1));
    const long = await generate(model, Array(35).fill(1), { maxNewTokens: 100 });
    expect(long.stopReason).toBe('context-full');
    expect(long.tokens).toHaveLength(5);
    await expect(generate(model, [], {})).rejects.toThrow(/prompt is empty/);
    await expect(generate(model, [999], {})).rejects.toThrow(/outside the vocabulary/);
    model.dispose();
  });

  it('sampling is seeded and respects top-k', async () => {
    const model = LlamaModel.create(config, { weights: spreadWeights(5) });
    const a = await generate(model, [4, 8], { maxNewTokens: 12, temperature: 1.5, seed: 9 });
    const b = await generate(model, [4, 8], { maxNewTokens: 12, temperature: 1.5, seed: 9 });
    expect(a.tokens).toEqual(b.tokens);
    const logits = await nextLogits(model, [4, 8]);
    const top3 = Array.from(logits.keys()).sort((x, y) => logits[y] - logits[x]).slice(0, 3);
    const rng = new Rng(1);
    const drawn = new Set(Array.from({ length: 300 }, () => pickToken(logits, 5, 3, rng)));
    expect([...drawn].every((id) => top3.includes(id))).toBe(true);
    expect(drawn.size).toBe(3); // at high temperature all three show up in 300 draws
    model.dispose();
  });
});

describe('generation on WebGPU with our kernels', () => {
  beforeAll(async () => {
    await nodeWebGPU();
    await tf.setBackend('webgpu');
  });
  afterAll(() => tf.setBackend('cpu'));

  it('greedy decoding with the KV cache (one query against many keys) is token-identical with the stock kernels', async () => {
    const model = LlamaModel.create(config, { weights: spreadWeights(6) });
    try {
      for (const prompt of [[5], [50, 0, 7, 7, 7, 9, 11]]) {
        model.useOps(tfjsOps);
        const stock = await generate(model, prompt, { maxNewTokens: 12 });
        model.useOps(webgpuOps);
        const before = tf.memory().numTensors;
        const ours = await generate(model, prompt, { maxNewTokens: 12 });
        const uncached = await generate(model, prompt, { maxNewTokens: 12, useCache: false });
        expect(tf.memory().numTensors).toBe(before);
        expect(ours.tokens).toHaveLength(12);
        expect(ours.tokens).toEqual(stock.tokens);
        expect(uncached.tokens).toEqual(stock.tokens);
      }
    } finally {
      model.dispose();
    }
  });
});
