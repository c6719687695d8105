/**
 * Scale-out to PyTorch: the library trains the nano model on Forge Stage I, exports the run, and Debian's
 * torchrun (2 processes, gloo, CPU, float32) continues it with python/hephaestus_torch; the library continues
 * the same checkpoint too (first, so that Dawn and torch never share the two cores), and imports what
 * PyTorch wrote. The library side runs on WebGPU (Dawn
 * over Mesa llvmpipe, float32): six times faster than the tfjs CPU backend for the nano step here.
 *
 * Same batches by construction: the run folder's shards hold the rows the library's PackedDataset serves,
 * in serving order, and step s of both trains rows s*8 .. s*8+7 (batch 4 x accumulation 2). Tolerances
 * (relative): first step's loss 1e-4, ten steps' losses 1e-3, logits 1e-4 (max|diff| / max|ref|),
 * benchmark loss 1e-5. Kills: a rank killed mid-run, and the whole run killed inside a save (test hook).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { buildForge, packStage, type ForgeCorpus } from '../../src/forge/builder.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import { benchmarkBatches, exportRun } from '../../src/recipe/export-run.js';
import { readTorchCheckpoint, writeRunDir } from '../../src/recipe/node-run-dir.js';
import { stageTrainOptions, type RunPlan, type StagePlan } from '../../src/recipe/run-plan.js';
import { decodeShard } from '../../src/recipe/run-shards.js';
import { checkpointFiles, parseCheckpoint, type CheckpointFiles } from '../../src/store/checkpoint.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { learningRate } from '../../src/train/schedule.js';
import { Trainer, type StepResult } from '../../src/train/trainer.js';
import * as tf from '@tensorflow/tfjs-core';
import { nodeWebGPU } from '../setup/node-webgpu.js';
import { checkTorch, killGroup, readMetrics, relative, runTrainer, startTrainer, type TorchRun } from '../setup/torchrun.js';

/** Stage I: 22 steps of 4 x 2 rows of 32 tokens; the library trains 2, PyTorch the other 20. */
const PLAN: StagePlan = {
  stage: 'stage1', tokenBudget: 22 * 8 * 32, batchSize: 4, seqLen: 32, seed: 1,
  train: { accumulation: 2, lr: 3e-3, minLr: 3e-4, warmupSteps: 3 },
};
const OPTIONS = stageTrainOptions(PLAN);
const LIBRARY_STEPS = 2;
const MATCHED_STEPS = 10;
const TORCH_ARGS = ['--micro-batch-rows', '2', '--save-logits', '4'];

let dir: string;
let runDir: string;
let corpus: ForgeCorpus;
let tokenizer: Tokenizer;
let checkpoint: CheckpointFiles;
let library: StepResult[];
let torch: TorchRun;

beforeAll(async () => {
  const started = Date.now();
  const phase = (what: string) => console.info(`scale-out setup: ${what} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
  checkTorch();
  expect((await nodeWebGPU()).name).toBe('webgpu');
  dir = mkdtempSync(join(tmpdir(), 'hephaestus-scale-out-'));
  runDir = join(dir, 'run');
  const documents = syntheticCorpus({ seed: 1 });
  tokenizer = await trainBpeTokenizer(documents.map((document) => document.text), { vocabSize: 512 });
  corpus = await buildForge({ documents }, { tokenizer, seed: 1 });

  const model = LlamaModel.create(resolveConfig('nano', { vocabSize: tokenizer.vocabSize }), { seed: 1 });
  const trainer = new Trainer(model, OPTIONS);
  const dataset = packStage(corpus, 'stage1', { ...PLAN, tokenizer });
  for (let i = 0; i < LIBRARY_STEPS; i++) await trainer.step(dataset);
  checkpoint = await checkpointFiles(model, tokenizer.toFiles(), {
    trainer: { step: trainer.stepCount, skippedSteps: trainer.skippedSteps, batchSource: dataset.state(), extra: {} },
    optimizer: await trainer.optimizer.saveState(),
  });
  trainer.dispose();
  model.dispose();
  await writeRunDir(runDir, exportRun({ checkpoint, checkpointSource: 'library', corpus, tokenizer, stages: [PLAN] }));

  // The library and PyTorch continue from the same checkpoint, one after the other. Each phase is timed
  // and has a deadline, so a hang names its phase in the failure instead of timing out the hook.
  phase(`library trained ${LIBRARY_STEPS} steps and exported the run`);
  library = await withDeadline(continueInLibrary(checkpoint, MATCHED_STEPS), 300_000, 'the library continuing the checkpoint');
  phase(`library continued ${MATCHED_STEPS} steps`);
  torch = await runTrainer(runDir, ['--out', 'out', '--check-sync-every', '1', '--save-every', '5', ...TORCH_ARGS], { processes: 2 });
  phase(`torchrun exited (code ${torch.code})`);
}, 900_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Restores the checkpoint into a fresh model, trainer and data cursor, and trains `steps` steps. */
async function continueInLibrary(files: CheckpointFiles, steps: number): Promise<StepResult[]> {
  const saved = parseCheckpoint(files, 'library');
  const model = LlamaModel.create(saved.config, { weights: saved.weights });
  const trainer = new Trainer(model, OPTIONS);
  trainer.restore(saved.trainer!, saved.optimizer!);
  const dataset = packStage(corpus, 'stage1', { ...PLAN, tokenizer });
  dataset.restore(saved.trainer!.batchSource);
  const results: StepResult[] = [];
  for (let i = 0; i < steps; i++) results.push(await trainer.step(dataset));
  trainer.dispose();
  model.dispose();
  return results;
}

/** The promise's value, or an error naming `what` when it takes longer than `ms`. */
async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** max|ours - ref| / max|ref|. */
function tensorError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - ref[i]));
    scale = Math.max(scale, Math.abs(ref[i]));
  }
  return diff / scale;
}

describe('continuing a library run with torchrun (2 processes, gloo, CPU)', () => {
  it('trains 20 steps: first loss equals the library\'s on the same batch, ranks stay identical, the loss falls', () => {
    expect(torch.code, torch.output).toBe(0);
    const { steps } = readMetrics(join(runDir, 'out'));
    expect(steps.map((r) => r.step)).toEqual(Array.from({ length: 20 }, (_, i) => LIBRARY_STEPS + 1 + i));
    const first = relative(steps[0].loss, library[0].loss);
    console.info(`first PyTorch step ${steps[0].loss} vs library ${library[0].loss}: relative ${first.toExponential(2)}`);
    expect(first).toBeLessThan(1e-4);
    for (const record of steps) {
      expect(record.row).toBe((record.step - 1) * 8);
      expect(record.weightDigests).toHaveLength(2);
      expect(record.weightDigests![1]).toBe(record.weightDigests![0]);
      const schedule = { maxLr: OPTIONS.lr, minLr: OPTIONS.minLr, warmupSteps: OPTIONS.warmupSteps, totalSteps: OPTIONS.steps };
      expect(relative(record.lr, learningRate(record.step, schedule))).toBeLessThan(1e-12);
    }
    const mean = (records: typeof steps) => records.reduce((sum, r) => sum + r.loss, 0) / records.length;
    console.info(`PyTorch loss: first 5 steps ${mean(steps.slice(0, 5)).toFixed(4)}, last 5 ${mean(steps.slice(-5)).toFixed(4)}`);
    expect(mean(steps.slice(-5))).toBeLessThan(mean(steps.slice(0, 5)) - 0.3);
  });

  it('matches the library continuing the same checkpoint for 10 steps (losses within 1e-3)', () => {
    const { steps } = readMetrics(join(runDir, 'out'));
    const errors = library.map((result, i) => relative(steps[i].loss, result.loss));
    console.info(`library vs PyTorch, 10 steps: worst relative loss difference ${Math.max(...errors).toExponential(2)}; ` +
      `gradient norms ${library.map((r, i) => relative(steps[i].gradNorm, r.gradNorm).toExponential(1)).join(' ')}`);
    for (const error of errors) expect(error).toBeLessThan(1e-3);
    expect(steps.slice(0, 10).map((r) => r.lr)).toEqual(library.map((r) => expect.closeTo(r.lr, 15)));
  });

  it('writes a checkpoint the library imports with the same logits and benchmark loss', async () => {
    const { files, manifest, folder } = await readTorchCheckpoint(join(runDir, 'out'));
    expect(manifest.current).toBe('stage1-step-000022');
    const saved = parseCheckpoint(files, folder);
    expect(saved.trainer!.step).toBe(22);
    const model = LlamaModel.create(saved.config, { weights: saved.weights });
    const trainer = new Trainer(model, OPTIONS);
    const batches = benchmarkBatches(corpus, tokenizer, { batchSize: 4, seqLen: 32, batches: 4, seed: 1 });
    const inputs = tf.tensor2d(batches[0].inputs, [4, 32], 'int32');
    const logits = model.forward(inputs);
    const ours = await logits.data();
    tf.dispose([inputs, logits]);
    const theirs = decodeSafetensors(readFileSync(join(runDir, 'out', 'logits-stage1-step-000022.safetensors'))).get('logits')!;
    expect(theirs.shape).toEqual([4, 32, tokenizer.vocabSize]);
    const logitsError = tensorError(ours, theirs.data);
    const benchmark = await trainer.evaluate(batches);
    const torchBenchmark = readMetrics(join(runDir, 'out')).evaluations.at(-1)!.benchmarkLoss!;
    console.info(`imported PyTorch checkpoint: logits relative error ${logitsError.toExponential(2)}; benchmark loss ` +
      `library ${benchmark} vs PyTorch ${torchBenchmark} (relative ${relative(benchmark, torchBenchmark).toExponential(2)})`);
    expect(logitsError).toBeLessThan(1e-4);
    expect(relative(benchmark, torchBenchmark)).toBeLessThan(1e-5);

    // The saved data cursor is the library's: restored, it serves the rows after PyTorch's last step.
    const resumed = packStage(corpus, 'stage1', { ...PLAN, tokenizer });
    resumed.restore(saved.trainer!.batchSource);
    const straight = packStage(corpus, 'stage1', { ...PLAN, tokenizer });
    for (let i = 0; i < 22 * OPTIONS.accumulation; i++) straight.next();
    expect(resumed.next()).toEqual(straight.next());
    trainer.dispose();
    model.dispose();
  });

  it('exports the rows the library serves, with masks, the tokenizer hash and a plan of the position', () => {
    const plan = JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8')) as RunPlan;
    expect(plan.position).toEqual({ stage: 0, step: LIBRARY_STEPS, optimizerStep: LIBRARY_STEPS, skippedSteps: 0 });
    expect(plan.stages[0]).toMatchObject({ rowsPerStep: 8, rows: 22 * 8, schedule: 'warmup-cosine', train: OPTIONS });
    const tokens = decodeShard(readFileSync(join(runDir, plan.stages[0].shards[0].tokens)), 'tokens');
    const masks = decodeShard(readFileSync(join(runDir, plan.stages[0].shards[0].masks)), 'masks');
    expect(tokens.meta).toEqual({ rowWidth: 33, vocabSize: 512, shardIndex: 0, firstRow: 0, tokenizerSha256: plan.tokenizer.sha256 });
    expect(masks.kind).toBe('mask');
    const served = packStage(corpus, 'stage1', { ...PLAN, tokenizer });
    for (let b = 0; b < 22 * OPTIONS.accumulation; b++) {
      const batch = served.next();
      for (let r = 0; r < 4; r++) {
        const row = (b * 4 + r) * 33;
        expect(Array.from(tokens.values.subarray(row, row + 32))).toEqual(Array.from(batch.inputs.subarray(r * 32, r * 32 + 32)));
        expect(tokens.values[row + 32]).toBe(batch.targets[r * 32 + 31]);
        expect(Array.from(masks.values.subarray(row + 1, row + 33))).toEqual(Array.from(batch.mask.subarray(r * 32, r * 32 + 32)));
      }
    }
    const readme = readFileSync(join(runDir, 'README.md'), 'utf8');
    expect(readme).toContain('torchrun --standalone --nproc_per_node=2 -m hephaestus_torch.train . --out out');
    expect(readme).toContain('--rdzv_backend=c10d');
  });
});

describe('a killed rank or a killed run', () => {
  it('leaves the last checkpoint loadable, and resuming continues at the right step and row', async () => {
    const out = join(runDir, 'out-kill');
    const args = ['--out', 'out-kill', '--save-every', '1', ...TORCH_ARGS];
    // Rank 1 dies at the start of step 6: rank 0 cannot finish it, so step 5 is the last checkpoint.
    const killedRank = await runTrainer(runDir, args, { processes: 2, env: { HEPHAESTUS_TORCH_TEST_HOOK: 'kill:1:6:step' } });
    expect(killedRank.code, killedRank.output).not.toBe(0);
    const afterRank = await readTorchCheckpoint(out);
    expect(afterRank.manifest.step).toBe(5);
    expect(parseCheckpoint(afterRank.files, afterRank.folder).trainer!.step).toBe(5);

    // The whole run is killed (SIGKILL to its process group) while rank 0 is inside the save of step 9:
    // the step folder is in place, the manifest not yet switched.
    const marker = join(dir, 'in-save');
    const paused = await startTrainer(runDir, args, { processes: 2, env: { HEPHAESTUS_TORCH_TEST_HOOK: `pause:0:9:save:${marker}` } });
    let ended = false;
    void paused.done.then(() => (ended = true));
    while (!existsSync(marker) && !ended) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended, 'the run ended before it reached the save of step 9').toBe(false);
    killGroup(paused.pid);
    const killedRun = await paused.done;
    expect(killedRun.output).toContain('from out-kill/stage1-step-000005: stage1 step 5 of 22, row 40');
    expect(existsSync(join(out, 'stage1-step-000009'))).toBe(true);
    const afterRun = await readTorchCheckpoint(out);
    expect(afterRun.manifest.step).toBe(8);
    expect(parseCheckpoint(afterRun.files, afterRun.folder).trainer!.batchSource).toMatchObject({ kind: 'packed', epoch: 0, index: 8 * 8 });

    const resumed = await runTrainer(runDir, args, { processes: 2 });
    expect(resumed.code, resumed.output).toBe(0);
    expect(resumed.output).toContain('from out-kill/stage1-step-000008: stage1 step 8 of 22, row 64');
    expect(existsSync(join(out, 'stage1-step-000009'))).toBe(false);
    const interrupted = readMetrics(out).steps;
    const straight = readMetrics(join(runDir, 'out')).steps;
    expect(interrupted.map((r) => r.step)).toEqual(straight.map((r) => r.step));
    const worst = Math.max(...interrupted.map((r, i) => relative(r.loss, straight[i].loss)));
    console.info(`killed and resumed twice vs uninterrupted: worst relative loss difference ${worst}`);
    expect(worst).toBeLessThan(1e-6);
    const final = (await readTorchCheckpoint(out)).manifest.files['model.safetensors'];
    expect(final).toEqual((await readTorchCheckpoint(join(runDir, 'out'))).manifest.files['model.safetensors']);
  }, 900_000);
});
