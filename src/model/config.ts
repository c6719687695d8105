import { ConfigError } from '../util/errors.js';

/** Shape of a Llama-style decoder. Field names map to Hugging Face `LlamaConfig` on export. */
export interface ModelConfig {
  /** Number of token ids (`vocab_size`). */
  vocabSize: number;
  /** Longest sequence the model is trained on (`max_position_embeddings`). */
  contextLength: number;
  /** Residual width (`hidden_size`). */
  dModel: number;
  /** Decoder blocks (`num_hidden_layers`). */
  nLayers: number;
  /** Attention heads (`num_attention_heads`); must divide `dModel`. */
  nHeads: number;
  /** Key/value heads (`num_key_value_heads`); must divide `nHeads`. Equal to `nHeads` unless grouped-query attention. */
  nKvHeads: number;
  /** SwiGLU hidden width (`intermediate_size`). */
  ffnHidden: number;
  /** RoPE base (`rope_theta`). */
  ropeTheta: number;
  /** RMSNorm epsilon (`rms_norm_eps`). */
  normEps: number;
  /** Output head shares the token embedding (`tie_word_embeddings`). */
  tieEmbeddings: boolean;
}

/** Names of the built-in presets. */
export type PresetName = 'nano' | 'tiny' | 'small';

/** Built-in sizes: about 0.5M, 3M and 20M parameters at their default vocabulary sizes. */
export const PRESETS: Readonly<Record<PresetName, ModelConfig>> = {
  nano: {
    vocabSize: 1024, contextLength: 128, dModel: 128, nLayers: 2, nHeads: 4, nKvHeads: 4,
    ffnHidden: 352, ropeTheta: 10000, normEps: 1e-5, tieEmbeddings: true,
  },
  tiny: {
    vocabSize: 2048, contextLength: 256, dModel: 256, nLayers: 4, nHeads: 8, nKvHeads: 8,
    ffnHidden: 512, ropeTheta: 10000, normEps: 1e-5, tieEmbeddings: true,
  },
  small: {
    vocabSize: 8192, contextLength: 512, dModel: 512, nLayers: 6, nHeads: 8, nKvHeads: 8,
    ffnHidden: 1024, ropeTheta: 10000, normEps: 1e-5, tieEmbeddings: true,
  },
};

/**
 * Builds a validated config from a preset name (or a full config) plus overrides.
 * Throws {@link ConfigError} naming the first bad field.
 */
export function resolveConfig(base: PresetName | ModelConfig, overrides: Partial<ModelConfig> = {}): ModelConfig {
  let start: ModelConfig;
  if (typeof base === 'string') {
    if (!Object.hasOwn(PRESETS, base)) {
      throw new ConfigError('preset', `unknown preset "${base}" (known: ${Object.keys(PRESETS).join(', ')})`);
    }
    start = PRESETS[base];
  } else {
    start = base;
  }
  const config = { ...start, ...overrides };
  if (overrides.nHeads !== undefined && overrides.nKvHeads === undefined && start.nKvHeads === start.nHeads) {
    config.nKvHeads = config.nHeads;
  }
  validateConfig(config);
  return config;
}

/** Checks every field of a config; throws {@link ConfigError} naming the first bad one. */
export function validateConfig(config: ModelConfig): void {
  const positiveInts: (keyof ModelConfig)[] = [
    'vocabSize', 'contextLength', 'dModel', 'nLayers', 'nHeads', 'nKvHeads', 'ffnHidden',
  ];
  for (const field of positiveInts) {
    const value = config[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw new ConfigError(field, `must be a positive integer, got ${String(value)}`);
    }
  }
  if (config.dModel % config.nHeads !== 0) {
    throw new ConfigError('nHeads', `${config.nHeads} heads do not divide dModel ${config.dModel}`);
  }
  if ((config.dModel / config.nHeads) % 2 !== 0) {
    throw new ConfigError('nHeads', `head size dModel/nHeads = ${config.dModel / config.nHeads} must be even for RoPE`);
  }
  if (config.nHeads % config.nKvHeads !== 0) {
    throw new ConfigError('nKvHeads', `${config.nKvHeads} key/value heads do not divide nHeads ${config.nHeads}`);
  }
  if (!(config.ropeTheta > 1)) throw new ConfigError('ropeTheta', `must be > 1, got ${config.ropeTheta}`);
  if (!(config.normEps > 0 && config.normEps < 1)) {
    throw new ConfigError('normEps', `must be in (0, 1), got ${config.normEps}`);
  }
  if (typeof config.tieEmbeddings !== 'boolean') {
    throw new ConfigError('tieEmbeddings', `must be a boolean, got ${String(config.tieEmbeddings)}`);
  }
}

/** Width of one attention head. */
export function headDim(config: ModelConfig): number {
  return config.dModel / config.nHeads;
}
