import { beforeAll, describe, expect, it } from 'vitest';
import { PackedDataset } from '../../src/data/packing.js';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { resolveConfig } from '../../src/model/config.js';
import { initBackend } from '../../src/runtime/backend.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { TokenizedCorpusDocument } from '../../src/data/document.js';
import { benchmarkRows } from '../../src/eval/benchmark-loss.js';
import { chooseTradeOff, fitOptimum, searchMixRatio } from '../../src/recipe/mix-search.js';

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
});

describe('mixing-ratio search', () => {
  it('recovers the minimum of a known quadratic from noisy-free points', () => {
    const loss = (share: number) => 3 * (share - 0.37) ** 2 + 2.5;
    const shares = [0.1, 0.25, 0.4, 0.55, 0.7];
    const result = fitOptimum(shares.map((agentShare) => ({ agentShare, ratio: { agent: agentShare, code: 0, text: 0 }, benchmarkLoss: loss(agentShare), generalLoss: null })));
    expect(result.optimum).toBeCloseTo(0.37, 6);
    expect(result.fit.a).toBeCloseTo(3, 6);
    expect(result.curve).toHaveLength(21);
    expect(result.curve[0].agentShare).toBe(0.1);
    // Without a general-text benchmark the agent optimum is the choice.
    expect(result.chosen).toBe(result.optimum);
    expect(result.generalFit).toBeUndefined();
  });

  it('trades the two benchmarks off: the smallest sum of both fitted curves rescaled to [0, 1]', () => {
    // Agent loss (s - 0.6)^2 spans 0.25 over [0.1, 0.7], general loss (s - 0.1)^2 spans 0.36; the rescaled
    // sum's derivative 2(s - 0.6)/0.25 + 2(s - 0.1)/0.36 vanishes at s = 0.964 / 2.44 = 0.39508.
    const shares = [0.1, 0.25, 0.4, 0.55, 0.7];
    const points = shares.map((agentShare) => ({
      agentShare, ratio: { agent: agentShare, code: 0, text: 0 }, benchmarkLoss: 4 + (agentShare - 0.6) ** 2, generalLoss: 7 + (agentShare - 0.1) ** 2,
    }));
    const result = fitOptimum(points);
    expect(result.optimum).toBeCloseTo(0.6, 6);
    expect(result.generalFit!.a).toBeCloseTo(1, 6);
    expect(Math.abs(result.chosen - 0.964 / 2.44)).toBeLessThan(0.003 + 1e-9);
    expect(result.curve[20].general).toBeCloseTo(7 + 0.36, 6);
    // Scale-free: multiplying one loss by 10 does not move the choice.
    const scaled = chooseTradeOff({ a: 10, b: -12, c: 40 + 3.6 }, result.generalFit!, 0.1, 0.7);
    expect(scaled).toBeCloseTo(result.chosen, 9);
  });

  it('falls back to the best measured share when the fit has no minimum', () => {
    const points = [0.2, 0.4, 0.6].map((agentShare) => ({ agentShare, ratio: { agent: agentShare, code: 0, text: 0 }, benchmarkLoss: 5 - agentShare ** 2, generalLoss: null }));
    expect(fitOptimum(points).optimum).toBe(0.6);
  });

  it('runs end to end on a micro config: proxy trainings, benchmark loss on held-out agent data, fitted optimum', async () => {
    const corpus = syntheticCorpus({ documents: 240, seed: 1 });
    const heldOut = syntheticCorpus({ documents: 40, seed: 99 }).filter((document) => document.kind === 'trajectory');
    const heldOutText = syntheticCorpus({ documents: 60, seed: 98 }).filter((document) => document.kind === 'text');
    const tokenizer = await trainBpeTokenizer(corpus.map((document) => document.text), { vocabSize: 320 });
    const tokenized: TokenizedCorpusDocument[] = corpus.map((document) => {
      const ids = Int32Array.from(tokenizer.encode(document.text));
      return { document, ids, tokens: ids.length };
    });
    const benchmark = PackedDataset.build(heldOut.map((document) => ({ ids: tokenizer.encode(document.text) })), {
      seqLen: 32, seed: 0, separator: tokenizer.special.endOfText, pad: tokenizer.special.pad, mode: 'stream',
    }, 4).batchesOfEpoch();
    const progress: number[] = [];
    const general = benchmarkRows(heldOutText, tokenizer, { batchSize: 4, seqLen: 32, batches: 4, seed: 0 });
    expect(general.length).toBeGreaterThan(0);
    const result = await searchMixRatio(tokenized, { agent: benchmark, general }, tokenizer.special, {
      agentShares: [0.15, 0.4, 0.7],
      model: resolveConfig('nano', { vocabSize: tokenizer.vocabSize, dModel: 32, nHeads: 2, nLayers: 1, ffnHidden: 64, contextLength: 32 }),
      train: { steps: 6, lr: 1e-2, warmupSteps: 1 },
      batchSize: 4, seqLen: 32, totalTokens: 6000, seed: 0,
      onProgress: (p) => progress.push(p.run),
    });
    expect(result.points.map((point) => point.agentShare)).toEqual([0.15, 0.4, 0.7]);
    expect(result.points.every((point) => Number.isFinite(point.benchmarkLoss) && point.benchmarkLoss > 0)).toBe(true);
    expect(result.points.every((point) => point.generalLoss !== null && point.generalLoss > 0)).toBe(true);
    // More general text in the mix helps the general-text benchmark.
    expect(result.points[0].generalLoss!).toBeLessThan(result.points[2].generalLoss!);
    expect(result.chosen).toBeGreaterThanOrEqual(0.15);
    expect(result.chosen).toBeLessThanOrEqual(0.7);
    expect(new Set(progress)).toEqual(new Set([0, 1, 2]));
    expect(result.optimum).toBeGreaterThanOrEqual(0.15);
    expect(result.optimum).toBeLessThanOrEqual(0.7);
    // With so little training the most agent data helps the agent benchmark most.
    expect(result.points[2].benchmarkLoss).toBeLessThan(result.points[0].benchmarkLoss);
  });

  it('rejects too few or invalid shares naming the field', async () => {
    await expect(searchMixRatio([], { agent: [], general: [] }, {} as never, { agentShares: [0.2, 0.5] } as never)).rejects.toThrow(/"agentShares"/);
    await expect(searchMixRatio([], { agent: [], general: [] }, {} as never, { agentShares: [0.2, 0.5, 1] } as never)).rejects.toThrow(/in \(0, 1\)/);
  });
});
