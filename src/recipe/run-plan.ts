import type { Stage } from '../forge/builder.js';
import { DEFAULT_TRAIN_OPTIONS, validateTrainOptions, type TrainOptions } from '../train/trainer.js';
import { isObject } from '../tools/index.js';
import { ConfigError } from '../util/errors.js';

/** `format` of a run folder's `plan.json`. */
export const RUN_FORMAT = 'hephaestus-run';
/** `version` of a run folder's `plan.json`. */
export const RUN_FORMAT_VERSION = 1;

/** The stages a plan may name, in recipe order. */
export const STAGES: readonly Stage[] = ['base', 'stage1', 'stage2', 'stage3'];

/** Optimizer settings of a stage; `steps` is derived from the token budget. */
export type StageTrainSettings = Omit<TrainOptions, 'steps'>;

/**
 * One stage as a pipeline plans it: which Forge stage, how many tokens, the batch geometry and the
 * optimizer. A stage trains `steps = ceil(tokenBudget / (batchSize * accumulation * seqLen))` optimizer
 * steps, each on `batchSize * accumulation` packed rows, with a linear warm-up and cosine decay of its own.
 */
export interface StagePlan {
  stage: Stage;
  /** Trained token positions (targets) in this stage. */
  tokenBudget: number;
  /** Rows per micro-batch (the library's `Batch.batchSize`). */
  batchSize: number;
  /** Tokens per row (inputs; a stored row holds `seqLen + 1`). */
  seqLen: number;
  /** Seed of the packing and row order (`packStage`). */
  seed: number;
  /** Optimizer settings; missing ones take {@link DEFAULT_TRAIN_OPTIONS}. */
  train?: Partial<StageTrainSettings>;
  /**
   * Learning-rate schedule after the linear warm-up: cosine decay to `train.minLr` (default), or
   * constant at `train.lr` (written to `plan.json` as warm-up + cosine with `minLr = lr`).
   */
  schedule?: StageSchedule;
}

/** The schedules a stage plan may name. */
export type StageSchedule = 'warmup-cosine' | 'warmup-constant';

const SCHEDULES: readonly StageSchedule[] = ['warmup-cosine', 'warmup-constant'];

/** Token and mask shard pair (paths relative to the run folder) holding `rows` consecutive rows. */
export interface ShardFile {
  tokens: string;
  masks: string;
  /** Index of the pair's first row within its stage. */
  firstRow: number;
  rows: number;
}

/** A stage as written to `plan.json`: the plan, its complete optimizer settings, and its data. */
export interface RunStage extends Omit<StagePlan, 'train'> {
  train: TrainOptions;
  /** Linear warm-up from 0 to `train.lr` over `train.warmupSteps`, then cosine decay to `train.minLr` at `train.steps`. */
  schedule: 'warmup-cosine';
  /** `batchSize * accumulation`: step `s` (0-based) trains rows `s * rowsPerStep` to `(s + 1) * rowsPerStep - 1`. */
  rowsPerStep: number;
  /** Rows in the shards: `train.steps * rowsPerStep`, in the order the library's `PackedDataset` serves them. */
  rows: number;
  /** The library's data cursor for these rows, so that a checkpoint written anywhere resumes in the library too. */
  cursor: { kind: 'packed'; seed: number; rows: number; batchSize: number };
  shards: ShardFile[];
}

/** Where training stands: the next step to train is `step + 1` of `stages[stage]`. */
export interface RunPosition {
  stage: number;
  /** Steps of that stage already trained (skipped ones included). */
  step: number;
  /** AdamW updates applied in that stage (bias correction); 0 means fresh optimizer moments. */
  optimizerStep: number;
  skippedSteps: number;
}

/** Held-out rows on which benchmark loss is measured (mask-weighted mean next-token loss). */
export interface RunBenchmark {
  seqLen: number;
  rows: number;
  /** Rows per batch as the library evaluates them (`Trainer.evaluate`); the loss does not depend on it. */
  batchSize: number;
  shards: ShardFile[];
}

/** A run folder's `plan.json`. */
export interface RunPlan {
  format: typeof RUN_FORMAT;
  version: typeof RUN_FORMAT_VERSION;
  /** The model shape: the Hugging Face `config.json` of the start checkpoint. */
  model: Record<string, unknown>;
  /** SHA-256 (hex) of the start checkpoint's `tokenizer.json`; every shard header carries it too. */
  tokenizer: { sha256: string; vocabSize: number };
  /** Folder of the start checkpoint, relative to the run folder. */
  checkpoint: string;
  stages: RunStage[];
  position: RunPosition;
  benchmark?: RunBenchmark;
}

/** Optimizer steps a stage takes for its token budget. */
export function stageSteps(plan: StagePlan, accumulation: number): number {
  return Math.ceil(plan.tokenBudget / (plan.batchSize * accumulation * plan.seqLen));
}

/** The complete training options of a stage plan; throws {@link ConfigError} naming `<where>.<field>`. */
export function stageTrainOptions(plan: StagePlan, where = 'stage'): TrainOptions {
  checkStagePlan(plan, where);
  const merged = { ...DEFAULT_TRAIN_OPTIONS, ...plan.train };
  if (plan.schedule === 'warmup-constant') {
    if (plan.train?.minLr !== undefined && plan.train.minLr !== merged.lr) {
      throw new ConfigError(`${where}.train.minLr`, `a warmup-constant schedule stays at lr ${merged.lr}; leave minLr out`);
    }
    merged.minLr = merged.lr;
  }
  const options = { ...merged, steps: stageSteps(plan, merged.accumulation) };
  validateTrainOptions(options, `${where}.train`);
  return options;
}

/**
 * Reads the stages of a pipeline plan (`{"stages": [...]}`, parsed), checking every field and naming
 * the bad one (`<source>: stages[1].tokenBudget`).
 */
export function parseStagePlans(json: unknown, source: string): StagePlan[] {
  const stages = isObject(json) ? json.stages : undefined;
  if (!Array.isArray(stages) || stages.length === 0) throw new ConfigError(`${source}: stages`, 'must be a non-empty array');
  return stages.map((entry: unknown, i) => {
    const where = `${source}: stages[${i}]`;
    if (!isObject(entry)) throw new ConfigError(where, 'must be an object');
    for (const key of Object.keys(entry)) {
      if (!STAGE_KEYS.includes(key)) throw new ConfigError(`${where}.${key}`, `is not a stage field (known: ${STAGE_KEYS.join(', ')})`);
    }
    const train = entry.train ?? {};
    if (!isObject(train)) throw new ConfigError(`${where}.train`, 'must be an object');
    for (const key of Object.keys(train)) {
      if (key === 'steps' || !Object.hasOwn(DEFAULT_TRAIN_OPTIONS, key)) {
        throw new ConfigError(`${where}.train.${key}`, `is not an optimizer setting (known: ${trainKeys().join(', ')}; steps follow from tokenBudget)`);
      }
    }
    const plan = { ...entry, train } as unknown as StagePlan;
    stageTrainOptions(plan, where);
    return plan;
  });
}

function checkStagePlan(plan: StagePlan, where: string): void {
  if (!STAGES.includes(plan.stage)) throw new ConfigError(`${where}.stage`, `must be one of ${STAGES.join(', ')}, got ${JSON.stringify(plan.stage)}`);
  for (const field of ['tokenBudget', 'batchSize', 'seqLen'] as const) {
    if (!Number.isInteger(plan[field]) || plan[field] < 1) {
      throw new ConfigError(`${where}.${field}`, `must be a positive integer, got ${JSON.stringify(plan[field])}`);
    }
  }
  if (!Number.isInteger(plan.seed)) throw new ConfigError(`${where}.seed`, `must be an integer, got ${JSON.stringify(plan.seed)}`);
  if (plan.schedule !== undefined && !SCHEDULES.includes(plan.schedule)) {
    throw new ConfigError(`${where}.schedule`, `must be one of ${SCHEDULES.join(', ')}, got ${JSON.stringify(plan.schedule)}`);
  }
}

const STAGE_KEYS = ['stage', 'tokenBudget', 'batchSize', 'seqLen', 'seed', 'train', 'schedule'];

function trainKeys(): string[] {
  return Object.keys(DEFAULT_TRAIN_OPTIONS).filter((key) => key !== 'steps');
}
