/**
 * `hephaestus-web export-run` as users run it: `train` writes a run folder, `export-run` turns its current
 * checkpoint and a Forge corpus (the embedded sample, 20 code files) into a run folder, and the first
 * command of that folder's README runs under Debian's torchrun (2 processes, gloo, CPU) for its 2 steps.
 * The library checks the PyTorch side on the exported rows themselves: the first step's loss equals the
 * library's loss of the start checkpoint on the same rows (1e-4 relative), and the checkpoint PyTorch
 * writes imports into the library with PyTorch's benchmark loss (1e-5 relative). Bad input is refused,
 * named, before the corpus is built and with nothing written. (The exported rows equal the library's
 * served batches: test/node/scale-out.test.ts.)
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/data/batch.js';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { LlamaModel } from '../../src/model/model.js';
import { readTorchCheckpoint } from '../../src/recipe/node-run-dir.js';
import type { RunPlan, ShardFile } from '../../src/recipe/run-plan.js';
import { decodeShard } from '../../src/recipe/run-shards.js';
import { initNodeBackend } from '../../src/runtime/node-webgpu.js';
import { parseCheckpoint, type CheckpointFiles } from '../../src/store/checkpoint.js';
import { loadCheckpointAt } from '../../src/store/node-folder.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import { saveTokenizerToDir } from '../../src/tokenizer/node-files.js';
import { Trainer } from '../../src/train/trainer.js';
import { runCli, STACK_LINE, type CliResult } from '../setup/cli.js';
import { checkTorch, readMetrics, relative, runTrainer } from '../setup/torchrun.js';

let dir: string;
let runFolder: string;
let exported: string;
let exportResult: CliResult;

/** A small export: 20 code files, 2 steps of 2 rows of 16 tokens, 2 benchmark batches. */
const exportArgs = (checkpoint: string, out: string, ...more: string[]) => [
  'export-run', '--checkpoint', checkpoint, '--out', out, '--code-files', '20', ...more,
];
const STAGE_ARGS = ['--tokens', '64', '--batch-size', '2', '--seq-len', '16', '--warmup-steps', '1', '--benchmark-batches', '2'];

beforeAll(async () => {
  checkTorch();
  await initNodeBackend({ prefer: 'cpu' });
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-cli-export-run-'));
  runFolder = join(dir, 'run');
  exported = join(dir, 'exported');
  const trained = await runCli(['train', '--steps', '2', '--batch-size', '2', '--seq-len', '16', '--vocab-size', '300', '--backend', 'cpu',
    '--save-every', '0', '--eval-every', '0', '--out', runFolder]);
  expect(trained.code, trained.stderr).toBe(0);
  exportResult = await runCli(exportArgs(runFolder, exported, ...STAGE_ARGS));
}, 600_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function readPlan(runDir: string): Promise<RunPlan> {
  return JSON.parse(await readFile(join(runDir, 'plan.json'), 'utf8')) as RunPlan;
}

/** The rows of shard pairs as library batches of `batchSize` rows (token i+1's weight is mask i+1). */
async function shardBatches(runDir: string, shards: ShardFile[], seqLen: number, batchSize: number): Promise<Batch[]> {
  const batches: Batch[] = [];
  for (const shard of shards) {
    const tokens = decodeShard(await readFile(join(runDir, shard.tokens)), shard.tokens).values;
    const masks = decodeShard(await readFile(join(runDir, shard.masks)), shard.masks).values;
    for (let first = 0; first + batchSize <= shard.rows; first += batchSize) {
      const batch: Batch = {
        batchSize, seqLen, inputs: new Int32Array(batchSize * seqLen), targets: new Int32Array(batchSize * seqLen), mask: new Float32Array(batchSize * seqLen),
      };
      for (let r = 0; r < batchSize; r++) {
        const row = (first + r) * (seqLen + 1);
        batch.inputs.set(tokens.subarray(row, row + seqLen), r * seqLen);
        batch.targets.set(tokens.subarray(row + 1, row + seqLen + 1), r * seqLen);
        batch.mask.set(masks.subarray(row + 1, row + seqLen + 1), r * seqLen);
      }
      batches.push(batch);
    }
  }
  return batches;
}

/** The library's mean loss of a checkpoint on batches. */
async function libraryLoss(files: CheckpointFiles, source: string, batches: Batch[]): Promise<number> {
  const checkpoint = parseCheckpoint(files, source);
  const model = LlamaModel.create(checkpoint.config, { weights: checkpoint.weights });
  const trainer = new Trainer(model, {});
  try {
    return await trainer.evaluate(batches);
  } finally {
    trainer.dispose();
    model.dispose();
  }
}

describe('hephaestus-web export-run', () => {
  it('writes the run folder: the checkpoint byte for byte, the stage and benchmark shards, plan.json, the README\'s commands', async () => {
    expect(exportResult.code, exportResult.stderr).toBe(0);
    expect(exportResult.stderr).toMatch(/^read code from .*: \d+ documents/m);
    expect((await readdir(exported)).sort()).toEqual(['README.md', 'benchmark', 'checkpoint', 'hephaestus_torch', 'plan.json', 'stage1']);
    const start = await loadCheckpointAt(runFolder);
    expect(start.files.has('optimizer.safetensors')).toBe(true);
    for (const [name, bytes] of start.files) {
      expect(Buffer.from(bytes).equals(await readFile(join(exported, 'checkpoint', name))), `checkpoint/${name} equals ${start.source}/${name}`).toBe(true);
    }
    expect((await readdir(join(exported, 'checkpoint'))).sort()).toEqual([...start.files.keys()].sort());
    const plan = await readPlan(exported);
    expect(plan.stages).toHaveLength(1);
    expect(plan.stages[0]).toMatchObject({ stage: 'stage1', tokenBudget: 64, batchSize: 2, seqLen: 16, seed: 0, rowsPerStep: 2, rows: 4 });
    expect(plan.stages[0].train).toMatchObject({ steps: 2, warmupSteps: 1, lr: 3e-3, minLr: 3e-4, accumulation: 1 });
    // train's checkpoint was trained on other data (random windows of the sample): stage1 starts at step 0.
    expect(plan.position).toEqual({ stage: 0, step: 0, optimizerStep: 0, skippedSteps: 0 });
    expect(plan.benchmark).toMatchObject({ seqLen: 16, rows: 4, batchSize: 2 });
  });

  it('the README\'s first command trains it with torchrun (2 processes); the library agrees on losses and imports the result', async () => {
    const readme = await readFile(join(exported, 'README.md'), 'utf8');
    const first = readme.split('\n').find((line) => line.startsWith('    torchrun '))!.trim().split(/\s+/);
    const trainerAt = first.indexOf('-m');
    expect(first.slice(0, trainerAt)).toEqual(['torchrun', '--standalone', '--nproc_per_node=2']);
    expect(first.slice(trainerAt, trainerAt + 3)).toEqual(['-m', 'hephaestus_torch.train', '.']);
    // The helper runs the same trainer command under torchrun with 2 processes, on a free port instead of
    // --standalone's fixed 29400 (tests may run side by side), with Debian's --redirects 1 --tee 1.
    const torch = await runTrainer(exported, first.slice(trainerAt + 3), { processes: 2 });
    expect(torch.code, torch.output).toBe(0);
    const plan = await readPlan(exported);
    const { steps, evaluations } = readMetrics(join(exported, 'out'));
    expect(steps.map((record) => [record.step, record.row])).toEqual([[1, 0], [2, 2]]);

    const start = await loadCheckpointAt(runFolder);
    const stageRows = await shardBatches(exported, plan.stages[0].shards, 16, 2);
    const ours = await libraryLoss(start.files, start.source, stageRows.slice(0, 1));
    console.info(`first PyTorch step ${steps[0].loss} vs the library on the same rows ${ours}: relative ${relative(steps[0].loss, ours).toExponential(2)}`);
    expect(relative(steps[0].loss, ours)).toBeLessThan(1e-4);

    const written = await readTorchCheckpoint(join(exported, 'out'));
    expect(written.manifest.current).toBe('stage1-step-000002');
    const benchmark = await libraryLoss(written.files, written.folder, await shardBatches(exported, plan.benchmark!.shards, 16, 2));
    const torchBenchmark = evaluations.at(-1)!.benchmarkLoss!;
    console.info(`imported PyTorch checkpoint: benchmark loss library ${benchmark} vs PyTorch ${torchBenchmark}`);
    expect(relative(benchmark, torchBenchmark)).toBeLessThan(1e-5);
  }, 300_000);

  describe('refuses bad input, naming it, before the corpus is built and with nothing written', () => {
    async function refused(args: string[], message: RegExp, out = join(dir, 'refused')): Promise<void> {
      const result = await runCli(args);
      expect(result.stderr).toMatch(message);
      expect(result.code).toBe(2);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stderr).not.toMatch(/^(read|dedup|tokenize)\b/m);
      expect(existsSync(out) && (await readdir(out)).some((name) => name === 'plan.json')).toBe(false);
      expect((await readdir(dir)).filter((name) => name.includes('.partial-'))).toEqual([]);
    }

    it('a missing checkpoint folder, a non-empty out folder', async () => {
      await refused(exportArgs(join(dir, 'nowhere'), join(dir, 'refused')), /--checkpoint: no such folder: .*nowhere/);
      const taken = join(dir, 'taken');
      await mkdir(taken);
      await writeFile(join(taken, 'notes.txt'), 'mine');
      await refused(exportArgs(runFolder, taken), /--out: .*taken holds files that are not an export of ours \(notes.txt\); nothing was changed/, taken);
      expect(await readFile(join(taken, 'notes.txt'), 'utf8')).toBe('mine');
    });

    it('a corpus tokenizer other than the checkpoint\'s, rows longer than its context', async () => {
      const other = join(dir, 'other-tokenizer');
      const texts = syntheticCorpus({ seed: 7, documents: 100 }).map((document) => document.text);
      await saveTokenizerToDir(await trainBpeTokenizer(texts, { vocabSize: 300 }), other);
      await refused(exportArgs(runFolder, join(dir, 'refused'), '--tokenizer', other),
        /step-000002\/tokenizer.json: the corpus was tokenised with another tokenizer than this checkpoint's/);
      await refused(exportArgs(runFolder, join(dir, 'refused'), '--seq-len', '200'), /--seq-len: 200 exceeds the checkpoint's context of 128 tokens/);
    });

    it('a plan file: combined with stage options, a bad field, a stage too long for the model', async () => {
      const plan = join(dir, 'plan.json');
      const stage = { stage: 'stage1', tokenBudget: 64, batchSize: 2, seqLen: 16, seed: 0 };
      await writeFile(plan, JSON.stringify({ stages: [stage] }));
      await refused(exportArgs(runFolder, join(dir, 'refused'), '--plan', plan, '--tokens', '64'), /--tokens: cannot be combined with --plan/);
      await writeFile(plan, JSON.stringify({ stages: [{ ...stage, batchSize: 0 }] }));
      await refused(exportArgs(runFolder, join(dir, 'refused'), '--plan', plan), /plan.json: stages\[0\].batchSize": must be a positive integer, got 0/);
      await writeFile(plan, JSON.stringify({ stages: [stage, { ...stage, stage: 'stage2', seqLen: 129 }] }));
      await refused(exportArgs(runFolder, join(dir, 'refused'), '--plan', plan), /plan.json: stages\[1\].seqLen": 129 exceeds the checkpoint's context of 128 tokens/);
    });
  });
});
