import { describe, expect, it } from 'vitest';
import { armStages, beatsBeyondSpread, EXPERIMENT_ARMS, spread, type RecipeStages } from '../../src/recipe/experiment.js';
import { stageTrainOptions } from '../../src/recipe/run-plan.js';

const recipe: RecipeStages = {
  stage1: { tokenBudget: 8 * 128 * 37, batchSize: 8, seqLen: 128, train: { lr: 2e-3, warmupSteps: 5 } },
  stage2: { tokenBudget: 8 * 128 * 11, batchSize: 8, seqLen: 128, train: { lr: 1e-3, warmupSteps: 3 } },
  stage3: { tokenBudget: 4 * 300 * 13, batchSize: 4, seqLen: 300, train: { lr: 5e-4, warmupSteps: 2 } },
};
const tokens = (stages: ReturnType<typeof armStages>) => stages.reduce((sum, s) => sum + stageTrainOptions(s).steps * s.batchSize * s.seqLen, 0);

describe('experiment arms', () => {
  it('end every arm with the same Stage III for a seed, and change its data order with the seed', () => {
    for (const seed of [0, 4]) {
      const lasts = EXPERIMENT_ARMS.map((arm) => armStages(arm, recipe, seed).at(-1));
      for (const last of lasts) expect(last).toEqual({ ...recipe.stage3, stage: 'stage3', seed: seed * 100 + 3 });
    }
    expect(armStages('full', recipe, 1).map((s) => s.seed)).not.toEqual(armStages('full', recipe, 2).map((s) => s.seed));
  });

  it('train the stages each arm names', () => {
    const names = Object.fromEntries(EXPERIMENT_ARMS.map((arm) => [arm, armStages(arm, recipe, 0).map((s) => s.stage)]));
    expect(names).toEqual({
      'ift-only': ['stage3'], full: ['stage1', 'stage2', 'stage3'], 'no-stage1': ['stage2', 'stage3'],
      'no-stage2': ['stage1', 'stage3'], 'equal-compute': ['base', 'base', 'stage3'],
    });
  });

  it('give the equal-compute control the tokens and the optimizer schedule of the full recipe', () => {
    const full = armStages('full', recipe, 2);
    const control = armStages('equal-compute', recipe, 2);
    expect(tokens(control)).toBe(tokens(full));
    control.forEach((stage, i) => {
      expect(stageTrainOptions(stage)).toEqual(stageTrainOptions(full[i]));
      expect(stage.seed).toBe(full[i].seed);
    });
  });

  it('refuse a bad seed or arm, naming it', () => {
    expect(() => armStages('full', recipe, -1)).toThrow(/seed/);
    expect(() => armStages('nope' as never, recipe, 0)).toThrow(/arm.*ift-only/);
  });
});

describe('spread over seeds', () => {
  it('gives the mean and the sample standard deviation', () => {
    const values = [0.3, 1.7, -2.25, 4.125, 0.5];
    const mean = values.reduce((a, b) => a + b) / values.length;
    const sd = Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1));
    const result = spread(values);
    expect(result.n).toBe(5);
    expect(result.mean).toBeCloseTo(0.875, 12);
    expect(result.sd).toBeCloseTo(sd, 12);
    expect(spread([2.5]).sd).toBe(0);
  });

  it('refuses an empty list or a non-finite value', () => {
    expect(() => spread([], 'agent loss')).toThrow(/agent loss/);
    expect(() => spread([1, Number.NaN])).toThrow(/non-finite/);
  });

  it('counts a gap only when it exceeds the larger standard deviation', () => {
    const low = { mean: 4.0, sd: 0.1, n: 3 };
    const high = { mean: 4.3, sd: 0.25, n: 3 };
    expect(beatsBeyondSpread(low, high, true)).toBe(true);
    expect(beatsBeyondSpread(high, low, true)).toBe(false);
    expect(beatsBeyondSpread(high, low, false)).toBe(true);
    expect(beatsBeyondSpread({ ...low, sd: 0.31 }, high, true)).toBe(false);
  });
});
