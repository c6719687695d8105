import type { BatchSourceState } from '../data/batch.js';
import { fromHfConfig, importSafetensors, exportSafetensors, toHfConfig } from '../model/hf-format.js';
import type { ModelConfig } from '../model/config.js';
import type { LlamaModel } from '../model/model.js';
import { decodeSafetensors, encodeSafetensors, type NamedTensor } from '../model/safetensors.js';
import type { AdamWState } from '../train/adamw.js';
import type { TokenizerFiles } from '../tokenizer/types.js';
import { CheckpointError, errorMessage } from '../util/errors.js';

/** Progress of a training run, saved next to the weights so a run resumes exactly. */
export interface TrainerState {
  step: number;
  skippedSteps: number;
  /** Position of the batch source (see `BatchSource.state`). */
  batchSource: BatchSourceState;
  /** Anything else the caller wants back (options, loss history). */
  extra: Record<string, unknown>;
}

/** A checkpoint as named files: the Hugging Face files plus our training state. */
export type CheckpointFiles = Map<string, Uint8Array>;

/** Everything a checkpoint holds, decoded. */
export interface Checkpoint {
  config: ModelConfig;
  weights: Map<string, Float32Array>;
  tokenizer: TokenizerFiles;
  trainer?: TrainerState;
  optimizer?: AdamWState;
}

const encodeJson = (value: unknown) => new TextEncoder().encode(JSON.stringify(value, null, 2));

/**
 * Serialises a model (and optionally its training state) to files that Hugging Face tools load:
 * `config.json`, `model.safetensors`, `tokenizer.json`, `tokenizer_config.json`, plus
 * `trainer_state.json` and `optimizer.safetensors` when training state is given.
 */
export async function checkpointFiles(
  model: LlamaModel, tokenizer: TokenizerFiles,
  training?: { trainer: TrainerState; optimizer: AdamWState },
): Promise<CheckpointFiles> {
  const files: CheckpointFiles = new Map([
    ['config.json', encodeJson(toHfConfig(model.config))],
    ['model.safetensors', await exportSafetensors(model)],
    ['tokenizer.json', encodeJson(tokenizer.tokenizerJson)],
    ['tokenizer_config.json', encodeJson(tokenizer.tokenizerConfig)],
  ]);
  if (training) {
    files.set('trainer_state.json', encodeJson({ ...training.trainer, optimizerStep: training.optimizer.step }));
    const moments: NamedTensor[] = [];
    for (const [name, { m, v }] of training.optimizer.moments) {
      const shape = [m.length];
      moments.push({ name: `m.${name}`, shape, data: m }, { name: `v.${name}`, shape, data: v });
    }
    files.set('optimizer.safetensors', encodeSafetensors(moments));
  }
  return files;
}

/** Decodes files written by {@link checkpointFiles}; `source` names the checkpoint in errors. */
export function parseCheckpoint(files: CheckpointFiles, source: string): Checkpoint {
  const json = (name: string): Record<string, unknown> => {
    const bytes = files.get(name);
    if (!bytes) throw new CheckpointError(`${source}: missing ${name}`);
    try {
      return JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    } catch (error) {
      throw new CheckpointError(`${source}/${name}: invalid JSON (${errorMessage(error)})`);
    }
  };
  const config = fromHfConfig(json('config.json'), `${source}/config.json`);
  const modelBytes = files.get('model.safetensors');
  if (!modelBytes) throw new CheckpointError(`${source}: missing model.safetensors`);
  const checkpoint: Checkpoint = {
    config,
    weights: importSafetensors(modelBytes, config, `${source}/model.safetensors`),
    tokenizer: { tokenizerJson: json('tokenizer.json'), tokenizerConfig: json('tokenizer_config.json') },
  };
  if (files.has('trainer_state.json')) {
    const { optimizerStep, ...trainer } = json('trainer_state.json') as unknown as TrainerState & { optimizerStep: number };
    checkpoint.trainer = trainer;
    checkpoint.optimizer = { step: optimizerStep, moments: decodeMoments(files, source) };
  }
  return checkpoint;
}

function decodeMoments(files: CheckpointFiles, source: string): AdamWState['moments'] {
  const bytes = files.get('optimizer.safetensors');
  if (!bytes) throw new CheckpointError(`${source}: trainer_state.json without optimizer.safetensors`);
  const tensors = decodeSafetensors(bytes, `${source}/optimizer.safetensors`);
  const moments: AdamWState['moments'] = new Map();
  for (const [key, tensor] of tensors) {
    if (!key.startsWith('m.')) continue;
    const name = key.slice(2);
    const second = tensors.get(`v.${name}`);
    if (!second) throw new CheckpointError(`${source}/optimizer.safetensors: "m.${name}" without "v.${name}"`);
    moments.set(name, { m: tensor.data, v: second.data });
  }
  return moments;
}
