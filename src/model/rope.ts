import * as tf from '../runtime/tfjs.js';
import { headDim, type ModelConfig } from './config.js';

/** Cosine and sine tables `[contextLength, headDim]` in the Hugging Face "rotate half" layout. */
export interface RopeTables {
  cos: tf.Tensor2D;
  sin: tf.Tensor2D;
}

/** Computes the tables in float64 on the CPU, then uploads them once. */
export function ropeTables(config: ModelConfig): RopeTables {
  const size = headDim(config);
  const half = size / 2;
  const cos = new Float32Array(config.contextLength * size);
  const sin = new Float32Array(config.contextLength * size);
  for (let position = 0; position < config.contextLength; position++) {
    for (let i = 0; i < half; i++) {
      const angle = position / config.ropeTheta ** ((2 * i) / size);
      for (const column of [i, i + half]) {
        cos[position * size + column] = Math.cos(angle);
        sin[position * size + column] = Math.sin(angle);
      }
    }
  }
  return {
    cos: tf.tensor2d(cos, [config.contextLength, size]),
    sin: tf.tensor2d(sin, [config.contextLength, size]),
  };
}
