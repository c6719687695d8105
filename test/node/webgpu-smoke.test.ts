import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RandomWindowSampler } from '../../src/data/batch.js';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { encodeDocuments } from '../../src/data/tokens.js';
import { resolveConfig } from '../../src/model/config.js';
import { generate } from '../../src/model/generate.js';
import { LlamaModel } from '../../src/model/model.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import { Trainer } from '../../src/train/trainer.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';

const backend = useNodeWebGPU();

describe('nano model on WebGPU in Node (Dawn)', () => {
  it('trains a few steps on the synthetic sample: loss falls, tensor count flat, cached greedy == uncached', async () => {
    expect(backend().name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    const texts = syntheticCorpus({ documents: 120, seed: 1 }).map((document) => document.text);
    const tokenizer = await trainBpeTokenizer(texts, { vocabSize: 512 });
    const config = resolveConfig('nano', { vocabSize: tokenizer.vocabSize });
    const model = LlamaModel.create(config, { seed: 0 });
    const trainer = new Trainer(model, { steps: 12, lr: 1e-2, warmupSteps: 2 });
    const sampler = new RandomWindowSampler(encodeDocuments(tokenizer, texts), { batchSize: 4, seqLen: 32, seed: 0 });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 12; step++) {
      losses.push((await trainer.step(sampler)).loss);
      counts.push(tf.memory().numTensors);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 1);
    expect(counts.at(-1)).toBe(counts[2]);

    const prompt = tokenizer.encode('<|user|>What is the weather in Paris?<|end|>');
    const cached = await generate(model, prompt, { maxNewTokens: 12 });
    const uncached = await generate(model, prompt, { maxNewTokens: 12, useCache: false });
    expect(cached.tokens).toEqual(uncached.tokens);
    trainer.dispose();
    model.dispose();
  });
});
