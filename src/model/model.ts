import * as tf from '../runtime/tfjs.js';
import { ConfigError, InputError, CheckpointError } from '../util/errors.js';
import { headDim, validateConfig, type ModelConfig } from './config.js';
import { kernelsFor, type Ops } from '../kernels/index.js';
import { createVariables, initialValues, paramSpecs, type ParamSpec } from './params.js';
import { ropeTables, type RopeTables } from './rope.js';

/** Keys and values of the positions seen so far, per layer: `[B, Hkv, length, headDim]`. */
export interface KvCache {
  layers: { k: tf.Tensor4D; v: tf.Tensor4D }[];
  /** Number of cached positions. */
  length: number;
}

/** Options for {@link LlamaModel.create}. */
export interface CreateModelOptions {
  /** Seed for the initial weights (default 0). Ignored when `weights` is given. */
  seed?: number;
  /** Initial weights by Hugging Face name (e.g. from a checkpoint); every parameter must be present. */
  weights?: Map<string, Float32Array>;
  /** Kernels to run the heavy operations (default: the set for the active backend, see `kernelsFor`). */
  ops?: Ops;
}

/**
 * A Llama-style decoder: token embedding, RMSNorm, rotary attention, SwiGLU MLP, no biases,
 * output head tied to the embedding by default. Parameters carry Hugging Face names.
 */
export class LlamaModel {
  readonly config: ModelConfig;
  /** Trainable variables by Hugging Face name, in export order. */
  readonly params: Map<string, tf.Variable>;
  readonly specs: ParamSpec[];
  /** Kernels in use; swap with {@link LlamaModel.useOps}. */
  ops: Ops;
  private readonly rope: RopeTables;

  private constructor(config: ModelConfig, params: Map<string, tf.Variable>, ops: Ops) {
    this.config = config;
    this.params = params;
    this.specs = paramSpecs(config);
    this.ops = ops;
    this.rope = ropeTables(config);
  }

  /** Creates a model with fresh seeded weights, or with the given ones. */
  static create(config: ModelConfig, options: CreateModelOptions = {}): LlamaModel {
    validateConfig(config);
    const values = options.weights ?? initialValues(config, options.seed ?? 0);
    checkWeights(config, values);
    return new LlamaModel(config, createVariables(config, values), options.ops ?? kernelsFor());
  }

  /** Replaces the kernels (e.g. by the WebGPU ones) without touching the weights. */
  useOps(ops: Ops): void {
    this.ops = ops;
  }

  /** The variable of one parameter by Hugging Face name. */
  param(name: string): tf.Variable {
    const variable = this.params.get(name);
    if (!variable) throw new ConfigError('parameter', `the model has no parameter "${name}"`);
    return variable;
  }

  /**
   * Logits `[B, T, vocabSize]` for int32 tokens `[B, T]`. With a cache, the tokens continue the
   * cached positions and the cache is extended in place (the old tensors are disposed).
   */
  forward(tokens: tf.Tensor2D, cache?: KvCache): tf.Tensor3D {
    const [batch, length] = tokens.shape;
    const start = cache?.length ?? 0;
    if (start + length > this.config.contextLength) {
      throw new InputError(
        'tokens',
        `sequence of ${start + length} positions exceeds the context length ${this.config.contextLength}`,
      );
    }
    return tf.tidy(() => {
      const cos = tf.slice(this.rope.cos, [start, 0], [length, -1]);
      const sin = tf.slice(this.rope.sin, [start, 0], [length, -1]);
      let x: tf.Tensor = this.ops.embed(this.param('model.embed_tokens.weight') as tf.Tensor2D, tokens);
      for (let layer = 0; layer < this.config.nLayers; layer++) {
        x = this.block(layer, x, cos, sin, batch, length, cache);
      }
      const normed = this.ops.rmsNorm(x, this.param('model.norm.weight'), this.config.normEps);
      const head = this.config.tieEmbeddings ? 'model.embed_tokens.weight' : 'lm_head.weight';
      return this.ops.linear(normed, this.param(head)) as tf.Tensor3D;
    });
  }

  /** Mean next-token cross-entropy of `[B, T]` inputs against `[B, T]` targets, weighted by `mask`. */
  loss(inputs: tf.Tensor2D, targets: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const logits = this.forward(inputs);
      const rows = logits.shape[0] * logits.shape[1];
      return this.ops.crossEntropy(
        tf.reshape(logits, [rows, this.config.vocabSize]),
        tf.reshape(targets, [rows]),
        tf.reshape(mask, [rows]),
      );
    });
  }

  /** An empty cache for {@link LlamaModel.forward}; dispose it with {@link disposeCache}. */
  emptyCache(batch: number): KvCache {
    const shape: [number, number, number, number] = [batch, this.config.nKvHeads, 0, headDim(this.config)];
    const layers = Array.from({ length: this.config.nLayers }, () => ({
      k: tf.zeros(shape) as tf.Tensor4D,
      v: tf.zeros(shape) as tf.Tensor4D,
    }));
    return { layers, length: 0 };
  }

  /** Frees the weights and tables. */
  dispose(): void {
    for (const variable of this.params.values()) variable.dispose();
    this.rope.cos.dispose();
    this.rope.sin.dispose();
  }

  private block(
    layer: number, x: tf.Tensor, cos: tf.Tensor2D, sin: tf.Tensor2D,
    batch: number, length: number, cache: KvCache | undefined,
  ): tf.Tensor {
    const { ops, config } = this;
    const p = (name: string) => this.param(`model.layers.${layer}.${name}`);
    const size = headDim(config);
    const heads = (t: tf.Tensor, count: number) =>
      tf.transpose(tf.reshape(t, [batch, length, count, size]), [0, 2, 1, 3]) as tf.Tensor4D;

    const h = ops.rmsNorm(x, p('input_layernorm.weight'), config.normEps);
    const q = ops.rope(heads(ops.linear(h, p('self_attn.q_proj.weight')), config.nHeads), cos, sin);
    let k = ops.rope(heads(ops.linear(h, p('self_attn.k_proj.weight')), config.nKvHeads), cos, sin);
    let v = heads(ops.linear(h, p('self_attn.v_proj.weight')), config.nKvHeads);
    if (cache) [k, v] = extendCache(cache, layer, k, v, length);
    const attended = tf.reshape(tf.transpose(ops.attention(q, k, v), [0, 2, 1, 3]), [batch, length, config.dModel]);
    const afterAttention = tf.add(x, ops.linear(attended, p('self_attn.o_proj.weight')));

    const h2 = ops.rmsNorm(afterAttention, p('post_attention_layernorm.weight'), config.normEps);
    const gated = ops.swiglu(ops.linear(h2, p('mlp.gate_proj.weight')), ops.linear(h2, p('mlp.up_proj.weight')));
    return tf.add(afterAttention, ops.linear(gated, p('mlp.down_proj.weight')));
  }
}

/** Appends this step's keys/values to the cache; the new cache tensors survive the caller's tidy. */
function extendCache(
  cache: KvCache, layer: number, k: tf.Tensor4D, v: tf.Tensor4D, length: number,
): [tf.Tensor4D, tf.Tensor4D] {
  const entry = cache.layers[layer];
  const keys = tf.keep(tf.concat([entry.k, k], 2));
  const values = tf.keep(tf.concat([entry.v, v], 2));
  entry.k.dispose();
  entry.v.dispose();
  cache.layers[layer] = { k: keys, v: values };
  if (layer === cache.layers.length - 1) cache.length += length;
  return [keys, values];
}

/** Frees the tensors of a cache. */
export function disposeCache(cache: KvCache): void {
  for (const entry of cache.layers) {
    entry.k.dispose();
    entry.v.dispose();
  }
}

function checkWeights(config: ModelConfig, values: Map<string, Float32Array>): void {
  for (const spec of paramSpecs(config)) {
    const data = values.get(spec.name);
    const expected = spec.shape.reduce((a, b) => a * b, 1);
    if (!data) throw new CheckpointError(`weights lack parameter "${spec.name}"`);
    if (data.length !== expected) {
      throw new CheckpointError(
        `parameter "${spec.name}" has ${data.length} values, expected ${expected} (shape ${spec.shape.join('x')})`,
      );
    }
  }
}
