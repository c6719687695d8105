/**
 * Matmul side by side (the llm.c dev/ way): stock `tf.matMul` and every variant of ours on the same
 * operands, interleaved sample by sample, on 1024³ and on the products of a training step (forward
 * `x @ Wᵀ`, and the backward `dy @ W` and `dyᵀ @ x`) of each preset.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  MATMUL_VARIANTS, currentLimits, problemFlops, runVariant, supports, type MatmulProblem,
} from '../src/kernels/matmul/index.js';
import { toTensor } from '../src/kernels/webgpu/dispatch.js';
import type { ModelConfig } from '../src/model/config.js';
import { headDim } from '../src/model/config.js';
import type { BackendName } from '../src/runtime/backend.js';
import { Rng } from '../src/util/rng.js';
import { progress, summarise, type Iterations, type Timing } from './lib/stats.js';

export const STOCK = 'stock tf.matMul';

/** One product to time. */
export interface MatmulCase {
  /** Where it comes from, e.g. `1024³` or `tiny B8 T128: gate,up x @ Wᵀ`. */
  label: string;
  problem: MatmulProblem;
  iterations: Iterations;
}

export interface MatmulRow {
  candidate: string;
  /** Per product. */
  timing: Timing;
  /** At the median. */
  gflops: number;
}

export interface MatmulResult {
  label: string;
  backend: BackendName;
  problem: MatmulProblem;
  /** Products per timed sample. */
  reps: number;
  /** Stock first. */
  rows: MatmulRow[];
}

/** The products of one training step of `config` on `rows` tokens, by distinct linear shape. */
export function trainingProblems(name: string, config: ModelConfig, rows: number): { label: string; problem: MatmulProblem }[] {
  const qWidth = config.nHeads * headDim(config);
  const kvWidth = config.nKvHeads * headDim(config);
  const linears = new Map<string, { inF: number; outF: number; roles: string[] }>();
  const add = (role: string, inF: number, outF: number) => {
    const entry = linears.get(`${inF}->${outF}`) ?? { inF, outF, roles: [] };
    entry.roles.push(role);
    linears.set(`${inF}->${outF}`, entry);
  };
  add('q', config.dModel, qWidth);
  add('k', config.dModel, kvWidth);
  add('v', config.dModel, kvWidth);
  add('o', qWidth, config.dModel);
  add('gate', config.dModel, config.ffnHidden);
  add('up', config.dModel, config.ffnHidden);
  add('down', config.ffnHidden, config.dModel);
  add('head', config.dModel, config.vocabSize);
  return [...linears.values()].flatMap(({ inF, outF, roles }) => {
    const who = `${name}: ${roles.join(',')}`;
    return [
      { label: `${who} x @ Wᵀ`, problem: { m: rows, n: outF, k: inF, transposeA: false, transposeB: true } },
      { label: `${who} dy @ W`, problem: { m: rows, n: inF, k: outF, transposeA: false, transposeB: false } },
      { label: `${who} dyᵀ @ x`, problem: { m: outF, n: inF, k: rows, transposeA: true, transposeB: false } },
    ];
  });
}

function operand(shape: [number, number], rng: Rng): tf.Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: shape[0] * shape[1] }, () => rng.normal()), shape);
}

/** Runs `launch` `reps` times, then reads one element of the last product (the queue runs in order). */
async function sample(launch: () => tf.Tensor, reps: number): Promise<number> {
  const start = performance.now();
  let out: tf.Tensor | undefined;
  for (let r = 0; r < reps; r++) {
    out?.dispose();
    out = launch();
  }
  const probe = tf.slice(out!, [0, 0], [1, 1]);
  await probe.data();
  tf.dispose([probe, out!]);
  return (performance.now() - start) / reps;
}

/** Times stock and (on WebGPU) every supported variant of ours on one product, interleaved. */
export async function benchMatmul(c: MatmulCase, backend: BackendName): Promise<MatmulResult> {
  const p = c.problem;
  const rng = new Rng(1);
  const a = operand(p.transposeA ? [p.k, p.m] : [p.m, p.k], rng);
  const b = operand(p.transposeB ? [p.n, p.k] : [p.k, p.n], rng);
  const limits = backend === 'webgpu' ? currentLimits() : undefined;
  const candidates: [string, () => tf.Tensor][] = [[STOCK, () => tf.matMul(a, b, p.transposeA, p.transposeB)]];
  for (const v of limits ? MATMUL_VARIANTS : []) {
    if (supports(v, p, limits!)) candidates.push([v.name, () => toTensor(runVariant(v, p, a, b, limits!))]);
  }
  // One untimed run each (pipelines compile), the slowest of them sets the repetitions (about 60 ms a sample).
  let slowest = 0;
  for (const [, launch] of candidates) slowest = Math.max(slowest, await sample(launch, 1));
  const reps = Math.max(1, Math.min(32, Math.round(60 / Math.max(slowest, 0.05))));
  const samples = new Map<string, number[]>(candidates.map(([name]) => [name, []]));
  for (let i = 0; i < c.iterations.warmup + c.iterations.iters; i++) {
    for (const [name, launch] of candidates) {
      const ms = await sample(launch, name === STOCK ? reps : reps);
      if (i >= c.iterations.warmup) samples.get(name)!.push(ms);
    }
  }
  tf.dispose([a, b]);
  const flops = problemFlops(p);
  const rows = candidates.map(([candidate]) => {
    const timing = summarise(samples.get(candidate)!);
    return { candidate, timing, gflops: flops / (timing.median / 1000) / 1e9 };
  });
  const best = rows.slice(1).reduce<MatmulRow | undefined>((x, y) => (!x || y.timing.median < x.timing.median ? y : x), undefined);
  progress(`matmul ${c.label} on ${backend}: stock ${rows[0].gflops.toFixed(2)} GFLOP/s${best ? `, best ${best.candidate} ${best.gflops.toFixed(2)}` : ''}`);
  return { label: c.label, backend, problem: p, reps, rows };
}
