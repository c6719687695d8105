import { CheckpointError } from '../util/errors.js';
import { validateConfig, type ModelConfig } from './config.js';
import type { LlamaModel } from './model.js';
import { paramSpecs } from './params.js';
import { decodeSafetensors, encodeSafetensors } from './safetensors.js';

/** The Hugging Face `config.json` of a model (LlamaForCausalLM). */
export function toHfConfig(config: ModelConfig): Record<string, unknown> {
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: config.vocabSize,
    max_position_embeddings: config.contextLength,
    hidden_size: config.dModel,
    num_hidden_layers: config.nLayers,
    num_attention_heads: config.nHeads,
    num_key_value_heads: config.nKvHeads,
    intermediate_size: config.ffnHidden,
    rope_theta: config.ropeTheta,
    rms_norm_eps: config.normEps,
    tie_word_embeddings: config.tieEmbeddings,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    torch_dtype: 'float32',
  };
}

/** Reads a Hugging Face Llama `config.json` (parsed); `source` names it in errors. */
export function fromHfConfig(json: Record<string, unknown>, source = 'config.json'): ModelConfig {
  const field = (name: string): unknown => json[name];
  const number = (name: string, fallback?: number): number => {
    const value = field(name) ?? fallback;
    if (typeof value !== 'number') throw new CheckpointError(`${source}: field "${name}" must be a number`);
    return value;
  };
  if (field('model_type') !== undefined && field('model_type') !== 'llama') {
    throw new CheckpointError(`${source}: field "model_type" is "${String(field('model_type'))}", only "llama" is supported`);
  }
  const heads = number('num_attention_heads');
  const config: ModelConfig = {
    vocabSize: number('vocab_size'),
    contextLength: number('max_position_embeddings'),
    dModel: number('hidden_size'),
    nLayers: number('num_hidden_layers'),
    nHeads: heads,
    nKvHeads: number('num_key_value_heads', heads),
    ffnHidden: number('intermediate_size'),
    ropeTheta: number('rope_theta', 10000),
    normEps: number('rms_norm_eps', 1e-6),
    tieEmbeddings: field('tie_word_embeddings') === undefined ? false : field('tie_word_embeddings') === true,
  };
  validateConfig(config);
  return config;
}

/** Reads every weight back to the CPU, by Hugging Face name in export order. */
export async function readWeights(model: LlamaModel): Promise<Map<string, Float32Array>> {
  const weights = new Map<string, Float32Array>();
  for (const [name, variable] of model.params) weights.set(name, (await variable.data()) as Float32Array);
  return weights;
}

/** The model's weights as a `model.safetensors` file. */
export async function exportSafetensors(model: LlamaModel): Promise<Uint8Array> {
  const weights = await readWeights(model);
  return encodeSafetensors(
    model.specs.map((spec) => ({ name: spec.name, shape: spec.shape, data: weights.get(spec.name)! })),
    { format: 'pt' },
  );
}

/**
 * Weights from a Hugging Face `model.safetensors` for the given config, checked name by name and
 * shape by shape. A tied model ignores a stored `lm_head.weight`.
 */
export function importSafetensors(bytes: Uint8Array, config: ModelConfig, source = 'model.safetensors'): Map<string, Float32Array> {
  const tensors = decodeSafetensors(bytes, source);
  const weights = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const tensor = tensors.get(spec.name);
    if (!tensor) throw new CheckpointError(`${source}: missing tensor "${spec.name}"`);
    if (tensor.shape.join('x') !== spec.shape.join('x')) {
      throw new CheckpointError(`${source}: tensor "${spec.name}" has shape ${tensor.shape.join('x')}, expected ${spec.shape.join('x')}`);
    }
    weights.set(spec.name, tensor.data);
  }
  return weights;
}

