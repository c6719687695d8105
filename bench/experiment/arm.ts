/**
 * One pipeline run of the experiment (the base model, or one arm for one seed) in its own checkpoint
 * folder: started, continued where a killed sitting left it, or skipped when its result is on disk;
 * then, for an arm, the function-calling evaluation of its last checkpoint. Results are JSON files
 * written atomically (temporary file, then rename), so a kill never leaves half a result.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  LlamaModel, evaluateFunctionCalling, loadTokenizer, openCheckpointFolder, parseCheckpoint, runPipeline,
  type BenchmarkPoint, type BfclItem, type BfclSummary, type PipelineBase, type PipelineEvent,
} from '../../src/node.js';
import type { PipelinePlan } from '../../src/recipe/pipeline-plan.js';
import { stageTrainOptions, type StagePlan } from '../../src/recipe/run-plan.js';
import type { ExperimentData } from './setup.js';

/** What a finished pipeline run leaves in `train.json`. */
export interface TrainResult {
  stages: { stage: string; steps: number; tokens: number }[];
  benchmarks: (BenchmarkPoint & { tokens: number })[];
  finalCheckpoint: string;
  /** Seconds of the sitting that finished it (earlier sittings of a resumed run are in `resumedFrom`). */
  seconds: number;
  resumedFrom?: { stage: string; step: number };
}

/** What the evaluation of an arm leaves in `eval.json`. */
export interface EvalResult {
  heldOut: BfclSummary;
  seen: BfclSummary;
  seconds: number;
  verdicts: { id: string; valid: boolean; error?: string; response: string }[];
}

export function readJson<T>(path: string): T | undefined {
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as T) : undefined;
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileSync(`${path}.tmp`, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(`${path}.tmp`, path);
}

/** Trained tokens at each point of the run: the x axis of the curves. */
function tokensAt(stages: readonly StagePlan[]): (point: BenchmarkPoint) => number {
  const perStep = stages.map((stage) => stage.batchSize * stage.seqLen * stageTrainOptions(stage).accumulation);
  const steps = stages.map((stage) => stageTrainOptions(stage).steps);
  return (point) => {
    let left = point.globalStep;
    let tokens = 0;
    for (let i = 0; i < stages.length; i++) {
      const here = Math.min(left, steps[i]);
      tokens += here * perStep[i];
      left -= here;
    }
    return tokens;
  };
}

/** Trains `plan` from `base` in `dir` (or continues it, or reads its finished result). */
export async function trainRun(
  dir: string, base: PipelineBase, plan: PipelinePlan, data: ExperimentData, seed: number, onEvent: (event: PipelineEvent) => void,
): Promise<TrainResult> {
  const done = readJson<TrainResult>(join(dir, 'train.json'));
  if (done) return done;
  const folder = await openCheckpointFolder(dir, { keepLast: 2 });
  try {
    const current = (await folder.store.list()).at(-1);
    const started = performance.now();
    const result = await runPipeline({
      base, corpus: data.corpus, plan, store: folder.store, generalText: data.generalText, seed, resume: current !== undefined, onProgress: onEvent,
    });
    const at = tokensAt(plan.stages);
    const train: TrainResult = {
      stages: plan.stages.map((stage) => {
        const steps = stageTrainOptions(stage).steps;
        return { stage: stage.stage, steps, tokens: steps * stage.batchSize * stage.seqLen };
      }),
      benchmarks: result.benchmarks.map((point) => ({ ...point, tokens: at(point) })),
      finalCheckpoint: result.final.id,
      seconds: (performance.now() - started) / 1000,
      resumedFrom: current ? { stage: current.stage, step: current.step } : undefined,
    };
    writeJsonAtomic(join(dir, 'train.json'), train);
    return train;
  } finally {
    await folder.release();
  }
}

/** The base a run in `dir` ended with, as the start of the arms. */
export async function loadRunModel(dir: string, checkpoint: string): Promise<PipelineBase> {
  const folder = await openCheckpointFolder(dir, { keepLast: 2 });
  try {
    const { files } = await folder.store.load(checkpoint);
    const parsed = parseCheckpoint(files, join(dir, checkpoint));
    return { config: parsed.config, weights: parsed.weights, tokenizer: await loadTokenizer(parsed.tokenizer) };
  } finally {
    await folder.release();
  }
}

/** Evaluates the arm's final checkpoint on the held-out and the seen items (or reads `eval.json`). */
export async function evaluateRun(
  dir: string, checkpoint: string, data: ExperimentData, maxNewTokens: number, onItem: (done: number, total: number) => void,
): Promise<EvalResult> {
  const done = readJson<EvalResult>(join(dir, 'eval.json'));
  if (done) return done;
  const { config, weights, tokenizer } = await loadRunModel(dir, checkpoint);
  const model = LlamaModel.create(config, { weights });
  const started = performance.now();
  try {
    const items: BfclItem[] = [...data.items.heldOut, ...data.items.seen];
    const evaluation = await evaluateFunctionCalling(model, tokenizer, items, {
      maxNewTokens, seenFunctions: data.seenFunctions, onProgress: ({ done: n, total }) => onItem(n, total),
    });
    const result: EvalResult = {
      heldOut: evaluation.split!.heldOut,
      seen: evaluation.split!.seen,
      seconds: (performance.now() - started) / 1000,
      verdicts: evaluation.verdicts.map((verdict) => ({ id: verdict.id, valid: verdict.valid, error: verdict.errorType, response: verdict.response })),
    };
    writeJsonAtomic(join(dir, 'eval.json'), result);
    return result;
  } finally {
    model.dispose();
  }
}
