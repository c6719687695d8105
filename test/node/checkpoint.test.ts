import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RandomWindowSampler } from '../../src/data/batch.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { initBackend } from '../../src/runtime/backend.js';
import { checkpointFiles, parseCheckpoint, type CheckpointFiles } from '../../src/store/checkpoint.js';
import { encodeManifest, emptyManifest, parseManifest } from '../../src/store/manifest.js';
import { openCheckpointFolder, readCheckpointFolder } from '../../src/store/node-folder.js';
import { CheckpointStore } from '../../src/store/store.js';
import { trainBpeTokenizerFiles } from '../../src/tokenizer/bpe-trainer.js';
import type { TokenizerFiles } from '../../src/tokenizer/types.js';
import { runTraining } from '../../src/train/loop.js';
import { Trainer } from '../../src/train/trainer.js';
import { AbortedError, CheckpointError, NonFiniteError } from '../../src/util/errors.js';
import * as tf from '../../src/runtime/tfjs.js';
import { MemoryBackend, quotaError, setSafetensorsValue } from '../setup/checkpoints.js';

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

/** A trained model's checkpoint files after `steps` steps (seeded). */
async function trainedFiles(steps: number, seed = 1): Promise<CheckpointFiles> {
  const model = LlamaModel.create(config, { seed });
  const trainer = new Trainer(model, trainOptions);
  const sampler = new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 12, seed });
  for (let i = 0; i < steps; i++) await trainer.step(sampler);
  const files = await snapshot(model, trainer, sampler);
  model.dispose();
  trainer.dispose();
  return files;
}

const folder = (name: string) => join(dir, name);

describe('checkpoint store over a folder', () => {
  it('resume from the store reproduces the uninterrupted run exactly', async () => {
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
    const run = await openCheckpointFolder(folder('resume'));
    await run.store.save(await snapshot(first, firstTrainer, firstSampler), { step: 4, loss: losses[3] });
    await run.release();

    const { files, info } = await (await readCheckpointFolder(folder('resume'))).load();
    expect(info).toMatchObject({ id: 'step-000004', step: 4, stage: 'train', current: true });
    const saved = parseCheckpoint(files, info.id);
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

  it('keeps the last K, lists them, deletes one, and each step folder is a complete Hugging Face folder', async () => {
    const files = await trainedFiles(1);
    const run = await openCheckpointFolder(folder('rotate'), { keepLast: 3 });
    for (const step of [10, 20, 30, 40, 50]) await run.store.save(files, { step, loss: step / 10 });
    const listed = await run.store.list();
    expect(listed.map((entry) => [entry.id, entry.step, entry.loss, entry.current])).toEqual([
      ['step-000030', 30, 3, false], ['step-000040', 40, 4, false], ['step-000050', 50, 5, true],
    ]);
    const total = [...files.values()].reduce((sum, bytes) => sum + bytes.byteLength, 0);
    expect(listed.every((entry) => entry.bytes === total && !Number.isNaN(Date.parse(entry.createdAt)))).toBe(true);
    expect((await readdir(folder('rotate'))).sort()).toEqual(['.lock', 'manifest.json', 'step-000030', 'step-000040', 'step-000050']);
    expect((await readdir(join(folder('rotate'), 'step-000050'))).sort()).toEqual(
      ['config.json', 'model.safetensors', 'optimizer.safetensors', 'tokenizer.json', 'tokenizer_config.json', 'trainer_state.json'],
    );
    // A second save at one step gets its own id; deleting the current one makes the previous current.
    expect((await run.store.save(files, { step: 50 })).id).toBe('step-000050-2');
    await run.store.delete('step-000050-2');
    expect((await run.store.list()).find((entry) => entry.current)?.id).toBe('step-000050');
    await run.release();
    expect((await readdir(folder('rotate'))).sort()).toEqual(['manifest.json', 'step-000040', 'step-000050']);
  });

  it('names a corrupted file and offers the previous good checkpoint', async () => {
    const files = await trainedFiles(1);
    const run = await openCheckpointFolder(folder('corrupt'));
    await run.store.save(files, { step: 1 });
    await run.store.save(files, { step: 2 });
    await run.release();
    const store = await readCheckpointFolder(folder('corrupt'));
    const weights = join(folder('corrupt'), 'step-000002', 'model.safetensors');
    const original = new Uint8Array(await readFile(weights));
    const flipped = original.slice();
    flipped[flipped.length - 5] ^= 0x40;
    for (const [bytes, why] of [[flipped, /fails its SHA-256 check/], [original.subarray(0, 1000), /has 1000 bytes, the manifest says/]] as const) {
      await writeFile(weights, bytes);
      const error = await store.load().catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error).toMatchObject({ problem: 'corrupt', previousGood: 'step-000001' });
      expect((error as Error).message).toContain(weights);
      expect((error as Error).message).toMatch(why);
      expect((error as Error).message).toMatch(/the previous checkpoint step-000001 \(step 1\) verifies/);
    }
    await rm(weights);
    await expect(store.load()).rejects.toThrow(/model.safetensors is missing/);
    expect(parseCheckpoint((await store.load('step-000001')).files, 'step-000001').weights.size).toBeGreaterThan(0);
  });

  it('cleans the leftovers of an interrupted save on the next save, and nothing else', async () => {
    const files = await trainedFiles(1);
    const path = folder('leftovers');
    const run = await openCheckpointFolder(path);
    await run.store.save(files, { step: 1 });
    await mkdir(join(path, 'step-000002'));
    await writeFile(join(path, 'step-000002', 'model.safetensors'), 'half written');
    await writeFile(join(path, '.manifest.999.tmp'), '{"half":');
    await writeFile(join(path, 'notes.txt'), 'the user keeps notes here');
    await mkdir(join(path, 'data'));
    await writeFile(join(path, 'data', 'corpus.txt'), 'and data');
    await run.store.save(files, { step: 2 });
    await run.release();
    expect((await readdir(path)).sort()).toEqual(['data', 'manifest.json', 'notes.txt', 'step-000001', 'step-000002']);
    expect(await readFile(join(path, 'notes.txt'), 'utf8')).toBe('the user keeps notes here');
    expect(await readFile(join(path, 'data', 'corpus.txt'), 'utf8')).toBe('and data');
    expect((await (await readCheckpointFolder(path)).load()).info.step).toBe(2);
  });

  it('a folder it created for a run that saved nothing is removed again', async () => {
    const run = await openCheckpointFolder(folder('unused'));
    expect(await readdir(folder('unused'))).toEqual(['.lock']);
    await run.release();
    await expect(readdir(folder('unused'))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a folder or a file of the user\'s without touching it', async () => {
    const user = folder('user');
    await mkdir(user);
    await writeFile(join(user, 'thesis.tex'), 'years of work');
    await expect(openCheckpointFolder(user)).rejects.toMatchObject({ problem: 'refused', message: expect.stringMatching(/is not empty and holds no hephaestus-web checkpoints \(it has thesis.tex\)/) });
    expect(await readdir(user)).toEqual(['thesis.tex']);
    await expect(openCheckpointFolder(join(user, 'thesis.tex'))).rejects.toThrow(/is a file, not a folder; nothing was changed/);
    expect(await readFile(join(user, 'thesis.tex'), 'utf8')).toBe('years of work');
  });

  it('locks a folder: a second writer is refused with the owner\'s pid, a dead owner\'s lock is taken over', async () => {
    const path = folder('locked');
    await mkdir(path);
    const first = await openCheckpointFolder(path);
    await expect(openCheckpointFolder(path)).rejects.toMatchObject({
      problem: 'locked', message: expect.stringContaining(`in use by another training (pid ${process.pid}`),
    });
    await first.release();
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    await writeFile(join(path, '.lock'), JSON.stringify({ tool: 'hephaestus-web', pid: Number(dead.stdout), host: hostname(), startedAt: new Date().toISOString() }));
    const second = await openCheckpointFolder(path);
    expect(second.lock.tookOverFrom?.pid).toBe(Number(dead.stdout));
    await second.release();
    expect(await readdir(path)).toEqual([]);
  });
});

describe('the store logic over any blob backend', () => {
  it('saves, verifies and loads through an in-memory backend', async () => {
    const backend = new MemoryBackend();
    const store = new CheckpointStore(backend, { keepLast: 2 });
    const files = await trainedFiles(1);
    for (const step of [1, 2, 3]) await store.save(files, { step, stage: 'stage1', loss: Number.NaN });
    expect((await store.list()).map((entry) => [entry.id, entry.stage, entry.loss])).toEqual([['step-000002', 'stage1', null], ['step-000003', 'stage1', null]]);
    expect([...backend.blobs.keys()].every((key) => /^step-00000[23]\//.test(key))).toBe(true);
    const { files: loaded } = await store.load();
    expect([...loaded.keys()]).toEqual([...files.keys()]);
    backend.blobs.set('step-000003/config.json', new TextEncoder().encode('{}'));
    await expect(store.load()).rejects.toMatchObject({ problem: 'corrupt', previousGood: 'step-000002' });
  });

  it('a failed save (a full store) leaves the previous checkpoint current and nothing of its own', async () => {
    const backend = new MemoryBackend();
    const store = new CheckpointStore(backend);
    const files = await trainedFiles(1);
    await store.save(files, { step: 1 });
    const before = backend.manifestBytes;
    backend.failPut = (key, bytes) => (key.endsWith('optimizer.safetensors') ? quotaError(key, bytes.byteLength) : undefined);
    const error = await store.save(files, { step: 2 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({ problem: 'quota', bytesNeeded: files.get('optimizer.safetensors')!.byteLength });
    expect(backend.manifestBytes).toEqual(before);
    expect([...backend.blobs.keys()].some((key) => key.startsWith('step-000002/'))).toBe(false);
    expect((await store.load()).info.step).toBe(1);
  });

  it('a manifest is checked field by field', () => {
    const good = { ...emptyManifest(), current: 'step-000001', checkpoints: [{ id: 'step-000001', stage: 'train', step: 1, loss: null, createdAt: new Date(0).toISOString(), files: [{ name: 'config.json', bytes: 2, sha256: 'a'.repeat(64) }] }] };
    expect(parseManifest(encodeManifest(good), 'm').current).toBe('step-000001');
    const bad = (edit: (manifest: typeof good) => unknown, message: RegExp) =>
      expect(() => parseManifest(new TextEncoder().encode(JSON.stringify(edit(structuredClone(good)))), 'm')).toThrow(message);
    bad((m) => ({ ...m, version: 99 }), /m: field "version" is 99; this version of hephaestus-web reads version 1/);
    bad((m) => ({ ...m, current: 'step-000002' }), /field "current" must be null or the id of a listed checkpoint/);
    bad((m) => { m.checkpoints[0].files[0].name = '../../etc/passwd'; return m; }, /field "checkpoints\[0\].files\[0\].name" must be a plain file name/);
    bad((m) => { m.checkpoints[0].files[0].sha256 = 'xyz'; return m; }, /checkpoints\[0\].files\[0\].sha256" must be 64 lower-case hex digits/);
    bad((m) => { m.checkpoints[0].step = -1; return m; }, /checkpoints\[0\].step" must be a non-negative integer/);
    bad((m) => { m.checkpoints[0].id = 'notes'; return m; }, /checkpoints\[0\].id" must be a checkpoint id/);
  });
});

describe('a checkpoint is validated field by field on load', () => {
  let files: CheckpointFiles;
  beforeAll(async () => {
    files = await trainedFiles(2);
  });
  const withState = (edit: (state: Record<string, unknown>) => void): CheckpointFiles => {
    const state = JSON.parse(new TextDecoder().decode(files.get('trainer_state.json'))) as Record<string, unknown>;
    edit(state);
    return new Map(files).set('trainer_state.json', new TextEncoder().encode(JSON.stringify(state)));
  };

  it.each([
    [(s: Record<string, unknown>) => (s.step = -3), /ck\/trainer_state.json: field "step" must be a non-negative integer, got -3/],
    [(s: Record<string, unknown>) => (s.step = 'three'), /field "step" must be a non-negative integer, got "three"/],
    [(s: Record<string, unknown>) => delete s.batchSource, /field "batchSource" is missing/],
    [(s: Record<string, unknown>) => (s.batchSource = { rng: [1, 2, 3, 4] }), /field "batchSource.kind" must be "random-window" or "packed", got undefined/],
    [(s: Record<string, unknown>) => (s.skippedSteps = 5), /field "skippedSteps" is 5, more than the 2 steps taken/],
    [(s: Record<string, unknown>) => (s.optimizerStep = 9), /field "optimizerStep" is 9, more than the 2 steps taken/],
    [(s: Record<string, unknown>) => (s.learningRate = 1), /field "learningRate" is not a trainer-state field/],
  ])('trainer_state.json %#', (edit, message) => {
    expect(() => parseCheckpoint(withState(edit), 'ck')).toThrow(message);
  });

  it('a malformed batch position is refused when the checkpoint is read', () => {
    for (const rng of [[1, 2, 3], [1, 2, 3, 'x'], [1, 2, 3, 2 ** 40], 'abcd']) {
      expect(() => parseCheckpoint(withState((s) => (s.batchSource = { kind: 'random-window', rng })), 'ck'))
        .toThrow(/ck\/trainer_state.json: field "batchSource.rng" must be four 32-bit integers/);
    }
    expect(() => parseCheckpoint(withState((s) => (s.batchSource = { kind: 'packed', seed: 1, rows: 2, epoch: 0 })), 'ck'))
      .toThrow(/field "batchSource.index" must be an integer, got undefined/);
  });

  it('non-finite weights and moments are named, and never saved', async () => {
    const nan = new Map(files).set('model.safetensors', setSafetensorsValue(files.get('model.safetensors')!, 'model.layers.1.mlp.up_proj.weight', 7, Number.NaN));
    expect(() => parseCheckpoint(nan, 'ck')).toThrow(/ck\/model.safetensors: tensor "model.layers.1.mlp.up_proj.weight" holds NaN at index 7/);
    const inf = new Map(files).set('optimizer.safetensors', setSafetensorsValue(files.get('optimizer.safetensors')!, 'v.model.norm.weight', 0, Infinity));
    expect(() => parseCheckpoint(inf, 'ck')).toThrow(/ck\/optimizer.safetensors: tensor "v.model.norm.weight" holds Infinity at index 0/);

    const model = LlamaModel.create(config, { seed: 4 });
    const param = model.params.get('model.layers.0.self_attn.k_proj.weight')!;
    param.assign(tf.tidy(() => tf.mul(param, tf.scalar(Number.NaN))));
    await expect(checkpointFiles(model, tokenizer)).rejects.toThrow(NonFiniteError);
    await expect(checkpointFiles(model, tokenizer)).rejects.toThrow(/weight "model.layers.0.self_attn.k_proj.weight" holds NaN/);
    model.dispose();
  });

  it('optimizer moments must fit the model', () => {
    const moments = (edit: (tensors: [string, Float32Array][]) => [string, Float32Array][]) => {
      const { optimizer } = parseCheckpoint(files, 'ck');
      const tensors: [string, Float32Array][] = [];
      for (const [name, { m, v }] of optimizer!.moments) tensors.push([`m.${name}`, m], [`v.${name}`, v]);
      const edited = edit(tensors);
      const header: Record<string, unknown> = {};
      let offset = 0;
      for (const [name, data] of edited) {
        header[name] = { dtype: 'F32', shape: [data.length], data_offsets: [offset, offset + data.length * 4] };
        offset += data.length * 4;
      }
      const headerBytes = new TextEncoder().encode(JSON.stringify(header));
      const out = new Uint8Array(8 + headerBytes.length + offset);
      new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
      out.set(headerBytes, 8);
      let position = 8 + headerBytes.length;
      for (const [, data] of edited) {
        out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), position);
        position += data.byteLength;
      }
      return new Map(files).set('optimizer.safetensors', out);
    };
    expect(() => parseCheckpoint(moments((t) => t.filter(([name]) => !name.endsWith('model.norm.weight'))), 'ck'))
      .toThrow(/no moments for parameter "model.norm.weight" after 2 optimizer steps/);
    expect(() => parseCheckpoint(moments((t) => t.map(([name, data]) => [name, name === 'm.model.norm.weight' ? data.subarray(1) : data])), 'ck'))
      .toThrow(/tensor "m.model.norm.weight" has 31 values, its parameter 32/);
    expect(() => parseCheckpoint(moments((t) => [...t, ['m.unknown', new Float32Array(2)]]), 'ck'))
      .toThrow(/tensor "m.unknown" is not a moment of a model parameter/);
  });
});

describe('runTraining saves only healthy states', () => {
  it('stops with NonFiniteError, saving nothing, when a weight turns non-finite or the validation loss does', async () => {
    const model = LlamaModel.create(config, { seed: 5 });
    const trainer = new Trainer(model, { ...trainOptions, steps: 4 });
    const sampler = new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 12, seed: 5 });
    const saves: number[] = [];
    await runTraining(trainer, sampler, { saveEvery: 1, onSave: async ({ step }) => void saves.push(step), evalEvery: 1, evalBatches: [] });
    expect(saves).toEqual([1, 2, 3, 4]);
    expect(await trainer.nonFiniteParameter()).toBeUndefined();
    const param = model.params.get('model.embed_tokens.weight')!;
    param.assign(tf.tidy(() => tf.add(param, tf.scalar(Infinity))));
    expect(await trainer.nonFiniteParameter()).toBe('model.embed_tokens.weight');
    const more = new Trainer(model, { ...trainOptions, steps: 6 });
    more.stepCount = 4;
    // The infinite embedding gives a non-finite loss, so steps are skipped; evaluation then reports NaN.
    const evalBatches = [sampler.next()];
    await expect(runTraining(more, sampler, { saveEvery: 1, onSave: async ({ step }) => void saves.push(step), evalEvery: 1, evalBatches }))
      .rejects.toThrow(/training diverged: validation loss NaN at step 5/);
    expect(saves).toEqual([1, 2, 3, 4]);
    model.dispose();
    trainer.dispose();
    more.dispose();
  });

  it('an abort saves the step reached, then throws AbortedError', async () => {
    const model = LlamaModel.create(config, { seed: 6 });
    const trainer = new Trainer(model, { ...trainOptions, steps: 50 });
    const sampler = new RandomWindowSampler(tokens, { batchSize: 2, seqLen: 12, seed: 6 });
    const abort = new AbortController();
    const saves: { step: number; reason: string }[] = [];
    const run = runTraining(trainer, sampler, {
      saveEvery: 0, signal: abort.signal,
      onProgress: ({ step }) => (step === 3 ? abort.abort() : undefined),
      onSave: async ({ step, reason }) => void saves.push({ step, reason }),
    });
    await expect(run).rejects.toBeInstanceOf(AbortedError);
    expect(saves).toEqual([{ step: 3, reason: 'abort' }]);
    model.dispose();
    trainer.dispose();
  });
});
