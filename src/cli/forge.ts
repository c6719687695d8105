import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { corpusJsonl, llmcShards } from '../data/export.js';
import { AgentClassifier, splitExamples } from '../forge/classifier.js';
import { HashedEmbedder } from '../forge/embedders.js';
import { buildForge, isSeedAgentDocument, packStage } from '../forge/builder.js';
import { formatLeakage } from '../forge/heldout.js';
import { readAll, readJsonlDocuments, readTextDocuments } from '../data/sources/index.js';
import { fileSource } from '../data/sources/node-lines.js';
import { Rng } from '../util/rng.js';
import { formatComposition } from '../forge/report.js';
import { saveTokenizerToDir } from '../tokenizer/node-files.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { CorpusDocument } from '../data/document.js';
import { numberOption, parseRatio, stringOption, tokenizerOption, tokenizerSample } from './args.js';
import { loadCorpusSources } from './corpus-sources.js';

export const FORGE_OPTIONS = {
  'data-dir': { type: 'string' }, 'code-dir': { type: 'string' }, 'code-files': { type: 'string' },
  text: { type: 'string', multiple: true }, ratio: { type: 'string' }, 'total-tokens': { type: 'string' },
  'eval-fraction': { type: 'string' }, seed: { type: 'string' }, 'vocab-size': { type: 'string' },
  tokenizer: { type: 'string' }, report: { type: 'boolean' }, 'export-jsonl': { type: 'string' },
  'export-shards': { type: 'string' }, 'seq-len': { type: 'string' },
  pool: { type: 'string', multiple: true }, 'pool-top-k': { type: 'string' },
} as const;

/** `hephaestus-web forge`: builds the corpus, prints its composition, optionally exports it. */
export async function forgeCommand(values: Record<string, unknown>): Promise<void> {
  const seed = numberOption(values, 'seed', 0);
  const started = performance.now();
  const documents = await loadCorpusSources({
    dataDir: values['data-dir'] as string | undefined, codeDir: values['code-dir'] as string | undefined,
    codeFiles: numberOption(values, 'code-files', 600), textFiles: (values.text as string[] | undefined) ?? [], seed,
  }, log);
  const tokenizer = await tokenizerOption(values, tokenizerSample(documents), 2048);
  const pool = await loadPool((values.pool as string[] | undefined) ?? []);
  const corpus = await buildForge({ documents, pool }, {
    tokenizer, seed, ratio: parseRatio(stringOption(values, 'ratio', '1:1:1')),
    retrieval: pool.length > 0 ? retrievalOptions(documents, pool, numberOption(values, 'pool-top-k', Math.ceil(pool.length / 10)), seed) : undefined,
    totalTokens: values['total-tokens'] === undefined ? undefined : numberOption(values, 'total-tokens', 0),
    evalFraction: numberOption(values, 'eval-fraction', 0.1, false),
    onPhase: (phase, detail) => log(`${phase}: ${detail}`),
  });
  const seconds = (performance.now() - started) / 1000;
  const megabytes = documents.reduce((sum, document) => sum + document.text.length, 0) / 1e6;
  log(`built in ${seconds.toFixed(1)} s (${megabytes.toFixed(1)} M characters read, ${(megabytes / seconds).toFixed(2)} M characters/s)`);
  log(`dedup removed ${corpus.dedup.removedExact} exact and ${corpus.dedup.removedNear} near duplicates; ` +
    `${corpus.evalFunctions.length} functions held out (${corpus.evaluation.length} evaluation documents, ${corpus.droppedForLeakage} training documents dropped for mentioning them)`);
  if (corpus.retrieval) {
    log(`retrieval: scored ${corpus.retrieval.scored} pool documents, kept ${corpus.retrieval.kept} agent-like ones, classifier rejected ${corpus.retrieval.rejectedByClassifier}`);
  }
  log(formatLeakage(corpus.leakage));
  const shares = corpus.mix.targets;
  const total = shares.agent + shares.code + shares.text;
  if (values.report !== false) {
    process.stdout.write(`${formatComposition(corpus.report, { agent: shares.agent / total, code: shares.code / total, text: shares.text / total })}\n`);
    for (const stage of ['stage2', 'stage3'] as const) {
      const tokens = corpus.stages[stage].reduce((sum, item) => sum + item.tokens, 0);
      process.stdout.write(`${stage}: ${corpus.stages[stage].length} documents, ${tokens} tokens\n`);
    }
  }
  await exportCorpus(values, corpus.stages.stage1.map((item) => item.document), () =>
    packStage(corpus, 'stage1', { seqLen: numberOption(values, 'seq-len', 256), batchSize: 1, seed, tokenizer }).tokenStream(), tokenizer);
}

/** The general pool to retrieve from: JSONL files (a `text` field) or plain text split into chunks. */
async function loadPool(files: string[]): Promise<CorpusDocument[]> {
  const pool: CorpusDocument[] = [];
  for (const file of files) {
    const options = { onError: 'skip', openPath: fileSource } as const;
    const stream = /\.jsonl?$/i.test(file) ? readJsonlDocuments(file, options) : readTextDocuments(file, options);
    const { items, stats } = await readAll(stream);
    pool.push(...items.map((document) => ({ ...document, kind: 'text' as const })));
    log(`read pool ${file}: ${items.length} documents${stats.skipped ? `, ${stats.skipped} malformed records skipped` : ''}`);
  }
  return pool;
}

/**
 * Retrieval with the offline embedder, filtered by a classifier trained here on the seed agent
 * documents against the general text and code (up to 3,000 of each, seeded).
 */
function retrievalOptions(documents: CorpusDocument[], pool: CorpusDocument[], topK: number, seed: number) {
  const rng = new Rng(seed);
  const sample = (items: CorpusDocument[], label: 'agent' | 'general') =>
    rng.shuffle([...items]).slice(0, 3000).map((document) => ({ text: document.text, label }));
  const agent = documents.filter(isSeedAgentDocument);
  const general = documents.filter((document) => document.kind === 'text' || (document.kind === 'code' && !document.functions?.length));
  const examples = [...sample(agent, 'agent'), ...sample(general, 'general')];
  const { train, test } = splitExamples(examples, { testFraction: 0.2, seed });
  const classifier = AgentClassifier.train(train, { seed });
  const metrics = classifier.evaluate(test);
  log(`classifier: trained on ${train.length}, held-out ${test.length}: precision ${metrics.precision.toFixed(3)}, recall ${metrics.recall.toFixed(3)}, F1 ${metrics.f1.toFixed(3)}`);
  log(`retrieval: top ${topK} of ${pool.length} pool documents by similarity to the seed agent data`);
  return { embedder: new HashedEmbedder(), topK, classifier };
}

async function exportCorpus(values: Record<string, unknown>, documents: CorpusDocument[], tokens: () => Int32Array, tokenizer: Tokenizer): Promise<void> {
  const jsonl = values['export-jsonl'];
  if (typeof jsonl === 'string') {
    const out = createWriteStream(jsonl);
    for (const line of corpusJsonl(documents)) {
      if (!out.write(line)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
    }
    await new Promise<void>((resolve, reject) => {
      out.once('error', reject);
      out.end(() => resolve());
    });
    log(`wrote ${documents.length} documents to ${jsonl}`);
  }
  const shards = values['export-shards'];
  if (typeof shards === 'string') {
    await mkdir(shards, { recursive: true });
    let index = 0;
    for (const shard of llmcShards(tokens(), tokenizer.vocabSize)) {
      await writeFile(join(shards, `forge_train_${String(index++).padStart(6, '0')}.bin`), shard);
    }
    await saveTokenizerToDir(tokenizer, shards);
    log(`wrote ${index} llm.c token shard(s) and the tokenizer to ${shards}`);
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
