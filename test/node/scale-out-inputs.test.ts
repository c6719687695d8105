/**
 * Bad input on the scale-out path is named (file and field) before any training starts: in the library's
 * export, and in the PyTorch trainer reading a run folder (a shard of another tokenizer, a plan for
 * another model shape, missing files, a batch that does not split over the processes). A micro model and
 * a small synthetic corpus keep it fast; the trainer runs as one plain Python process.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { buildForge, packStage, type ForgeCorpus } from '../../src/forge/builder.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { paramSpecs } from '../../src/model/params.js';
import { exportRun, type ExportRunInput } from '../../src/recipe/export-run.js';
import { writeRunDir } from '../../src/recipe/node-run-dir.js';
import { parseStagePlans, type StagePlan } from '../../src/recipe/run-plan.js';
import { initNodeBackend } from '../../src/runtime/node-webgpu.js';
import { checkpointFiles, type CheckpointFiles } from '../../src/store/checkpoint.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { checkTorch, runTrainer } from '../setup/torchrun.js';

const config = resolveConfig('nano', { vocabSize: 300, dModel: 32, nHeads: 2, ffnHidden: 48, contextLength: 32 });
const PLAN: StagePlan = { stage: 'stage1', tokenBudget: 3 * 4 * 16, batchSize: 4, seqLen: 16, seed: 5, train: { warmupSteps: 1 } };

interface Fixture {
  tokenizer: Tokenizer;
  corpus: ForgeCorpus;
  checkpoint: CheckpointFiles;
  runDir: string;
}

let dir: string;
let ours: Fixture;
let other: Fixture;

/** A corpus, its own tokenizer, a fresh micro checkpoint, and their run folder. */
async function fixture(seed: number, name: string): Promise<Fixture> {
  const documents = syntheticCorpus({ seed, documents: 150 });
  const tokenizer = await trainBpeTokenizer(documents.map((document) => document.text), { vocabSize: config.vocabSize });
  const corpus = await buildForge({ documents }, { tokenizer, seed });
  const model = LlamaModel.create(config, { seed });
  const checkpoint = await checkpointFiles(model, tokenizer.toFiles());
  model.dispose();
  const runDir = join(dir, name);
  await writeRunDir(runDir, exportRun({ checkpoint, checkpointSource: name, corpus, tokenizer, stages: [PLAN] }));
  return { tokenizer, corpus, checkpoint, runDir };
}

beforeAll(async () => {
  checkTorch();
  await initNodeBackend({ prefer: 'cpu' });
  dir = mkdtempSync(join(tmpdir(), 'hephaestus-scale-out-inputs-'));
  ours = await fixture(2, 'ours');
  other = await fixture(3, 'other');
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Moments for every parameter (zeros): a checkpoint after one optimizer step must hold them all. */
function zeroMoments(): Map<string, { m: Float32Array; v: Float32Array }> {
  const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
  return new Map(paramSpecs(config).map((spec) => [spec.name, { m: new Float32Array(size(spec.shape)), v: new Float32Array(size(spec.shape)) }]));
}

async function collect(input: ExportRunInput): Promise<string[]> {
  const paths: string[] = [];
  for await (const file of exportRun(input)) paths.push(file.path);
  return paths;
}

describe('export-run rejects bad input, naming it, before it writes anything', () => {
  const input = (): ExportRunInput => ({ checkpoint: ours.checkpoint, checkpointSource: 'ck', corpus: ours.corpus, tokenizer: ours.tokenizer, stages: [PLAN] });

  it('a corpus tokenised with another tokenizer than the checkpoint\'s', async () => {
    await expect(collect({ ...input(), corpus: other.corpus, tokenizer: other.tokenizer })).rejects.toThrow(/^ck\/tokenizer.json: the corpus was tokenised with another tokenizer/);
  });

  it('rows longer than the model\'s context, and a bad stage plan', async () => {
    await expect(collect({ ...input(), stages: [{ ...PLAN, seqLen: 40 }] })).rejects.toThrow(/"stages\[0\].seqLen": 40 exceeds the checkpoint's context length 32/);
    await expect(collect({ ...input(), stages: [{ ...PLAN, train: { lr: -1 } }] })).rejects.toThrow(/"stages\[0\].train.lr": must be a finite number >= 0/);
    expect(() => parseStagePlans({ stages: [{ ...PLAN, stage: 'stage4' }] }, 'pipeline.json')).toThrow(/"pipeline.json: stages\[0\].stage": must be one of base, stage1/);
    expect(() => parseStagePlans({ stages: [{ ...PLAN, train: { steps: 9 } }] }, 'pipeline.json')).toThrow(/"pipeline.json: stages\[0\].train.steps": is not an optimizer setting/);
    expect(() => parseStagePlans({ stages: [{ ...PLAN, budget: 9 }] }, 'pipeline.json')).toThrow(/"pipeline.json: stages\[0\].budget": is not a stage field/);
    expect(parseStagePlans({ stages: [PLAN] }, 'pipeline.json')).toEqual([PLAN]);
  });

  it('a checkpoint whose data cursor belongs to other data', async () => {
    const rows = packStage(ours.corpus, 'stage1', { ...PLAN, tokenizer: ours.tokenizer }).rows;
    const model = LlamaModel.create(config, { seed: 2 });
    const trained = await checkpointFiles(model, ours.tokenizer.toFiles(), {
      trainer: { step: 1, skippedSteps: 0, batchSource: { kind: 'packed', seed: 99, rows, epoch: 0, index: 4 }, extra: {} },
      optimizer: { step: 1, moments: zeroMoments() },
    });
    model.dispose();
    await expect(collect({ ...input(), checkpoint: trained })).rejects.toThrow(/^ck\/trainer_state.json: batchSource \(seed 99, \d+ rows\) is not the data cursor of stage1/);
  });

  it('an output folder that is not empty is left untouched', async () => {
    const target = join(dir, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'notes.txt'), 'mine');
    await expect(writeRunDir(target, exportRun(input()))).rejects.toThrow(/taken: exists and is not empty; nothing was written/);
    expect(readFileSync(join(target, 'notes.txt'), 'utf8')).toBe('mine');
  });
});

describe('the PyTorch trainer names bad run folders before training', () => {
  /** A copy of our run folder with one defect, run as one process; returns its outcome. */
  async function broken(name: string, damage: (runDir: string) => void, args: string[] = [], env: Record<string, string> = {}) {
    const runDir = join(dir, `broken-${name}`);
    cpSync(ours.runDir, runDir, { recursive: true });
    damage(runDir);
    const result = await runTrainer(runDir, ['--out', 'out', ...args], { processes: 0, env });
    expect(result.code, result.output).toBe(2);
    expect(existsSync(join(runDir, 'out')), 'nothing trained, nothing written').toBe(false);
    return result.output;
  }

  it('trains the intact folder (the control)', async () => {
    const result = await runTrainer(ours.runDir, ['--out', join(dir, 'control-out')], { processes: 0 });
    expect(result.code, result.output).toBe(0);
    expect(result.output).toContain('done: stage1-step-000003');
  });

  it('a shard made with another tokenizer', async () => {
    const output = await broken('tokenizer', (runDir) => cpSync(join(other.runDir, 'stage1/tokens_000000.bin'), join(runDir, 'stage1/tokens_000000.bin')));
    expect(output).toMatch(/stage1\/tokens_000000.bin: header field tokenizer_sha256 is [0-9a-f]{16}\.\.\., the checkpoint's tokenizer.json is [0-9a-f]{16}\.\.\.: this shard was made with another tokenizer/);
  });

  it('a plan for another model shape than the checkpoint', async () => {
    const output = await broken('shape', (runDir) => {
      const plan = JSON.parse(readFileSync(join(runDir, 'plan.json'), 'utf8'));
      plan.model.hidden_size = 64;
      writeFileSync(join(runDir, 'plan.json'), JSON.stringify(plan));
    });
    expect(output).toMatch(/plan.json: field model.hidden_size is 64, but .*checkpoint\/config.json has hidden_size 32: the plan is for another model shape/);
  });

  it('missing files: a mask shard, the weights, the plan', async () => {
    expect(await broken('mask', (runDir) => unlinkSync(join(runDir, 'stage1/masks_000000.bin'))))
      .toMatch(/stage1\/masks_000000.bin: missing \(listed in plan.json stages\[0\].shards\[0\]\)/);
    expect(await broken('weights', (runDir) => unlinkSync(join(runDir, 'checkpoint/model.safetensors'))))
      .toMatch(/checkpoint\/model.safetensors: missing/);
    expect(await broken('plan', (runDir) => unlinkSync(join(runDir, 'plan.json')))).toMatch(/plan.json: missing plan/);
  });

  it('rows per step that do not split over the processes, and --transformers without transformers', async () => {
    expect(await broken('world', () => {}, [], { WORLD_SIZE: '3', RANK: '0' }))
      .toMatch(/field stages\[0\].rowsPerStep 4 does not split into 3 processes/);
    const probe = await runTrainer(ours.runDir, ['--out', join(dir, 'transformers-out'), '--transformers'], { processes: 0 });
    if (probe.code === 2) {
      expect(probe.output).toContain('--transformers: the transformers package is not installed; run without --transformers');
    } else {
      expect(probe.code, probe.output).toBe(0); // transformers is installed: its LlamaForCausalLM trains the same folder
    }
  });
});
