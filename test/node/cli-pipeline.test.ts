import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/store/checkpoint.js';
import { readCheckpointFolder } from '../../src/store/node-folder.js';
import { cliEntry, runCli, spawnCli, STACK_LINE, type CliResult } from '../setup/cli.js';

/** Tests that train: a shared 2-core machine can be several times slower than a quiet one. */
const TRAINING = 600_000;

/** Micro budgets on a micro model (CPU backend): every stage, checkpoints inside Stage II, six evaluation items. */
const PLAN = {
  base: { preset: 'nano', contextLength: 512, dModel: 32, nHeads: 2, nLayers: 1, ffnHidden: 64 },
  vocabSize: 1024,
  checkpointEvery: 2,
  benchmark: { batchSize: 2, seqLen: 32, batches: 1 },
  evaluation: { items: 6, maxNewTokens: 6 },
  stages: [
    { stage: 'base', tokenBudget: 64, batchSize: 2, seqLen: 32, seed: 0 },
    { stage: 'stage1', tokenBudget: 128, batchSize: 2, seqLen: 32, seed: 1 },
    { stage: 'stage2', tokenBudget: 256, batchSize: 2, seqLen: 32, seed: 2, train: { lr: 0.002, warmupSteps: 1 } },
    { stage: 'stage3', tokenBudget: 1024, batchSize: 1, seqLen: 512, seed: 3, schedule: 'warmup-constant', train: { lr: 0.001, warmupSteps: 1 } },
  ],
};

let dir: string;
let plan: string;
let straight: CliResult;

const pipeline = (out: string, ...more: string[]) => ['pipeline', '--plan', plan, '--backend', 'cpu', '--code-files', '0', '--out', out, ...more];

async function finalWeights(out: string): Promise<Map<string, Float32Array>> {
  const store = await readCheckpointFolder(out);
  const { files, info } = await store.load();
  return parseCheckpoint(files, info.id).weights;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-cli-pipeline-'));
  plan = join(dir, 'plan.json');
  await writeFile(plan, JSON.stringify(PLAN));
  await cliEntry();
  straight = await runCli(pipeline(join(dir, 'straight')));
}, TRAINING);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('hephaestus-web pipeline', () => {
  it('runs every stage of the plan on the embedded sample, a checkpoint per stage, then evaluates the final one', async () => {
    expect(straight.stderr).not.toMatch(STACK_LINE);
    expect(straight.code).toBe(0);
    for (const stage of ['base', 'stage1', 'stage2', 'stage3']) {
      expect(straight.stderr).toMatch(new RegExp(`${stage} \\[#+\\] step \\d+/\\d+`));
      expect(straight.stdout).toMatch(new RegExp(`^${stage}: \\d+ steps, checkpoint step-\\d{6}`, 'm'));
    }
    const saved = await (await readCheckpointFolder(join(dir, 'straight'))).list();
    // keep 12: every save of this plan is still there; each stage's end is one of them.
    expect(new Set(saved.map((info) => info.stage))).toEqual(new Set(['base', 'stage1', 'stage2', 'stage3']));
    expect(saved.at(-1)).toMatchObject({ stage: 'stage3', step: 1 + 2 + 4 + 2, current: true });
    // The benchmark log: both losses at every checkpoint.
    expect(straight.stdout).toMatch(/benchmark loss \(held-out agent data \/ held-out general text\)/);
    expect(straight.stdout).toMatch(/^\s+5\s+stage2\s+2\s+agent \d+\.\d{4}, general text \d+\.\d{4}$/m);
    // The evaluation: per-category accuracy with intervals, the partial measures, held-out vs seen.
    expect(straight.stdout).toMatch(/^category\s+items\s+correct\s+accuracy\s+95% interval$/m);
    expect(straight.stdout).toMatch(/^simple_python\s+\d+\s+\d+\s+\d+\.\d%\s+\[\d+\.\d%, \d+\.\d%\]$/m);
    expect(straight.stdout).toMatch(/valid call syntax .* items/);
    expect(straight.stdout).toMatch(/required arguments .* parameters/);
    expect(straight.stdout).toMatch(/held-out functions \(never seen in training\): \d+ items/);
    expect(straight.stdout).toMatch(/seen functions: \d+ items/);
  });

  it('killed (SIGKILL) in Stage II and resumed, ends with the weights of the straight run (1e-6 relative)', async () => {
    const out = join(dir, 'killed');
    const run = await spawnCli(pipeline(out));
    await run.waitFor(/saved step-000005 \(stage2, periodic\)/, TRAINING);
    run.child.kill('SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await runCli(pipeline(out, '--resume'));
    expect(resumed.code).toBe(0);
    expect(resumed.stderr).toMatch(/stage2 \(3\/4\): 4 steps, resumed at step 2/);
    expect(resumed.stderr).not.toMatch(/^base \(1\/4\)/m);
    const expected = await finalWeights(join(dir, 'straight'));
    const got = await finalWeights(out);
    let worst = 0;
    for (const [name, values] of expected) {
      const other = got.get(name)!;
      let diff = 0;
      let scale = 0;
      for (let i = 0; i < values.length; i++) {
        diff = Math.max(diff, Math.abs(values[i] - other[i]));
        scale = Math.max(scale, Math.abs(values[i]));
      }
      worst = Math.max(worst, diff / scale);
    }
    expect(worst).toBeLessThan(1e-6);
  }, TRAINING);

  it('names the bad field of a plan, and refuses a second run into the same folder', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, JSON.stringify({ ...PLAN, stages: PLAN.stages.map((stage, i) => (i === 1 ? { ...stage, tokenBudget: 0 } : stage)) }));
    const result = await runCli(['pipeline', '--plan', bad, '--out', join(dir, 'bad')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`"${bad}: stages[1].tokenBudget"`);
    const again = await runCli(pipeline(join(dir, 'straight')));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds checkpoints .* pass --resume/);
  }, TRAINING);
});
