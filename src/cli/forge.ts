import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AgentClassifier, HashedEmbedder, InputError, Rng, buildForge, corpusJsonl, errorMessage, fileSource, formatComposition, formatLeakage,
  isSeedAgentDocument, llmcShards, packStage, readAll, readJsonlDocuments, readTextDocuments, saveTokenizerToDir, splitExamples,
  TOKENIZER_CONFIG_JSON, TOKENIZER_JSON, type CorpusDocument, type Tokenizer,
} from '../node.js';
import { defineCommand } from './command.js';
import {
  CORPUS_OPTIONS, SEED_OPTION, TOKENIZER_OPTIONS, checkOutputFile, checkOutputFolder, log, parseRatio, requireFile, requireFolder,
  requireTokenizerFolder, tokenizerFor, tokenizerSample, writeFileAtomic,
} from './common.js';
import { loadCorpusSources } from './corpus-sources.js';

/** Names of the files an `--export-shards` folder holds: ours to replace on the next export. */
const SHARD_FILE = /^forge_train_\d{6}\.bin$/;
const isShardExport = (name: string) => SHARD_FILE.test(name) || name === TOKENIZER_JSON || name === TOKENIZER_CONFIG_JSON;

/** `hephaestus-web forge`: builds the corpus, prints its composition, optionally exports it. */
export const forgeCommand = defineCommand({
  name: 'forge',
  summary: 'build the agent pre-training corpus (Hephaestus-Forge): dedup, held-out split, mixing, exports',
  options: {
    ...CORPUS_OPTIONS,
    text: { type: 'list', arg: 'file', help: 'more general text (.txt)' },
    ratio: { type: 'string', arg: 'A:C:T', default: '1:1:1', help: 'agent : code : text token shares of Stage I' },
    'total-tokens': { type: 'integer', min: 1, defaultText: 'the largest without repeats', help: 'Stage I size in tokens' },
    'eval-fraction': { type: 'number', above: 0, below: 1, default: 0.1, help: 'share of functions held out for evaluation' },
    pool: { type: 'list', arg: 'file', help: 'general pool (.txt or .jsonl) to retrieve agent-like documents from (they must pass a classifier)' },
    'pool-top-k': { type: 'integer', min: 1, defaultText: '10% of the pool', help: 'pool documents retrieved before the classifier' },
    'vocab-size': { ...TOKENIZER_OPTIONS['vocab-size'], default: 2048, defaultText: undefined },
    tokenizer: TOKENIZER_OPTIONS.tokenizer,
    seed: SEED_OPTION,
    report: { type: 'boolean', default: true, help: 'print the composition of the stages (--no-report: only the log)' },
    'export-jsonl': { type: 'string', arg: 'file', help: 'write Stage I as JSON Lines (text, kind, source); replaces the file' },
    'export-shards': { type: 'string', arg: 'folder', help: 'write Stage I as llm.c token shards plus tokenizer.json (a new, empty or earlier export folder)' },
    'seq-len': { type: 'integer', min: 1, default: 256, help: 'packing length of the exported token stream' },
  },
  async run(values) {
    const ratio = parseRatio(values.ratio);
    if (values.dataDir !== undefined) await requireFolder('--data-dir', values.dataDir);
    if (values.codeDir !== undefined) await requireFolder('--code-dir', values.codeDir);
    if (values.tokenizer !== undefined) await requireTokenizerFolder('--tokenizer', values.tokenizer);
    for (const file of values.text) await requireFile('--text', file);
    for (const file of values.pool) await requireFile('--pool', file);
    if (values.exportJsonl !== undefined) await checkOutputFile('--export-jsonl', values.exportJsonl);
    if (values.exportShards !== undefined) await checkOutputFolder('--export-shards', values.exportShards, isShardExport);

    const started = performance.now();
    const documents = await loadCorpusSources({
      dataDir: values.dataDir, codeDir: values.codeDir, codeFiles: values.codeFiles, textFiles: values.text, seed: values.seed,
    }, log);
    const tokenizer = await tokenizerFor(values.tokenizer, tokenizerSample(documents), values.vocabSize);
    const pool = await loadPool(values.pool);
    const corpus = await buildForge({ documents, pool }, {
      tokenizer, seed: values.seed, ratio, totalTokens: values.totalTokens, evalFraction: values.evalFraction,
      retrieval: pool.length > 0 ? retrievalOptions(documents, pool, values.poolTopK ?? Math.ceil(pool.length / 10), values.seed) : undefined,
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
    const stage1 = corpus.stages.stage1;
    if (stage1.length === 0) throw new InputError('--data-dir', 'the corpus has no Stage I documents: give more data');
    if (values.report) {
      const shares = corpus.mix.targets;
      const total = shares.agent + shares.code + shares.text;
      process.stdout.write(`${formatComposition(corpus.report, { agent: shares.agent / total, code: shares.code / total, text: shares.text / total })}\n`);
      for (const stage of ['stage2', 'stage3'] as const) {
        const tokens = corpus.stages[stage].reduce((sum, item) => sum + item.tokens, 0);
        process.stdout.write(`${stage}: ${corpus.stages[stage].length} documents, ${tokens} tokens\n`);
      }
    }
    if (values.exportJsonl !== undefined) {
      await writeFileAtomic('--export-jsonl', values.exportJsonl, corpusJsonl(stage1.map((item) => item.document)));
      log(`wrote ${stage1.length} documents to ${values.exportJsonl}`);
    }
    if (values.exportShards !== undefined) {
      const tokens = packStage(corpus, 'stage1', { seqLen: values.seqLen, batchSize: 1, seed: values.seed, tokenizer }).tokenStream();
      await exportShards(values.exportShards, tokens, tokenizer);
    }
  },
});

/** llm.c token shards plus the tokenizer; an earlier export's shards are replaced, never mixed in. */
async function exportShards(folder: string, tokens: Int32Array, tokenizer: Tokenizer): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
    for (const name of await readdir(folder)) if (SHARD_FILE.test(name)) await rm(join(folder, name));
    let index = 0;
    for (const shard of llmcShards(tokens, tokenizer.vocabSize)) {
      await writeFile(join(folder, `forge_train_${String(index++).padStart(6, '0')}.bin`), shard);
    }
    await saveTokenizerToDir(tokenizer, folder);
    log(`wrote ${index} llm.c token shard(s) and the tokenizer to ${folder}`);
  } catch (error) {
    throw new InputError('--export-shards', `cannot write ${folder} (${errorMessage(error)})`);
  }
}

/** The general pool to retrieve from: JSONL files (a `text` field) or plain text split into chunks. */
async function loadPool(files: string[]): Promise<CorpusDocument[]> {
  const pool: CorpusDocument[] = [];
  for (const file of files) {
    const source = fileSource(file);
    const stream = /\.jsonl?$/i.test(file) ? readJsonlDocuments(source, { onError: 'skip' }) : readTextDocuments(source, { onError: 'skip' });
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
