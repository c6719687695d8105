import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentClassifier } from '../../src/forge/classifier.js';
import type { CorpusDocument } from '../../src/data/document.js';
import { type Embedder, HashedEmbedder, TransformersEmbedder, resolveModelLocation } from '../../src/forge/embedders.js';
import { type SimilarityScoring, retrieveAgentLike } from '../../src/forge/retrieval.js';
import { AbortedError, ConfigError, InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import {
  APIBENCH_FILES, BFCL_FILES, GORILLA_API_FILES, type Doc, apibenchDocs, bfclDocs, bfclQuestions, gorillaApiDocs,
  pydocTopicDocs, pythonStdlibDocs, shakespeareDocs,
} from '../setup/agent-examples.js';

const PLANTED_BFCL = 25;
const PLANTED_GORILLA = 25;

/**
 * The planted-retrieval setup. Planted: 25 BFCL entries (all four categories) + 25 Gorilla API records.
 * Seed: 100 BFCL + 50 Gorilla API + 50 APIBench documents, sharing no function / API call with the planted
 * ones. Pool of general text: 1,200 Shakespeare chunks, 500 Python standard-library snippets (code and module
 * docstrings), 150 Python reference-manual chunks and 150 BFCL irrelevance questions alone (no tools) =
 * 2,000, plus the 50 planted = 2,050 documents. Everything not used here is left for the classifier.
 */
interface Setup {
  planted: Doc[];
  seed: Doc[];
  pool: CorpusDocument[];
  generalInPool: number;
  /** Agent documents sharing no function with the planted ones, and general ones not in the pool. */
  classifierAgent: Doc[];
  classifierGeneral: Doc[];
}

function buildSetup(seedValue: number): Setup {
  const rng = new Rng(seedValue);
  const bfcl = rng.shuffle(BFCL_FILES.flatMap(bfclDocs));
  const gorilla = rng.shuffle(GORILLA_API_FILES.flatMap(gorillaApiDocs));
  const apibench = rng.shuffle(APIBENCH_FILES.flatMap(apibenchDocs));
  const planted = [...bfcl.slice(0, PLANTED_BFCL), ...gorilla.slice(0, PLANTED_GORILLA)];
  const plantedFunctions = new Set(planted.flatMap((doc) => doc.functions));
  const unrelated = (doc: Doc): boolean => !doc.functions.some((name) => plantedFunctions.has(name));
  const restBfcl = bfcl.slice(PLANTED_BFCL).filter(unrelated);
  const restGorilla = gorilla.slice(PLANTED_GORILLA).filter(unrelated);
  const restApibench = apibench.filter(unrelated);
  const seed = [...restBfcl.slice(0, 100), ...restGorilla.slice(0, 50), ...restApibench.slice(0, 50)];
  const shakespeare = rng.shuffle(shakespeareDocs());
  const python = rng.shuffle(pythonStdlibDocs());
  const reference = rng.shuffle(pydocTopicDocs());
  const questions = rng.shuffle(bfclQuestions('BFCL_v4_irrelevance.json'));
  const general = [...shakespeare.slice(0, 1200), ...python.slice(0, 500), ...reference.slice(0, 150), ...questions.slice(0, 150)];
  const pool: CorpusDocument[] = rng.shuffle([
    ...general.map((doc) => ({ kind: 'text' as const, source: doc.source, text: doc.text })),
    ...planted.map((doc) => ({ kind: 'tool_doc' as const, source: doc.source, text: doc.text, functions: doc.functions })),
  ]);
  return {
    planted,
    seed,
    pool,
    generalInPool: general.length,
    classifierAgent: [...restBfcl.slice(100), ...restGorilla.slice(50), ...restApibench.slice(50), ...seed],
    classifierGeneral: [...shakespeare.slice(1200), ...python.slice(500), ...reference.slice(150), ...questions.slice(150)],
  };
}

const isPlanted = (document: CorpusDocument): boolean => document.kind === 'tool_doc';

describe('retrieveAgentLike on ../shared/data (offline HashedEmbedder)', () => {
  let setup: Setup;

  beforeAll(() => {
    setup = buildSetup(1);
  });

  it('finds planted agent documents with recall@k >= 0.9 (k = number planted) in a pool of 2,050', async () => {
    const { planted, seed, pool } = setup;
    expect(pool).toHaveLength(2050);
    expect(planted).toHaveLength(50);
    const seedTexts = new Set(seed.map((doc) => doc.text));
    expect(pool.filter((document) => seedTexts.has(document.text))).toHaveLength(0);
    const k = planted.length;
    const seedStrings = seed.map((doc) => doc.text);

    // The measurement behind the default (scoring `max`, no IDF): every scoring, with and without IDF.
    const table: string[] = [];
    for (const idf of [false, true]) {
      const embedder = new HashedEmbedder();
      if (idf) embedder.fit([...seedStrings, ...pool.map((document) => document.text)]);
      for (const scoring of ['max', 'knn', 'centroid'] as SimilarityScoring[]) {
        const started = performance.now();
        const result = await retrieveAgentLike(seedStrings, pool, { embedder, topK: k, scoring });
        const recall = result.kept.filter((item) => isPlanted(item.document)).length / k;
        table.push(`${idf ? 'tf-idf' : 'tf'} ${scoring}: ${recall.toFixed(2)} (${(performance.now() - started).toFixed(0)} ms)`);
      }
    }
    console.info(`retrieval recall@${k}, pool ${pool.length} (${setup.generalInPool} general + ${k} planted), `
      + `seed ${seed.length}, HashedEmbedder dim 1024: ${table.join('; ')}`);

    const started = performance.now();
    const progress: number[] = [];
    const result = await retrieveAgentLike(seed, pool, {
      embedder: new HashedEmbedder(), topK: k, onProgress: (p) => progress.push(p.scored),
    });
    const ms = performance.now() - started;
    const found = result.kept.filter((item) => isPlanted(item.document)).length;
    console.info(`retrieval default (max, tf): recall@${k} = ${(found / k).toFixed(2)} over ${result.scored} documents in ${ms.toFixed(0)} ms `
      + `(${((result.scored * 1000) / ms).toFixed(0)} docs/s)`);
    expect(result.scored).toBe(pool.length);
    expect(result.kept).toHaveLength(k);
    expect(result.rejectedByClassifier).toBe(0);
    expect(found / k).toBeGreaterThanOrEqual(0.9);
    expect(progress).toEqual([256, 512, 768, 1024, 1280, 1536, 1792, 2048, 2050]);
    // Best first.
    for (let i = 1; i < result.kept.length; i++) expect(result.kept[i].score).toBeLessThanOrEqual(result.kept[i - 1].score);
  });

  it('passes retrieved documents through the classifier, which rejects the general text retrieval ranked high', async () => {
    const { planted, seed, pool } = setup;
    const examples = [
      ...setup.classifierAgent.map((doc) => ({ text: doc.text, label: 'agent' as const })),
      ...setup.classifierGeneral.map((doc) => ({ text: doc.text, label: 'general' as const })),
    ];
    const started = performance.now();
    const classifier = AgentClassifier.train(examples, { seed: 0 });
    const trainMs = performance.now() - started;
    const topK = 2 * planted.length;
    const embedder = new HashedEmbedder();
    const unfiltered = await retrieveAgentLike(seed, pool, { embedder, topK });
    const generalRetrieved = unfiltered.kept.filter((item) => !isPlanted(item.document));
    const filtered = await retrieveAgentLike(seed, pool, { embedder, topK, classifier });
    const keptGeneral = filtered.kept.filter((item) => !isPlanted(item.document));
    const keptPlanted = filtered.kept.filter((item) => isPlanted(item.document));
    console.info(`retrieval + classifier (trained on ${examples.length} documents outside the pool in ${trainMs.toFixed(0)} ms): `
      + `top ${topK} held ${generalRetrieved.length} general and ${topK - generalRetrieved.length} planted; classifier rejected `
      + `${filtered.rejectedByClassifier}; kept ${keptPlanted.length} planted and ${keptGeneral.length} general `
      + `(${keptGeneral.map((item) => `${item.document.source} p=${item.probability?.toFixed(2)}`).join(', ')})`);
    expect(generalRetrieved.length).toBeGreaterThanOrEqual(40);
    expect(filtered.kept.length + filtered.rejectedByClassifier).toBe(topK);
    expect(filtered.kept.every((item) => item.probability !== undefined && item.probability >= 0.5)).toBe(true);
    // At least 80% of the high-scoring general documents are rejected; at least 90% of the planted survive.
    expect(keptGeneral.length).toBeLessThanOrEqual(0.2 * generalRetrieved.length);
    expect(keptPlanted.length).toBeGreaterThanOrEqual(0.9 * planted.length);
  });

  it('streams the pool: an async iterable in small batches gives the same result as the array', async () => {
    const { seed, pool } = setup;
    const embedder = new HashedEmbedder({ dim: 256 });
    const fromArray = await retrieveAgentLike(seed, pool, { embedder, topK: 20 });
    async function* stream(): AsyncGenerator<CorpusDocument> {
      for (const document of pool) yield document;
    }
    const progress: (number | undefined)[] = [];
    const fromStream = await retrieveAgentLike(seed, stream(), {
      embedder, topK: 20, batchSize: 100, onProgress: (p) => progress.push(p.total),
    });
    expect(fromStream.kept.map((item) => item.document.source)).toEqual(fromArray.kept.map((item) => item.document.source));
    expect(fromStream.kept.map((item) => item.score)).toEqual(fromArray.kept.map((item) => item.score));
    expect(progress).toHaveLength(21);
    expect(progress.every((total) => total === undefined)).toBe(true);
  });
});

describe('retrieveAgentLike inputs', () => {
  const pool: CorpusDocument[] = ['alpha beta', 'gamma delta', 'call get_weather(city="Paris")'].map((text, i) => ({ kind: 'text', source: `t${i}`, text }));

  it('rejects bad options, an empty seed and a mis-sized embedder', async () => {
    const embedder = new HashedEmbedder({ dim: 64 });
    await expect(retrieveAgentLike(['x'], pool, { embedder, topK: 0 })).rejects.toThrow(ConfigError);
    await expect(retrieveAgentLike(['x'], pool, { embedder, topK: 1, scoring: 'best' as SimilarityScoring })).rejects.toThrow(/retrieval\.scoring/);
    await expect(retrieveAgentLike(['x'], pool, { embedder, topK: 1, minProbability: 2 })).rejects.toThrow(/retrieval\.minProbability/);
    await expect(retrieveAgentLike([], pool, { embedder, topK: 1 })).rejects.toThrow(/seed set is empty/);
    const liar: Embedder = { name: 'liar', dim: 8, embed: async (texts) => texts.map(() => new Float32Array(4)) };
    await expect(retrieveAgentLike(['x'], pool, { embedder: liar, topK: 1 })).rejects.toThrow(/embedder liar: returned a vector of length 4; its dim is 8/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(retrieveAgentLike(['x'], pool, { embedder: new HashedEmbedder({ dim: 64 }), topK: 1, signal: controller.signal }))
      .rejects.toThrow(AbortedError);
  });

  it('ranks the closest document first and keeps ties in pool order', async () => {
    const embedder = new HashedEmbedder({ dim: 64 });
    const result = await retrieveAgentLike(['get_weather(city="Rome")'], [...pool, { ...pool[0], source: 'copy' }], { embedder, topK: 4 });
    expect(result.kept[0].document.source).toBe('t2');
    const ties = result.kept.filter((item) => item.document.text === 'alpha beta').map((item) => item.document.source);
    expect(ties).toEqual(['t0', 'copy']);
  });
});

describe('HashedEmbedder', () => {
  it('gives deterministic unit vectors (zero for empty text) and similar texts higher cosine', async () => {
    const embedder = new HashedEmbedder({ dim: 512 });
    const texts = ['Function get_weather(city): returns the forecast', 'Function get_weather(city, unit): the forecast', 'O Romeo, Romeo! wherefore art thou Romeo?', ''];
    const [a, b, c, empty] = await embedder.embed(texts);
    const again = await embedder.embed(texts);
    expect(again[0]).toEqual(a);
    for (const vector of [a, b, c]) {
      expect(vector).toHaveLength(512);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    expect(empty.every((x) => x === 0)).toBe(true);
    const cos = (x: Float32Array, y: Float32Array): number => x.reduce((sum, v, i) => sum + v * y[i], 0);
    expect(cos(a, b)).toBeGreaterThan(cos(a, c) + 0.3);
    expect(embedder.name).toBe('hashed-512');
  });

  it('fits IDF weights that down-weight common features', async () => {
    const corpus = ['the cat sat', 'the dog ran', 'the bird flew', 'the fish swam'];
    const plain = new HashedEmbedder({ dim: 256 });
    const fitted = new HashedEmbedder({ dim: 256 }).fit(corpus);
    expect(fitted.fitted).toBe(4);
    const cos = (x: Float32Array, y: Float32Array): number => x.reduce((sum, v, i) => sum + v * y[i], 0);
    const [p1, p2] = await plain.embed(['the cat sat', 'the dog ran']);
    const [f1, f2] = await fitted.embed(['the cat sat', 'the dog ran']);
    expect(cos(f1, f2)).toBeLessThan(cos(p1, p2));
  });

  it('rejects bad options', () => {
    expect(() => new HashedEmbedder({ dim: 1 })).toThrow(/embedder\.dim/);
    expect(() => new HashedEmbedder({ minn: 5, maxn: 3 })).toThrow(/embedder\.maxn/);
  });
});

describe('TransformersEmbedder', () => {
  // No model files and no network here: only the error path can be checked (nothing is faked).
  it('names the missing local model path in its error and leaves transformers.js settings as they were', async () => {
    const missing = join(tmpdir(), 'hephaestus-no-such-model', 'all-MiniLM-L6-v2');
    const { env } = await import('@xenova/transformers');
    const before = { remote: env.allowRemoteModels, local: env.allowLocalModels, path: env.localModelPath as unknown, host: env.remoteHost };
    const error = await TransformersEmbedder.create(missing).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).file).toBe(missing);
    expect((error as Error).message).toContain(missing);
    expect((error as Error).message).toMatch(/local path, offline/);
    expect({ remote: env.allowRemoteModels, local: env.allowLocalModels, path: env.localModelPath as unknown, host: env.remoteHost }).toEqual(before);
  });

  it('resolves local paths and URLs to transformers.js settings', () => {
    expect(resolveModelLocation('/models/all-MiniLM-L6-v2/')).toEqual({
      model: 'all-MiniLM-L6-v2', localOnly: true, env: { localModelPath: '/models/', allowLocalModels: true, allowRemoteModels: false },
    });
    expect(resolveModelLocation('https://huggingface.co/Xenova/all-MiniLM-L6-v2/tree/main')).toMatchObject({
      model: 'Xenova/all-MiniLM-L6-v2', localOnly: false, env: { remoteHost: 'https://huggingface.co/', remotePathTemplate: '{model}/resolve/{revision}/' },
    });
    expect(resolveModelLocation('https://example.org/static/models/minilm')).toMatchObject({
      model: 'minilm', env: { remoteHost: 'https://example.org/static/models/', remotePathTemplate: '{model}/', allowRemoteModels: true },
    });
    expect(() => resolveModelLocation('  ')).toThrow(/empty model path/);
    expect(() => resolveModelLocation('https://example.org/')).toThrow(/names no model/);
  });
});
