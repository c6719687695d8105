/** Stock `tf.matMul` throughput: the adapter's practical ceiling for the model's GFLOP/s figures. */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendName } from '../src/runtime/backend.js';
import { measure, type Iterations, type Measured } from './lib/stats.js';

export interface MatmulCase {
  /** Square size: [n, n] x [n, n]. */
  n: number;
  /** Multiplications queued per timed sample (amortises the read-back latency of small sizes). */
  reps: number;
  iterations: Iterations;
}

export interface MatmulResult {
  n: number;
  backend: BackendName;
  reps: number;
  /** Per sample, i.e. `reps` multiplications plus one scalar read-back. */
  timing: Measured;
  /** At the median sample. */
  gflops: number;
}

export async function benchMatmul(c: MatmulCase, backend: BackendName): Promise<MatmulResult> {
  const a = tf.randomUniform([c.n, c.n], -1, 1, 'float32', 1);
  const b = tf.randomUniform([c.n, c.n], -1, 1, 'float32', 2);
  const timing = await measure(`matMul ${c.n}^3 x${c.reps} ${backend}`, async () => {
    let last: tf.Tensor | undefined;
    for (let r = 0; r < c.reps; r++) {
      last?.dispose();
      last = tf.matMul(a, b);
    }
    // Reading one reduction of the last product waits for all of them (the queue runs in order).
    const probe = tf.sum(last!);
    await probe.data();
    tf.dispose([probe, last!]);
  }, c.iterations);
  tf.dispose([a, b]);
  const flops = 2 * c.n ** 3 * c.reps;
  return { n: c.n, backend, reps: c.reps, timing, gflops: flops / (timing.median / 1000) / 1e9 };
}
