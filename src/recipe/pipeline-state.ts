/**
 * What a pipeline keeps in each checkpoint (`trainer_state.json`, field `extra.pipeline`) and how a
 * resumed run reads it back: the stage index, the plan it ran (a resume with another plan is refused,
 * naming the stage field that differs), the finished stages and the benchmark log.
 *
 * Browser-safe.
 * @module
 */
import type { BenchmarkLoss } from '../eval/benchmark-loss.js';
import type { Stage } from '../forge/builder.js';
import type { ModelConfig } from '../model/config.js';
import { parseCheckpoint } from '../store/checkpoint.js';
import type { CheckpointInfo, CheckpointStore } from '../store/store.js';
import type { TrainerState } from '../store/trainer-state.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { AdamWState } from '../train/adamw.js';
import { isObject } from '../tools/index.js';
import { CheckpointError, ConfigError } from '../util/errors.js';
import type { PipelinePlan } from './pipeline-plan.js';
import { stageTrainOptions, type StagePlan } from './run-plan.js';

/** The model a pipeline starts from: a fresh preset (no weights), a checkpoint, or an imported Hugging Face model. */
export interface PipelineBase {
  config: ModelConfig;
  /** Weights by Hugging Face name; absent: fresh weights from `seed`. */
  weights?: Map<string, Float32Array>;
  /** The tokenizer the corpus was tokenised with; saved in every checkpoint. */
  tokenizer: Tokenizer;
}

/** One benchmark measurement of the run (the paper's Fig. 5b at toy scale). */
export interface BenchmarkPoint extends BenchmarkLoss {
  stage: Stage;
  /** Step within the stage. */
  step: number;
  /** Steps since the start of the pipeline. */
  globalStep: number;
}

/** A finished stage: its steps and its end-of-stage checkpoint. */
export interface StageOutcome {
  stage: Stage;
  steps: number;
  checkpoint: string;
  /** The last step's training loss. */
  loss: number;
}

/** The pipeline's own part of a checkpoint. */
export interface PipelineRecord {
  /** The stages as planned (a resume must run the same ones). */
  plan: StagePlan[];
  stagesDone: StageOutcome[];
  benchmarks: BenchmarkPoint[];
}

/** A stage's saved training state: where its trainer and data cursor stood. */
export interface StageState {
  trainer: TrainerState;
  optimizer: AdamWState;
}

/** Where a resumed run continues: stage `stage`, from `state` (absent: the stage's start). */
export interface ResumePoint {
  stage: number;
  state?: StageState;
}

/** A checkpoint of this pipeline, decoded for a resume. */
export interface ResumedPipeline {
  info: CheckpointInfo;
  config: ModelConfig;
  weights: Map<string, Float32Array>;
  record: PipelineRecord;
  point: ResumePoint;
}

/**
 * Loads the store's current checkpoint (verified) and checks that it is one of this pipeline: same
 * stage plans, same tokenizer. A checkpoint at a stage's end resumes at the next stage's start.
 * @throws CheckpointError naming what does not fit; ConfigError naming the plan field that changed
 */
export async function loadPipelineState(store: CheckpointStore, plan: PipelinePlan, base: PipelineBase): Promise<ResumedPipeline> {
  const { info, files } = await store.load();
  const source = store.backend.describe(info.id);
  const checkpoint = parseCheckpoint(files, source);
  if (!checkpoint.trainer || !checkpoint.optimizer) throw new CheckpointError(`${source}: holds no training state (trainer_state.json) to resume`);
  const file = `${source}/trainer_state.json`;
  const saved = checkpoint.trainer.extra.pipeline;
  if (!isObject(saved) || !Number.isInteger(saved.stage) || !Array.isArray(saved.plan) || !Array.isArray(saved.stagesDone) || !Array.isArray(saved.benchmarks)) {
    throw new CheckpointError(`${file}: field "extra.pipeline" is missing or malformed: this checkpoint was not written by a pipeline`);
  }
  const stage = saved.stage as number;
  comparePlans(saved.plan as StagePlan[], plan.stages, file);
  if (stage < 0 || stage >= plan.stages.length) throw new CheckpointError(`${file}: field "extra.pipeline.stage" is ${stage}, outside the plan's ${plan.stages.length} stages`);
  if (JSON.stringify(checkpoint.tokenizer.tokenizerJson) !== JSON.stringify(base.tokenizer.toFiles().tokenizerJson)) {
    throw new CheckpointError(`${source}/tokenizer.json: is not the tokenizer the corpus was tokenised with`);
  }
  const record: PipelineRecord = {
    plan: plan.stages, stagesDone: saved.stagesDone as StageOutcome[], benchmarks: saved.benchmarks as BenchmarkPoint[],
  };
  const steps = stageTrainOptions(plan.stages[stage], `stages[${stage}]`).steps;
  const state = { trainer: checkpoint.trainer, optimizer: checkpoint.optimizer };
  const point: ResumePoint = checkpoint.trainer.step >= steps ? { stage: stage + 1 } : { stage, state };
  return { info, config: checkpoint.config, weights: checkpoint.weights, record, point };
}

/** The saved run's stages must be the planned ones; the first difference is named. */
function comparePlans(saved: StagePlan[], planned: StagePlan[], file: string): void {
  if (saved.length !== planned.length) {
    throw new ConfigError('stages', `the plan has ${planned.length} stages, the run in ${file} was planned with ${saved.length}: resume with its plan`);
  }
  planned.forEach((stage, i) => {
    const keys = new Set([...Object.keys(stage), ...Object.keys(saved[i] ?? {})]);
    for (const key of keys) {
      const ours = JSON.stringify(stage[key as keyof StagePlan] ?? null);
      const theirs = JSON.stringify((saved[i] as unknown as Record<string, unknown>)[key] ?? null);
      if (ours !== theirs && !(key === 'train' && sameTrain(stage.train, saved[i].train))) {
        throw new ConfigError(`stages[${i}].${key}`, `is ${ours}, but the run in ${file} was planned with ${theirs}: resume with its plan`);
      }
    }
  });
}

function sameTrain(a: StagePlan['train'], b: StagePlan['train']): boolean {
  const sorted = (value: StagePlan['train']) => JSON.stringify(Object.entries(value ?? {}).sort(([x], [y]) => x.localeCompare(y)));
  return sorted(a) === sorted(b);
}
