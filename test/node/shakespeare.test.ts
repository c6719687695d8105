import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RandomWindowSampler, sequentialBatches } from '../../src/data/batch.js';
import { encodeDocuments, splitTokens } from '../../src/data/tokens.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import { runTraining } from '../../src/train/loop.js';
import { Trainer } from '../../src/train/trainer.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';

const SHAKESPEARE = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'text', 'tinyshakespeare.txt');

useNodeWebGPU();

describe('nano preset on tinyshakespeare (WebGPU)', () => {
  it('validation loss falls steadily over 200 steps', async () => {
    const text = await readFile(SHAKESPEARE, 'utf8');
    // Tokenizer from the first 200 KB; validation = the last 10% of the whole play.
    const tokenizer = await trainBpeTokenizer([text.slice(0, 200_000)], { vocabSize: 512 });
    const { train, validation } = splitTokens(encodeDocuments(tokenizer, [text]), 0.1);
    const model = LlamaModel.create(resolveConfig('nano', { vocabSize: tokenizer.vocabSize }), { seed: 0 });
    const trainer = new Trainer(model, { steps: 200, lr: 3e-3, minLr: 3e-4, warmupSteps: 20 });
    const evalBatches = sequentialBatches(validation, 8, 64, 4);
    const curve = [{ step: 0, loss: await trainer.evaluate(evalBatches) }];
    curve.push(...await runTraining(trainer, new RandomWindowSampler(train, { batchSize: 4, seqLen: 64, seed: 0 }), {
      evalBatches, evalEvery: 40,
    }));
    console.info(`tinyshakespeare nano validation loss: ${curve.map(({ step, loss }) => `${step}:${loss.toFixed(3)}`).join(' ')}`);
    expect(curve.map(({ step }) => step)).toEqual([0, 40, 80, 120, 160, 200]);
    for (let i = 1; i < curve.length; i++) expect(curve[i].loss).toBeLessThan(curve[i - 1].loss);
    expect(curve.at(-1)!.loss).toBeLessThan(curve[0].loss - 1.5);
    trainer.dispose();
    model.dispose();
  }, 600_000);
});
