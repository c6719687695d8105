/**
 * The Hugging Face format of a model: `config.json` (LlamaForCausalLM), `generation_config.json`, and the
 * weights in `model.safetensors` or in shards named by `model.safetensors.index.json`. Import reads F32,
 * F16 and BF16 weights (widened to float32), tied or untied heads and grouped-query attention, and checks
 * every field and tensor before anything is used: a bad one is named and nothing is returned.
 * @module
 */
import { SPECIAL_TOKENS, type TokenizerFiles } from '../tokenizer/types.js';
import { CheckpointError, errorMessage } from '../util/errors.js';
import { validateConfig, type ModelConfig } from './config.js';
import type { LlamaModel } from './model.js';
import { paramSpecs } from './params.js';
import { decodeSafetensors, encodeSafetensors, type DecodedTensor } from './safetensors.js';

/** Token ids that Hugging Face configs name (`bos_token_id`, `eos_token_id`, `pad_token_id`). */
export interface HfTokenIds {
  bos: number;
  /** Ends a document: `<|endoftext|>`. */
  eos: number;
  pad: number;
  /** Ends a chat turn (`<|end|>`): generation stops at it too. */
  endOfTurn?: number;
}

/** Name of the sharded weights' index. */
export const SAFETENSORS_INDEX = 'model.safetensors.index.json';

/** The Hugging Face `config.json` of a model (LlamaForCausalLM), with the tokenizer's ids when given. */
export function toHfConfig(config: ModelConfig, ids?: HfTokenIds): Record<string, unknown> {
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
    ...(ids ? { bos_token_id: ids.bos, eos_token_id: ids.eos, pad_token_id: ids.pad } : {}),
  };
}

/** `generation_config.json`: stop at the end of a document or of a chat turn, pad with the pad token. */
export function toGenerationConfig(ids: HfTokenIds): Record<string, unknown> {
  const eos = ids.endOfTurn === undefined ? ids.eos : [ids.eos, ids.endOfTurn];
  return { bos_token_id: ids.bos, eos_token_id: eos, pad_token_id: ids.pad, do_sample: false };
}

/**
 * The ids of our special tokens in a tokenizer's files (from `added_tokens`); undefined when it lacks
 * `<|endoftext|>` or `<|pad|>`. Documents are separated by `<|endoftext|>`, so it is BOS and EOS (as GPT-2's).
 */
export function hfTokenIds(tokenizer: TokenizerFiles): HfTokenIds | undefined {
  const added = tokenizer.tokenizerJson.added_tokens;
  const ids = new Map<string, number>();
  if (Array.isArray(added)) {
    for (const token of added) {
      const { id, content } = (token ?? {}) as { id?: unknown; content?: unknown };
      if (typeof id === 'number' && typeof content === 'string') ids.set(content, id);
    }
  }
  const eos = ids.get(SPECIAL_TOKENS.endOfText);
  const pad = ids.get(SPECIAL_TOKENS.pad);
  if (eos === undefined || pad === undefined) return undefined;
  return { bos: eos, eos, pad, endOfTurn: ids.get(SPECIAL_TOKENS.endOfTurn) };
}

/** Fields of `config.json` this model cannot honour, with what it needs. */
const UNSUPPORTED: [field: string, ok: (value: unknown) => boolean, need: string][] = [
  ['hidden_act', (value) => value === 'silu', '"silu"'],
  ['attention_bias', (value) => value === false, 'false'],
  ['mlp_bias', (value) => value === false, 'false'],
  ['rope_scaling', (value) => value === null, 'null (no RoPE scaling)'],
];

/** Reads a Hugging Face Llama `config.json` (parsed); `source` names it in errors. */
export function fromHfConfig(json: Record<string, unknown>, source = 'config.json'): ModelConfig {
  const field = (name: string): unknown => json[name];
  const number = (name: string, fallback?: number): number => {
    const value = field(name) ?? fallback;
    if (typeof value !== 'number') throw new CheckpointError(`${source}: field "${name}" must be a number`);
    return value;
  };
  const architectures = field('architectures');
  if (architectures !== undefined && !(Array.isArray(architectures) && architectures.includes('LlamaForCausalLM'))) {
    throw new CheckpointError(`${source}: field "architectures" is ${JSON.stringify(architectures)}; only "LlamaForCausalLM" (the Llama architecture) is supported`);
  }
  if (field('model_type') !== undefined && field('model_type') !== 'llama') {
    throw new CheckpointError(`${source}: field "model_type" is "${String(field('model_type'))}", only "llama" is supported`);
  }
  for (const [name, ok, need] of UNSUPPORTED) {
    if (field(name) !== undefined && !ok(field(name))) {
      throw new CheckpointError(`${source}: field "${name}" is ${JSON.stringify(field(name))}; this model needs ${need}`);
    }
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
  if (field('head_dim') !== undefined && field('head_dim') !== config.dModel / heads) {
    throw new CheckpointError(`${source}: field "head_dim" is ${JSON.stringify(field('head_dim'))}; this model needs hidden_size / num_attention_heads = ${config.dModel / heads}`);
  }
  try {
    validateConfig(config);
  } catch (error) {
    throw new CheckpointError(`${source}: ${errorMessage(error)}`, { cause: error });
  }
  return config;
}

/** Reads every weight back to the CPU, by Hugging Face name in export order. */
export async function readWeights(model: LlamaModel): Promise<Map<string, Float32Array>> {
  const weights = new Map<string, Float32Array>();
  for (const [name, variable] of model.params) weights.set(name, (await variable.data()) as Float32Array);
  return weights;
}

/** The model's weights as a `model.safetensors` file (F32). */
export async function exportSafetensors(model: LlamaModel): Promise<Uint8Array> {
  const weights = await readWeights(model);
  return encodeSafetensors(
    model.specs.map((spec) => ({ name: spec.name, shape: spec.shape, data: weights.get(spec.name)! })),
    { format: 'pt' },
  );
}

/** Weights from one `model.safetensors` for the given config (see {@link weightsForConfig}). */
export function importSafetensors(bytes: Uint8Array, config: ModelConfig, source = 'model.safetensors'): Map<string, Float32Array> {
  return weightsForConfig(decodeSafetensors(bytes, source), config, source);
}

/**
 * The weights of a Hugging Face folder (its files by name): `model.safetensors`, or the shards its
 * `model.safetensors.index.json` names, checked against the config. `source` names the folder in errors.
 */
export function importHfWeights(files: ReadonlyMap<string, Uint8Array>, config: ModelConfig, source: string): Map<string, Float32Array> {
  const index = files.get(SAFETENSORS_INDEX);
  if (!index) {
    const bytes = files.get('model.safetensors');
    if (!bytes) throw new CheckpointError(`${source}: missing model.safetensors (and no ${SAFETENSORS_INDEX})`);
    return importSafetensors(bytes, config, `${source}/model.safetensors`);
  }
  const where = `${source}/${SAFETENSORS_INDEX}`;
  const weightMap = parseIndex(index, where);
  const tensors = new Map<string, DecodedTensor>();
  const shards = new Set(weightMap.values());
  for (const shard of shards) {
    const bytes = files.get(shard);
    if (!bytes) throw new CheckpointError(`${where}: names the shard ${shard}, which is missing`);
    for (const [name, tensor] of decodeSafetensors(bytes, `${source}/${shard}`)) {
      if (weightMap.get(name) === shard) tensors.set(name, tensor);
    }
  }
  for (const [name, shard] of weightMap) {
    if (!tensors.has(name)) throw new CheckpointError(`${source}/${shard}: missing tensor "${name}" (named in ${SAFETENSORS_INDEX})`);
  }
  return weightsForConfig(tensors, config, source);
}

/** `weight_map` of an index: tensor name to shard file. */
function parseIndex(bytes: Uint8Array, where: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CheckpointError(`${where}: invalid JSON (${errorMessage(error)})`);
  }
  const weightMap = (json as { weight_map?: unknown } | null)?.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    throw new CheckpointError(`${where}: field "weight_map" must be an object of tensor name to shard file`);
  }
  const map = new Map<string, string>();
  for (const [name, shard] of Object.entries(weightMap)) {
    if (typeof shard !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(shard)) {
      throw new CheckpointError(`${where}: field "weight_map.${name}" must be a shard file name, got ${JSON.stringify(shard)}`);
    }
    map.set(name, shard);
  }
  return map;
}

/** Buffers of the attention's rotary tables that some exporters store; the model computes its own. */
const IGNORED = /\.rotary_emb\.inv_freq$/;

/**
 * Every parameter of the config from decoded tensors, name by name and shape by shape. A tied model
 * ignores a stored `lm_head.weight`; any other tensor the model has no place for is refused.
 */
export function weightsForConfig(tensors: ReadonlyMap<string, DecodedTensor>, config: ModelConfig, source: string): Map<string, Float32Array> {
  const specs = paramSpecs(config);
  const known = new Set(specs.map((spec) => spec.name));
  for (const name of tensors.keys()) {
    if (!known.has(name) && !IGNORED.test(name) && !(config.tieEmbeddings && name === 'lm_head.weight')) {
      throw new CheckpointError(`${source}: unexpected tensor "${name}" (no such parameter in a Llama model of this config)`);
    }
  }
  const weights = new Map<string, Float32Array>();
  for (const spec of specs) {
    const tensor = tensors.get(spec.name);
    if (!tensor) {
      const hint = spec.name === 'lm_head.weight' ? ' (config.json says tie_word_embeddings is false)' : '';
      throw new CheckpointError(`${source}: missing tensor "${spec.name}"${hint}`);
    }
    if (tensor.shape.join('x') !== spec.shape.join('x')) {
      throw new CheckpointError(`${source}: tensor "${spec.name}" has shape ${tensor.shape.join('x')}, expected ${spec.shape.join('x')}`);
    }
    weights.set(spec.name, tensor.data);
  }
  return weights;
}
