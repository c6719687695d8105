/**
 * Forge throughput in Node: read the shared data and Python standard-library code, train a BPE
 * tokenizer, build the Forge corpus (timing each phase), deduplicate 10,000 real code documents, and
 * stream a JSONL file ten times a memory budget to show that memory stays flat while reading. (The
 * wall-clock and whole-process memory figures live here, not in the tests: on a shared machine they
 * depend on the load.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import { open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import type { CorpusDocument } from '../src/data/document.js';
import { buildForge, type ForgeOptions } from '../src/forge/builder.js';
import { deduplicate } from '../src/forge/dedup.js';
import { fileSource, pythonStdlibDir, walkFiles } from '../src/data/sources/node-lines.js';
import { readCodeDocuments, readJsonlDocuments, readSharedData, SHARED_DATA_FILES } from '../src/data/sources/index.js';
import { trainBpeTokenizer } from '../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../src/tokenizer/types.js';
import { progress } from './lib/stats.js';

type Phase = Parameters<NonNullable<ForgeOptions['onPhase']>>[0];

export interface ForgeBenchOptions {
  /** Root of the shared data (`../shared/data`). */
  sharedRoot: string;
  /** Python standard-library code files to read (tests skipped). */
  codeFiles: number;
  /** Largest code file kept, in characters. */
  codeMaxChars: number;
  /** BPE vocabulary trained on every `trainEvery`-th document. */
  vocabSize: number;
  trainEvery: number;
  /** Size of the JSONL file streamed for the memory check, in bytes. */
  streamBytes: number;
  /** Memory budget the streaming read is compared with, in bytes. */
  budgetBytes: number;
  /** Documents between memory samples while streaming (a forced GC and a live-memory sample every 16th). */
  sampleEvery: number;
  /** Code documents of 3,000 characters deduplicated on their own. */
  dedupDocuments: number;
}

export interface ForgeReadResult {
  label: string;
  /** Files read (accepted) and skipped. */
  files: number;
  skipped: number;
  documents: number;
  /** UTF-8 bytes of the documents' text. */
  bytes: number;
  /** Bytes of the files on disk (accepted files only). */
  fileBytes: number;
  ms: number;
}

export interface ForgePhaseResult {
  phase: Phase;
  detail: string;
  ms: number;
}

export interface ForgeStreamResult {
  file: string;
  fileBytes: number;
  writeMs: number;
  documents: number;
  /** UTF-8 bytes of the documents' text. */
  textBytes: number;
  readMs: number;
  samples: number;
  /** Memory after a forced GC, just before streaming. */
  rssStart: number;
  heapStart: number;
  /** Highest values sampled while streaming. */
  rssPeak: number;
  heapPeak: number;
  /** Live memory (heapUsed + arrayBuffers right after a forced GC): at the start and the highest sample. */
  liveStart: number;
  livePeak: number;
  /** At the end of the stream (before any GC). */
  rssEnd: number;
  heapEnd: number;
  budgetBytes: number;
  /** Whether a forced GC was available for the baseline (via v8 flags). */
  gcBaseline: boolean;
}

export interface ForgeResult {
  options: ForgeBenchOptions;
  reads: ForgeReadResult[];
  tokenizer: { documents: number; bytes: number; vocabSize: number; ms: number };
  build: {
    documents: number;
    bytes: number;
    ms: number;
    phases: ForgePhaseResult[];
    /** Training documents (after dedup and the held-out split) that were tokenised. */
    trainingDocuments: number;
    trainingBytes: number;
    tokens: number;
    stageTokens: { stage1: number; stage2: number; stage3: number };
    removedExact: number;
    removedNear: number;
    evalDocuments: number;
  };
  stream: ForgeStreamResult;
  dedup: ForgeDedupResult;
}

/** Deduplication of real code on its own: Python standard library and node_modules sources, cut in 3 KB documents. */
export interface ForgeDedupResult {
  documents: number;
  bytes: number;
  kept: number;
  removedExact: number;
  removedNear: number;
  ms: number;
  cpuMs: number;
}

const MB = 1024 * 1024;
const utf8Bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** A GC function, when V8 lets us expose one (only used for a clean memory baseline). */
function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as unknown;
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

async function fileSizes(paths: Iterable<string>): Promise<number> {
  let total = 0;
  for (const path of paths) total += (await stat(path)).size;
  return total;
}

async function timedRead(
  label: string,
  stream: AsyncIterable<CorpusDocument> & { stats: { read: number; skipped: number; byFile: Record<string, { read: number }> } },
  pathOf: (file: string) => string,
  into: CorpusDocument[],
): Promise<ForgeReadResult> {
  const start = performance.now();
  let bytes = 0;
  let documents = 0;
  for await (const document of stream) {
    into.push(document);
    bytes += utf8Bytes(document.text);
    documents += 1;
  }
  const ms = performance.now() - start;
  const accepted = Object.entries(stream.stats.byFile).filter(([, c]) => c.read > 0).map(([file]) => pathOf(file));
  const result: ForgeReadResult = {
    label, files: accepted.length, skipped: stream.stats.skipped, documents, bytes, fileBytes: await fileSizes(accepted), ms,
  };
  progress(`forge: read ${label}: ${documents} documents, ${(bytes / MB).toFixed(2)} MB in ${ms.toFixed(0)} ms`);
  return result;
}

/** A deterministic ~1 KB paragraph (xorshift over a small word list). */
function paragraphs(count: number, targetChars: number): string[] {
  const words = ('the river agent calls an api with arguments and reads the response then plans the next step ' +
    'function search weather booking returns json error retry tool result observation thought answer model ' +
    'corpus token stream memory budget file line document code text python library module class value').split(' ');
  let state = 0x9e3779b9;
  const next = () => {
    state ^= state << 13; state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5; state >>>= 0;
    return state;
  };
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const parts: string[] = [];
    let length = 0;
    while (length < targetChars) {
      const word = words[next() % words.length];
      parts.push(word);
      length += word.length + 1;
    }
    out.push(parts.join(' ') + '.\n"quoted" tail');
  }
  return out;
}

/** Writes a JSONL file of about `bytes` bytes of `{"text": ...}` lines (~1 KB each), in chunks. */
async function writeJsonl(path: string, bytes: number): Promise<number> {
  const texts = paragraphs(997, 1000);
  const handle = await open(path, 'w');
  let written = 0;
  let line = 0;
  try {
    while (written < bytes) {
      const parts: string[] = [];
      let chunk = 0;
      while (chunk < 4 * MB && written + chunk < bytes) {
        const s = `${JSON.stringify({ text: `${line} ${texts[line % texts.length]}` })}\n`;
        parts.push(s);
        chunk += s.length; // ASCII only: characters = bytes
        line += 1;
      }
      const buffer = Buffer.from(parts.join(''), 'utf8');
      await handle.write(buffer);
      written += buffer.length;
    }
  } finally {
    await handle.close();
  }
  return written;
}

async function streamMemory(options: ForgeBenchOptions): Promise<ForgeStreamResult> {
  const file = join(tmpdir(), `hephaestus-forge-bench-${process.pid}.jsonl`);
  try {
    progress(`forge: writing ${(options.streamBytes / MB).toFixed(0)} MB of JSONL to ${file}`);
    let start = performance.now();
    const fileBytes = await writeJsonl(file, options.streamBytes);
    const writeMs = performance.now() - start;
    const gc = gcFunction();
    gc?.();
    const base = process.memoryUsage();
    let rssPeak = base.rss;
    let heapPeak = base.heapUsed;
    let documents = 0;
    let textBytes = 0;
    let samples = 0;
    const sample = () => {
      const m = process.memoryUsage();
      rssPeak = Math.max(rssPeak, m.rss);
      heapPeak = Math.max(heapPeak, m.heapUsed);
      samples += 1;
    };
    const live = (usage: NodeJS.MemoryUsage) => usage.heapUsed + usage.arrayBuffers;
    const liveStart = live(base);
    let livePeak = liveStart;
    progress(`forge: streaming ${file} (rss ${(base.rss / MB).toFixed(0)} MB, heap ${(base.heapUsed / MB).toFixed(0)} MB at start)`);
    start = performance.now();
    for await (const document of readJsonlDocuments(file, { openPath: fileSource })) {
      documents += 1;
      textBytes += document.text.length; // ASCII
      if (documents % options.sampleEvery === 0) sample();
      // What the reader keeps alive: heap and buffers right after a full collection.
      if (gc !== undefined && documents % (16 * options.sampleEvery) === 0) {
        gc();
        livePeak = Math.max(livePeak, live(process.memoryUsage()));
      }
    }
    const readMs = performance.now() - start;
    sample();
    const end = process.memoryUsage();
    progress(`forge: streamed ${documents} documents in ${readMs.toFixed(0)} ms; peak rss +${((rssPeak - base.rss) / MB).toFixed(1)} MB, ` +
      `heap +${((heapPeak - base.heapUsed) / MB).toFixed(1)} MB`);
    return {
      file, fileBytes, writeMs, documents, textBytes, readMs, samples,
      rssStart: base.rss, heapStart: base.heapUsed, rssPeak, heapPeak, liveStart, livePeak, rssEnd: end.rss, heapEnd: end.heapUsed,
      budgetBytes: options.budgetBytes, gcBaseline: gc !== undefined,
    };
  } finally {
    await rm(file, { force: true });
  }
}

/** Up to `count` documents of 3,000 characters cut from the .py and .js files under `roots` (sorted walk, depth <= 8). */
function codeSlices(roots: readonly string[], count: number): CorpusDocument[] {
  const files: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 8) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
      if (files.length > 20_000) return;
      const path = join(dir, entry.name);
      if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== '__pycache__') walk(path, depth + 1);
      else if (entry.isFile() && /\.(py|js)$/.test(entry.name)) files.push(path);
    }
  };
  for (const root of roots) walk(root, 0);
  const documents: CorpusDocument[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (let i = 0; i < text.length && documents.length < count; i += 3000) {
      documents.push({ kind: 'code', source: `${file}:${i}`, text: text.slice(i, i + 3000) });
    }
    if (documents.length >= count) break;
  }
  return documents;
}

/** Deduplicates real code on its own (exact and near passes, default options), wall and CPU time. */
async function timedDedup(count: number): Promise<ForgeDedupResult> {
  const stdlib = pythonStdlibDir();
  const roots = [...(stdlib === undefined ? [] : [stdlib]), join(import.meta.dirname, '..', 'node_modules')];
  const documents = codeSlices(roots, count);
  const bytes = documents.reduce((sum, d) => sum + utf8Bytes(d.text), 0);
  progress(`forge: deduplicating ${documents.length} code documents (${(bytes / MB).toFixed(1)} MB)`);
  const cpu = process.cpuUsage();
  const start = performance.now();
  const result = await deduplicate(documents);
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  progress(`forge: dedup kept ${result.kept.length}, exact ${result.removedExact}, near ${result.removedNear} in ${ms.toFixed(0)} ms`);
  return {
    documents: documents.length, bytes, kept: result.kept.length, removedExact: result.removedExact, removedNear: result.removedNear,
    ms, cpuMs: (used.user + used.system) / 1000,
  };
}

/** Builds the Forge corpus, phase by phase (each phase runs from its onPhase call to the next one, the last to the return). */
async function timedBuild(documents: CorpusDocument[], tokenizer: Tokenizer): Promise<ForgeResult['build']> {
  const inputBytes = documents.reduce((sum, d) => sum + utf8Bytes(d.text), 0);
  const marks: { phase: Phase; detail: string; at: number }[] = [];
  progress(`forge: building from ${documents.length} documents, ${(inputBytes / MB).toFixed(2)} MB`);
  const start = performance.now();
  const corpus = await buildForge({ documents }, {
    tokenizer, seed: 0,
    onPhase: (phase, detail) => {
      marks.push({ phase, detail, at: performance.now() });
      progress(`forge: phase ${phase} (${detail})`);
    },
  });
  const end = performance.now();
  const phases = marks.map((m, i) => ({ phase: m.phase, detail: m.detail, ms: (marks[i + 1]?.at ?? end) - m.at }));
  const sumTokens = (items: { tokens: number }[]) => items.reduce((sum, x) => sum + x.tokens, 0);
  const build: ForgeResult['build'] = {
    documents: documents.length, bytes: inputBytes, ms: end - start, phases,
    trainingDocuments: corpus.training.length,
    trainingBytes: corpus.training.reduce((sum, t) => sum + utf8Bytes(t.document.text), 0),
    tokens: sumTokens(corpus.training),
    stageTokens: { stage1: sumTokens(corpus.stages.stage1), stage2: sumTokens(corpus.stages.stage2), stage3: sumTokens(corpus.stages.stage3) },
    removedExact: corpus.dedup.removedExact, removedNear: corpus.dedup.removedNear, evalDocuments: corpus.evaluation.length,
  };
  progress(`forge: built in ${build.ms.toFixed(0)} ms (${build.tokens} training tokens)`);
  return build;
}

export async function benchForge(options: ForgeBenchOptions): Promise<ForgeResult> {
  // (d) first: streaming memory, while the process holds nothing else (a smaller, more telling baseline).
  const stream = await streamMemory(options);

  // (a) Reading.
  const documents: CorpusDocument[] = [];
  const reads: ForgeReadResult[] = [];
  const root = options.sharedRoot.replace(/\/+$/, '');
  progress(`forge: reading ${root}`);
  reads.push(await timedRead(`shared data (${SHARED_DATA_FILES.filter((f) => f.corpus).length} corpus files)`,
    readSharedData(root, { openPath: fileSource }), (file) => join(root, file), documents));
  const stdlib = pythonStdlibDir();
  if (stdlib) {
    const code = readCodeDocuments(
      walkFiles(stdlib, { extensions: ['.py'], limit: options.codeFiles, skipDirectories: ['test', 'tests'] }),
      { onError: 'skip', maxChars: options.codeMaxChars, openPath: fileSource },
    );
    reads.push(await timedRead(`Python stdlib code (${stdlib}, up to ${options.codeFiles} .py files)`, code, (file) => file, documents));
  } else {
    progress('forge: no /usr/lib/python3.X found; code files skipped');
  }

  // (b) Tokenizer.
  const trainTexts = documents.filter((_, i) => i % options.trainEvery === 0).map((d) => d.text);
  const trainBytes = trainTexts.reduce((sum, t) => sum + utf8Bytes(t), 0);
  progress(`forge: training BPE (vocab ${options.vocabSize}) on ${trainTexts.length} documents, ${(trainBytes / MB).toFixed(2)} MB`);
  const start = performance.now();
  const tokenizer = await trainBpeTokenizer(trainTexts, { vocabSize: options.vocabSize });
  const trainMs = performance.now() - start;
  progress(`forge: tokenizer trained in ${trainMs.toFixed(0)} ms`);

  // (c) Build (in its own function: the corpus is garbage once it returns).
  const build = await timedBuild(documents, tokenizer);

  // (e) Dedup of real code on its own.
  const dedup = await timedDedup(options.dedupDocuments);
  return { options, reads, tokenizer: { documents: trainTexts.length, bytes: trainBytes, vocabSize: tokenizer.vocabSize, ms: trainMs }, build, stream, dedup };
}
