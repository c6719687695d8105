import type { Batch } from '../data/batch.js';
import type { TokenizedCorpusDocument } from '../data/document.js';
import { mixDocuments, type MixRatio } from '../forge/mixing.js';
import { PackedDataset } from '../data/packing.js';
import type { ModelConfig } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import type { SpecialTokenIds } from '../tokenizer/types.js';
import { ConfigError, throwIfAborted } from '../util/errors.js';
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
}

/** Outcome of {@link searchMixRatio}: the measured points, the fitted curve and its minimum. */
export interface MixSearchResult {
  points: MixSearchPoint[];
  /** Benchmark loss fitted as `a * share^2 + b * share + c` (least squares). */
  fit: { a: number; b: number; c: number };
  /** Share minimising the fitted curve within the tried range (the best measured one if the fit has no minimum). */
  optimum: number;
  /** The fitted curve on 21 evenly spaced shares across the tried range, for plotting. */
  curve: { agentShare: number; loss: number }[];
}

/**
 * The Hephaestus mixing-ratio study at toy scale: for each agent-data share, mix a proxy corpus of
 * the same size, train a fresh model of the same seed on it, and measure the loss on held-out agent
 * data; then fit a quadratic to loss vs share and take its minimum.
 */
export async function searchMixRatio(
  documents: TokenizedCorpusDocument[], benchmark: Batch[], special: SpecialTokenIds, options: MixSearchOptions,
): Promise<MixSearchResult> {
  if (options.agentShares.length < 3) throw new ConfigError('agentShares', 'needs at least 3 shares to fit a curve');
  for (const share of options.agentShares) {
    if (!(share > 0 && share < 1)) throw new ConfigError('agentShares', `each share must be in (0, 1), got ${share}`);
  }
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
      points.push({ agentShare, ratio, benchmarkLoss: await trainer.evaluate(benchmark, options.signal) });
    } finally {
      trainer.dispose();
      model.dispose();
    }
  }
  return fitOptimum(points);
}

/** Least-squares quadratic through the points and its minimum within their range. */
export function fitOptimum(points: MixSearchPoint[]): MixSearchResult {
  const xs = points.map((point) => point.agentShare);
  const ys = points.map((point) => point.benchmarkLoss);
  const [c, b, a] = leastSquares(xs, ys, 2);
  const low = Math.min(...xs);
  const high = Math.max(...xs);
  const best = points.reduce((x, y) => (y.benchmarkLoss < x.benchmarkLoss ? y : x)).agentShare;
  const optimum = a > 0 ? Math.min(high, Math.max(low, -b / (2 * a))) : best;
  const curve = Array.from({ length: 21 }, (_, i) => {
    const agentShare = low + ((high - low) * i) / 20;
    return { agentShare, loss: a * agentShare ** 2 + b * agentShare + c };
  });
  return { points, fit: { a, b, c }, optimum, curve };
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
