/**
 * The toy replication of the Hephaestus claim: which stages each arm trains, from one base model,
 * and the mean and spread over seeds of what the arms measure. The runner (`npm run experiment`,
 * bench/experiment/) trains the arms with {@link runPipeline} and evaluates them.
 *
 * Browser-safe.
 * @module
 */
import { ConfigError } from '../util/errors.js';
import type { StagePlan } from './run-plan.js';

/** The arms, in the order the issue names them. */
export const EXPERIMENT_ARMS = ['ift-only', 'full', 'no-stage1', 'no-stage2', 'equal-compute'] as const;

/** One arm of the experiment. */
export type ExperimentArm = (typeof EXPERIMENT_ARMS)[number];

/** What each arm is, for reports. */
export const ARM_LABELS: Readonly<Record<ExperimentArm, string>> = {
  'ift-only': '(a) instruction tuning only',
  full: '(b) Stage I + II + III',
  'no-stage1': '(c) without Stage I',
  'no-stage2': '(d) without Stage II',
  'equal-compute': '(e) equal compute: general text, then III',
};

/** The recipe's three stages (arm b), seeds left to {@link armStages}. */
export interface RecipeStages {
  stage1: Omit<StagePlan, 'stage' | 'seed'>;
  stage2: Omit<StagePlan, 'stage' | 'seed'>;
  stage3: Omit<StagePlan, 'stage' | 'seed'>;
}

/**
 * The stages an arm trains for one seed. Every arm ends with the same Stage III (same budget,
 * optimizer and, for a seed, the same data order). The equal-compute control replaces Stages I and
 * II by `base` stages (general text and code only) with their budgets and optimizer settings, so
 * that it spends the same tokens on the same schedule and only the data differs.
 */
export function armStages(arm: ExperimentArm, recipe: RecipeStages, seed: number): StagePlan[] {
  if (!Number.isInteger(seed) || seed < 0) throw new ConfigError('seed', `must be a non-negative integer, got ${seed}`);
  const stage1: StagePlan = { ...recipe.stage1, stage: 'stage1', seed: seed * 100 + 1 };
  const stage2: StagePlan = { ...recipe.stage2, stage: 'stage2', seed: seed * 100 + 2 };
  const stage3: StagePlan = { ...recipe.stage3, stage: 'stage3', seed: seed * 100 + 3 };
  switch (arm) {
    case 'ift-only': return [stage3];
    case 'full': return [stage1, stage2, stage3];
    case 'no-stage1': return [stage2, stage3];
    case 'no-stage2': return [stage1, stage3];
    case 'equal-compute': return [{ ...stage1, stage: 'base' }, { ...stage2, stage: 'base' }, stage3];
    default: throw new ConfigError('arm', `must be one of ${EXPERIMENT_ARMS.join(', ')}, got ${JSON.stringify(arm)}`);
  }
}

/** Mean and sample standard deviation of the seeds' values of one measure. */
export interface Spread {
  mean: number;
  /** Sample standard deviation (n - 1); 0 for one value. */
  sd: number;
  n: number;
}

/** {@link Spread} of `values`; throws on an empty list or a non-finite value. */
export function spread(values: readonly number[], what = 'values'): Spread {
  if (values.length === 0) throw new ConfigError(what, 'needs at least one value');
  const bad = values.find((value) => !Number.isFinite(value));
  if (bad !== undefined) throw new ConfigError(what, `holds a non-finite value ${bad}`);
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  const squares = values.reduce((sum, value) => sum + (value - mean) ** 2, 0);
  return { mean, sd: values.length > 1 ? Math.sqrt(squares / (values.length - 1)) : 0, n: values.length };
}

/**
 * Whether `a` beats `b` by more than the spread over seeds: the gap of the means exceeds the larger
 * of the two standard deviations. `lowerIsBetter` for losses. A deliberately plain rule for 3 seeds,
 * where a t-test says little; reports state it.
 */
export function beatsBeyondSpread(a: Spread, b: Spread, lowerIsBetter: boolean): boolean {
  const gap = lowerIsBetter ? b.mean - a.mean : a.mean - b.mean;
  return gap > Math.max(a.sd, b.sd);
}
