import type { TokenizedCorpusDocument } from '../data/document.js';
import { mixDocuments, type MixRatio } from '../forge/mixing.js';
import { PackedDataset } from '../data/packing.js';
import type { ModelConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import type { SpecialTokenIds } from '../tokenizer/types.js';
import { ConfigError, throwIfAborted } from '../util/errors.js';
import { measureBenchmarkLoss, type BenchmarkSets } from '../eval/benchmark-loss.js';
import { runTraining } from '../train/loop.js';
import { Trainer, type TrainOptions } from '../train/trainer.js';

/** Options of {@link searchMixRatio}. */
export interface MixSearchOptions {
  /** Agent-data token shares to try, each in (0, 1); code and text split the rest equally. */
  agentShares: number[];
  model: ModelConfig;
  /** Proxy training settings; `steps` is per proxy run. */
  train: Partial<TrainOptions> & { steps: number };
  batchSize: number;
  seqLen: number;
  /** Tokens of each proxy corpus (the same for every share, so only the mix changes). */
  totalTokens: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (progress: { share: number; run: number; runs: number; step: number; steps: number; loss: number }) => void;
}

/** One proxy run of the search. */
export interface MixSearchPoint {
  agentShare: number;
  ratio: MixRatio;
  /** Benchmark loss: mean loss on the held-out agent batches after training. */
  benchmarkLoss: number;
  /** Mean loss on the held-out general-text batches after training; null without them. */
  generalLoss: number | null;
}

/** A least-squares quadratic `a * share^2 + b * share + c`. */
export interface QuadraticFit {
  a: number;
  b: number;
  c: number;
}

/** Outcome of {@link searchMixRatio}: the measured points, the fitted curves, their minima and the chosen share. */
export interface MixSearchResult {
  points: MixSearchPoint[];
  /** Agent benchmark loss fitted as `a * share^2 + b * share + c` (least squares). */
  fit: QuadraticFit;
  /** Share minimising the fitted agent curve within the tried range (the best measured one if the fit has no minimum). */
  optimum: number;
  /** The fitted curves on 21 evenly spaced shares across the tried range, for plotting (`general` null without it). */
  curve: { agentShare: number; loss: number; general: number | null }[];
  /** General-text loss fitted the same way; absent without general-text points. */
  generalFit?: QuadraticFit;
  /**
   * The share that trades both benchmarks off (see {@link chooseTradeOff}); the agent optimum when
   * there is no general-text benchmark.
   */
  chosen: number;
}

/**
 * The Hephaestus mixing-ratio study at toy scale: for each agent-data share, mix a proxy corpus of
 * the same size, train a fresh model of the same seed on it, and measure the loss on held-out agent
 * data and on held-out general text; then fit a quadratic to each loss vs share, take the agent
 * curve's minimum, and choose the share that trades both off ({@link chooseTradeOff}).
 */
export async function searchMixRatio(
  documents: TokenizedCorpusDocument[], benchmarks: BenchmarkSets, special: SpecialTokenIds, options: MixSearchOptions,
): Promise<MixSearchResult> {
  if (options.agentShares.length < 3) throw new ConfigError('agentShares', 'needs at least 3 shares to fit a curve');
  for (const share of options.agentShares) {
    if (!(share > 0 && share < 1)) throw new ConfigError('agentShares', `each share must be in (0, 1), got ${share}`);
  }
  if (benchmarks.agent.length === 0) throw new ConfigError('benchmarks.agent', 'needs at least one batch of held-out agent data');
  const points: MixSearchPoint[] = [];
  for (const [run, agentShare] of options.agentShares.entries()) {
    throwIfAborted(options.signal, 'mixing-ratio search');
    const rest = (1 - agentShare) / 2;
    const ratio: MixRatio = { agent: agentShare, code: rest, text: rest };
    const mix = mixDocuments(documents, { ratio, seed: options.seed, totalTokens: options.totalTokens });
    const dataset = PackedDataset.build(mix.documents, {
      seqLen: options.seqLen, seed: options.seed, separator: special.endOfText, pad: special.pad, mode: 'stream',
    }, options.batchSize);
    const model = LlamaModel.create(options.model, { seed: options.seed });
    const trainer = new Trainer(model, options.train);
    try {
      await runTraining(trainer, dataset, {
        signal: options.signal,
        onProgress: (p) => options.onProgress?.({ share: agentShare, run, runs: options.agentShares.length, step: p.step, steps: p.totalSteps, loss: p.loss }),
      });
      const losses = await measureBenchmarkLoss(trainer, benchmarks, options.signal);
      points.push({ agentShare, ratio, benchmarkLoss: losses.agent!, generalLoss: losses.general });
    } finally {
      trainer.dispose();
      model.dispose();
    }
  }
  return fitOptimum(points);
}

/**
 * Least-squares quadratics through the points (agent loss, and general-text loss when measured), the
 * agent curve's minimum within their range, and the trade-off share ({@link chooseTradeOff}).
 */
export function fitOptimum(points: MixSearchPoint[]): MixSearchResult {
  const xs = points.map((point) => point.agentShare);
  const fit = fitQuadratic(xs, points.map((point) => point.benchmarkLoss));
  const low = Math.min(...xs);
  const high = Math.max(...xs);
  const best = points.reduce((x, y) => (y.benchmarkLoss < x.benchmarkLoss ? y : x)).agentShare;
  const optimum = fit.a > 0 ? Math.min(high, Math.max(low, -fit.b / (2 * fit.a))) : best;
  const hasGeneral = points.every((point) => point.generalLoss !== null);
  const generalFit = hasGeneral ? fitQuadratic(xs, points.map((point) => point.generalLoss!)) : undefined;
  const curve = Array.from({ length: 21 }, (_, i) => {
    const agentShare = low + ((high - low) * i) / 20;
    return { agentShare, loss: evaluateFit(fit, agentShare), general: generalFit ? evaluateFit(generalFit, agentShare) : null };
  });
  const chosen = generalFit ? chooseTradeOff(fit, generalFit, low, high) : optimum;
  return { points, fit, optimum, curve, generalFit, chosen };
}

/**
 * The trade-off rule: each fitted curve is rescaled to [0, 1] over the tried range (0 at its lowest
 * value there, 1 at its highest), and the share with the smallest sum of the two rescaled losses is
 * chosen (on a grid of 201 shares). Agent and general abilities weigh the same, each measured by how
 * far it is from the best this range of ratios can give it, whatever the units of its loss.
 */
export function chooseTradeOff(agent: QuadraticFit, general: QuadraticFit, low: number, high: number): number {
  const grid = Array.from({ length: 201 }, (_, i) => low + ((high - low) * i) / 200);
  const rescaled = (fit: QuadraticFit) => {
    const values = grid.map((share) => evaluateFit(fit, share));
    const min = Math.min(...values);
    const span = Math.max(...values) - min;
    return values.map((value) => (span > 0 ? (value - min) / span : 0));
  };
  const a = rescaled(agent);
  const g = rescaled(general);
  let best = 0;
  for (let i = 1; i < grid.length; i++) if (a[i] + g[i] < a[best] + g[best]) best = i;
  return grid[best];
}

function fitQuadratic(xs: number[], ys: number[]): QuadraticFit {
  const [c, b, a] = leastSquares(xs, ys, 2);
  return { a, b, c };
}

function evaluateFit(fit: QuadraticFit, share: number): number {
  return fit.a * share ** 2 + fit.b * share + fit.c;
}

/** Polynomial coefficients (lowest degree first) by normal equations; the sizes here are tiny. */
function leastSquares(xs: number[], ys: number[], degree: number): number[] {
  const size = degree + 1;
  const matrix = Array.from({ length: size }, (_, row) =>
    Array.from({ length: size + 1 }, (_, column) =>
      column < size
        ? xs.reduce((sum, x) => sum + x ** (row + column), 0)
        : xs.reduce((sum, x, i) => sum + ys[i] * x ** row, 0)));
  for (let pivot = 0; pivot < size; pivot++) {
    const best = matrix.slice(pivot).reduce((top, row, i) => (Math.abs(row[pivot]) > Math.abs(matrix[top][pivot]) ? pivot + i : top), pivot);
    [matrix[pivot], matrix[best]] = [matrix[best], matrix[pivot]];
    for (let row = 0; row < size; row++) {
      if (row === pivot) continue;
      const factor = matrix[row][pivot] / matrix[pivot][pivot];
      for (let column = pivot; column <= size; column++) matrix[row][column] -= factor * matrix[pivot][column];
    }
  }
  return matrix.map((row, i) => row[size] / row[i]);
}
