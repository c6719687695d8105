/**
 * The Forge corpus as the `forge` and `export-run` commands build it: one option table, the checks of
 * its paths (made before any data is read), and the build with its log lines.
 * @module
 */
import {
  AgentClassifier, HashedEmbedder, Rng, buildForge, fileSource, formatLeakage, isSeedAgentDocument, readAll, readJsonlDocuments,
  readTextDocuments, splitExamples, type CorpusDocument, type ForgeCorpus, type MixRatio, type Tokenizer,
} from '../node.js';
import { CORPUS_OPTIONS, SEED_OPTION, log, parseRatio, requireFile, requireFolder } from './common.js';
import { loadCorpusSources } from './corpus-sources.js';
import type { OptionValues } from './options.js';

/** The options that decide a Forge corpus (sources, mix, held-out split, retrieval, seed). */
export const FORGE_CORPUS_OPTIONS = {
  ...CORPUS_OPTIONS,
  text: { type: 'list', arg: 'file', help: 'more general text (.txt)' },
  ratio: { type: 'string', arg: 'A:C:T', default: '1:1:1', help: 'agent : code : text token shares of Stage I' },
  'total-tokens': { type: 'integer', min: 1, defaultText: 'the largest without repeats', help: 'Stage I size in tokens' },
  'eval-fraction': { type: 'number', above: 0, below: 1, default: 0.1, help: 'share of functions held out for evaluation' },
  pool: { type: 'list', arg: 'file', help: 'general pool (.txt or .jsonl) to retrieve agent-like documents from (they must pass a classifier)' },
  'pool-top-k': { type: 'integer', min: 1, defaultText: '10% of the pool', help: 'pool documents retrieved before the classifier' },
  seed: SEED_OPTION,
} as const;

/** The values of {@link FORGE_CORPUS_OPTIONS}. */
export type ForgeCorpusValues = OptionValues<typeof FORGE_CORPUS_OPTIONS>;

/** Checks the corpus options' values and paths; returns the parsed `--ratio`. */
export async function checkForgeCorpusOptions(values: ForgeCorpusValues): Promise<MixRatio> {
  const ratio = parseRatio(values.ratio);
  if (values.dataDir !== undefined) await requireFolder('--data-dir', values.dataDir);
  if (values.codeDir !== undefined) await requireFolder('--code-dir', values.codeDir);
  for (const file of values.text) await requireFile('--text', file);
  for (const file of values.pool) await requireFile('--pool', file);
  return ratio;
}

/**
 * Reads the sources, gets the tokenizer (`tokenizerFor` may train one on the documents), and builds the
 * corpus, logging each phase and what it removed.
 */
export async function buildForgeCorpus(
  values: ForgeCorpusValues, tokenizerFor: (documents: CorpusDocument[]) => Promise<Tokenizer>,
): Promise<{ corpus: ForgeCorpus; tokenizer: Tokenizer }> {
  const started = performance.now();
  const documents = await loadCorpusSources({
    dataDir: values.dataDir, codeDir: values.codeDir, codeFiles: values.codeFiles, textFiles: values.text, seed: values.seed,
  }, log);
  const tokenizer = await tokenizerFor(documents);
  const pool = await loadPool(values.pool);
  const corpus = await buildForge({ documents, pool }, {
    tokenizer, seed: values.seed, ratio: parseRatio(values.ratio), totalTokens: values.totalTokens, evalFraction: values.evalFraction,
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
  return { corpus, tokenizer };
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
