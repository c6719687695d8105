/**
 * The trainer service (what the worker exposes) in Node over the folder store, on WebGPU (Dawn over
 * llvmpipe): exact resume (2N steps straight vs N, a fresh service and store, N more: same losses to
 * 1e-6 relative and equal weights), pause / resume / save-now inside a run changing nothing, and the
 * refusals of a resume onto other data or settings and of a checkpoint of another config.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import { FolderBackend } from '../../src/store/node-folder.js';
import { CheckpointStore } from '../../src/store/store.js';
import { trainBpeTokenizerFiles } from '../../src/tokenizer/bpe-trainer.js';
import type { TokenizerFiles } from '../../src/tokenizer/types.js';
import { ConfigError, InputError } from '../../src/util/errors.js';
import type { ModelSpec, TrainerEvent, TrainRequest } from '../../src/worker/protocol.js';
import { TrainerService } from '../../src/worker/service.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';

const backend = useNodeWebGPU();
const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const texts = syntheticCorpus({ documents: 40, seed: 5 }).map((document) => document.text);
const N = 3;
const request: TrainRequest = { steps: 2 * N, batchSize: 2, seqLen: 16, lr: 1e-2, warmupSteps: 1, seed: 7, evalEvery: 2 };
let tokenizer: TokenizerFiles | undefined;

async function service(dir?: string): Promise<{ service: TrainerService; dir: string }> {
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'hw-service-'));
  if (!dir) dirs.push(folder);
  tokenizer ??= await trainBpeTokenizerFiles(texts, { vocabSize: 300 });
  const created = new TrainerService(new CheckpointStore(new FolderBackend(folder), { keepLast: 2 }), backend(), { progressIntervalMs: 0 });
  await created.attachData({ kind: 'documents', texts });
  return { service: created, dir: folder };
}

const spec = (): ModelSpec => ({ preset: 'nano', overrides: { dModel: 32, nHeads: 2, nKvHeads: 1, ffnHidden: 48, contextLength: 32 }, seed: 3, tokenizer });

async function finalWeights(store: CheckpointStore): Promise<Map<string, Float32Array>> {
  const { files } = await store.load();
  return new Map([...decodeSafetensors(files.get('model.safetensors')!)].map(([name, tensor]) => [name, tensor.data]));
}

function expectClose(actual: number[], expected: number[]): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThanOrEqual(1e-6 * Math.abs(expected[i])));
}

describe('trainer service with the folder store (Node, WebGPU)', () => {
  it('resumes exactly: 2N straight equals N, a fresh service, N more', async () => {
    const straight = await service();
    await straight.service.createModel(spec());
    const whole = await straight.service.train(request);
    expect(whole.reason).toBe('done');
    expect(whole.losses).toHaveLength(2 * N);

    const first = await service();
    await first.service.createModel(spec());
    const events: TrainerEvent[] = [];
    const part = await first.service.train(request, (event) => {
      events.push(event);
      if (event.type === 'step' && event.step === N) void first.service.stop();
    });
    expect(part.reason).toBe('stopped');
    expect(part.step).toBe(N);
    expect(events.filter((event) => event.type === 'saved').map((event) => event.type === 'saved' && event.reason)).toContain('stop');
    first.service.dispose();

    // "Reload": a new store object and a new service on the same folder.
    const second = await service(first.dir);
    const loaded = await second.service.loadCheckpoint();
    expect(loaded).toMatchObject({ step: N, resumable: true });
    const rest = await second.service.train({ resume: true });
    expect(rest.reason).toBe('done');
    console.info(`service resume (${backend().name}): straight ${whole.losses.map((l) => l.toFixed(6)).join(' ')}; resumed ${[...part.losses, ...rest.losses].map((l) => l.toFixed(6)).join(' ')}`);
    expectClose([...part.losses, ...rest.losses], whole.losses);
    expectClose(rest.evaluations.map((e) => e.loss), whole.evaluations.filter((e) => e.step > N).map((e) => e.loss));
    const [a, b] = [await finalWeights(straight.service.store), await finalWeights(second.service.store)];
    for (const [name, data] of a) expect(b.get(name), name).toEqual(data);
    straight.service.dispose();
    second.service.dispose();
  });

  it('pause, save-now and resume inside a run change nothing', async () => {
    const straight = await service();
    await straight.service.createModel(spec());
    const whole = await straight.service.train(request);
    const held = await service();
    await held.service.createModel(spec());
    const states: string[] = [];
    const run = held.service.train(request, (event) => {
      if (event.type === 'state') states.push(event.state);
      if (event.type === 'step' && event.step === 2) void held.service.save();
      if (event.type === 'step' && event.step === 4) {
        void held.service.pause().then(async () => {
          expect((await held.service.status()).state).toBe('paused');
          expect((await held.service.generate({ prompt: '<|user|>hi', maxNewTokens: 3 })).tokens.length).toBeGreaterThan(0);
          await held.service.resume();
        });
      }
    });
    const outcome = await run;
    expect(states).toEqual(['training', 'pausing', 'paused', 'training', 'idle']);
    expectClose(outcome.losses, whole.losses);
    expect((await held.service.listCheckpoints()).map((info) => info.step)).toEqual([2, 2 * N]);
    straight.service.dispose();
    held.service.dispose();
  });

  it('refuses to resume onto other data or settings, and a checkpoint of another config, naming what differs', async () => {
    const first = await service();
    await first.service.createModel(spec());
    await first.service.train({ ...request, steps: 2 });
    await first.service.loadCheckpoint();
    await expect(first.service.train({ resume: true, batchSize: 4 })).rejects.toThrow(ConfigError);
    await expect(first.service.train({ resume: true, batchSize: 4 })).rejects.toThrow(/train\.batchSize.*is 4, but the run being resumed has 2/);
    await first.service.attachData({ kind: 'documents', texts: texts.slice(1) });
    const otherData = first.service.train({ resume: true, steps: 4 });
    await expect(otherData).rejects.toThrow(InputError);
    await expect(first.service.train({ resume: true, steps: 4 })).rejects.toThrow(/attached data is not the data this run trained on/);
    const error = await first.service.loadCheckpoint(undefined, { vocabSize: 1024 }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe('vocabSize');
    expect((error as ConfigError).message).toMatch(/has vocabSize 300, this page expects 1024/);
    await expect(first.service.loadCheckpoint(undefined, { dModel: 64 })).rejects.toThrow(/has dModel 32, this page expects 64/);
    first.service.dispose();
  });
});
