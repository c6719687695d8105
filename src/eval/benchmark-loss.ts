/**
 * Benchmark loss, the paper's progress measure (Fig. 5b): the mean next-token loss on held-out agent
 * data (the Forge evaluation split: documents about functions never trained on), and beside it the
 * loss on held-out general text, which shows forgetting while agent data takes over.
 *
 * Browser-safe.
 * @module
 */
import type { Batch } from '../data/batch.js';
import type { CorpusDocument } from '../data/document.js';
import { PackedDataset } from '../data/packing.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { ConfigError, InputError, NonFiniteError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** Geometry of a benchmark set: the first `batches` batches of its documents packed as one stream. */
export interface BenchmarkShape {
  batchSize: number;
  seqLen: number;
  batches: number;
  /** Seeds the document order. */
  seed: number;
}

/** The two held-out sets; either may be empty (no such documents). */
export interface BenchmarkSets {
  /** Held-out agent data: the Forge evaluation split (documents about functions no stage trains on). */
  agent: Batch[];
  /** Held-out general text. */
  general: Batch[];
}

/** Benchmark losses at one point of a run; null where the set is empty. */
export interface BenchmarkLoss {
  agent: number | null;
  general: number | null;
}

/** What measures a loss on fixed batches (a `Trainer`'s `evaluate`). */
export interface LossEvaluator {
  evaluate(batches: Batch[], signal?: AbortSignal): Promise<number>;
}

/**
 * Rows of held-out documents for a benchmark: tokenised, packed as a stream in a seeded order (loss on
 * every token, as in pre-training), the first `shape.batches` batches (fewer when the documents are
 * short; none when they do not fill one batch).
 */
export function benchmarkRows(documents: readonly CorpusDocument[], tokenizer: Tokenizer, shape: BenchmarkShape): Batch[] {
  for (const field of ['batchSize', 'seqLen', 'batches'] as const) {
    if (!Number.isInteger(shape[field]) || shape[field] < 1) throw new ConfigError(`benchmark.${field}`, `must be a positive integer, got ${shape[field]}`);
  }
  if (documents.length === 0) return [];
  const packed = documents.map((document) => ({ ids: tokenizer.encode(document.text) }));
  try {
    const dataset = PackedDataset.build(packed, {
      seqLen: shape.seqLen, seed: shape.seed, separator: tokenizer.special.endOfText, pad: tokenizer.special.pad, mode: 'stream',
    }, shape.batchSize);
    return dataset.batchesOfEpoch().slice(0, shape.batches);
  } catch (error) {
    if (error instanceof InputError) return [];
    throw error;
  }
}

/**
 * Splits off a seeded `fraction` of the general-text documents (kind `text`, not retrieved) before the
 * corpus is built, so that no stage ever trains on them: the general benchmark. Other documents stay
 * in `training`, in their order.
 */
export function holdOutGeneralText(documents: readonly CorpusDocument[], options: { fraction: number; seed: number }): {
  training: CorpusDocument[]; heldOut: CorpusDocument[];
} {
  if (!(options.fraction > 0 && options.fraction < 1)) throw new ConfigError('generalFraction', `must be in (0, 1), got ${options.fraction}`);
  const general = documents.flatMap((document, index) => (document.kind === 'text' && !document.retrieved ? [index] : []));
  const count = Math.round(general.length * options.fraction);
  const chosen = new Set(new Rng(options.seed + 7919).shuffle(general).slice(0, count));
  return {
    training: documents.filter((_, index) => !chosen.has(index)),
    heldOut: documents.filter((_, index) => chosen.has(index)),
  };
}

/**
 * Both benchmark losses of the model behind `evaluator`.
 * @throws NonFiniteError when a loss is not finite (the model diverged)
 */
export async function measureBenchmarkLoss(evaluator: LossEvaluator, sets: BenchmarkSets, signal?: AbortSignal): Promise<BenchmarkLoss> {
  const measure = async (name: string, batches: Batch[]): Promise<number | null> => {
    if (batches.length === 0) return null;
    const loss = await evaluator.evaluate(batches, signal);
    if (!Number.isFinite(loss)) throw new NonFiniteError(`training diverged: ${name} benchmark loss is ${loss}`);
    return loss;
  };
  return { agent: await measure('agent', sets.agent), general: await measure('general-text', sets.general) };
}
