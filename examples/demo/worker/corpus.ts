/**
 * The demo's corpus: the documents of a {@link CorpusSource} (the embedded synthetic sample, the shared
 * data folder, or the user's files), a BPE tokenizer trained on them (or the one of a checkpoint being
 * resumed), and the Forge build. Bad files stop the build with the reader's InputError (file and line).
 */
import {
  SHARED_DATA_FILES, buildForge, readAll, readCodeDocuments, readJsonlDocuments, readSharedData, readTextDocuments,
  syntheticCorpus, trainBpeTokenizer, type CorpusDocument, type ForgeCorpus, type ReadStats, type Tokenizer,
} from '../../../src/index.js';
import type { BuildProgress, CorpusSource, CorpusSpec, CorpusSummary } from './api.js';

/** A built corpus with the tokenizer it was built with. */
export interface BuiltCorpus {
  spec: CorpusSpec;
  corpus: ForgeCorpus;
  tokenizer: Tokenizer;
  summary: CorpusSummary;
}

const CODE_FILE = /\.(m?[jt]sx?|py|rs|go|java|c|cc|cpp|h|hpp|rb|sh|css|html)$/i;
/** Phases of {@link buildForge} in order, for the progress bar. */
const PHASES = ['dedup', 'split', 'retrieval', 'tokenize', 'mix', 'leakage'];

/** Reads the source, trains the tokenizer (unless given one) and builds the Forge corpus. */
export async function buildCorpus(
  spec: CorpusSpec, onProgress: (progress: BuildProgress) => void, signal: AbortSignal, given?: Tokenizer,
): Promise<BuiltCorpus> {
  onProgress({ phase: 'read', detail: describeSource(spec.source), fraction: 0 });
  const { documents, notes } = await readSource(spec.source, spec.seed, signal);
  let tokenizer = given;
  if (!tokenizer) {
    onProgress({ phase: 'tokenizer', detail: `training a ${spec.vocabSize}-token BPE vocabulary`, fraction: 0.1 });
    tokenizer = await trainBpeTokenizer(documents.map((document) => document.text), {
      vocabSize: spec.vocabSize, signal,
      onProgress: (p) => onProgress({ phase: 'tokenizer', detail: `merges ${p.merges}/${p.target}`, fraction: 0.1 + 0.4 * (p.merges / Math.max(1, p.target)) }),
    });
  }
  const corpus = await buildForge({ documents }, {
    tokenizer, seed: spec.seed, ratio: spec.ratio, evalFraction: spec.evalFraction, signal,
    onPhase: (phase, detail) => onProgress({ phase, detail, fraction: 0.5 + 0.5 * (PHASES.indexOf(phase) / PHASES.length) }),
  });
  onProgress({ phase: 'done', detail: `${corpus.report.tokens} Stage I tokens`, fraction: 1 });
  const tokens = (stage: keyof ForgeCorpus['stages']) => corpus.stages[stage].reduce((sum, item) => sum + item.tokens, 0);
  const summary: CorpusSummary = {
    label: describeSource(spec.source), documents: documents.length, vocabSize: tokenizer.vocabSize, report: corpus.report,
    stageTokens: { base: tokens('base'), stage1: tokens('stage1'), stage2: tokens('stage2'), stage3: tokens('stage3') },
    evalFunctions: corpus.evalFunctions, evalDocuments: corpus.evaluation.length, dedup: corpus.dedup,
    leakageClean: corpus.leakage.nameHits.length === 0 && corpus.leakage.ngramHits.length === 0, notes,
  };
  return { spec, corpus, tokenizer, summary };
}

/** A short name of the source, for the page and the checkpoint record. */
export function describeSource(source: CorpusSource): string {
  switch (source.kind) {
    case 'sample': return `embedded synthetic sample (${source.documents} documents)`;
    case 'folder': return `data folder (${source.files.length} files)`;
    case 'files': return `your files (${source.files.map((file) => file.name).join(', ')})`;
  }
}

async function readSource(source: CorpusSource, seed: number, signal: AbortSignal): Promise<{ documents: CorpusDocument[]; notes: string[] }> {
  if (source.kind === 'sample') return { documents: syntheticCorpus({ documents: source.documents, seed }), notes: [] };
  if (source.kind === 'folder') {
    const byPath = new Map(source.files.map(({ path, file }) => [path, file]));
    const files = SHARED_DATA_FILES.filter((file) => file.corpus && byPath.has(file.path)).map((file) => file.path);
    if (files.length === 0) {
      throw new Error(`the folder holds none of the shared data files (${SHARED_DATA_FILES.filter((f) => f.corpus).map((f) => f.path).join(', ')})`);
    }
    const { items, stats } = await readAll(readSharedData((path) => byPath.get(path) ?? missing(path), {
      files, signal, text: { split: 'chunk', maxChars: 2000 },
    }));
    return { documents: items, notes: statNotes(stats) };
  }
  const documents: CorpusDocument[] = [];
  const notes: string[] = [];
  for (const file of source.files) {
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
  throw new Error(`${path} is not in the chosen folder`);
}

function statNotes(stats: ReadStats): string[] {
  return Object.entries(stats.byFile).map(([file, counts]) => `${file}: ${counts.read} records read, ${counts.yielded} documents`);
}
