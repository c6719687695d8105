import { chatLossMask } from '../tokenizer/chat-template.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { throwIfAborted } from '../util/errors.js';
import { deduplicate } from './dedup.js';
import type { CorpusDocument, TokenizedCorpusDocument } from '../data/document.js';
import { checkLeakage, splitByFunction, type LeakageReport } from './heldout.js';
import { DEFAULT_MIX, mixDocuments, type MixRatio, type MixResult } from './mixing.js';
import { PackedDataset } from '../data/packing.js';
import { compositionReport, type CompositionReport } from './report.js';
import { retrieveAgentLike, type RetrievalOptions } from './retrieval.js';

/**
 * The training stages of the Hephaestus recipe: an optional `base` stage on general text and code only
 * (so that continual pre-training starts from a model that knows language), then Stages I, II and III.
 */
export type Stage = 'base' | 'stage1' | 'stage2' | 'stage3';

/** What goes into {@link buildForge}. */
export interface ForgeInput {
  /** Seed agent data, code and general text (e.g. from `readSharedData` and code/text readers). */
  documents: CorpusDocument[];
  /** A general pool to retrieve agent-like documents from (optional). */
  pool?: Iterable<CorpusDocument> | AsyncIterable<CorpusDocument>;
}

/** Options of {@link buildForge}. */
export interface ForgeOptions {
  tokenizer: Tokenizer;
  seed: number;
  /** Stage I token shares (default 1 : 1 : 1). */
  ratio?: MixRatio;
  /** Stage I size in tokens (default: the largest the ratio allows without repeating documents). */
  totalTokens?: number;
  /** Fraction of functions held out for evaluation (default 0.1). */
  evalFraction?: number;
  /** Near-duplicate Jaccard threshold (default 0.8); `false` keeps near duplicates (exact ones always go). */
  nearDuplicateThreshold?: number | false;
  /** Retrieval from `input.pool`; the seed set is the training split's seed agent documents. */
  retrieval?: Omit<RetrievalOptions, 'signal'>;
  signal?: AbortSignal;
  /** Called as each phase starts. */
  onPhase?: (phase: 'dedup' | 'split' | 'retrieval' | 'tokenize' | 'mix' | 'leakage', detail: string) => void;
}

/** The built corpus: per-stage tokenised documents, the held-out evaluation data and the proofs. */
export interface ForgeCorpus {
  /** Every training document (after dedup, split and retrieval), tokenised. */
  training: TokenizedCorpusDocument[];
  stages: Record<Stage, TokenizedCorpusDocument[]>;
  /** Stage I selection, with its token targets. */
  mix: MixResult<TokenizedCorpusDocument>;
  /** Composition of Stage I. */
  report: CompositionReport;
  /** Documents about the held-out functions (never in any stage). */
  evaluation: CorpusDocument[];
  evalFunctions: string[];
  /** Leakage check of every stage's documents against the evaluation data. */
  leakage: LeakageReport;
  dedup: { removedExact: number; removedNear: number };
  /** Documents dropped from training because they mention an evaluation function. */
  droppedForLeakage: number;
  retrieval?: { kept: number; rejectedByClassifier: number; scored: number };
}

/**
 * Builds the Hephaestus-Forge corpus: dedup, held-out split by function, optional retrieval of
 * agent-like documents from a general pool (filtered by the classifier), tokenisation, and the
 * per-stage document sets. Stage I mixes agent / code / text by token share; Stage II is the seed
 * agent data alone; Stage III the instruction pairs. Deterministic for a seed.
 */
export async function buildForge(input: ForgeInput, options: ForgeOptions): Promise<ForgeCorpus> {
  const phase = (name: Parameters<NonNullable<ForgeOptions['onPhase']>>[0], detail: string) => {
    throwIfAborted(options.signal, 'corpus build');
    options.onPhase?.(name, detail);
  };
  phase('dedup', `${input.documents.length} documents`);
  const threshold = options.nearDuplicateThreshold ?? 0.8;
  const deduped = await deduplicate(input.documents, {
    near: threshold !== false, threshold: threshold === false ? undefined : threshold, seed: options.seed, signal: options.signal,
  });
  phase('split', `${deduped.kept.length} documents after dedup`);
  const split = splitByFunction(deduped.kept, { evalFraction: options.evalFraction ?? 0.1, seed: options.seed });
  let training = split.train;
  let retrieval: ForgeCorpus['retrieval'];
  if (options.retrieval && input.pool) {
    phase('retrieval', `top ${options.retrieval.topK}`);
    const found = await retrieveAgentLike(training.filter(isSeedAgentDocument), input.pool, { ...options.retrieval, signal: options.signal });
    const retrieved = found.kept.map(({ document }) => ({ ...document, retrieved: true }));
    const clean = dropLeaks(retrieved, split.eval, split.evalFunctions);
    training = [...training, ...clean];
    retrieval = { kept: clean.length, rejectedByClassifier: found.rejectedByClassifier, scored: found.scored };
  }
  phase('tokenize', `${training.length} training documents`);
  const tokenized = tokenizeDocuments(training, options.tokenizer, options.signal);
  phase('mix', 'Stage I token shares');
  const mix = mixDocuments(tokenized.filter((item) => item.document.kind !== 'instruction'), {
    ratio: options.ratio ?? DEFAULT_MIX, seed: options.seed, totalTokens: options.totalTokens,
  });
  const stages: Record<Stage, TokenizedCorpusDocument[]> = {
    base: tokenized.filter((item) => isGeneralDocument(item.document)),
    stage1: mix.documents,
    stage2: tokenized.filter((item) => isSeedAgentDocument(item.document)),
    stage3: tokenized.filter((item) => item.document.kind === 'instruction'),
  };
  phase('leakage', `${split.evalFunctions.length} evaluation functions`);
  const used = [...new Set(Object.values(stages).flat().map((item) => item.document))];
  return {
    training: tokenized, stages, mix, report: compositionReport(mix.documents),
    evaluation: split.eval, evalFunctions: split.evalFunctions,
    leakage: checkLeakage(used, split.eval, split.evalFunctions),
    dedup: { removedExact: deduped.removedExact, removedNear: deduped.removedNear },
    droppedForLeakage: split.dropped.length, retrieval,
  };
}

/** Seed agent data: tool docs, trajectories and API-using code from the seed sources (not retrieved). */
export function isSeedAgentDocument(document: CorpusDocument): boolean {
  if (document.retrieved) return false;
  return document.kind === 'tool_doc' || document.kind === 'trajectory' || (document.kind === 'code' && (document.functions?.length ?? 0) > 0);
}

/** General text and code that is not seed agent data: what a `base` stage trains on. */
export function isGeneralDocument(document: CorpusDocument): boolean {
  return !document.retrieved && (document.kind === 'text' || document.kind === 'code') && !isSeedAgentDocument(document);
}

/** Options of {@link packStage}. */
export interface PackStageOptions {
  seqLen: number;
  batchSize: number;
  seed: number;
  tokenizer: Tokenizer;
  /**
   * Stage III: also train the role token that opens an answer turn (see `EncodeChatOptions`), so that the
   * model learns to start its answer after a prompt. Default true: the pipeline, the worker and the exported
   * run all train Stage III alike.
   */
  trainRoleTokens?: boolean;
}

/**
 * Packs one stage for training: the base stage and Stages I and II as a continuous stream (loss on
 * every token), Stage III document by document with the loss on the responses (and the end of text
 * after the last one) only.
 */
export function packStage(corpus: ForgeCorpus, stage: Stage, options: PackStageOptions): PackedDataset {
  const { special } = options.tokenizer;
  const documents = corpus.stages[stage].map((item) => ({
    ids: item.ids,
    mask: stage === 'stage3' ? chatLossMask(item.ids, special, { trainRoleTokens: options.trainRoleTokens ?? true }) : undefined,
  }));
  return PackedDataset.build(documents, {
    seqLen: options.seqLen, seed: options.seed, separator: special.endOfText, pad: special.pad,
    mode: stage === 'stage3' ? 'whole' : 'stream',
  }, options.batchSize);
}

/** Token ids of each document (one pass of the tokenizer over the training data). */
export function tokenizeDocuments(documents: CorpusDocument[], tokenizer: Tokenizer, signal?: AbortSignal): TokenizedCorpusDocument[] {
  return documents.map((document, i) => {
    if (i % 256 === 0) throwIfAborted(signal, 'tokenisation');
    const ids = Int32Array.from(tokenizer.encode(document.text));
    return { document, ids, tokens: ids.length };
  });
}

/** Retrieved documents that do not touch the evaluation data. */
function dropLeaks(retrieved: CorpusDocument[], evaluation: CorpusDocument[], evalFunctions: string[]): CorpusDocument[] {
  if (retrieved.length === 0) return retrieved;
  const report = checkLeakage(retrieved, evaluation, evalFunctions);
  const leaking = new Set([...report.nameHits.map((hit) => hit.source), ...report.ngramHits.map((hit) => hit.source)]);
  return retrieved.filter((document) => !leaking.has(document.source));
}
