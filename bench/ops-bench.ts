/**
 * Per-op benchmarks at the shapes of one model case: each method of an `Ops` object alone, forward
 * and forward + backward (gradients of every differentiable input, with a given upstream gradient),
 * and one AdamW pass over all parameters. Multiplied by how often a training step calls each, this
 * shows where a step's time goes, and it is where a custom kernel set is compared op by op.
 */
import * as tf from '@tensorflow/tfjs-core';
import { headDim, type ModelConfig } from '../src/model/config.js';
import type { Ops } from '../src/kernels/index.js';
import { paramSpecs } from '../src/model/params.js';
import { Rng } from '../src/util/rng.js';
import { measure, type Iterations, type Measured } from './lib/stats.js';
import type { OpsVariant } from './variants.js';

/** One op at one shape. */
interface OpCase {
  op: string;
  shapes: string;
  /** Calls per training step (forward; the backward of each comes with it). */
  calls: number;
  /** Inputs that get gradients, then constants. */
  make(): { diff: tf.Tensor[]; rest: tf.Tensor[] };
  /** Output from the inputs; differentiated with respect to `diff`. */
  forward?: (ops: Ops, diff: tf.Tensor[], rest: tf.Tensor[]) => tf.Tensor;
  /** Instead of `forward`, for the optimizer: updates in place, returns a tensor it wrote last. */
  update?: (ops: Ops, diff: tf.Tensor[], rest: tf.Tensor[]) => tf.Tensor;
}

export interface OpResult {
  op: string;
  shapes: string;
  calls: number;
  variant: string;
  /** Per call; undefined for the optimizer. */
  forward?: Measured;
  /** Per call: forward + backward, or the optimizer's update. */
  forwardBackward: Measured;
  /** Runs of the op per timed sample of forward + backward (small ops are repeated to amortise the read-back). */
  reps: number;
}

/** Seeded normals through our Rng (tfjs's seeded random ops do not load under the Node ES-module hook). */
function randn(shape: number[], seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
}

function randomIds(count: number, max: number, seed: number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Int32Array.from({ length: count }, () => rng.int(max)), [count], 'int32');
}
const fmtShape = (shape: readonly number[]) => shape.join('×');

/** The ops a training step of `config` at [batch, seqLen] calls, with their shapes and call counts. */
export function opCases(config: ModelConfig, batch: number, seqLen: number): OpCase[] {
  const n = batch * seqLen;
  const { dModel: d, ffnHidden: f, vocabSize: v, nLayers: layers, nHeads: h, nKvHeads: hkv } = config;
  const hd = headDim(config);
  const cases: OpCase[] = [];

  // Linear layers, merged by shape (q, k, v and o are one shape without grouped-query attention).
  const linears = new Map<string, { inF: number; outF: number; calls: number; roles: string[] }>();
  const addLinear = (role: string, inF: number, outF: number, calls: number) => {
    const key = `${inF}->${outF}`;
    const entry = linears.get(key) ?? { inF, outF, calls: 0, roles: [] };
    entry.calls += calls;
    entry.roles.push(role);
    linears.set(key, entry);
  };
  addLinear('q', d, h * hd, layers);
  addLinear('k', d, hkv * hd, layers);
  addLinear('v', d, hkv * hd, layers);
  addLinear('o', h * hd, d, layers);
  addLinear('gate', d, f, layers);
  addLinear('up', d, f, layers);
  addLinear('down', f, d, layers);
  addLinear('head', d, v, 1);
  for (const { inF, outF, calls, roles } of linears.values()) {
    cases.push({
      op: `linear ${roles.join(',')}`,
      shapes: `x ${fmtShape([n, inF])} · w ${fmtShape([outF, inF])}ᵀ`,
      calls,
      make: () => ({ diff: [randn([n, inF], 1), tf.mul(randn([outF, inF], 2), 0.05)], rest: [] }),
      forward: (ops, [x, w]) => ops.linear(x, w),
    });
  }

  cases.push({
    op: 'rmsNorm', shapes: fmtShape([batch, seqLen, d]), calls: 2 * layers + 1,
    make: () => ({ diff: [randn([batch, seqLen, d], 3), tf.add(1, tf.mul(randn([d], 4), 0.1))], rest: [] }),
    forward: (ops, [x, w]) => ops.rmsNorm(x, w, config.normEps),
  });
  const ropeTables = () => {
    const pos = tf.reshape(tf.range(0, seqLen), [seqLen, 1]);
    const freq = tf.mul(tf.reshape(tf.range(0, hd), [1, hd]), 0.01);
    const angle = tf.mul(pos, freq);
    return [tf.cos(angle), tf.sin(angle)];
  };
  for (const [heads, calls] of (hkv === h ? [[h, 2 * layers]] : [[h, layers], [hkv, layers]])) {
    cases.push({
      op: 'rope', shapes: fmtShape([batch, heads, seqLen, hd]), calls,
      make: () => ({ diff: [randn([batch, heads, seqLen, hd], 5)], rest: tf.tidy(ropeTables) }),
      forward: (ops, [x], [cos, sin]) => ops.rope(x as tf.Tensor4D, cos as tf.Tensor2D, sin as tf.Tensor2D),
    });
  }
  cases.push({
    op: 'attention', shapes: `q ${fmtShape([batch, h, seqLen, hd])}, kv ${fmtShape([batch, hkv, seqLen, hd])}`, calls: layers,
    make: () => ({ diff: [randn([batch, h, seqLen, hd], 6), randn([batch, hkv, seqLen, hd], 7), randn([batch, hkv, seqLen, hd], 8)], rest: [] }),
    forward: (ops, [q, k, val]) => ops.attention(q as tf.Tensor4D, k as tf.Tensor4D, val as tf.Tensor4D),
  });
  cases.push({
    op: 'swiglu', shapes: fmtShape([batch, seqLen, f]), calls: layers,
    make: () => ({ diff: [randn([batch, seqLen, f], 9), randn([batch, seqLen, f], 10)], rest: [] }),
    forward: (ops, [gate, up]) => ops.swiglu(gate, up),
  });
  cases.push({
    op: 'crossEntropy', shapes: `logits ${fmtShape([n, v])}`, calls: 1,
    make: () => ({
      diff: [randn([n, v], 11)],
      rest: [randomIds(n, v, 12), tf.ones([n])],
    }),
    forward: (ops, [logits], [targets, weights]) =>
      ops.crossEntropy(logits as tf.Tensor2D, targets as tf.Tensor1D, weights as tf.Tensor1D),
  });

  // The optimizer step over every parameter as the trainer runs it: the statistics (global gradient
  // norm, clipping scale, finite check) on the device, then AdamW gated and scaled by them. Params,
  // moments and gradients alternate in `diff` / `rest`; the summed loss comes last.
  const specs = paramSpecs(config);
  cases.push({
    op: 'stepStats + adamwStep (all params)', shapes: `${specs.length} tensors`, calls: 1,
    make: () => ({
      diff: specs.map((s, i) => tf.variable(tf.mul(randn(s.shape, 100 + i), 0.02))),
      rest: [
        ...specs.flatMap((s, i) => [tf.variable(tf.zeros(s.shape)), tf.variable(tf.zeros(s.shape)), tf.mul(randn(s.shape, 500 + i), 1e-3)]),
        tf.scalar(2.5),
      ],
    }),
    update: (ops, params, rest) => {
      const slots = params.map((param, i) => ({
        param: param as tf.Variable, grad: rest[3 * i + 2], m: rest[3 * i] as tf.Variable, v: rest[3 * i + 1] as tf.Variable, weightDecay: 0.1,
      }));
      const stats = ops.stepStats(rest[rest.length - 1] as tf.Scalar, slots.map((slot) => slot.grad), { accumulation: 1, clipNorm: 1 });
      ops.adamwStep(slots, stats, { lr: 1e-3, beta1: 0.9, beta2: 0.95, eps: 1e-8, step: 1 });
      stats.dispose();
      return params[params.length - 1];
    },
  });
  return cases;
}

/** Work launched once: what to free afterwards and what to read back to wait for it. */
interface Launched {
  free: tf.Tensor[];
  wait: tf.Tensor;
}

/**
 * Times `launch` per call. Small ops are repeated within a sample (sized to about `targetMs` from one
 * untimed run after the compile run) and only the last repetition is read back: the GPU queue runs in
 * order, so that read-back waits for all of them.
 */
async function timePerCall(name: string, launch: () => Launched, iterations: Iterations, targetMs: number): Promise<{ timing: Measured; reps: number }> {
  const once = async (reps: number) => {
    for (let r = 0; r < reps - 1; r++) tf.dispose(launch().free);
    const last = launch();
    const probe = tf.sum(last.wait);
    await probe.data();
    tf.dispose([probe, ...last.free]);
  };
  await once(1); // compile
  const start = performance.now();
  await once(1);
  const single = performance.now() - start;
  const reps = Math.max(1, Math.min(16, Math.round(targetMs / Math.max(single, 1e-3))));
  const m = await measure(`${name} x${reps}`, () => once(reps), iterations);
  const scale = (x: number) => x / reps;
  const timing: Measured = {
    samples: m.samples.map(scale), median: scale(m.median), p10: scale(m.p10), p90: scale(m.p90), min: scale(m.min), max: scale(m.max),
  };
  return { timing, reps };
}

/** Times every op of a step of `config` at [batch, seqLen] (or those named in `only`) with one kernel set. */
export async function benchOps(
  label: string, config: ModelConfig, batch: number, seqLen: number, variant: OpsVariant, ops: Ops, iterations: Iterations,
  only?: readonly string[],
): Promise<OpResult[]> {
  const results: OpResult[] = [];
  for (const c of opCases(config, batch, seqLen).filter((x) => !only || only.includes(x.op))) {
    const { diff, rest } = tf.tidy(() => c.make());
    const name = `${label} ${variant.name} ${c.op} ${c.shapes}`;
    let forward: Measured | undefined;
    let forwardBackward: Measured;
    let reps: number;
    if (c.update) {
      const update = c.update;
      ({ timing: forwardBackward, reps } = await timePerCall(`${name} update`, () => ({ free: [], wait: update(ops, diff, rest) }), iterations, 150));
    } else {
      const f = c.forward!;
      ({ timing: forward } = await timePerCall(`${name} fwd`, () => {
        const y = tf.tidy(() => f(ops, diff, rest));
        return { free: [y], wait: y };
      }, iterations, 100));
      const dy = tf.tidy(() => tf.onesLike(f(ops, diff, rest)));
      const grads = tf.grads((...xs: tf.Tensor[]) => f(ops, xs, rest));
      ({ timing: forwardBackward, reps } = await timePerCall(`${name} fwd+bwd`, () => {
        const gs = grads(diff, dy);
        return { free: gs, wait: gs[gs.length - 1] };
      }, iterations, 150));
      dy.dispose();
    }
    results.push({ op: c.op, shapes: c.shapes, calls: c.calls, variant: variant.name, forward, forwardBackward, reps });
    tf.dispose([...diff, ...rest]);
  }
  return results;
}
