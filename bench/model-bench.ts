/**
 * Model benchmarks: full training step (forward + backward + clipping + AdamW through `Trainer`),
 * forward + backward alone, forward alone, and memory of a step, for one preset and one ops variant.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Batch, BatchSource } from '../src/data/batch.js';
import { PRESETS, headDim, resolveConfig, type ModelConfig, type PresetName } from '../src/model/config.js';
import { LlamaModel } from '../src/model/model.js';
import { countParams } from '../src/model/params.js';
import type { BackendName } from '../src/runtime/backend.js';
import { Trainer } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';
import { matmulTextureBytes, releaseMatmulTextures } from '../src/kernels/matmul/index.js';
import { profileKernels, type KernelProfile } from './lib/kernel-profile.js';
import { countLaunches, type Launches } from './lib/launches.js';
import { measure, progress, type Iterations, type Measured } from './lib/stats.js';
import type { OpsVariant } from './variants.js';

/** One model size and batch shape. */
export interface ModelCase {
  preset: PresetName;
  batchSize: number;
  seqLen: number;
  vocabSize: number;
  /** Iterations of the full step. */
  step: Iterations;
  /** Iterations of forward + backward without the optimizer; left out where too slow (CPU). */
  forwardBackward?: Iterations;
  /** Iterations of the forward pass (cheaper, so usually more). */
  forward: Iterations;
}

/** What one (case, backend, variant) measured. */
export interface ModelResult {
  label: string;
  backend: BackendName;
  variant: string;
  params: number;
  tokensPerStep: number;
  /** Matmul FLOPs of one training step (3x the forward's), see {@link trainingFlops}. */
  flopsPerStep: number;
  step: Measured;
  forwardBackward?: Measured;
  forward: Measured;
  /** One extra, untimed step under the profiler: kernels, time per kernel name, peak tensor bytes. */
  profile: KernelProfile;
  /** GPU compute dispatches of that step (WebGPU only). */
  launches?: Launches;
  memory: {
    /** Bytes held by tensors between steps (weights, moments, tables). */
    restingBytes: number;
    /** High-water mark of tensor bytes during one step (sampled after every kernel by `tf.profile`). */
    peakBytes: number;
    tensorsBefore: number;
    tensorsAfter: number;
    /** Bytes of the textures our matmul keeps for its operands (outside tfjs's count; 0 for stock). */
    textureBytes: number;
  };
}

export function caseLabel(c: ModelCase): string {
  return `${c.preset} B${c.batchSize} T${c.seqLen} V${c.vocabSize}`;
}

/** The preset at the case's vocabulary, its context stretched to the case's sequence length where longer. */
export function caseConfig(c: Pick<ModelCase, 'preset' | 'seqLen' | 'vocabSize'>): ModelConfig {
  return resolveConfig(c.preset, { vocabSize: c.vocabSize, contextLength: Math.max(PRESETS[c.preset].contextLength, c.seqLen) });
}

/**
 * Matmul FLOPs of one training step: forward projections, attention scores and values over the full
 * T x T square (what the stock composition computes; the causal half is masked, not skipped) and the
 * output head, times 3 for forward + backward (two matmuls per forward one). Elementwise work is left
 * out, as usual for model FLOP utilisation.
 */
export function trainingFlops(config: ModelConfig, batchSize: number, seqLen: number): number {
  const tokens = batchSize * seqLen;
  const d = config.dModel;
  const qWidth = config.nHeads * headDim(config);
  const kvWidth = config.nKvHeads * headDim(config);
  const projections = 2 * tokens * (d * qWidth + 2 * d * kvWidth + qWidth * d + 3 * d * config.ffnHidden);
  const attention = 2 * 2 * batchSize * config.nHeads * seqLen * seqLen * headDim(config);
  const head = 2 * tokens * d * config.vocabSize;
  return 3 * (config.nLayers * (projections + attention) + head);
}

/** Always the same batch: the bench measures compute, not data loading. */
class FixedBatchSource implements BatchSource {
  constructor(private readonly batch: Batch) {}
  next(): Batch {
    return this.batch;
  }
}

function randomBatch(batchSize: number, seqLen: number, vocabSize: number, seed: number): Batch {
  const rng = new Rng(seed);
  const n = batchSize * seqLen;
  const inputs = new Int32Array(n);
  const targets = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    inputs[i] = rng.int(vocabSize);
    targets[i] = rng.int(vocabSize);
  }
  return { batchSize, seqLen, inputs, targets, mask: new Float32Array(n).fill(1) };
}

/** Waits until every queued kernel that wrote `t` has run (a scalar read-back; WebGPU queues are in order). */
async function syncOn(t: tf.Tensor): Promise<void> {
  const probe = tf.tidy(() => tf.sum(t));
  await probe.data();
  probe.dispose();
}

export async function benchModel(c: ModelCase, backend: BackendName, variant: OpsVariant): Promise<ModelResult> {
  const label = `${caseLabel(c)} ${backend} ${variant.name}`;
  if (backend === 'webgpu') releaseMatmulTextures(); // so the texture count below is this variant's
  const config = caseConfig(c);
  const model = LlamaModel.create(config, { seed: 0, ops: variant.opsFor(backend) });
  // Many planned steps so the cosine schedule stays near its peak; no warm-up ramp.
  const trainer = new Trainer(model, { steps: 1_000_000, warmupSteps: 0 });
  const batch = randomBatch(c.batchSize, c.seqLen, c.vocabSize, 1);
  const source = new FixedBatchSource(batch);
  const shape: [number, number] = [c.batchSize, c.seqLen];
  const variables = [...model.params.values()];
  const lastUpdated = variables[variables.length - 1];

  // (2) forward only: logits, reduced to a scalar that is read back.
  const tokens = tf.tensor2d(batch.inputs, shape, 'int32');
  const forward = await measure(`${label} forward`, async () => {
    const total = tf.tidy(() => tf.sum(model.forward(tokens)));
    await total.data();
    total.dispose();
  }, c.forward);
  tokens.dispose();

  // Forward + backward without the optimizer: the step minus this is clipping + AdamW.
  const forwardBackward = !c.forwardBackward ? undefined : await measure(`${label} fwd+bwd`, async () => {
    const { value, grads } = tf.variableGrads(() => tf.tidy(() => model.loss(
      tf.tensor2d(batch.inputs, shape, 'int32'),
      tf.tensor2d(batch.targets, shape, 'int32'),
      tf.tensor2d(batch.mask, shape, 'float32'),
    )), variables);
    // Any read-back waits for everything submitted before it (in-order queue).
    const probe = tf.tidy(() => tf.add(value, tf.sum(grads[variables[0].name])));
    await probe.data();
    tf.dispose([probe, value, grads]);
  }, c.forwardBackward);

  // (1) full step through the Trainer. Its own read-back (loss, grad norm) happens before AdamW,
  // so wait for the last parameter update too.
  const fullStep = async (): Promise<void> => {
    await trainer.step(source);
    await syncOn(lastUpdated);
  };
  for (let i = 0; i < c.step.warmup; i++) {
    await fullStep(); // the first one also creates the AdamW moments
    progress(`${label} step: warm-up ${i + 1}/${c.step.warmup}`);
  }
  const tensorsBefore = tf.memory().numTensors;
  const step = await measure(`${label} step`, fullStep, { warmup: 0, iters: c.step.iters });
  const tensorsAfter = tf.memory().numTensors;

  // (4) memory and time per kernel: one more step under the profiler (not part of the timings).
  progress(`${label}: profiling one step`);
  const restingBytes = tf.memory().numBytes;
  const { result: profile, launches } = backend === 'webgpu'
    ? await countLaunches(() => profileKernels(fullStep))
    : { result: await profileKernels(fullStep), launches: undefined };
  const textureBytes = backend === 'webgpu' ? matmulTextureBytes() : 0;

  trainer.dispose();
  model.dispose();
  return {
    label: caseLabel(c),
    backend,
    variant: variant.name,
    params: countParams(config),
    tokensPerStep: c.batchSize * c.seqLen,
    flopsPerStep: trainingFlops(config, c.batchSize, c.seqLen),
    step,
    forwardBackward,
    forward,
    profile,
    launches,
    memory: {
      restingBytes,
      peakBytes: Math.max(profile.peakBytes, restingBytes),
      tensorsBefore,
      tensorsAfter,
      textureBytes,
    },
  };
}
