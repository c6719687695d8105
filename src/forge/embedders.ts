/**
 * Text embedders for retrieval (Hephaestus-Forge step "find agent-like documents in a general pool").
 * Pluggable through {@link Embedder}: {@link HashedEmbedder} is built in, offline and needs no download;
 * {@link TransformersEmbedder} runs a @xenova/transformers feature-extraction model that the user supplies
 * (local path or URL), imported lazily so the offline path never loads transformers.js.
 * Browser-safe (no Node imports).
 * @module
 */
import { ConfigError, InputError } from '../util/errors.js';
import {
  type FeatureOptions, type ResolvedFeatureOptions, forEachFeature, mix32, resolveFeatureOptions,
} from '../text/index.js';

/** Turns texts into L2-normalised vectors of length {@link Embedder.dim}. */
export interface Embedder {
  /** Human-readable name, e.g. `hashed-512` or the model id. */
  readonly name: string;
  /** Length of every vector. */
  readonly dim: number;
  /** One unit-length vector per text (an all-zero vector for a text with no features). */
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** Options of {@link HashedEmbedder}. */
export interface HashedEmbedderOptions extends FeatureOptions {
  /** Output dimension. Default 1024. */
  dim?: number;
  /** Size of the document-frequency table used by {@link HashedEmbedder.fit}. Default 2^20. */
  idfBuckets?: number;
}

const SIGN_SALT = 0x68e31da4;
const INDEX_SALT = 0x1b873593;

/**
 * The built-in offline embedder: a TF-IDF bag of hashed features (word unigrams and bigrams and, unless
 * turned off, character n-grams; see {@link FeatureOptions}), with sublinear term frequency
 * `1 + log(count)`, projected to `dim` dimensions by feature hashing with a sign hash (so collisions
 * cancel in expectation instead of adding up), then L2-normalised. Without {@link HashedEmbedder.fit}
 * every feature has IDF 1; after it, IDF is `log((1 + N) / (1 + df)) + 1` over the fitted texts.
 * Deterministic: no randomness, no download.
 *
 * Defaults (dim 1024, word unigrams + bigrams, no character n-grams, no IDF) were chosen by measurement on
 * the planted-retrieval test (test/node/retrieval.test.ts: 50 BFCL / Gorilla documents planted in 2,000
 * documents of Shakespeare, Python code and prose, 200 seeds): recall@50 0.96-0.98 over three pool seeds
 * with `max` scoring; dim 512 matched it, dim 256 was less stable (0.92-1.00), character 3-5-grams did
 * worse (0.92-0.94) at twice the cost, and fitting IDF lowered it (0.92: short general questions with rare
 * words rose). Larger, more varied pools collide less at 1024.
 */
export class HashedEmbedder implements Embedder {
  readonly name: string;
  readonly dim: number;
  /** Feature settings in use. */
  readonly features: Readonly<ResolvedFeatureOptions>;
  private readonly idfBuckets: number;
  private idf: Float32Array | undefined;
  private fittedDocuments = 0;

  constructor(options: HashedEmbedderOptions = {}) {
    this.features = Object.freeze(resolveFeatureOptions({
      wordNgrams: options.wordNgrams ?? 2,
      minn: options.minn ?? 0,
      maxn: options.maxn ?? 0,
      maxTokens: options.maxTokens ?? 2048,
    }, 'embedder'));
    this.dim = options.dim ?? 1024;
    this.idfBuckets = options.idfBuckets ?? 1 << 20;
    if (!Number.isInteger(this.dim) || this.dim < 2 || this.dim > 1 << 16) {
      throw new ConfigError('embedder.dim', `must be an integer in [2, 65536], got ${String(this.dim)}`);
    }
    if (!Number.isInteger(this.idfBuckets) || this.idfBuckets < 1 || this.idfBuckets > 1 << 26) {
      throw new ConfigError('embedder.idfBuckets', `must be an integer in [1, 2^26], got ${String(this.idfBuckets)}`);
    }
    this.name = `hashed-${this.dim}`;
  }

  /** Number of texts the IDF was fitted on (0 when not fitted). */
  get fitted(): number {
    return this.fittedDocuments;
  }

  /**
   * Fits IDF weights on a sample of texts (typically the seed set plus a sample of the pool). Replaces
   * any earlier fit. Returns `this`.
   */
  fit(texts: readonly string[]): this {
    const df = new Uint32Array(this.idfBuckets);
    const lastSeen = new Int32Array(this.idfBuckets).fill(-1);
    texts.forEach((text, doc) => {
      forEachFeature(text, this.features, (hash) => {
        const bucket = hash % this.idfBuckets;
        if (lastSeen[bucket] !== doc) {
          lastSeen[bucket] = doc;
          df[bucket]++;
        }
      });
    });
    const n = texts.length;
    const idf = new Float32Array(this.idfBuckets);
    for (let i = 0; i < idf.length; i++) idf[i] = Math.log((1 + n) / (1 + df[i])) + 1;
    this.idf = idf;
    this.fittedDocuments = n;
    return this;
  }

  /** Embeds synchronously (the {@link Embedder} method wraps this in a promise). */
  embedSync(texts: readonly string[]): Float32Array[] {
    return texts.map((text) => this.embedOne(text));
  }

  /** {@inheritDoc Embedder.embed} */
  embed(texts: string[]): Promise<Float32Array[]> {
    return Promise.resolve(this.embedSync(texts));
  }

  private embedOne(text: string): Float32Array {
    const counts = new Map<number, number>();
    forEachFeature(text, this.features, (hash) => counts.set(hash, (counts.get(hash) ?? 0) + 1));
    const vector = new Float64Array(this.dim);
    for (const [hash, count] of counts) {
      const idf = this.idf ? this.idf[hash % this.idfBuckets] : 1;
      const weight = (1 + Math.log(count)) * idf;
      const index = mix32((hash ^ INDEX_SALT) >>> 0) % this.dim;
      const sign = mix32((hash ^ SIGN_SALT) >>> 0) & 1 ? 1 : -1;
      vector[index] += sign * weight;
    }
    return normalize(vector);
  }
}

/** Float32 copy of `vector` scaled to unit length (all zeros stays all zeros). */
function normalize(vector: ArrayLike<number>): Float32Array {
  let norm = 0;
  for (let i = 0; i < vector.length; i++) norm += vector[i] * vector[i];
  const out = new Float32Array(vector.length);
  if (norm === 0) return out;
  const inv = 1 / Math.sqrt(norm);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i] * inv;
  return out;
}

/** Options of {@link TransformersEmbedder.create}. */
export interface TransformersEmbedderOptions {
  /** Load the quantized ONNX weights (`onnx/model_quantized.onnx`). Default true, as transformers.js. */
  quantized?: boolean;
  /** Texts per model call. Default 16. */
  batchSize?: number;
  /** Pooling of token vectors: `mean` (default, sentence-transformers style) or `cls`. */
  pooling?: 'mean' | 'cls';
  /** Model revision on the Hugging Face Hub (URL form only). Default `main`. */
  revision?: string;
  /**
   * The @xenova/transformers module (an optional peer dependency), for bundled pages:
   * `transformers: await import('@xenova/transformers')`. Default: imported by name at run time (Node).
   */
  transformers?: object;
}

/**
 * Hidden from bundlers: a page that never asks for this embedder must build without the optional
 * @xenova/transformers installed (bundlers fail on an import they cannot resolve, even an unused one).
 */
const importTransformers = (name: string): Promise<object> => import(/* @vite-ignore */ /* webpackIgnore: true */ name);

/** The subset of transformers.js' global `env` that {@link TransformersEmbedder.create} sets while loading. */
export interface XenovaEnv {
  allowRemoteModels: boolean;
  allowLocalModels: boolean;
  localModelPath: string;
  remoteHost: string;
  remotePathTemplate: string;
}

/** Output tensor of a feature-extraction call: `dims` [batch, dim], row-major `data`. */
interface XenovaTensor {
  data: Float32Array;
  dims: number[];
}

type FeatureExtractor = ((texts: string[], options: { pooling: 'mean' | 'cls'; normalize: boolean }) => Promise<XenovaTensor>)
  & { dispose?: () => Promise<void> };

interface XenovaPipelineModule {
  env: XenovaEnv;
  pipeline(
    task: 'feature-extraction',
    model: string,
    options: { quantized?: boolean; local_files_only?: boolean; revision?: string },
  ): Promise<FeatureExtractor>;
}

/** Where and how transformers.js should look for a model given as a local path or a URL. */
export interface ModelLocation {
  /** The model id passed to `pipeline()`. */
  model: string;
  /** Fields to set on transformers.js' `env` while loading. */
  env: Partial<XenovaEnv>;
  /** True when loading must not touch the network. */
  localOnly: boolean;
}

/**
 * Resolves a user's model reference: an `http(s)://` URL loads remotely (`env.remoteHost`; Hugging Face
 * Hub URLs keep the Hub layout `{model}/resolve/{revision}/`, any other server is expected to serve the
 * model's files, `config.json`, `tokenizer.json`, `onnx/model_quantized.onnx`, directly under the URL);
 * anything else is a local path (a directory in Node, a path on the page's origin in a browser) and loads
 * with remote models disabled.
 */
export function resolveModelLocation(modelPathOrUrl: string): ModelLocation {
  const trimmed = modelPathOrUrl.trim();
  if (trimmed === '') throw new InputError('model', 'empty model path or URL');
  if (/^https?:\/\//i.test(trimmed)) {
    let url: URL;
    try {
      url = new URL(trimmed);
    } catch (cause) {
      throw new InputError(trimmed, `not a valid model URL: ${String(cause)}`);
    }
    const segments = url.pathname.split('/').filter((segment) => segment !== '');
    if (segments.length === 0) throw new InputError(trimmed, 'the model URL names no model (expected .../<model>)');
    if (url.hostname === 'huggingface.co' || url.hostname === 'hf.co') {
      if (segments.length < 2) throw new InputError(trimmed, 'a Hugging Face URL must name <owner>/<model>');
      return {
        model: `${segments[0]}/${segments[1]}`,
        env: { remoteHost: `${url.origin}/`, remotePathTemplate: '{model}/resolve/{revision}/', allowRemoteModels: true, allowLocalModels: false },
        localOnly: false,
      };
    }
    const model = segments[segments.length - 1];
    const parent = segments.slice(0, -1).map((segment) => `${segment}/`).join('');
    return {
      model,
      env: { remoteHost: `${url.origin}/${parent}`, remotePathTemplate: '{model}/', allowRemoteModels: true, allowLocalModels: false },
      localOnly: false,
    };
  }
  const normalised = trimmed.replace(/\\/g, '/').replace(/\/+$/, '');
  const slash = normalised.lastIndexOf('/');
  const model = slash >= 0 ? normalised.slice(slash + 1) : normalised;
  const parent = slash > 0 ? normalised.slice(0, slash) : slash === 0 ? '/' : '.';
  if (model === '' || model === '.' || model === '..') throw new InputError(trimmed, 'the model path names no model directory');
  return {
    model,
    env: { localModelPath: `${parent}/`.replace(/\/+$/, '/'), allowLocalModels: true, allowRemoteModels: false },
    localOnly: true,
  };
}

/** Serialises loads: transformers.js reads its settings from one global `env`. */
let loadQueue: Promise<unknown> = Promise.resolve();

/**
 * An {@link Embedder} over a @xenova/transformers feature-extraction model the user supplies (for example
 * a sentence-transformers model converted to ONNX, such as `Xenova/all-MiniLM-L6-v2`): token vectors are
 * mean-pooled (or CLS) and L2-normalised by the pipeline. Nothing is downloaded unless the user gives a URL.
 */
export class TransformersEmbedder implements Embedder {
  readonly name: string;
  readonly dim: number;
  private readonly extractor: FeatureExtractor;
  private readonly batchSize: number;
  private readonly pooling: 'mean' | 'cls';

  private constructor(name: string, dim: number, extractor: FeatureExtractor, batchSize: number, pooling: 'mean' | 'cls') {
    this.name = name;
    this.dim = dim;
    this.extractor = extractor;
    this.batchSize = batchSize;
    this.pooling = pooling;
  }

  /**
   * Loads a feature-extraction model from a local directory / page path (offline: remote loading is turned
   * off) or from a URL (see {@link resolveModelLocation}). transformers.js' global `env` is set for the
   * load and restored afterwards, and loads are serialised.
   * @throws InputError naming `modelPathOrUrl` when the model cannot be loaded (missing files, bad URL).
   */
  static async create(modelPathOrUrl: string, options: TransformersEmbedderOptions = {}): Promise<TransformersEmbedder> {
    const batchSize = options.batchSize ?? 16;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new ConfigError('embedder.batchSize', `must be a positive integer, got ${String(batchSize)}`);
    }
    const pooling = options.pooling ?? 'mean';
    if (pooling !== 'mean' && pooling !== 'cls') throw new ConfigError('embedder.pooling', `must be "mean" or "cls", got ${String(pooling)}`);
    const location = resolveModelLocation(modelPathOrUrl);
    const load = async (): Promise<FeatureExtractor> => {
      let module: XenovaPipelineModule;
      try {
        module = (options.transformers ?? (await importTransformers('@xenova/transformers'))) as XenovaPipelineModule;
      } catch (cause) {
        throw new InputError(modelPathOrUrl, `could not import @xenova/transformers: ${String(cause)}`);
      }
      const { env } = module;
      const saved: XenovaEnv = {
        allowRemoteModels: env.allowRemoteModels,
        allowLocalModels: env.allowLocalModels,
        localModelPath: env.localModelPath,
        remoteHost: env.remoteHost,
        remotePathTemplate: env.remotePathTemplate,
      };
      Object.assign(env, location.env);
      try {
        return await module.pipeline('feature-extraction', location.model, {
          quantized: options.quantized ?? true,
          local_files_only: location.localOnly,
          ...(options.revision === undefined ? {} : { revision: options.revision }),
        });
      } catch (cause) {
        const message = cause instanceof Error ? cause.message : String(cause);
        throw new InputError(modelPathOrUrl, `could not load a feature-extraction model (${location.localOnly ? 'local path, offline' : 'URL'}): ${message}`);
      } finally {
        Object.assign(env, saved);
      }
    };
    const loading = loadQueue.then(load, load);
    loadQueue = loading.catch(() => undefined);
    const extractor = await loading;
    const probe = await extractor(['dimension probe'], { pooling, normalize: true });
    const dim = probe.dims[probe.dims.length - 1];
    if (!Number.isInteger(dim) || dim < 1) throw new InputError(modelPathOrUrl, `feature-extraction output has unexpected dims ${JSON.stringify(probe.dims)}`);
    return new TransformersEmbedder(location.model, dim, extractor, batchSize, pooling);
  }

  /** {@inheritDoc Embedder.embed} */
  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    for (let start = 0; start < texts.length; start += this.batchSize) {
      const batch = texts.slice(start, start + this.batchSize);
      const tensor = await this.extractor(batch, { pooling: this.pooling, normalize: true });
      for (let i = 0; i < batch.length; i++) {
        // Copy (not a view) so the pipeline's buffer can be released; re-normalise in float32.
        out.push(normalize(tensor.data.subarray(i * this.dim, (i + 1) * this.dim)));
      }
    }
    return out;
  }

  /** Releases the model's ONNX session. */
  async dispose(): Promise<void> {
    await this.extractor.dispose?.();
  }
}
