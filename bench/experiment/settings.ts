/**
 * The toy replication's fixed choices: model, context, data, token budgets, evaluation. One place, so
 * that the report states exactly what ran. `--scale` multiplies every token budget (a smoke run).
 */
import type { PipelineBenchmark } from '../../src/recipe/pipeline-plan.js';
import type { RecipeStages } from '../../src/recipe/experiment.js';
import type { StagePlan } from '../../src/recipe/run-plan.js';

export interface ExperimentSettings {
  dataDir: string;
  /** Python standard-library files read as code (general code for the base and the control). */
  codeFiles: number;
  /** Share of the general-text documents held out as the forgetting benchmark. */
  generalFraction: number;
  vocabSize: number;
  preset: 'nano';
  contextLength: number;
  /** The base model: a fresh preset pre-trained on general text and code only. */
  base: Omit<StagePlan, 'stage'>;
  recipe: RecipeStages;
  /** A checkpoint (with the benchmark losses: the curves) every this many steps inside a stage. */
  checkpointEvery: number;
  benchmark: PipelineBenchmark;
  /** Function-calling evaluation: items on held-out and on seen functions, greedy, this many new tokens. */
  evaluation: { heldOutItems: number; seenItems: number; maxNewTokens: number; seed: number };
}

const tokens = (batchSize: number, seqLen: number, steps: number) => ({ batchSize, seqLen, tokenBudget: batchSize * seqLen * steps });

/** The settings of the recorded run; `scale` multiplies every token budget, `items` replaces the item counts. */
export function experimentSettings(scale = 1, items?: { heldOutItems: number; seenItems: number }): ExperimentSettings {
  const scaled = <T extends { tokenBudget: number }>(stage: T): T => ({ ...stage, tokenBudget: Math.max(1, Math.round(stage.tokenBudget * scale)) });
  return {
    dataDir: '../shared/data',
    codeFiles: 600,
    generalFraction: 0.1,
    vocabSize: 2048,
    preset: 'nano',
    contextLength: 768,
    base: scaled({ ...tokens(8, 128, 300), seed: 0, train: { lr: 3e-3, warmupSteps: 15 } }),
    recipe: {
      stage1: scaled({ ...tokens(8, 128, 120), train: { lr: 2e-3, warmupSteps: 8 } }),
      stage2: scaled({ ...tokens(8, 128, 60), train: { lr: 1.5e-3, warmupSteps: 4 } }),
      stage3: scaled({ ...tokens(4, 768, 100), train: { lr: 2e-3, warmupSteps: 6 } }),
    },
    checkpointEvery: 20,
    benchmark: { batchSize: 4, seqLen: 256, batches: 4, seed: 0 },
    // 128 new tokens: BFCL's parallel answers need about 105-125 tokens of this vocabulary (median; simple ones 41), so
    // 48 could never complete them. Fewer seen items than held-out ones: the generalisation claim is about the latter.
    evaluation: { heldOutItems: 30, seenItems: 10, maxNewTokens: 128, seed: 0, ...items },
  };
}
