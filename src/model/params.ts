import * as tf from '../runtime/tfjs.js';
import { CheckpointError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { headDim, type ModelConfig } from './config.js';

/** How a parameter is initialised and whether AdamW decays it. */
export interface ParamSpec {
  /** Hugging Face `LlamaForCausalLM` name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  name: string;
  /** Shape in Hugging Face layout (`[out, in]` for linear weights). */
  shape: number[];
  kind: 'embedding' | 'linear' | 'norm';
}

/** Every parameter of a model, in a fixed order (the order of the safetensors export). */
export function paramSpecs(config: ModelConfig): ParamSpec[] {
  const { dModel: d, ffnHidden: f, vocabSize: v } = config;
  const kvWidth = config.nKvHeads * headDim(config);
  const specs: ParamSpec[] = [{ name: 'model.embed_tokens.weight', shape: [v, d], kind: 'embedding' }];
  for (let layer = 0; layer < config.nLayers; layer++) {
    const p = `model.layers.${layer}`;
    specs.push(
      { name: `${p}.input_layernorm.weight`, shape: [d], kind: 'norm' },
      { name: `${p}.self_attn.q_proj.weight`, shape: [d, d], kind: 'linear' },
      { name: `${p}.self_attn.k_proj.weight`, shape: [kvWidth, d], kind: 'linear' },
      { name: `${p}.self_attn.v_proj.weight`, shape: [kvWidth, d], kind: 'linear' },
      { name: `${p}.self_attn.o_proj.weight`, shape: [d, d], kind: 'linear' },
      { name: `${p}.post_attention_layernorm.weight`, shape: [d], kind: 'norm' },
      { name: `${p}.mlp.gate_proj.weight`, shape: [f, d], kind: 'linear' },
      { name: `${p}.mlp.up_proj.weight`, shape: [f, d], kind: 'linear' },
      { name: `${p}.mlp.down_proj.weight`, shape: [d, f], kind: 'linear' },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [d], kind: 'norm' });
  if (!config.tieEmbeddings) specs.push({ name: 'lm_head.weight', shape: [v, d], kind: 'linear' });
  return specs;
}

/** Total number of scalar parameters. */
export function countParams(config: ModelConfig): number {
  return paramSpecs(config).reduce((sum, spec) => sum + spec.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Initial values, drawn on the CPU from a seeded generator so the same seed gives the same weights
 * on every backend: N(0, 0.02) for embeddings and linears, with the residual-stream outputs
 * (`o_proj`, `down_proj`) scaled by 1/sqrt(2 * layers) as in GPT-2; ones for norms.
 */
export function initialValues(config: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const values = new Map<string, Float32Array>();
  const residualScale = 1 / Math.sqrt(2 * config.nLayers);
  for (const spec of paramSpecs(config)) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(size);
    if (spec.kind === 'norm') {
      data.fill(1);
    } else {
      const isResidualOut = spec.name.endsWith('o_proj.weight') || spec.name.endsWith('down_proj.weight');
      const std = 0.02 * (isResidualOut ? residualScale : 1);
      for (let i = 0; i < size; i++) data[i] = rng.normal() * std;
    }
    values.set(spec.name, data);
  }
  return values;
}

let modelCounter = 0;

/**
 * Creates one tf.Variable per parameter. tfjs variable names are global, so each model gets its own
 * prefix; the map is keyed by the Hugging Face name.
 */
export function createVariables(config: ModelConfig, values: Map<string, Float32Array>): Map<string, tf.Variable> {
  const prefix = `hephaestus${modelCounter++}`;
  const variables = new Map<string, tf.Variable>();
  for (const spec of paramSpecs(config)) {
    const data = values.get(spec.name);
    if (!data) throw new CheckpointError(`weights lack parameter "${spec.name}"`);
    const initial = tf.tensor(data, spec.shape, 'float32');
    variables.set(spec.name, tf.variable(initial, true, `${prefix}/${spec.name}`));
    initial.dispose();
  }
  return variables;
}
