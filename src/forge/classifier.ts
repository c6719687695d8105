/**
 * Agent classifier (Hephaestus-Forge step "keep only agent-like documents"): a fastText-style supervised
 * model written here. A text becomes a bag of hashed features (word unigrams and bigrams, character 3-5-grams
 * of each word with boundary markers, see {@link forEachFeature}); their embedding rows are averaged into a
 * hidden vector; a linear layer and a softmax over the two labels (`general`, `agent`) give the probability.
 * Training is plain SGD on the cross-entropy, one example at a time (fastText's update: output layer, then
 * each feature row by the hidden gradient divided by the number of features), with a learning rate that
 * decays linearly to zero, over a seeded shuffle of the examples each epoch (same seed, same bytes).
 * Browser-safe (no Node imports).
 * @module
 */
import { ConfigError, InputError, throwIfAborted } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  type FeatureOptions, type ResolvedFeatureOptions, forEachFeature, resolveFeatureOptions,
} from '../text/features.js';

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

/**
 * Options of {@link AgentClassifier.train}. The inherited {@link FeatureOptions} default here to word
 * unigrams + bigrams (`wordNgrams` 2), character 3-5-grams (`minn` 3, `maxn` 5) and the first 512 tokens
 * of each text (`maxTokens` 512).
 */
export interface ClassifierTrainOptions extends FeatureOptions {
  /** Embedding size. Default 16. */
  dim?: number;
  /** Hash buckets (rows of the embedding table). Default 2^18. */
  buckets?: number;
  /** Passes over the training set. Default 5. */
  epochs?: number;
  /** Initial learning rate, decayed linearly to 0 over all updates. Default 0.25. */
  lr?: number;
  /** Seed of the weight initialisation and of the per-epoch shuffles. Default 0. */
  seed?: number;
  /** Cancels training between examples (checked every 256 examples); throws `AbortedError`. */
  signal?: AbortSignal;
  /** Called after every epoch. */
  onProgress?: (progress: ClassifierProgress) => void;
}

/** Result of {@link AgentClassifier.predict}. */
export interface AgentPrediction {
  /** `agent` when `probability >= threshold` (0.5 unless given). */
  label: AgentLabel;
  /** Probability that the text is agent data, in [0, 1]. */
  probability: number;
}

/** Confusion counts with `agent` as the positive class. */
export interface Confusion {
  truePositive: number;
  falsePositive: number;
  trueNegative: number;
  falseNegative: number;
}

/** Metrics of {@link AgentClassifier.evaluate}; precision, recall and F1 are for the `agent` class. */
export interface ClassifierMetrics {
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: Confusion;
  /** Number of examples evaluated. */
  count: number;
}

/** Architecture fields stored with the weights. */
export interface ClassifierConfig extends ResolvedFeatureOptions {
  dim: number;
  buckets: number;
}

/** Label order of the output layer. */
const LABELS: readonly AgentLabel[] = ['general', 'agent'];
const AGENT = 1;

const MAGIC = [0x48, 0x43, 0x4c, 0x53]; // "HCLS"
const FORMAT = 'hephaestus-agent-classifier';
const VERSION = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function checkInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/** Feature ids (bucket indices) of one text, repeats kept. */
function featureIds(text: string, config: ClassifierConfig): Int32Array {
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
function weightedBag(ids: Int32Array, scratch: Int32Array): { ids: Int32Array; weights: Float32Array } {
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
function accumulateRows(
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

/**
 * A fastText-style agent-vs-general classifier. Create one with {@link AgentClassifier.train} or
 * {@link AgentClassifier.fromBytes}.
 */
export class AgentClassifier {
  /** Architecture (embedding size, buckets, n-gram settings). */
  readonly config: Readonly<ClassifierConfig>;
  /** Embedding table, `buckets x dim`, row-major. */
  private readonly input: Float32Array;
  /** Output layer, `2 x dim` (row 0 general, row 1 agent). */
  private readonly output: Float32Array;
  private readonly bias: Float32Array;
  /** Zeroed work table for {@link weightedBag}, allocated on first prediction. */
  private scratch: Int32Array | undefined;

  private constructor(config: ClassifierConfig, input: Float32Array, output: Float32Array, bias: Float32Array) {
    this.config = Object.freeze({ ...config });
    this.input = input;
    this.output = output;
    this.bias = bias;
  }

  /**
   * Trains a classifier on labelled texts (both labels must be present). Synchronous: with the defaults,
   * about 6,900 documents (5 epochs) train in about 3 s in Node on a 2-core machine; run it in a worker in a
   * page. Memory: the table (`buckets * dim` float32, 16 MiB by default) plus each example's distinct feature
   * ids.
   * @throws ConfigError for a bad option, InputError for bad examples, AbortedError when `signal` fires.
   */
  static train(examples: readonly LabeledText[], options: ClassifierTrainOptions = {}): AgentClassifier {
    const features = resolveFeatureOptions({ ...options, maxTokens: options.maxTokens ?? 512 }, 'classifier');
    const config: ClassifierConfig = {
      ...features,
      dim: options.dim ?? 16,
      buckets: options.buckets ?? 1 << 18,
    };
    const epochs = options.epochs ?? 5;
    const lr0 = options.lr ?? 0.25;
    const seed = options.seed ?? 0;
    checkInt('classifier.dim', config.dim, 1, 1024);
    checkInt('classifier.buckets', config.buckets, 1, 1 << 24);
    checkInt('classifier.epochs', epochs, 1, 10_000);
    if (!(Number.isFinite(lr0) && lr0 > 0)) throw new ConfigError('classifier.lr', `must be a positive number, got ${lr0}`);
    if (!Number.isFinite(seed)) throw new ConfigError('classifier.seed', `must be a finite number, got ${seed}`);
    const counts = [0, 0];
    examples.forEach((example, i) => {
      const index = LABELS.indexOf(example?.label);
      if (index < 0) throw new InputError('classifier examples', `example ${i} has label ${JSON.stringify(example?.label)}; expected "agent" or "general"`);
      if (typeof example.text !== 'string') throw new InputError('classifier examples', `example ${i} has no text string`);
      counts[index]++;
    });
    if (counts[0] === 0 || counts[1] === 0) {
      throw new InputError('classifier examples', `need both labels to train; got ${counts[1]} agent and ${counts[0]} general`);
    }

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
      if (i % 256 === 0) throwIfAborted(options.signal, 'classifier training');
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
        if (k % 256 === 0) throwIfAborted(options.signal, 'classifier training');
        const i = order[k];
        const lr = lr0 * (1 - step / total);
        lossSum += sgdStep(input, output, bias, hidden, grad, dim, flat, weights, offsets[i], offsets[i + 1], labels[i], lr);
      }
      const elapsedMs = Date.now() - started;
      options.onProgress?.({
        epoch: epoch + 1,
        epochs,
        examples: step,
        loss: lossSum / Math.max(1, order.length),
        lr: lr0 * (1 - step / total),
        elapsedMs,
        etaMs: (elapsedMs / (epoch + 1)) * (epochs - epoch - 1),
      });
    }
    return new AgentClassifier(config, input, output, bias);
  }

  /** Probability that `text` is agent data. */
  probability(text: string): number {
    const { dim } = this.config;
    this.scratch ??= new Int32Array(this.config.buckets);
    const { ids, weights } = weightedBag(featureIds(text, this.config), this.scratch);
    const hidden = new Float64Array(dim);
    accumulateRows(this.input, hidden, dim, ids, weights, 0, ids.length);
    let z0 = this.bias[0];
    let z1 = this.bias[1];
    for (let d = 0; d < dim; d++) {
      z0 += this.output[d] * hidden[d];
      z1 += this.output[dim + d] * hidden[d];
    }
    return 1 / (1 + Math.exp(z0 - z1));
  }

  /** Label and agent probability of one text; `agent` when the probability is at least `threshold`. */
  predict(text: string, threshold = 0.5): AgentPrediction {
    const probability = this.probability(text);
    return { label: probability >= threshold ? 'agent' : 'general', probability };
  }

  /** Accuracy, and precision / recall / F1 of the `agent` class, on labelled examples. */
  evaluate(examples: readonly LabeledText[], threshold = 0.5): ClassifierMetrics {
    const confusion: Confusion = { truePositive: 0, falsePositive: 0, trueNegative: 0, falseNegative: 0 };
    examples.forEach((example, i) => {
      if (example?.label !== 'agent' && example?.label !== 'general') {
        throw new InputError('classifier examples', `example ${i} has label ${JSON.stringify(example?.label)}; expected "agent" or "general"`);
      }
      const predicted = this.predict(example.text, threshold).label;
      if (example.label === 'agent') {
        if (predicted === 'agent') confusion.truePositive++;
        else confusion.falseNegative++;
      } else if (predicted === 'agent') confusion.falsePositive++;
      else confusion.trueNegative++;
    });
    const { truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn } = confusion;
    const count = examples.length;
    const precision = tp + fp > 0 ? tp / (tp + fp) : 0;
    const recall = tp + fn > 0 ? tp / (tp + fn) : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { accuracy: count > 0 ? (tp + tn) / count : 0, precision, recall, f1, confusion, count };
  }

  /**
   * Serialises the weights: magic `HCLS`, a little-endian u32 header length, a UTF-8 JSON header
   * (`format`, `version`, `labels`, and the {@link ClassifierConfig}), zero padding to a multiple of 4,
   * then little-endian float32 arrays: embedding table (`buckets * dim`), output layer (`2 * dim`), bias (2).
   */
  toBytes(): Uint8Array {
    const { dim, buckets, wordNgrams, minn, maxn, maxTokens } = this.config;
    // Fixed key order, so equal models give equal bytes however they were made.
    const header = new TextEncoder().encode(JSON.stringify({
      format: FORMAT, version: VERSION, labels: LABELS, dim, buckets, wordNgrams, minn, maxn, maxTokens,
    }));
    const dataStart = align4(8 + header.length);
    const floats = this.input.length + this.output.length + this.bias.length;
    const bytes = new Uint8Array(dataStart + floats * 4);
    bytes.set(MAGIC, 0);
    new DataView(bytes.buffer).setUint32(4, header.length, true);
    bytes.set(header, 8);
    let offset = dataStart;
    for (const array of [this.input, this.output, this.bias]) {
      writeFloats(bytes, offset, array);
      offset += array.length * 4;
    }
    return bytes;
  }

  /**
   * Loads weights written by {@link AgentClassifier.toBytes}.
   * @param name how errors refer to the bytes (e.g. the file they came from).
   * @throws InputError naming what is wrong (magic, header, version, sizes, non-finite weights).
   */
  static fromBytes(bytes: Uint8Array, name = 'agent classifier weights'): AgentClassifier {
    const fail = (message: string): never => {
      throw new InputError(name, message);
    };
    if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
    if (bytes.length < 8) fail(`only ${bytes.length} bytes; not an agent classifier file`);
    if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
      fail(`bad magic ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 4)))}; expected "HCLS" (not an agent classifier file)`);
    }
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = view.getUint32(4, true);
    if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end (${bytes.length} bytes)`);
    let header: Record<string, unknown> = {};
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
    } catch (cause) {
      fail(`header is not valid UTF-8 JSON: ${String(cause)}`);
    }
    if (typeof header !== 'object' || header === null) fail('header is not a JSON object');
    if (header.format !== FORMAT) fail(`header format ${JSON.stringify(header.format)}; expected "${FORMAT}"`);
    if (header.version !== VERSION) fail(`unsupported version ${JSON.stringify(header.version)}; this library reads version ${VERSION}`);
    if (JSON.stringify(header.labels) !== JSON.stringify(LABELS)) fail(`header labels ${JSON.stringify(header.labels)}; expected ${JSON.stringify(LABELS)}`);
    const int = (field: keyof ClassifierConfig, min: number, max: number): number => {
      const value = header[field];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        fail(`header field "${field}" is ${JSON.stringify(value)}; expected an integer in [${min}, ${max}]`);
      }
      return value as number;
    };
    const config: ClassifierConfig = {
      dim: int('dim', 1, 1024),
      buckets: int('buckets', 1, 1 << 24),
      wordNgrams: int('wordNgrams', 1, 5),
      minn: int('minn', 0, 16),
      maxn: int('maxn', 0, 16),
      maxTokens: int('maxTokens', 1, 1 << 24),
    };
    const dataStart = align4(8 + headerLength);
    const sizes = [config.buckets * config.dim, LABELS.length * config.dim, LABELS.length];
    const expected = dataStart + sizes.reduce((a, b) => a + b, 0) * 4;
    if (bytes.length !== expected) {
      fail(`${bytes.length} bytes, but dim ${config.dim} and ${config.buckets} buckets need exactly ${expected} (truncated or corrupt)`);
    }
    let offset = dataStart;
    const [input, output, bias] = sizes.map((size) => {
      const array = readFloats(bytes, offset, size);
      offset += size * 4;
      return array;
    });
    for (const [label, array] of [['embedding', input], ['output', output], ['bias', bias]] as const) {
      for (let i = 0; i < array.length; i++) {
        if (!Number.isFinite(array[i])) fail(`non-finite ${label} weight at index ${i}`);
      }
    }
    return new AgentClassifier(config, input, output, bias);
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function writeFloats(bytes: Uint8Array, offset: number, array: Float32Array): void {
  if (LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, array.length * 4);
  for (let i = 0; i < array.length; i++) view.setFloat32(i * 4, array[i], true);
}

function readFloats(bytes: Uint8Array, offset: number, length: number): Float32Array {
  const out = new Float32Array(length);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + length * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * 4);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Options of {@link splitExamples}. */
export interface SplitOptions<T> {
  /** Share of each label that goes to the test side, in (0, 1). Default 0.2. */
  testFraction?: number;
  /** Shuffle seed. Default 0. */
  seed?: number;
  /**
   * Optional group keys (e.g. the API or function names a document is about, or its source file):
   * examples that share any key, directly or through others, land on the same side, so no key appears on
   * both sides. An example with no keys is a group of its own. A group counts toward the label of its
   * first example.
   */
  groupBy?: (example: T) => string | readonly string[];
}

/**
 * Seeded split stratified by label: each label's examples (or groups, with `groupBy`) are shuffled and
 * about `testFraction` of that label's examples go to `test` (at least one group when a label has two or
 * more). Order within each side is shuffled. Same seed and input, same split.
 */
export function splitExamples<T extends { label: AgentLabel }>(
  examples: readonly T[],
  options: SplitOptions<T> = {},
): { train: T[]; test: T[] } {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ConfigError('split.testFraction', `must be in (0, 1), got ${testFraction}`);
  }
  examples.forEach((example, i) => {
    if (example?.label !== 'agent' && example?.label !== 'general') {
      throw new InputError('split examples', `example ${i} has label ${JSON.stringify(example?.label)}; expected "agent" or "general"`);
    }
  });
  const rng = new Rng(options.seed ?? 0);
  const groupBy = options.groupBy;
  // Union-find over examples joined by shared keys; groups in order of first appearance (deterministic).
  const parent = Int32Array.from(examples, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  if (groupBy) {
    const owner = new Map<string, number>();
    examples.forEach((example, i) => {
      const keys = groupBy(example);
      for (const key of typeof keys === 'string' ? [keys] : keys) {
        const other = owner.get(key);
        if (other === undefined) owner.set(key, i);
        else {
          const [a, b] = [find(other), find(i)];
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        }
      }
    });
  }
  const groups = new Map<number, T[]>();
  examples.forEach((example, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(example);
    else groups.set(root, [example]);
  });
  const train: T[] = [];
  const test: T[] = [];
  for (const label of LABELS) {
    const labelGroups = rng.shuffle([...groups.values()].filter((group) => group[0].label === label));
    const size = labelGroups.reduce((sum, group) => sum + group.length, 0);
    const target = Math.round(size * testFraction);
    let inTest = 0;
    let inTrain = 0;
    labelGroups.forEach((group, g) => {
      const several = labelGroups.length >= 2;
      const wantTest = inTest < target || (several && g === 0);
      const mustTrain = several && g === labelGroups.length - 1 && inTrain === 0;
      if (wantTest && !mustTrain) {
        test.push(...group);
        inTest += group.length;
      } else {
        train.push(...group);
        inTrain += group.length;
      }
    });
  }
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}
