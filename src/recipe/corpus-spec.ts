/**
 * A Forge corpus from a declarative spec, as a page asks its worker for one: where the documents come
 * from (the embedded synthetic sample, files laid out as the shared data folder, that layout at a URL,
 * or the user's own files), the Forge options, a held-out share of general text for the forgetting
 * benchmark, and the tokenizer (trained here as byte-level BPE, or given). The result keeps the corpus
 * where it was built and offers a small {@link CorpusSummary} (composition by group, kind and source,
 * held-out functions) to send across instead: a built corpus is megabytes of token ids.
 *
 * Browser-safe. Bad files stop the build with the reader's `InputError` (file and line).
 * @module
 */
import type { CorpusDocument } from '../data/document.js';
import { readCodeDocuments } from '../data/sources/code.js';
import { readJsonlDocuments } from '../data/sources/jsonl.js';
import { SHARED_DATA_FILES, readSharedData, type SharedDataRoot } from '../data/sources/shared-data.js';
import { readAll, type ReadStats } from '../data/sources/stream.js';
import { readTextDocuments } from '../data/sources/text.js';
import { syntheticCorpus } from '../data/synthetic/corpus.js';
import { holdOutGeneralText } from '../eval/benchmark-loss.js';
import { buildForge, type ForgeCorpus, type Stage } from '../forge/builder.js';
import type { MixRatio } from '../forge/mixing.js';
import type { CompositionReport } from '../forge/report.js';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { InputError } from '../util/errors.js';

/** Where a corpus's documents come from. */
export type CorpusSource =
  /** The embedded synthetic sample (tool docs, trajectories, code, text), seeded by the spec's seed. */
  | { kind: 'sample'; documents: number }
  /** Files of the shared data layout (`bfcl/...`, `gorilla/...`), each with its path under the folder. */
  | { kind: 'folder'; files: { path: string; file: Blob }[] }
  /** The shared data layout served at a URL (the folder's URL, ending in `/`). */
  | { kind: 'url'; url: string }
  /** The user's files: `.jsonl` documents, code by extension, anything else text. */
  | { kind: 'files'; files: File[] };

/** What a corpus is built from (the tokenizer apart). */
export interface CorpusSpec {
  source: CorpusSource;
  /** Seeds the sample, the held-out split, the general-text hold-out and the mix. */
  seed: number;
  /** Stage I token shares (default 1 : 1 : 1). */
  ratio?: MixRatio;
  /** Fraction of functions held out for evaluation (default 0.1). */
  evalFraction?: number;
  /** Fraction of general-text documents never trained on, for the general benchmark (default 0: none). */
  generalFraction?: number;
}

/** A phase of the build, for a progress bar. */
export interface CorpusProgress {
  phase: 'read' | 'tokenizer' | 'dedup' | 'split' | 'retrieval' | 'tokenize' | 'mix' | 'leakage' | 'done';
  detail: string;
  /** 0..1 over the whole build. */
  fraction: number;
}

/** The built corpus as a page draws it: small, plain data. */
export interface CorpusSummary {
  /** The source in words (`embedded synthetic sample (200 documents)`). */
  label: string;
  documents: number;
  vocabSize: number;
  /** Composition of Stage I by group, kind and source. */
  report: CompositionReport;
  stageTokens: Record<Stage, number>;
  evalFunctions: string[];
  evalDocuments: number;
  /** General-text documents held out for the general benchmark. */
  generalDocuments: number;
  dedup: { removedExact: number; removedNear: number };
  leakageClean: boolean;
  /** Per file read: records read and documents kept. */
  notes: string[];
}

/** A built corpus with what it was built from and with. */
export interface BuiltCorpus {
  spec: CorpusSpec;
  corpus: ForgeCorpus;
  tokenizer: Tokenizer;
  /** Held-out general text (see {@link CorpusSpec.generalFraction}). */
  generalText: CorpusDocument[];
  summary: CorpusSummary;
}

/** Options of {@link buildCorpusFromSpec}. */
export interface BuildCorpusOptions {
  /** The tokenizer to use (a resumed run's, a base model's); without one a BPE tokenizer is trained on the documents. */
  tokenizer?: Tokenizer;
  /** Vocabulary of the BPE tokenizer trained when none is given (default 1024). */
  vocabSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: CorpusProgress) => void;
}

const CODE_FILE = /\.(m?[jt]sx?|py|rs|go|java|c|cc|cpp|h|hpp|rb|sh|css|html)$/i;
/** Forge phases in order, for the progress fraction. */
const FORGE_PHASES = ['dedup', 'split', 'retrieval', 'tokenize', 'mix', 'leakage'] as const;

/** Reads the source, trains the tokenizer (unless given one) and builds the Forge corpus. */
export async function buildCorpusFromSpec(spec: CorpusSpec, options: BuildCorpusOptions): Promise<BuiltCorpus> {
  const report = options.onProgress ?? (() => undefined);
  const label = describeCorpusSource(spec.source);
  report({ phase: 'read', detail: label, fraction: 0 });
  const { documents, notes } = await readCorpusSource(spec.source, spec.seed, options.signal);
  if (documents.length === 0) throw new InputError(label, 'holds no documents');
  const { training, heldOut } = spec.generalFraction ? holdOutGeneralText(documents, { fraction: spec.generalFraction, seed: spec.seed }) : { training: documents, heldOut: [] };
  const tokenizer = options.tokenizer ?? await trainTokenizer(training, options.vocabSize ?? 1024, report, options.signal);
  const corpus = await buildForge({ documents: training }, {
    tokenizer, seed: spec.seed, ratio: spec.ratio, evalFraction: spec.evalFraction, signal: options.signal,
    onPhase: (phase, detail) => report({ phase, detail, fraction: 0.5 + 0.5 * (FORGE_PHASES.indexOf(phase) / FORGE_PHASES.length) }),
  });
  report({ phase: 'done', detail: `${corpus.report.tokens} Stage I tokens`, fraction: 1 });
  const tokens = (stage: Stage) => corpus.stages[stage].reduce((sum, item) => sum + item.tokens, 0);
  const summary: CorpusSummary = {
    label, documents: documents.length, vocabSize: tokenizer.vocabSize, report: corpus.report,
    stageTokens: { base: tokens('base'), stage1: tokens('stage1'), stage2: tokens('stage2'), stage3: tokens('stage3') },
    evalFunctions: corpus.evalFunctions, evalDocuments: corpus.evaluation.length, generalDocuments: heldOut.length, dedup: corpus.dedup,
    leakageClean: corpus.leakage.nameHits.length === 0 && corpus.leakage.ngramHits.length === 0, notes,
  };
  return { spec, corpus, tokenizer, generalText: heldOut, summary };
}

/** A short name of a source, for pages and run records. */
export function describeCorpusSource(source: CorpusSource): string {
  switch (source.kind) {
    case 'sample': return `embedded synthetic sample (${source.documents} documents)`;
    case 'folder': return `data folder (${source.files.length} files)`;
    case 'url': return `shared data at ${source.url}`;
    case 'files': return `your files (${source.files.map((file) => file.name).join(', ')})`;
  }
}

/** Whether a spec can be read again from itself alone (no files of the user's needed). */
export function isReproducible(source: { kind: CorpusSource['kind'] }): boolean {
  return source.kind === 'sample' || source.kind === 'url';
}

async function trainTokenizer(
  documents: CorpusDocument[], vocabSize: number, report: (progress: CorpusProgress) => void, signal?: AbortSignal,
): Promise<Tokenizer> {
  report({ phase: 'tokenizer', detail: `training a ${vocabSize}-token BPE vocabulary`, fraction: 0.1 });
  return trainBpeTokenizer(documents.map((document) => document.text), {
    vocabSize, signal,
    onProgress: (p) => report({ phase: 'tokenizer', detail: `merges ${p.merges}/${p.target}`, fraction: 0.1 + 0.4 * (p.merges / Math.max(1, p.target)) }),
  });
}

async function readCorpusSource(source: CorpusSource, seed: number, signal?: AbortSignal): Promise<{ documents: CorpusDocument[]; notes: string[] }> {
  switch (source.kind) {
    case 'sample': return { documents: syntheticCorpus({ documents: source.documents, seed }), notes: [] };
    case 'folder': {
      const byPath = new Map(source.files.map(({ path, file }) => [path, file]));
      const files = SHARED_DATA_FILES.filter((file) => file.corpus && byPath.has(file.path)).map((file) => file.path);
      if (files.length === 0) {
        throw new InputError('data folder', `holds none of the shared data files (${SHARED_DATA_FILES.filter((f) => f.corpus).map((f) => f.path).join(', ')})`);
      }
      return readShared((path) => byPath.get(path) ?? missing(path), files, signal);
    }
    case 'url': return readShared(new URL(source.url), undefined, signal);
    case 'files': return readFiles(source.files, signal);
  }
}

async function readShared(root: SharedDataRoot, files: string[] | undefined, signal?: AbortSignal): Promise<{ documents: CorpusDocument[]; notes: string[] }> {
  const { items, stats } = await readAll(readSharedData(root, { files, signal, text: { split: 'chunk', maxChars: 2000 } }));
  return { documents: items, notes: statNotes(stats) };
}

async function readFiles(files: File[], signal?: AbortSignal): Promise<{ documents: CorpusDocument[]; notes: string[] }> {
  const documents: CorpusDocument[] = [];
  const notes: string[] = [];
  for (const file of files) {
    const read = /\.jsonl?$/i.test(file.name) ? readJsonlDocuments(file, { name: file.name, signal })
      : CODE_FILE.test(file.name) ? readCodeDocuments(file, { name: file.name, signal })
        : readTextDocuments(file, { name: file.name, signal });
    const { items, stats } = await readAll(read);
    documents.push(...items);
    notes.push(...statNotes(stats));
  }
  return { documents, notes };
}

function missing(path: string): never {
  throw new InputError(path, 'is not in the chosen folder');
}

function statNotes(stats: ReadStats): string[] {
  return Object.entries(stats.byFile).map(([file, counts]) => `${file}: ${counts.read} records read, ${counts.yielded} documents`);
}
