import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RandomWindowSampler } from '../../src/data/batch.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { initBackend } from '../../src/runtime/backend.js';
import { checkpointFiles, parseCheckpoint, type CheckpointFiles } from '../../src/store/checkpoint.js';
import { readCheckpointDir, writeCheckpointDir } from '../../src/store/node-dir.js';
import { trainBpeTokenizerFiles } from '../../src/tokenizer/bpe-trainer.js';
import type { TokenizerFiles } from '../../src/tokenizer/types.js';
import { Trainer } from '../../src/train/trainer.js';

const config = resolveConfig('nano', { vocabSize: 300, dModel: 32, nHeads: 2, ffnHidden: 40, contextLength: 16 });
const tokens = Int32Array.from({ length: 2000 }, (_, i) => (i * 31 + (i >> 3)) % config.vocabSize);
const trainOptions = { steps: 8, lr: 5e-3, warmupSteps: 2 };
let dir: string;
let tokenizer: TokenizerFiles;

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-checkpoint-'));
  tokenizer = await trainBpeTokenizerFiles(['a tiny corpus for a tiny tokenizer'], { vocabSize: 300 });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function snapshot(model: LlamaModel, trainer: Trainer, sampler: RandomWindowSampler): Promise<CheckpointFiles> {
  return checkpointFiles(model, tokenizer, {
    trainer: { step: trainer.stepCount, skippedSteps: trainer.skippedSteps, batchSource: sampler.state(), extra: {} },
    optimizer: await trainer.optimizer.saveState(),
  });
}

describe('checkpoints', () => {
  it('resume from a folder checkpoint reproduces the uninterrupted run exactly', async () => {
    const straight = LlamaModel.create(config, { seed: 1 });
    const straightTrainer = new Trainer(straight, trainOptions);
    const straightSampler = new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 12, seed: 5 });
    const expected: number[] = [];
    for (let i = 0; i < 8; i++) expected.push((await straightTrainer.step(straightSampler)).loss);

    const first = LlamaModel.create(config, { seed: 1 });
    const firstTrainer = new Trainer(first, trainOptions);
    const firstSampler = new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 12, seed: 5 });
    const losses: number[] = [];
    for (let i = 0; i < 4; i++) losses.push((await firstTrainer.step(firstSampler)).loss);
    const folder = join(dir, 'run');
    await writeCheckpointDir(folder, await snapshot(first, firstTrainer, firstSampler));

    const saved = parseCheckpoint(await readCheckpointDir(folder), folder);
    const resumed = LlamaModel.create(saved.config, { weights: saved.weights });
    const resumedTrainer = new Trainer(resumed, trainOptions);
    resumedTrainer.restore(saved.trainer!, saved.optimizer!);
    const resumedSampler = new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 12, seed: 123 });
    resumedSampler.restore(saved.trainer!.batchSource);
    for (let i = 0; i < 4; i++) losses.push((await resumedTrainer.step(resumedSampler)).loss);

    expect(losses).toEqual(expected); // bit-identical on the deterministic CPU backend
    for (const model of [straight, first, resumed]) model.dispose();
    for (const trainer of [straightTrainer, firstTrainer, resumedTrainer]) trainer.dispose();
  });

  it('never leaves a half-written checkpoint over the last good one', async () => {
    const model = LlamaModel.create(config, { seed: 2 });
    const folder = join(dir, 'safe');
    const good = await checkpointFiles(model, tokenizer);
    await writeCheckpointDir(folder, good);
    const broken: CheckpointFiles = new Map(good);
    broken.set('sub/dir/impossible.bin', new Uint8Array(4)); // writing into a missing sub-folder fails
    await expect(writeCheckpointDir(folder, broken)).rejects.toThrow(/cannot write checkpoint/);
    const after = await readCheckpointDir(folder);
    expect([...after.keys()].sort()).toEqual([...good.keys()].sort());
    expect(parseCheckpoint(after, folder).weights.get('model.norm.weight')).toEqual(
      parseCheckpoint(good, 'memory').weights.get('model.norm.weight'),
    );
    expect((await readdir(dir)).filter((name) => name.includes('.partial-'))).toEqual([]);
    model.dispose();
  });

  it('names the file and tensor when a checkpoint is damaged', async () => {
    const model = LlamaModel.create(config, { seed: 3 });
    const files = await checkpointFiles(model, tokenizer);
    const truncated = new Map(files);
    truncated.set('model.safetensors', files.get('model.safetensors')!.subarray(0, 500));
    expect(() => parseCheckpoint(truncated, 'ck')).toThrow(/ck\/model.safetensors/);
    const badJson = new Map(files);
    badJson.set('config.json', new TextEncoder().encode('{"vocab_size": '));
    expect(() => parseCheckpoint(badJson, 'ck')).toThrow(/ck\/config.json: invalid JSON/);
    const missing = new Map(files);
    missing.delete('tokenizer.json');
    expect(() => parseCheckpoint(missing, 'ck')).toThrow(/ck: missing tokenizer.json/);
    await writeFile(join(dir, 'not-a-folder'), 'x');
    await expect(readCheckpointDir(join(dir, 'nope'))).rejects.toThrow(/no checkpoint folder/);
    model.dispose();
  });
});
