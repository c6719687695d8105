/**
 * The trainer service (what the worker exposes) in Node over the folder store, on WebGPU (Dawn over
 * llvmpipe): exact resume (2N steps straight vs N, a fresh service and store, N more: same losses to
 * 1e-6 relative and equal weights), pause / resume / save-now inside a run changing nothing, and the
 * refusals of a resume onto other data or settings and of a checkpoint of another config. The same for
 * a pipeline run (a Forge corpus built by the service, two stages, one folder store per run), whose
 * resume also builds the recorded corpus again with the checkpoint's tokenizer; function calling on the
 * run's last checkpoint (generateCall, evaluateCalls on the held-out functions) and deletePipeline.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SAMPLE_TOOLS, syntheticCorpus } from '../../src/data/synthetic/index.js';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import { unzipFiles } from '../../src/util/zip.js';
import { FolderBackend } from '../../src/store/node-folder.js';
import { CheckpointStore } from '../../src/store/store.js';
import { trainBpeTokenizerFiles } from '../../src/tokenizer/bpe-trainer.js';
import type { TokenizerFiles } from '../../src/tokenizer/types.js';
import { CheckpointError, ConfigError, InputError } from '../../src/util/errors.js';
import type { ModelSpec, PipelineRunEvent, TrainerEvent, TrainRequest } from '../../src/worker/protocol.js';
import type { CorpusRequest, PipelinePlanInput } from '../../src/worker/recipe-protocol.js';
import type { RunStores } from '../../src/worker/runs.js';
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

/** Pipeline run stores in Node: one folder per run under `root`. */
function folderRuns(root: string): RunStores {
  return {
    open: (name) => new CheckpointStore(new FolderBackend(join(root, name)), { keepLast: 3 }),
    names: async () => (existsSync(root) ? readdirSync(root) : []),
  };
}

const corpusRequest: CorpusRequest = { source: { kind: 'sample', documents: 60 }, seed: 3, generalFraction: 0.2, tokenizer: { vocabSize: 300 } };
/** Two stages of three steps each, a checkpoint every two steps. */
const plan: PipelinePlanInput = {
  stages: [
    { stage: 'stage1', tokenBudget: 3 * 2 * 16, batchSize: 2, seqLen: 16, seed: 1, train: { lr: 1e-2, warmupSteps: 1 } },
    { stage: 'stage2', tokenBudget: 3 * 2 * 16, batchSize: 2, seqLen: 16, seed: 2, train: { lr: 5e-3, warmupSteps: 1 } },
  ],
  checkpointEvery: 2,
  benchmark: { batchSize: 2, seqLen: 16, batches: 1 },
};

async function pipelineService(root?: string): Promise<{ service: TrainerService; root: string }> {
  const folder = root ?? mkdtempSync(join(tmpdir(), 'hw-runs-'));
  if (!root) dirs.push(folder);
  const store = new CheckpointStore(new FolderBackend(join(folder, 'single')), { keepLast: 2 });
  return { service: new TrainerService(store, backend(), { progressIntervalMs: 0 }, folderRuns(join(folder, 'runs'))), root: folder };
}

/** A service with the sample corpus built and a fresh model on its tokenizer. */
async function pipelineReady(root?: string): Promise<{ service: TrainerService; root: string }> {
  const made = await pipelineService(root);
  await made.service.buildCorpus(corpusRequest);
  await made.service.createModel({ preset: 'nano', overrides: { dModel: 32, nHeads: 2, nKvHeads: 1, ffnHidden: 48, contextLength: 32 }, seed: 3, tokenizer: 'corpus' });
  return made;
}

async function runWeights(service: TrainerService, run: string): Promise<Map<string, Float32Array>> {
  const files = unzipFiles(new Uint8Array(await (await service.exportCheckpoint(undefined, run)).arrayBuffer()), 'export');
  return new Map([...decodeSafetensors(files.get('model.safetensors')!)].map(([name, tensor]) => [name, tensor.data]));
}

describe('pipeline runs in the trainer service (Node, WebGPU, a folder per run)', () => {
  it('resumes exactly: stopped in Stage II, a fresh service on the same folders, the rest equals the straight run', async () => {
    const straight = await pipelineReady();
    const events: PipelineRunEvent[] = [];
    const whole = await straight.service.runPipeline({ name: 'straight', plan }, (event) => events.push(event));
    expect(whole).toMatchObject({ reason: 'done', globalStep: 6, totalSteps: 6 });
    expect(whole.losses).toHaveLength(6);
    expect(whole.stages.map((stage) => [stage.stage, stage.steps])).toEqual([['stage1', 3], ['stage2', 3]]);
    expect(events.filter((event) => event.kind === 'stage-start').map((event) => event.kind === 'stage-start' && event.stage)).toEqual(['stage1', 'stage2']);
    // Every step's loss reaches the page in the step events' loss lists, each once.
    const reported = events.flatMap((event) => (event.kind === 'step' ? event.losses : []));
    expect(reported.map(([step]) => step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(reported.map(([, loss]) => loss)).toEqual(whole.losses);
    // A benchmark at the start and at each save, the general-text one too (held out from the sample).
    const benchmarks = events.flatMap((event) => (event.kind === 'benchmark' ? [event.point] : []));
    expect(benchmarks.map((point) => point.globalStep)).toEqual([0, 2, 3, 5, 6]);
    for (const point of benchmarks) expect(point.general).toBeGreaterThan(0);
    expect((await straight.service.status()).model?.source).toEqual({ kind: 'checkpoint', id: 'step-000006', run: 'straight' });

    const first = await pipelineReady();
    const part = await first.service.runPipeline({ name: 'resumed', plan }, (event) => {
      if (event.kind === 'step' && event.globalStep === 4) void first.service.stop();
    });
    expect(part).toMatchObject({ reason: 'stopped', globalStep: 4 });
    first.service.dispose();

    // "Reload": a new service on the same folders, no corpus built: the run's record says how to build it again.
    const second = await pipelineService(first.root);
    const [listed] = await second.service.listPipelines();
    expect(listed).toMatchObject({ name: 'resumed', seed: 0, totalSteps: 6, corpus: { source: { kind: 'sample', documents: 60 }, generalFraction: 0.2 } });
    expect(listed.checkpoints.at(-1)).toMatchObject({ step: 4, current: true, stage: 'stage2' });
    const kinds: string[] = [];
    const rest = await second.service.runPipeline({ name: 'resumed', resume: true }, (event) => kinds.push(event.kind));
    expect(kinds).toContain('corpus');
    expect(rest).toMatchObject({ reason: 'done', globalStep: 6 });
    const resumed = [...part.losses, ...rest.losses];
    console.info(`pipeline resume (${backend().name}): straight ${whole.losses.map((l) => l.toFixed(6)).join(' ')}; resumed ${resumed.map((l) => l.toFixed(6)).join(' ')}`);
    expectClose(resumed, whole.losses);
    const [a, b] = [await runWeights(straight.service, 'straight'), await runWeights(second.service, 'resumed')];
    for (const [name, data] of a) expect(b.get(name), name).toEqual(data);
    straight.service.dispose();
    second.service.dispose();
  });

  it('pause, save-now and resume inside a pipeline run change nothing; resume from an earlier checkpoint', async () => {
    const straight = await pipelineReady();
    const whole = await straight.service.runPipeline({ name: 'straight', plan });
    const held = await pipelineReady();
    const states: string[] = [];
    const outcome = await held.service.runPipeline({ name: 'held', plan }, (event) => {
      if (event.kind === 'state') states.push(event.state);
      if (event.kind === 'step' && event.globalStep === 1) void held.service.save();
      if (event.kind === 'step' && event.globalStep === 4) {
        void held.service.pause().then(async () => {
          expect((await held.service.status()).state).toBe('paused');
          await held.service.resume();
        });
      }
    });
    expect(states).toEqual(['training', 'pausing', 'paused', 'training', 'idle']);
    expectClose(outcome.losses, whole.losses);
    expect((await held.service.listCheckpoints('held')).map((info) => info.step)).toEqual([4, 5, 6]);

    // From the pause's checkpoint again: the last two steps once more, the same losses.
    const again = await held.service.runPipeline({ name: 'held', resume: true, from: 'step-000004' });
    expectClose(again.losses, whole.losses.slice(4));
    straight.service.dispose();
    held.service.dispose();
  });

  it('refuses what does not fit, naming it, and keeps what is saved', async () => {
    const made = await pipelineReady();
    await made.service.runPipeline({ name: 'kept', plan: { ...plan, stages: plan.stages.slice(0, 1) } });
    const before = await made.service.listCheckpoints('kept');
    const again = await made.service.runPipeline({ name: 'kept', plan }).catch((error: unknown) => error);
    expect(again).toBeInstanceOf(CheckpointError);
    expect((again as Error).message).toMatch(/pipeline run "kept" .* already holds checkpoints: resume it/);
    expect(await made.service.listCheckpoints('kept')).toEqual(before);
    await expect(made.service.runPipeline({ name: 'kept', resume: true, plan })).rejects.toThrow(/the plan has 2 stages, .* planned with 1/);
    await expect(made.service.runPipeline({ name: 'never', resume: true })).rejects.toThrow(/pipeline run "never" .* has no record/);
    await expect(made.service.runPipeline({ name: '../up', plan })).rejects.toThrow(/pipeline name.*must be 1-64 letters/);
    await made.service.buildCorpus({ ...corpusRequest, tokenizer: { vocabSize: 320 } });
    const mismatch = await made.service.runPipeline({ name: 'other', plan }).catch((error: unknown) => error);
    expect(mismatch).toBeInstanceOf(InputError);
    expect((mismatch as Error).message).toMatch(/corpus was built with another tokenizer than the model's/);
    made.service.dispose();

    // A run on the user's files: after a reload the page must give them again, built with the run's tokenizer.
    const lines = syntheticCorpus({ documents: 60, seed: 3 }).map(({ kind, text, functions }) => JSON.stringify({ kind, text, functions })).join('\n');
    const files = () => ({ kind: 'files' as const, files: [new File([lines], 'mine.jsonl')] });
    const own = await pipelineReady();
    await own.service.buildCorpus({ source: files(), seed: 3, tokenizer: 'model' });
    const oneStage = { ...plan, stages: plan.stages.slice(0, 1) };
    await own.service.runPipeline({ name: 'files', plan: oneStage, resume: false });
    own.service.dispose();
    const reloaded = await pipelineService(own.root);
    const refused = await reloaded.service.runPipeline({ name: 'files', resume: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(InputError);
    expect((refused as Error).message).toMatch(/trained on your files \(mine\.jsonl\): build that corpus again .*tokenizer \{ run: "files" \}/);
    await reloaded.service.buildCorpus({ source: files(), seed: 3, tokenizer: { run: 'files' } });
    const complete = await reloaded.service.runPipeline({ name: 'files', resume: true });
    expect(complete).toMatchObject({ reason: 'done', globalStep: 3, losses: [] });
    reloaded.service.dispose();
  });

  it('answers and evaluates function calls with the run\'s last checkpoint, and deletes a run', async () => {
    const made = await pipelineReady();
    // A context that holds a prompt with its tool listing (~340 tokens).
    await made.service.createModel({ preset: 'nano', overrides: { dModel: 32, nHeads: 2, nKvHeads: 1, ffnHidden: 48, contextLength: 512 }, seed: 3, tokenizer: 'corpus' });
    await made.service.runPipeline({ name: 'calls', plan: { ...plan, stages: plan.stages.slice(0, 1) } });
    const tool = SAMPLE_TOOLS[0];
    const answer = JSON.stringify([{ [tool.name]: Object.fromEntries(Object.keys(tool.parameters.properties).map((name) => [name, ['x']])) }]);
    const reply = await made.service.generateCall({ functionsJson: JSON.stringify(tool), question: 'Please call it.', answerJson: answer, maxNewTokens: 8 });
    expect(reply.prompt).toContain(tool.name);
    expect(reply.verdict).not.toBeNull();
    expect(reply.decoded.ok || reply.decoded.problem.length > 0).toBe(true);
    expect((await made.service.generateCall({ functionsJson: JSON.stringify(tool), question: 'Hi', maxNewTokens: 4 })).verdict).toBeNull();
    await expect(made.service.generateCall({ functionsJson: '{"name": 3}', question: 'q' })).rejects.toThrow(/function docs: entry 1/);
    const evaluation = await made.service.evaluateCalls({ limit: 2, maxNewTokens: 8 });
    expect(evaluation.items).toBe(2);
    expect(evaluation.source).toMatch(/^held-out functions /);
    expect(evaluation.categories.reduce((sum, category) => sum + category.total, 0)).toBe(2);
    expect(evaluation.verdicts).toHaveLength(2);

    expect((await made.service.listPipelines()).map((run) => run.name)).toEqual(['calls']);
    await made.service.deletePipeline('calls');
    expect(await made.service.listPipelines()).toEqual([]);
    expect(await made.service.listCheckpoints('calls')).toEqual([]);
    made.service.dispose();
  });
});
