import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { RandomWindowSampler } from '../../src/data/batch.js';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { encodeDocuments } from '../../src/data/tokens.js';
import { resolveConfig } from '../../src/model/config.js';
import { generate } from '../../src/model/generate.js';
import { LlamaModel } from '../../src/model/model.js';
import { initBackend } from '../../src/runtime/backend.js';
import { checkpointFiles, parseCheckpoint } from '../../src/store/checkpoint.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import { Trainer } from '../../src/train/trainer.js';

describe('nano model on WebGPU in Chromium', () => {
  it('trains a few steps on the synthetic sample with a trained tokenizer, and checkpoints', async () => {
    const info = await initBackend({ prefer: 'webgpu' });
    expect(info.name).toBe('webgpu');
    const texts = syntheticCorpus({ documents: 80, seed: 2 }).map((document) => document.text);
    const tokenizer = await trainBpeTokenizer(texts, { vocabSize: 400 });
    expect(tokenizer.decode(tokenizer.encode(texts[1]))).toBe(texts[1]);
    const config = resolveConfig('nano', { vocabSize: tokenizer.vocabSize });
    const model = LlamaModel.create(config, { seed: 0 });
    const trainer = new Trainer(model, { steps: 8, lr: 1e-2, warmupSteps: 1 });
    const sampler = new RandomWindowSampler(encodeDocuments(tokenizer, texts), { batchSize: 4, seqLen: 32, seed: 0 });
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 0; step < 8; step++) {
      losses.push((await trainer.step(sampler)).loss);
      counts.push(tf.memory().numTensors);
    }
    console.info(`browser nano losses: ${losses.map((loss) => loss.toFixed(3)).join(' ')}`);
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0] - 0.5);
    expect(counts.at(-1)).toBe(counts[1]);

    const files = await checkpointFiles(model, tokenizer.toFiles());
    const restored = LlamaModel.create(config, { weights: parseCheckpoint(files, 'memory').weights });
    const prompt = tokenizer.encode('<|user|>Convert 10 USD to EUR<|end|>');
    const fromTrained = await generate(model, prompt, { maxNewTokens: 8 });
    expect((await generate(restored, prompt, { maxNewTokens: 8 })).tokens).toEqual(fromTrained.tokens);
    expect((await generate(model, prompt, { maxNewTokens: 8, useCache: false })).tokens).toEqual(fromTrained.tokens);
    trainer.dispose();
    model.dispose();
    restored.dispose();
  });
});
