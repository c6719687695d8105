/**
 * The Hephaestus recipe as one resumable run: an optional base stage on general text and code, Stage I
 * continual pre-training on the mixed corpus, Stage II on the seed agent data, Stage III instruction
 * tuning (loss on the answer turns only), each stage with its own budget, optimizer and schedule.
 * Checkpoints at every stage end and every `checkpointEvery` steps, each with the benchmark losses;
 * stopped anywhere, a resumed run continues at the same stage, step and data position.
 *
 * Environment-free (Node, page, worker): plain data in and out, a `CheckpointStore` passed in.
 * @module
 */
import type { CorpusDocument } from '../data/document.js';
import { benchmarkRows, measureBenchmarkLoss, type BenchmarkLoss, type BenchmarkSets } from '../eval/benchmark-loss.js';
import { packStage, type ForgeCorpus, type Stage } from '../forge/builder.js';
import { LlamaModel } from '../model/model.js';
import { checkpointFiles } from '../store/checkpoint.js';
import type { CheckpointInfo, CheckpointStore } from '../store/store.js';
import { runTraining, type SaveRequest, type TrainProgress } from '../train/loop.js';
import { Trainer } from '../train/trainer.js';
import { CheckpointError, ConfigError, throwIfAborted } from '../util/errors.js';
import { checkContext, parsePipelinePlan, type PipelinePlan } from './pipeline-plan.js';
import { loadPipelineState, type BenchmarkPoint, type PipelineBase, type PipelineRecord, type StageOutcome, type StageState } from './pipeline-state.js';

export type { BenchmarkPoint, PipelineBase, StageOutcome } from './pipeline-state.js';
import { stageTrainOptions } from './run-plan.js';

/** What {@link runPipeline} takes. */
export interface PipelineInput {
  base: PipelineBase;
  /** The Forge corpus, tokenised with `base.tokenizer`; its evaluation split is the agent benchmark. */
  corpus: ForgeCorpus;
  plan: PipelinePlan;
  /** Where checkpoints go; a fresh run needs it empty, a resumed one holding this pipeline's checkpoints. */
  store: CheckpointStore;
  /** Held-out general text (never trained on, see `holdOutGeneralText`): the forgetting benchmark. */
  generalText?: readonly CorpusDocument[];
  /** Seed of fresh weights (default 0). */
  seed?: number;
  /** Continue from the store's current checkpoint (its stage, step, optimizer state and data cursor). */
  resume?: boolean;
  /** Stops after the step in progress; the state reached is saved first. */
  signal?: AbortSignal;
  onProgress?: (event: PipelineEvent) => void;
}

/** What the progress callback is told, as plain data. */
export type PipelineEvent =
  | {
    kind: 'stage-start'; index: number; stage: Stage; stages: number; steps: number; fromStep: number;
    /** The stage's packed data: rows, and documents cut because they were longer than a row (Stage III). */
    packing: { rows: number; documents: number; truncated: number };
  }
  | { kind: 'step'; index: number; stage: Stage; globalStep: number; totalSteps: number; progress: TrainProgress }
  | { kind: 'benchmark'; point: BenchmarkPoint }
  | { kind: 'checkpoint'; index: number; stage: Stage; checkpoint: CheckpointInfo; reason: SaveRequest['reason'] }
  | { kind: 'stage-end'; index: number; stage: Stage; checkpoint: CheckpointInfo };

/** What {@link runPipeline} returns. */
export interface PipelineResult {
  stages: StageOutcome[];
  benchmarks: BenchmarkPoint[];
  /** The last checkpoint: the end of the last stage. */
  final: CheckpointInfo;
}

/**
 * Runs the plan's stages in order on one model. Each stage packs its Forge data (`packStage`; Stage
 * III with its answer-turn loss mask and the opening role token trained), trains with a fresh AdamW and
 * its own warm-up + schedule through `runTraining`, and saves a checkpoint at its end; inside it, every
 * `plan.checkpointEvery` steps. Each save (not the one an abort makes) first measures the benchmark
 * losses; the whole log travels in the checkpoints, so it survives a resume.
 *
 * @throws ConfigError for a bad plan (naming the field), CheckpointError when the store does not fit,
 *   AbortedError after saving when `signal` fires, NonFiniteError on divergence (nothing saved for it)
 */
export async function runPipeline(input: PipelineInput): Promise<PipelineResult> {
  const plan = parsePipelinePlan(input.plan);
  const { tokenizer } = input.base;
  const resumed = input.resume ? await loadPipelineState(input.store, plan, input.base) : undefined;
  if (!input.resume && (await input.store.list()).length > 0) {
    throw new CheckpointError(`${input.store.backend.describe()} already holds checkpoints: resume the pipeline there, or use an empty store`, { problem: 'refused' });
  }
  const config = resumed?.config ?? input.base.config;
  checkContext(plan, config.contextLength);
  if (tokenizer.vocabSize > config.vocabSize) throw new ConfigError('base.config.vocabSize', `${config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} ids`);
  plan.stages.forEach((stage, i) => stageTrainOptions(stage, `stages[${i}]`));
  const sets = benchmarkSets(input, plan);
  const record: PipelineRecord = resumed?.record ?? { plan: plan.stages, stagesDone: [], benchmarks: [] };
  const model = LlamaModel.create(config, { seed: input.seed ?? 0, weights: resumed?.weights ?? input.base.weights });
  try {
    const steps = plan.stages.map((stage, i) => stageTrainOptions(stage, `stages[${i}]`).steps);
    const offsets = steps.map((_, i) => steps.slice(0, i).reduce((a, b) => a + b, 0));
    let last: CheckpointInfo | undefined = resumed?.info;
    for (let index = resumed?.point.stage ?? 0; index < plan.stages.length; index++) {
      throwIfAborted(input.signal, 'pipeline');
      const point = resumed?.point.stage === index ? resumed.point.state : undefined;
      const context = { input, plan, model, sets, record, index, offset: offsets[index], totalSteps: offsets.at(-1)! + steps.at(-1)! };
      last = await runStage(context, point);
    }
    if (!last) throw new ConfigError('stages', 'the plan trained nothing');
    return { stages: record.stagesDone.map((done) => ({ ...done })), benchmarks: record.benchmarks.map((b) => ({ ...b })), final: last };
  } finally {
    model.dispose();
  }
}

interface StageContext {
  input: PipelineInput;
  plan: PipelinePlan;
  model: LlamaModel;
  sets: BenchmarkSets;
  record: PipelineRecord;
  index: number;
  /** Steps of the stages before this one. */
  offset: number;
  totalSteps: number;
}

/** One stage from `point` (or its start) to its end checkpoint, which it returns. */
async function runStage(context: StageContext, point: StageState | undefined): Promise<CheckpointInfo> {
  const { input, plan, model, record, index, offset } = context;
  const stagePlan = plan.stages[index];
  const stage = stagePlan.stage;
  const options = stageTrainOptions(stagePlan, `stages[${index}]`);
  const dataset = packStage(input.corpus, stage, { ...stagePlan, tokenizer: input.base.tokenizer });
  const trainer = new Trainer(model, options);
  try {
    if (point) {
      trainer.restore(point.trainer, point.optimizer);
      dataset.restore(point.trainer.batchSource);
    } else if (index === 0) {
      await benchmark(context, trainer, 0);
    }
    input.onProgress?.({ kind: 'stage-start', index, stage, stages: plan.stages.length, steps: options.steps, fromStep: trainer.stepCount,
      packing: { rows: dataset.rows, documents: dataset.stats.documents, truncated: dataset.stats.truncated },
    });
    let saved: CheckpointInfo | undefined;
    await runTraining(trainer, dataset, {
      signal: input.signal,
      saveEvery: plan.checkpointEvery,
      onProgress: (progress) => {
        input.onProgress?.({ kind: 'step', index, stage, globalStep: offset + progress.step, totalSteps: context.totalSteps, progress });
      },
      onSave: async (request) => {
        const losses = request.reason === 'abort' ? undefined : await benchmark(context, trainer, request.step);
        if (request.step === options.steps) record.stagesDone.push({ stage, steps: options.steps, checkpoint: '', loss: request.loss });
        const files = await checkpointFiles(model, input.base.tokenizer.toFiles(), {
          trainer: { step: request.step, skippedSteps: trainer.skippedSteps, batchSource: dataset.state(), extra: { pipeline: { ...record, stage: index } } },
          optimizer: await trainer.optimizer.saveState(),
        });
        saved = await input.store.save(files, { step: offset + request.step, stage, loss: losses?.agent ?? request.loss });
        if (request.step === options.steps) record.stagesDone[record.stagesDone.length - 1].checkpoint = saved.id;
        input.onProgress?.({ kind: 'checkpoint', index, stage, checkpoint: saved, reason: request.reason });
      },
    });
    if (!saved) throw new ConfigError(`stages[${index}]`, 'the stage ended without a checkpoint');
    input.onProgress?.({ kind: 'stage-end', index, stage, checkpoint: saved });
    return saved;
  } finally {
    trainer.dispose();
  }
}

/** Measures both benchmark losses, logs the point and reports it. */
async function benchmark(context: StageContext, trainer: Trainer, step: number): Promise<BenchmarkLoss> {
  const losses = await measureBenchmarkLoss(trainer, context.sets, context.input.signal);
  const point: BenchmarkPoint = { stage: context.plan.stages[context.index].stage, step, globalStep: context.offset + step, ...losses };
  context.record.benchmarks.push(point);
  context.input.onProgress?.({ kind: 'benchmark', point });
  return losses;
}

function benchmarkSets(input: PipelineInput, plan: PipelinePlan): BenchmarkSets {
  const shape = plan.benchmark;
  return {
    agent: benchmarkRows(input.corpus.evaluation, input.base.tokenizer, shape),
    general: benchmarkRows(input.generalText ?? [], input.base.tokenizer, shape),
  };
}
