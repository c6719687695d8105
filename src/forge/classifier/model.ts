/**
 * The agent classifier's model (fastText's supervised model, two labels): features of a text as a
 * weighted bag of bucket ids, the SGD update of one example, and training of the weights.
 * @module
 */
import { Rng } from '../../util/rng.js';
import { throwIfAborted } from '../../util/errors.js';
import { forEachFeature, type ResolvedFeatureOptions } from '../../text/index.js';

/** The classifier's two labels. `agent`: tool docs, function calls, trajectories, API-using code. */
export type AgentLabel = 'agent' | 'general';

/** One training or evaluation example. */
export interface LabeledText {
  text: string;
  label: AgentLabel;
}

/** Progress reported once per epoch by {@link AgentClassifier.train}. */
export interface ClassifierProgress {
  /** Epochs finished (1-based). */
  epoch: number;
  epochs: number;
  /** Examples seen so far over all epochs. */
  examples: number;
  /** Mean cross-entropy of this epoch's examples (before each one's update). */
  loss: number;
  /** Learning rate after this epoch. */
  lr: number;
  elapsedMs: number;
  /** Estimated time to finish, from the mean epoch time so far. */
  etaMs: number;
}

/** Architecture fields stored with the weights. */
export interface ClassifierConfig extends ResolvedFeatureOptions {
  dim: number;
  buckets: number;
}

/** A classifier's weights: the architecture and its three float32 arrays. */
export interface ClassifierWeights {
  config: ClassifierConfig;
  /** Embedding table, `buckets x dim`, row-major. */
  input: Float32Array;
  /** Output layer, `2 x dim` (row 0 general, row 1 agent). */
  output: Float32Array;
  bias: Float32Array;
}

/** Label order of the output layer. */
export const LABELS: readonly AgentLabel[] = ['general', 'agent'];
/** Index of `agent` in {@link LABELS}: the positive class. */
export const AGENT = 1;

/** Feature ids (bucket indices) of one text, repeats kept. */
export function featureIds(text: string, config: ClassifierConfig): Int32Array {
  let ids = new Int32Array(256);
  let n = 0;
  forEachFeature(text, config, (hash) => {
    if (n === ids.length) {
      const grown = new Int32Array(ids.length * 2);
      grown.set(ids);
      ids = grown;
    }
    ids[n++] = hash % config.buckets;
  });
  return ids.subarray(0, n);
}

/**
 * Distinct ids of a bag (in order of first appearance) and each one's share of the bag (count / size).
 * `scratch` is a zeroed Int32Array of at least `buckets` entries, zeroed again before returning.
 */
export function weightedBag(ids: Int32Array, scratch: Int32Array): { ids: Int32Array; weights: Float32Array } {
  const distinct = new Int32Array(ids.length);
  const weights = new Float32Array(ids.length);
  const share = ids.length > 0 ? 1 / ids.length : 0;
  let n = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    const slot = scratch[id];
    if (slot > 0) {
      weights[slot - 1] += share;
    } else {
      distinct[n] = id;
      weights[n] = share;
      scratch[id] = ++n;
    }
  }
  for (let i = 0; i < n; i++) scratch[distinct[i]] = 0;
  return { ids: distinct.slice(0, n), weights: weights.slice(0, n) };
}

/**
 * One SGD update on one example (fastText's supervised update): hidden = sum of weighted embedding rows,
 * two-class softmax, gradient into the output layer and bias, then back into each embedding row.
 * Returns the example's cross-entropy before the update. Kept small and monomorphic so V8 optimises it.
 */
function sgdStep(
  input: Float32Array, output: Float32Array, bias: Float32Array, hidden: Float64Array, grad: Float64Array,
  dim: number, flat: Int32Array, weights: Float32Array, start: number, end: number, y: number, lr: number,
): number {
  accumulateRows(input, hidden, dim, flat, weights, start, end);
  let z0 = bias[0];
  let z1 = bias[1];
  for (let d = 0; d < dim; d++) {
    z0 += output[d] * hidden[d];
    z1 += output[dim + d] * hidden[d];
  }
  const p1 = 1 / (1 + Math.exp(z0 - z1));
  const loss = -Math.log(Math.max(y === AGENT ? p1 : 1 - p1, 1e-12));
  // d loss / d z_c = p_c - y_c; step alpha_c = lr * (y_c - p_c).
  const a1 = lr * ((y === AGENT ? 1 : 0) - p1);
  const a0 = -a1;
  for (let d = 0; d < dim; d++) {
    grad[d] = a0 * output[d] + a1 * output[dim + d];
    output[d] += a0 * hidden[d];
    output[dim + d] += a1 * hidden[d];
  }
  bias[0] += a0;
  bias[1] += a1;
  // Embedding rows: row += weight * grad (unrolled by 4; V8 does not vectorise).
  const tail = dim - (dim % 4);
  for (let f = start; f < end; f++) {
    const row = flat[f] * dim;
    const w = weights[f];
    let d = 0;
    for (; d < tail; d += 4) {
      input[row + d] += w * grad[d];
      input[row + d + 1] += w * grad[d + 1];
      input[row + d + 2] += w * grad[d + 2];
      input[row + d + 3] += w * grad[d + 3];
    }
    for (; d < dim; d++) input[row + d] += w * grad[d];
  }
  return loss;
}

/**
 * hidden = sum over f in [start, end) of weights[f] * input row flat[f] (unrolled by 4). Written out like
 * the row update in {@link sgdStep} on purpose: one shared helper over Float32Array and Float64Array is
 * polymorphic, and measured about a third slower training.
 */
export function accumulateRows(
  input: Float32Array, hidden: Float64Array, dim: number, flat: Int32Array, weights: Float32Array, start: number, end: number,
): void {
  hidden.fill(0);
  const tail = dim - (dim % 4);
  for (let f = start; f < end; f++) {
    const row = flat[f] * dim;
    const w = weights[f];
    let d = 0;
    for (; d < tail; d += 4) {
      hidden[d] += w * input[row + d];
      hidden[d + 1] += w * input[row + d + 1];
      hidden[d + 2] += w * input[row + d + 2];
      hidden[d + 3] += w * input[row + d + 3];
    }
    for (; d < dim; d++) hidden[d] += w * input[row + d];
  }
}

/** How {@link trainWeights} runs: passes, learning rate, seed, cancellation and progress. */
export interface TrainRun {
  epochs: number;
  lr: number;
  seed: number;
  signal?: AbortSignal;
  onProgress?: (progress: ClassifierProgress) => void;
}

/**
 * Trains the weights of `config` on checked examples: seeded initialisation, then `epochs` passes of
 * SGD in a seeded shuffled order with the learning rate decayed linearly to 0 over all updates.
 */
export function trainWeights(examples: readonly LabeledText[], config: ClassifierConfig, run: TrainRun): ClassifierWeights {
  const { epochs, lr: lr0, seed } = run;
  const { dim, buckets } = config;
  const rng = new Rng(seed);
  const input = new Float32Array(buckets * dim);
  const scale = 1 / dim;
  for (let i = 0; i < input.length; i++) input[i] = (rng.next() * 2 - 1) * scale;
  const output = new Float32Array(LABELS.length * dim);
  const bias = new Float32Array(LABELS.length);

  // Features once, up front: each example's distinct bucket ids with
  // weight count / total, so the hidden vector is sum(weight * row), exactly the mean over repeats.
  const offsets = new Int32Array(examples.length + 1);
  const scratch = new Int32Array(buckets);
  const perExample = examples.map((example, i) => {
    if (i % 256 === 0) throwIfAborted(run.signal, 'classifier training');
    const bag = weightedBag(featureIds(example.text, config), scratch);
    offsets[i + 1] = offsets[i] + bag.ids.length;
    return bag;
  });
  const flat = new Int32Array(offsets[examples.length]);
  const weights = new Float32Array(offsets[examples.length]);
  perExample.forEach((bag, i) => {
    flat.set(bag.ids, offsets[i]);
    weights.set(bag.weights, offsets[i]);
  });
  perExample.length = 0;
  const labels = Uint8Array.from(examples, (example) => LABELS.indexOf(example.label));

  const hidden = new Float64Array(dim);
  const grad = new Float64Array(dim);
  const order = Array.from(examples, (_, i) => i);
  const total = epochs * examples.length;
  const started = Date.now();
  let step = 0;
  for (let epoch = 0; epoch < epochs; epoch++) {
    rng.shuffle(order);
    let lossSum = 0;
    for (let k = 0; k < order.length; k++, step++) {
      if (k % 256 === 0) throwIfAborted(run.signal, 'classifier training');
      const i = order[k];
      const lr = lr0 * (1 - step / total);
      lossSum += sgdStep(input, output, bias, hidden, grad, dim, flat, weights, offsets[i], offsets[i + 1], labels[i], lr);
    }
    const elapsedMs = Date.now() - started;
    run.onProgress?.({
      epoch: epoch + 1,
      epochs,
      examples: step,
      loss: lossSum / Math.max(1, order.length),
      lr: lr0 * (1 - step / total),
      elapsedMs,
      etaMs: (elapsedMs / (epoch + 1)) * (epochs - epoch - 1),
    });
  }
  return { config, input, output, bias };
}
