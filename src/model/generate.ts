import * as tf from '../runtime/tfjs.js';
import { ConfigError, InputError, throwIfAborted } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { disposeCache, type KvCache, type LlamaModel } from './model.js';

/** Decoding settings for {@link generate}. */
export interface GenerateOptions {
  /** Most tokens to add (default 64). Generation also stops at the context length. */
  maxNewTokens?: number;
  /** 0 (default) decodes greedily; higher values flatten the distribution. */
  temperature?: number;
  /** Sample only among the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Ids that end generation; the stop token is included in the output. */
  stopTokens?: number[];
  /** Seed of the sampler (default 0). */
  seed?: number;
  /** Reuse keys and values of earlier positions (default true); false recomputes the whole prefix. */
  useCache?: boolean;
  signal?: AbortSignal;
  /** Called with each new token. */
  onToken?: (token: number) => void;
}

/** Output of {@link generate}. */
export interface GenerateResult {
  /** The new tokens only. */
  tokens: number[];
  /** Why generation ended. */
  stopReason: 'stop-token' | 'max-tokens' | 'context-full';
}

/** Continues `prompt` (token ids) with the model, one sequence at a time. */
export async function generate(model: LlamaModel, prompt: number[], options: GenerateOptions = {}): Promise<GenerateResult> {
  const settings = checkOptions(model, prompt, options);
  const rng = new Rng(options.seed ?? 0);
  const stops = new Set(options.stopTokens ?? []);
  const cache = settings.useCache ? model.emptyCache(1) : undefined;
  const sequence = [...prompt];
  const produced: number[] = [];
  try {
    let pending = prompt;
    while (true) {
      if (produced.length >= settings.maxNewTokens) return { tokens: produced, stopReason: 'max-tokens' };
      if (sequence.length >= model.config.contextLength) return { tokens: produced, stopReason: 'context-full' };
      throwIfAborted(options.signal, 'generation');
      const logits = await nextLogits(model, cache ? pending : sequence, cache);
      const token = pickToken(logits, settings.temperature, settings.topK, rng);
      produced.push(token);
      sequence.push(token);
      pending = [token];
      options.onToken?.(token);
      if (stops.has(token)) return { tokens: produced, stopReason: 'stop-token' };
    }
  } finally {
    if (cache) disposeCache(cache);
  }
}

/** Logits of the last position after feeding `tokens` (continuing `cache` when given). */
export async function nextLogits(model: LlamaModel, tokens: number[], cache?: KvCache): Promise<Float32Array> {
  const last = tf.tidy(() => {
    const logits = model.forward(tf.tensor2d([tokens], [1, tokens.length], 'int32'), cache);
    return tf.slice(logits, [0, tokens.length - 1, 0], [1, 1, -1]);
  });
  const values = (await last.data()) as Float32Array;
  last.dispose();
  return values;
}

/** Greedy argmax at temperature 0; otherwise softmax sampling, restricted to the top k when k > 0. */
export function pickToken(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  if (temperature === 0) return argmax(logits);
  let candidates = Array.from(logits.keys());
  if (topK > 0 && topK < logits.length) {
    candidates.sort((a, b) => logits[b] - logits[a] || a - b);
    candidates = candidates.slice(0, topK);
  }
  const top = Math.max(...candidates.map((id) => logits[id]));
  const weights = candidates.map((id) => Math.exp((logits[id] - top) / temperature));
  let draw = rng.next() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < candidates.length; i++) {
    draw -= weights[i];
    if (draw < 0) return candidates[i];
  }
  return candidates[candidates.length - 1];
}

function argmax(values: Float32Array): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

function checkOptions(model: LlamaModel, prompt: number[], options: GenerateOptions) {
  const maxNewTokens = options.maxNewTokens ?? 64;
  const temperature = options.temperature ?? 0;
  const topK = options.topK ?? 0;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 0) {
    throw new ConfigError('maxNewTokens', `must be a non-negative integer, got ${maxNewTokens}`);
  }
  if (!(temperature >= 0)) throw new ConfigError('temperature', `must be >= 0, got ${temperature}`);
  if (!Number.isInteger(topK) || topK < 0) throw new ConfigError('topK', `must be a non-negative integer, got ${topK}`);
  if (prompt.length === 0) throw new InputError('prompt', 'prompt is empty: give at least one token');
  if (prompt.length > model.config.contextLength) {
    throw new InputError('prompt', `prompt of ${prompt.length} tokens exceeds the context length ${model.config.contextLength}`);
  }
  const bad = prompt.find((id) => !Number.isInteger(id) || id < 0 || id >= model.config.vocabSize);
  if (bad !== undefined) throw new InputError('prompt', `token ${bad} is outside the vocabulary 0..${model.config.vocabSize - 1}`);
  return { maxNewTokens, temperature, topK, useCache: options.useCache ?? true };
}
