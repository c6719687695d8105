/**
 * The one serialisation of a checkpoint that every store backend shares: named files that Hugging Face
 * tools load (`config.json`, `model.safetensors`, `tokenizer.json`, `tokenizer_config.json`) plus our
 * training state (`trainer_state.json`, `optimizer.safetensors`). Non-finite numbers are refused both
 * ways: a diverged model is never written over a good checkpoint, and a damaged one never loads.
 * @module
 */
import { SAFETENSORS_INDEX, fromHfConfig, importHfWeights, exportSafetensors, hfTokenIds, toHfConfig } from '../model/hf-format.js';
import type { ModelConfig } from '../model/config.js';
import type { LlamaModel } from '../model/model.js';
import { paramSpecs } from '../model/params.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../model/safetensors.js';
import type { AdamWState } from '../train/adamw.js';
import type { TokenizerFiles } from '../tokenizer/types.js';
import { CheckpointError, NonFiniteError, errorMessage } from '../util/errors.js';
import { parseTrainerState, type TrainerState } from './trainer-state.js';

export type { TrainerState } from './trainer-state.js';

/** A checkpoint as named files: the Hugging Face files plus our training state. */
export type CheckpointFiles = Map<string, Uint8Array>;

/** Everything a checkpoint holds, decoded and checked. */
export interface Checkpoint {
  config: ModelConfig;
  weights: Map<string, Float32Array>;
  tokenizer: TokenizerFiles;
  trainer?: TrainerState;
  optimizer?: AdamWState;
}

/** The files a step folder holds for Hugging Face `from_pretrained`. */
export const HF_FILES = ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json'] as const;

const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2));

/**
 * Serialises a model (and optionally its training state) to checkpoint files.
 * @throws NonFiniteError naming the first weight or optimizer moment that is NaN or infinite
 */
export async function checkpointFiles(
  model: LlamaModel, tokenizer: TokenizerFiles,
  training?: { trainer: TrainerState; optimizer: AdamWState },
): Promise<CheckpointFiles> {
  const weights = await exportSafetensors(model);
  for (const [name, tensor] of decodeSafetensors(weights, 'model.safetensors')) {
    throwIfNonFinite(tensor.data, (why) => new NonFiniteError(`not saving a diverged model: weight "${name}" ${why}`));
  }
  const files: CheckpointFiles = new Map([
    ['config.json', encodeJson(toHfConfig(model.config, hfTokenIds(tokenizer)))],
    ['model.safetensors', weights],
    ['tokenizer.json', encodeJson(tokenizer.tokenizerJson)],
    ['tokenizer_config.json', encodeJson(tokenizer.tokenizerConfig)],
  ]);
  if (training) {
    files.set('trainer_state.json', encodeJson({ ...training.trainer, optimizerStep: training.optimizer.step }));
    const moments: NamedTensor[] = [];
    for (const [name, { m, v }] of training.optimizer.moments) {
      for (const [prefix, data] of [['m', m], ['v', v]] as const) {
        throwIfNonFinite(data, (why) => new NonFiniteError(`not saving a diverged optimizer state: moment "${prefix}.${name}" ${why}`));
        moments.push({ name: `${prefix}.${name}`, shape: [data.length], data });
      }
    }
    files.set('optimizer.safetensors', encodeSafetensors(moments));
  }
  return files;
}

/**
 * Decodes and checks files written by {@link checkpointFiles}, or any Hugging Face Llama folder (F32, F16 or
 * BF16 weights, one file or shards); `source` names the checkpoint in errors.
 * @throws CheckpointError naming the file and the field or tensor at fault
 */
export function parseCheckpoint(files: CheckpointFiles, source: string): Checkpoint {
  const json = (name: string): Record<string, unknown> => {
    const bytes = files.get(name);
    if (!bytes) throw new CheckpointError(`${source}: missing ${name}`);
    let value: unknown;
    try {
      value = JSON.parse(new TextDecoder().decode(bytes));
    } catch (error) {
      throw new CheckpointError(`${source}/${name}: invalid JSON (${errorMessage(error)})`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CheckpointError(`${source}/${name}: must be a JSON object`);
    return Object.fromEntries(Object.entries(value));
  };
  const config = fromHfConfig(json('config.json'), `${source}/config.json`);
  const weights = importHfWeights(files, config, source);
  const weightsFile = files.has(SAFETENSORS_INDEX) ? 'the shards of model.safetensors.index.json' : 'model.safetensors';
  for (const [name, data] of weights) {
    throwIfNonFinite(data, (why) => new CheckpointError(`${source}/${weightsFile}: tensor "${name}" ${why}`));
  }
  const checkpoint: Checkpoint = {
    config, weights, tokenizer: { tokenizerJson: json('tokenizer.json'), tokenizerConfig: json('tokenizer_config.json') },
  };
  if (files.has('trainer_state.json')) {
    const { optimizerStep, ...trainer } = parseTrainerState(json('trainer_state.json'), `${source}/trainer_state.json`);
    checkpoint.trainer = trainer;
    checkpoint.optimizer = { step: optimizerStep, moments: decodeMoments(files, config, optimizerStep, source) };
  }
  return checkpoint;
}

/** Optimizer moments, checked against the model: known names, right sizes, finite, none missing once stepped. */
function decodeMoments(files: CheckpointFiles, config: ModelConfig, optimizerStep: number, source: string): AdamWState['moments'] {
  const file = `${source}/optimizer.safetensors`;
  const bytes = files.get('optimizer.safetensors');
  if (!bytes) throw new CheckpointError(`${source}: trainer_state.json without optimizer.safetensors`);
  const tensors = decodeSafetensors(bytes, file);
  const sizes = new Map(paramSpecs(config).map((spec) => [spec.name, spec.shape.reduce((a, b) => a * b, 1)]));
  const moments: AdamWState['moments'] = new Map();
  for (const [key, tensor] of tensors) {
    const match = /^([mv])\.(.+)$/.exec(key);
    const size = match ? sizes.get(match[2]) : undefined;
    if (!match || size === undefined) throw new CheckpointError(`${file}: tensor "${key}" is not a moment of a model parameter`);
    if (tensor.data.length !== size) throw new CheckpointError(`${file}: tensor "${key}" has ${tensor.data.length} values, its parameter ${size}`);
    throwIfNonFinite(tensor.data, (why) => new CheckpointError(`${file}: tensor "${key}" ${why}`));
    const name = match[2];
    const partner = tensors.get(`${match[1] === 'm' ? 'v' : 'm'}.${name}`);
    if (!partner) throw new CheckpointError(`${file}: "${key}" without its partner moment`);
    if (match[1] === 'm') moments.set(name, { m: tensor.data, v: partner.data });
  }
  if (optimizerStep > 0) {
    const missing = [...sizes.keys()].find((name) => !moments.has(name));
    if (missing) throw new CheckpointError(`${file}: no moments for parameter "${missing}" after ${optimizerStep} optimizer steps`);
  }
  return moments;
}

function throwIfNonFinite(data: Float32Array, error: (why: string) => Error): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw error(`holds ${data[i]} at index ${i}`);
  }
}
