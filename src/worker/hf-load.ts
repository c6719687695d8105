/**
 * Gets a Hugging Face model folder's files into the worker: from `File`s, a `.zip`, or a URL (each
 * file fetched with byte progress and an AbortSignal; sharded weights through their index), and fits
 * the vocabulary to a tokenizer that needed our special tokens added.
 * @module
 */
import { SAFETENSORS_INDEX } from '../model/hf-format.js';
import type { ModelConfig } from '../model/config.js';
import type { CheckpointFiles } from '../store/checkpoint.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { AbortedError, CheckpointError, InputError, errorMessage, throwIfAborted } from '../util/errors.js';
import { unzipFiles } from '../util/zip.js';
import type { HfSource, LoadProgress } from './protocol.js';

/** The files of the source by name, and a name for messages. */
export async function hfSourceFiles(
  source: HfSource, onProgress: ((progress: LoadProgress) => void) | undefined, signal: AbortSignal,
): Promise<{ files: Map<string, Uint8Array>; name: string }> {
  if (source.kind === 'files') {
    const files = new Map<string, Uint8Array>();
    for (const file of source.files) files.set(file.name, new Uint8Array(await file.arrayBuffer()));
    return { files, name: source.name ?? 'the chosen files' };
  }
  if (source.kind === 'zip') {
    const name = source.name ?? (source.zip instanceof File ? source.zip.name : 'the zip');
    return { files: unzipFiles(new Uint8Array(await source.zip.arrayBuffer()), name), name };
  }
  if (source.kind === 'url') return { files: await fetchFolder(source.url, onProgress, signal), name: source.url };
  throw new InputError('source', `unknown Hugging Face source kind ${JSON.stringify((source as { kind?: unknown }).kind)}`);
}

async function fetchFolder(url: string, onProgress: ((progress: LoadProgress) => void) | undefined, signal: AbortSignal): Promise<Map<string, Uint8Array>> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const files = new Map<string, Uint8Array>();
  const get = async (file: string, optional = false) => {
    const bytes = await fetchBytes(new URL(file, base).href, file, onProgress, signal, optional);
    if (bytes) files.set(file, bytes);
    return bytes;
  };
  await get('config.json');
  await get('tokenizer.json');
  await get('tokenizer_config.json', true);
  const index = await get(SAFETENSORS_INDEX, true);
  if (!index) {
    await get('model.safetensors');
    return files;
  }
  const weightMap = (JSON.parse(new TextDecoder().decode(index)) as { weight_map?: Record<string, string> }).weight_map ?? {};
  for (const shard of new Set(Object.values(weightMap))) await get(shard);
  return files;
}

/** One file's bytes with progress; undefined for a 404 when `optional`. */
async function fetchBytes(
  url: string, file: string, onProgress: ((progress: LoadProgress) => void) | undefined, signal: AbortSignal, optional: boolean,
): Promise<Uint8Array | undefined> {
  throwIfAborted(signal, `download of ${file}`);
  let response: Response;
  try {
    response = await fetch(url, { signal });
  } catch (error) {
    if (signal.aborted) throw new AbortedError(`download of ${file}`);
    throw new CheckpointError(`cannot fetch ${url} (${errorMessage(error)})`, { problem: 'io', cause: error });
  }
  if (response.status === 404 && optional) return undefined;
  if (!response.ok) throw new CheckpointError(`cannot fetch ${url}: HTTP ${response.status}`, { problem: response.status === 404 ? 'missing' : 'io' });
  const total = Number(response.headers.get('content-length')) || null;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const chunk = reader ? await reader.read() : { done: true as const, value: undefined };
      if (chunk.done) break;
      chunks.push(chunk.value);
      loaded += chunk.value.byteLength;
      onProgress?.({ file, loaded, total });
    }
  } catch (error) {
    if (signal.aborted) throw new AbortedError(`download of ${file}`);
    throw new CheckpointError(`download of ${url} failed after ${loaded} bytes (${errorMessage(error)})`, { problem: 'io', cause: error });
  }
  const bytes = new Uint8Array(loaded);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  onProgress?.({ file, loaded, total: total ?? loaded });
  return bytes;
}

/**
 * Grows the embedding (and an untied head) to `vocabSize` rows when the tokenizer gained tokens (our
 * special tokens added to a base model's tokenizer): new rows are the mean of the existing ones, as
 * `resize_token_embeddings` does in transformers. A smaller tokenizer leaves the model as it is.
 */
export function fitVocabulary(config: ModelConfig, weights: Map<string, Float32Array>, vocabSize: number): ModelConfig {
  if (vocabSize <= config.vocabSize) return config;
  const d = config.dModel;
  for (const name of ['model.embed_tokens.weight', ...(config.tieEmbeddings ? [] : ['lm_head.weight'])]) {
    const old = weights.get(name)!;
    const grown = new Float32Array(vocabSize * d);
    grown.set(old);
    const mean = new Float64Array(d);
    for (let row = 0; row < config.vocabSize; row++) for (let i = 0; i < d; i++) mean[i] += old[row * d + i] / config.vocabSize;
    for (let row = config.vocabSize; row < vocabSize; row++) grown.set(Float32Array.from(mean), row * d);
    weights.set(name, grown);
  }
  return { ...config, vocabSize };
}

/** A checkpoint's tokenizer must fit its embedding. */
export function checkTokenizerFits(tokenizer: Tokenizer, config: ModelConfig, source: string): void {
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new CheckpointError(`${source}/config.json: field "vocab_size" is ${config.vocabSize}, but tokenizer.json has ${tokenizer.vocabSize} tokens`);
  }
}

/** Plain top-level files only, without our training state unless `keepTraining`. */
export function withoutTraining(files: Map<string, Uint8Array>, keepTraining = false): CheckpointFiles {
  const training = new Set(['trainer_state.json', 'optimizer.safetensors']);
  return new Map([...files].filter(([name]) => /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) && (keepTraining || !training.has(name))));
}

/** A JSON object file, or a CheckpointError naming it. */
export function parseJsonObject(bytes: Uint8Array, source: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(`${source}: invalid JSON (${errorMessage(error)})`);
  }
  throw new CheckpointError(`${source}: must be a JSON object`);
}
