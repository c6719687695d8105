/**
 * The plan of a pipeline run: its stages (the run plan's {@link StagePlan}s: one schema for the library
 * and the PyTorch trainer), the checkpoint cadence, the benchmark geometry and, in a plan file, the base
 * model and the function-calling evaluation. Every field is checked and a bad one is named.
 *
 * Browser-safe.
 * @module
 */
import { PRESETS, resolveConfig, type ModelConfig, type PresetName } from '../model/config.js';
import { isObject } from '../tools/index.js';
import { ConfigError, errorMessage } from '../util/errors.js';
import { parseStagePlans, type StagePlan } from './run-plan.js';

/** Held-out rows on which benchmark loss is measured at every checkpoint. */
export interface PipelineBenchmark {
  batchSize: number;
  seqLen: number;
  /** Most batches per set (agent, general text). */
  batches: number;
  /** Seed of the row selection (default: the first stage's seed); runs compared on one benchmark share it. */
  seed: number;
}

/** What {@link runPipeline} runs: stages in order, each with its own budget and optimizer settings. */
export interface PipelinePlan {
  stages: StagePlan[];
  /** A checkpoint every this many steps inside a stage (0: only at stage boundaries); always one per stage end. */
  checkpointEvery: number;
  benchmark: PipelineBenchmark;
}

/** Where a plan file's model starts: a fresh preset (with overrides) or a checkpoint folder. */
export type PipelineBaseSpec =
  | { kind: 'preset'; preset: PresetName; config: ModelConfig }
  | { kind: 'checkpoint'; path: string };

/** The function-calling evaluation of the final checkpoint. */
export interface PipelineEvaluation {
  /** Most items (taken evenly across categories); 0 skips the evaluation. */
  items: number;
  maxNewTokens: number;
}

/** A plan file (`hephaestus-web pipeline --plan plan.json`), checked. */
export interface PipelinePlanFile {
  base: PipelineBaseSpec;
  /** Seed of fresh weights and of the benchmark and evaluation selections. */
  seed: number;
  /** Vocabulary of the BPE tokenizer trained for a fresh preset. */
  vocabSize: number;
  plan: PipelinePlan;
  evaluation: PipelineEvaluation;
}

type ModelShapeField = 'contextLength' | 'dModel' | 'nLayers' | 'nHeads' | 'nKvHeads' | 'ffnHidden';

const FILE_KEYS = ['base', 'seed', 'vocabSize', 'checkpointEvery', 'benchmark', 'evaluation', 'stages'];
const MODEL_OVERRIDES: readonly ModelShapeField[] = ['contextLength', 'dModel', 'nLayers', 'nHeads', 'nKvHeads', 'ffnHidden'];

/**
 * Checks a parsed plan file and fills in its defaults; `source` (the file name) starts every error's
 * field (`plan.json: stages[1].tokenBudget`, `plan.json: base.contextLength`).
 */
export function parsePipelinePlanFile(json: unknown, source: string): PipelinePlanFile {
  if (!isObject(json)) throw new ConfigError(source, 'must be a JSON object with "stages"');
  for (const key of Object.keys(json)) {
    if (!FILE_KEYS.includes(key)) throw new ConfigError(`${source}: ${key}`, `is not a plan field (known: ${FILE_KEYS.join(', ')})`);
  }
  const seed = integerField(json, 'seed', `${source}: `, 0, Number.MIN_SAFE_INTEGER);
  const vocabSize = integerField(json, 'vocabSize', `${source}: `, 1024, 16);
  const base = parseBase(json.base, `${source}: base`, vocabSize);
  const stages = parseStagePlans(json, source);
  const plan = parsePipelinePlan({ stages, checkpointEvery: json.checkpointEvery, benchmark: json.benchmark }, source);
  if (base.kind === 'preset') checkContext(plan, base.config.contextLength, source);
  const evaluation = isObject(json.evaluation) || json.evaluation === undefined ? (json.evaluation ?? {}) : undefined;
  if (evaluation === undefined) throw new ConfigError(`${source}: evaluation`, 'must be an object');
  for (const key of Object.keys(evaluation)) {
    if (key !== 'items' && key !== 'maxNewTokens') throw new ConfigError(`${source}: evaluation.${key}`, 'is not an evaluation field (known: items, maxNewTokens)');
  }
  return {
    base, seed, vocabSize, plan,
    evaluation: {
      items: integerField(evaluation, 'items', `${source}: evaluation.`, 40, 0),
      maxNewTokens: integerField(evaluation, 'maxNewTokens', `${source}: evaluation.`, 64, 1),
    },
  };
}

/**
 * Checks the library-level plan (stages already parsed or written in code): the cadence, the benchmark
 * geometry (default: the first stage's batch size and sequence length, 4 batches).
 */
export function parsePipelinePlan(
  input: { stages: StagePlan[]; checkpointEvery?: unknown; benchmark?: unknown }, source = 'plan',
): PipelinePlan {
  const stages = parseStagePlans({ stages: input.stages }, source);
  const holder = { checkpointEvery: input.checkpointEvery };
  const checkpointEvery = integerField(holder, 'checkpointEvery', `${source}: `, 50, 0);
  const benchmark = input.benchmark ?? {};
  if (!isObject(benchmark)) throw new ConfigError(`${source}: benchmark`, 'must be an object');
  for (const key of Object.keys(benchmark)) {
    if (!['batchSize', 'seqLen', 'batches', 'seed'].includes(key)) throw new ConfigError(`${source}: benchmark.${key}`, 'is not a benchmark field (known: batchSize, seqLen, batches, seed)');
  }
  const where = `${source}: benchmark.`;
  return {
    stages, checkpointEvery,
    benchmark: {
      batchSize: integerField(benchmark, 'batchSize', where, stages[0].batchSize, 1),
      seqLen: integerField(benchmark, 'seqLen', where, stages[0].seqLen, 1),
      batches: integerField(benchmark, 'batches', where, 4, 1),
      seed: integerField(benchmark, 'seed', where, stages[0].seed, Number.MIN_SAFE_INTEGER),
    },
  };
}

/** Every stage's and the benchmark's sequence must fit the model's context. */
export function checkContext(plan: PipelinePlan, contextLength: number, source = 'plan'): void {
  plan.stages.forEach((stage, i) => {
    if (stage.seqLen > contextLength) {
      throw new ConfigError(`${source}: stages[${i}].seqLen`, `${stage.seqLen} exceeds the model's context length ${contextLength} (set base.contextLength)`);
    }
  });
  if (plan.benchmark.seqLen > contextLength) {
    throw new ConfigError(`${source}: benchmark.seqLen`, `${plan.benchmark.seqLen} exceeds the model's context length ${contextLength}`);
  }
}

function parseBase(value: unknown, where: string, vocabSize: number): PipelineBaseSpec {
  if (value === undefined) return { kind: 'preset', preset: 'nano', config: resolveConfig('nano', { vocabSize }) };
  if (!isObject(value)) throw new ConfigError(where, 'must be an object: {"preset": "nano", ...overrides} or {"checkpoint": "folder"}');
  if (value.checkpoint !== undefined) {
    if (typeof value.checkpoint !== 'string' || value.checkpoint === '') throw new ConfigError(`${where}.checkpoint`, 'must be a folder path');
    const extra = Object.keys(value).find((key) => key !== 'checkpoint');
    if (extra) throw new ConfigError(`${where}.${extra}`, 'a checkpoint base keeps its own shape; only "checkpoint" may be given');
    return { kind: 'checkpoint', path: value.checkpoint };
  }
  const preset = value.preset ?? 'nano';
  if (typeof preset !== 'string' || !Object.hasOwn(PRESETS, preset)) {
    throw new ConfigError(`${where}.preset`, `must be one of ${Object.keys(PRESETS).join(', ')}, got ${JSON.stringify(preset)}`);
  }
  const overrides: Partial<Record<ModelShapeField, number>> = {};
  for (const key of Object.keys(value)) {
    if (key === 'preset') continue;
    if (!MODEL_OVERRIDES.includes(key as ModelShapeField)) {
      throw new ConfigError(`${where}.${key}`, `is not a base field (known: preset, checkpoint, ${MODEL_OVERRIDES.join(', ')})`);
    }
    overrides[key as ModelShapeField] = integerField(value, key, `${where}.`, 0, 1);
  }
  try {
    return { kind: 'preset', preset: preset as PresetName, config: resolveConfig(preset as PresetName, { ...overrides, vocabSize }) };
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`${where}.${error.field}`, errorMessage(error).replace(/^.*?: /, ''));
    throw error;
  }
}

/** `holder[field]` or `fallback`; `path` is what precedes the field's name in errors (`plan.json: benchmark.`). */
function integerField(holder: Record<string, unknown>, field: string, path: string, fallback: number, min: number): number {
  const value = holder[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(`${path}${field}`, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The built-in plan (`hephaestus-web pipeline` without `--plan`, `npm run train`): the nano preset with
 * a 512-token context (Stage III prompts with their tool listings run to ~500 tokens), a short base
 * stage, Stages I and II on 64-token rows, Stage III on whole 512-token rows, then 24 BFCL-style items.
 * A few minutes on 2 CPU cores with WebGPU on llvmpipe; a demonstration of the recipe, not a trained agent.
 */
export const DEFAULT_PIPELINE_PLAN = {
  base: { preset: 'nano', contextLength: 512 },
  vocabSize: 1024,
  seed: 0,
  checkpointEvery: 25,
  benchmark: { batchSize: 4, seqLen: 128, batches: 2 },
  evaluation: { items: 24, maxNewTokens: 48 },
  stages: [
    { stage: 'base', tokenBudget: 8 * 64 * 16, batchSize: 8, seqLen: 64, seed: 0, train: { lr: 3e-3, warmupSteps: 4 } },
    { stage: 'stage1', tokenBudget: 8 * 64 * 40, batchSize: 8, seqLen: 64, seed: 1, train: { lr: 3e-3, warmupSteps: 5 } },
    { stage: 'stage2', tokenBudget: 8 * 64 * 40, batchSize: 8, seqLen: 64, seed: 2, train: { lr: 2e-3, warmupSteps: 5 } },
    { stage: 'stage3', tokenBudget: 4 * 512 * 10, batchSize: 4, seqLen: 512, seed: 3, train: { lr: 1e-3, warmupSteps: 2 } },
  ],
} as const;
