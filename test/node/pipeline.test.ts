import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { holdOutGeneralText } from '../../src/eval/benchmark-loss.js';
import { buildForge, packStage, type ForgeCorpus } from '../../src/forge/builder.js';
import { resolveConfig, type ModelConfig } from '../../src/model/config.js';
import { DEFAULT_PIPELINE_PLAN, parsePipelinePlan, parsePipelinePlanFile, type PipelinePlan } from '../../src/recipe/pipeline-plan.js';
import { stageTrainOptions } from '../../src/recipe/run-plan.js';
import { runPipeline, type PipelineEvent } from '../../src/recipe/pipeline.js';
import { initBackend } from '../../src/runtime/backend.js';
import { parseCheckpoint } from '../../src/store/checkpoint.js';
import { CheckpointStore } from '../../src/store/store.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { Trainer } from '../../src/train/trainer.js';
import { LlamaModel } from '../../src/model/model.js';
import { AbortedError, CheckpointError, ConfigError } from '../../src/util/errors.js';
import { MemoryBackend } from '../setup/checkpoints.js';
import { SMALL_TOOLS } from '../setup/small-tools.js';

let tokenizer: Tokenizer;
let corpus: ForgeCorpus;
let generalText: ReturnType<typeof holdOutGeneralText>['heldOut'];
let config: ModelConfig;

const plan: PipelinePlan = parsePipelinePlan({
  checkpointEvery: 3,
  benchmark: { batchSize: 2, seqLen: 24, batches: 2 },
  stages: [
    { stage: 'base', tokenBudget: 4 * 24 * 3, batchSize: 4, seqLen: 24, seed: 1, train: { lr: 5e-3, warmupSteps: 1 } },
    { stage: 'stage1', tokenBudget: 4 * 24 * 4, batchSize: 4, seqLen: 24, seed: 2, train: { lr: 4e-3, warmupSteps: 1 } },
    { stage: 'stage2', tokenBudget: 3 * 24 * 7, batchSize: 3, seqLen: 24, seed: 3, train: { lr: 3e-3, warmupSteps: 2 }, schedule: 'warmup-constant' },
    { stage: 'stage3', tokenBudget: 2 * 192 * 3, batchSize: 2, seqLen: 192, seed: 4, train: { lr: 2e-3, warmupSteps: 1 } },
  ],
});

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  const split = holdOutGeneralText(syntheticCorpus({ documents: 400, seed: 5, tools: SMALL_TOOLS }), { fraction: 0.2, seed: 0 });
  generalText = split.heldOut;
  tokenizer = await trainBpeTokenizer(split.training.map((document) => document.text), { vocabSize: 512 });
  corpus = await buildForge({ documents: split.training }, { tokenizer, seed: 0, evalFraction: 0.2 });
  config = resolveConfig('nano', { vocabSize: tokenizer.vocabSize, dModel: 32, nHeads: 2, nLayers: 1, ffnHidden: 48, contextLength: 192 });
});

function input(store: CheckpointStore, extra: Partial<Parameters<typeof runPipeline>[0]> = {}): Parameters<typeof runPipeline>[0] {
  return { base: { config, tokenizer }, corpus, plan, store, generalText, seed: 3, ...extra };
}

async function finalWeights(store: CheckpointStore): Promise<Map<string, Float32Array>> {
  const { files, info } = await store.load();
  return parseCheckpoint(files, info.id).weights;
}

function maxRelativeDifference(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0;
  for (const [name, values] of a) {
    const other = b.get(name)!;
    let diff = 0;
    let scale = 0;
    for (let i = 0; i < values.length; i++) {
      diff = Math.max(diff, Math.abs(values[i] - other[i]));
      scale = Math.max(scale, Math.abs(values[i]));
    }
    worst = Math.max(worst, diff / scale);
  }
  return worst;
}

describe('runPipeline', () => {
  it('runs every stage, checkpoints each stage end and periodically, and logs both benchmark losses', async () => {
    const store = new CheckpointStore(new MemoryBackend(), { keepLast: 20 });
    const events: PipelineEvent[] = [];
    const result = await runPipeline(input(store, { onProgress: (event) => events.push(event) }));
    expect(result.stages.map((stage) => [stage.stage, stage.steps])).toEqual([['base', 3], ['stage1', 4], ['stage2', 7], ['stage3', 3]]);
    const saved = await store.list();
    // Stage ends at global steps 3, 7, 14, 17; periodic ones every 3 steps inside each stage.
    expect(saved.map((info) => `${info.stage}@${info.step}`)).toEqual(
      ['base@3', 'stage1@6', 'stage1@7', 'stage2@10', 'stage2@13', 'stage2@14', 'stage3@17']);
    expect(result.stages.map((stage) => stage.checkpoint)).toEqual(['step-000003', 'step-000007', 'step-000014', 'step-000017']);
    expect(result.final.id).toBe('step-000017');
    // One point before training, then one per (non-abort) checkpoint, each with both losses.
    expect(result.benchmarks.map((point) => point.globalStep)).toEqual([0, 3, 6, 7, 10, 13, 14, 17]);
    for (const point of result.benchmarks) {
      expect(point.agent).toBeGreaterThan(0);
      expect(point.general).toBeGreaterThan(0);
    }
    // Training on the corpus lowers both losses from the fresh model's.
    expect(result.benchmarks.at(-1)!.agent!).toBeLessThan(result.benchmarks[0].agent!);
    const stageStarts = events.filter((event) => event.kind === 'stage-start');
    expect(stageStarts.map((event) => event.kind === 'stage-start' && event.steps)).toEqual([3, 4, 7, 3]);
    const steps = events.filter((event) => event.kind === 'step');
    expect(steps.map((event) => event.kind === 'step' && event.globalStep)).toEqual(Array.from({ length: 17 }, (_, i) => i + 1));
  });

  it('killed in Stage II and resumed from the store, ends with the weights of a straight run (1e-6 relative)', async () => {
    const straight = new CheckpointStore(new MemoryBackend(), { keepLast: 3 });
    await runPipeline(input(straight));
    const expected = await finalWeights(straight);

    const backend = new MemoryBackend();
    const controller = new AbortController();
    const first = runPipeline(input(new CheckpointStore(backend, { keepLast: 3 }), {
      signal: controller.signal,
      onProgress: (event) => {
        // Stage II step 5: past its periodic checkpoint at step 3, so the abort saves mid-stage.
        if (event.kind === 'step' && event.stage === 'stage2' && event.progress.step === 5) controller.abort();
      },
    }));
    await expect(first).rejects.toBeInstanceOf(AbortedError);
    const stopped = (await new CheckpointStore(backend).list()).at(-1)!;
    expect([stopped.stage, stopped.step]).toEqual(['stage2', 12]);
    // Nothing of the first run survives but the store's bytes.
    const resumed = await runPipeline(input(new CheckpointStore(backend, { keepLast: 3 }), { resume: true }));
    expect(resumed.final.id).toBe('step-000017');
    expect(resumed.stages.map((stage) => stage.stage)).toEqual(['base', 'stage1', 'stage2', 'stage3']);
    expect(maxRelativeDifference(expected, await finalWeights(new CheckpointStore(backend)))).toBeLessThan(1e-6);
    // The benchmark log travelled through the checkpoints: the same points as a straight run.
    expect(resumed.benchmarks.map((point) => point.globalStep)).toEqual([0, 3, 6, 7, 10, 13, 14, 17]);
  });

  it('resumes at the next stage from a stage-end checkpoint, and refuses another plan naming the field', async () => {
    const backend = new MemoryBackend();
    const controller = new AbortController();
    await expect(runPipeline(input(new CheckpointStore(backend), {
      signal: controller.signal,
      onProgress: (event) => { if (event.kind === 'stage-end' && event.stage === 'stage1') controller.abort(); },
    }))).rejects.toBeInstanceOf(AbortedError);
    expect((await new CheckpointStore(backend).list()).at(-1)!.step).toBe(7);
    const changed = { ...plan, stages: plan.stages.map((stage, i) => (i === 2 ? { ...stage, tokenBudget: stage.tokenBudget + 72 } : stage)) };
    await expect(runPipeline(input(new CheckpointStore(backend), { resume: true, plan: changed }))).rejects.toThrow(/"stages\[2\]\.tokenBudget"/);
    const starts: number[] = [];
    const result = await runPipeline(input(new CheckpointStore(backend), {
      resume: true, onProgress: (event) => { if (event.kind === 'stage-start') starts.push(event.index); },
    }));
    expect(starts).toEqual([2, 3]);
    expect(result.final.step).toBe(17);
  });

  it('refuses a store that holds checkpoints unless resuming, and a resume where there is none', async () => {
    const store = new CheckpointStore(new MemoryBackend());
    await expect(runPipeline(input(store, { resume: true }))).rejects.toBeInstanceOf(CheckpointError);
    const short = parsePipelinePlan({ stages: [plan.stages[0]], checkpointEvery: 0 });
    await runPipeline(input(store, { plan: short }));
    await expect(runPipeline(input(store, { plan: short }))).rejects.toThrow(/already holds checkpoints/);
  });
});

describe('Stage III loss', () => {
  it('counts answer turns and the end of text after them only: a prompt token never carries loss, and changing prompt targets leaves the loss unchanged', async () => {
    const dataset = packStage(corpus, 'stage3', { seqLen: 192, batchSize: 2, seed: 4, tokenizer });
    const { special } = tokenizer;
    const openers = new Map([[special.system, 'system'], [special.user, 'user'], [special.assistant, 'assistant'], [special.toolCall, 'tool_call'], [special.toolResult, 'tool_result']]);
    let trained = 0;
    let roleTokens = 0;
    let stops = 0;
    for (const batch of dataset.batchesOfEpoch()) {
      for (let row = 0; row < batch.batchSize; row++) {
        let role: string | undefined;
        for (let i = 0; i < batch.seqLen; i++) {
          const at = row * batch.seqLen + i;
          const target = batch.targets[at];
          const opens = openers.get(target);
          if (opens !== undefined) role = opens;
          if (batch.mask[at] === 0) continue;
          trained += 1;
          if (target === special.endOfText) {
            // The end of the document, right after the answer's closing <|end|>: the model learns to stop.
            expect(i > 0 && batch.targets[at - 1] === special.endOfTurn && batch.mask[at - 1] === 1, `row ${row} position ${i}: a trained end of text`).toBe(true);
            stops += 1;
            continue;
          }
          // Independent of the mask code: walk the turn markers of the row itself.
          expect(role === 'assistant' || role === 'tool_call', `row ${row} position ${i} in a ${role} turn`).toBe(true);
          if (opens !== undefined) roleTokens += 1;
          if (target === special.endOfTurn) role = undefined;
        }
      }
    }
    expect(trained).toBeGreaterThan(0);
    expect(roleTokens).toBeGreaterThan(0);
    expect(stops).toBeGreaterThan(0);

    const model = LlamaModel.create(config, { seed: 1 });
    const trainer = new Trainer(model, { steps: 1 });
    try {
      const [batch] = dataset.batchesOfEpoch();
      const scrambled = { ...batch, targets: batch.targets.map((id, i) => (batch.mask[i] === 0 ? (id + 17) % tokenizer.vocabSize : id)) };
      const masked = { ...batch, targets: batch.targets.map((id, i) => (batch.mask[i] === 0 ? id : (id + 17) % tokenizer.vocabSize)) };
      const loss = await trainer.evaluate([batch]);
      expect(Math.abs((await trainer.evaluate([scrambled])) - loss)).toBeLessThan(1e-6 * loss);
      expect(Math.abs((await trainer.evaluate([masked])) - loss)).toBeGreaterThan(1e-3);
    } finally {
      trainer.dispose();
      model.dispose();
    }
  });
});

describe('pipeline plans', () => {
  it('names the bad field of a plan file', () => {
    const stage = { stage: 'stage1', tokenBudget: 100, batchSize: 2, seqLen: 16, seed: 0 };
    const cases: [unknown, RegExp][] = [
      [{ stages: [] }, /"plan.json: stages"/],
      [{ stages: [{ ...stage, tokenBudget: 0 }] }, /"plan.json: stages\[0\]\.tokenBudget"/],
      [{ stages: [{ ...stage, stage: 'stage4' }] }, /"plan.json: stages\[0\]\.stage"/],
      [{ stages: [{ ...stage, schedule: 'linear' }] }, /"plan.json: stages\[0\]\.schedule"/],
      [{ stages: [{ ...stage, train: { lr: -1 } }] }, /"plan.json: stages\[0\]\.train\.lr"/],
      [{ stages: [{ ...stage, seqLen: 400 }] }, /"plan.json: stages\[0\]\.seqLen".*context length 128/],
      [{ stages: [stage], base: { preset: 'huge' } }, /"plan.json: base\.preset"/],
      [{ stages: [stage], base: { preset: 'nano', nHeads: 3 } }, /"plan.json: base\.nHeads"/],
      [{ stages: [stage], base: { checkpoint: 'x', contextLength: 3 } }, /"plan.json: base\.contextLength"/],
      [{ stages: [stage], checkpointEvery: -1 }, /"plan.json: checkpointEvery"/],
      [{ stages: [stage], benchmark: { rows: 3 } }, /"plan.json: benchmark\.rows"/],
      [{ stages: [stage], benchmark: { seed: 0.5 } }, /"plan.json: benchmark\.seed"/],
      [{ stages: [stage], evaluation: { items: 1.5 } }, /"plan.json: evaluation\.items"/],
      [{ stages: [stage], stage: 'x' }, /"plan.json: stage"/],
    ];
    for (const [json, message] of cases) {
      expect(() => parsePipelinePlanFile(json, 'plan.json'), JSON.stringify(json)).toThrow(ConfigError);
      expect(() => parsePipelinePlanFile(json, 'plan.json'), JSON.stringify(json)).toThrow(message);
    }
    const parsed = parsePipelinePlanFile({ stages: [stage], base: { preset: 'nano', contextLength: 256 } }, 'plan.json');
    expect(parsed.base).toMatchObject({ kind: 'preset', config: { contextLength: 256, vocabSize: 1024 } });
    expect(parsed.plan.benchmark).toEqual({ batchSize: 2, seqLen: 16, batches: 4, seed: stage.seed });
    const shared = parsePipelinePlanFile({ stages: [{ ...stage, seed: 91 }], benchmark: { seed: 5 } }, 'plan.json');
    expect(shared.plan.benchmark.seed).toBe(5);
  });

  it('the built-in plan (npm run train) is a valid plan: four stages whose rows fit its context', () => {
    const parsed = parsePipelinePlanFile(structuredClone(DEFAULT_PIPELINE_PLAN), 'the built-in plan');
    expect(parsed.plan.stages.map((stage) => stage.stage)).toEqual(['base', 'stage1', 'stage2', 'stage3']);
    expect(parsed.plan.stages.map((stage, i) => stageTrainOptions(stage, `stages[${i}]`).steps)).toEqual([16, 40, 40, 10]);
    expect(parsed.base).toMatchObject({ kind: 'preset', preset: 'nano', config: { contextLength: 512, vocabSize: 1024 } });
    expect(parsed.evaluation).toEqual({ items: 24, maxNewTokens: 48 });
  });
});
