/**
 * Agent classifier (Hephaestus-Forge step "keep only agent-like documents"): a fastText-style supervised
 * model written here. A text becomes a bag of hashed features (word unigrams and bigrams, character 3-5-grams
 * of each word with boundary markers: `forEachFeature` of `src/text`); their embedding rows are averaged into a
 * hidden vector; a linear layer and a softmax over the two labels (`general`, `agent`) give the probability.
 * Training is plain SGD on the cross-entropy, one example at a time (fastText's update: output layer, then
 * each feature row by the hidden gradient divided by the number of features), with a learning rate that
 * decays linearly to zero, over a seeded shuffle of the examples each epoch (same seed, same bytes).
 * Browser-safe (no Node imports).
 * @module
 */
import { ConfigError, InputError } from '../util/errors.js';
import { resolveFeatureOptions, type FeatureOptions } from '../text/index.js';
import {
  LABELS, accumulateRows, featureIds, trainWeights, weightedBag,
  type AgentLabel, type ClassifierConfig, type ClassifierProgress, type ClassifierWeights, type LabeledText,
} from './classifier/model.js';
import { decodeWeights, encodeWeights } from './classifier/weights-file.js';

export type { AgentLabel, LabeledText, ClassifierProgress, ClassifierConfig } from './classifier/model.js';
export { splitExamples } from './classifier/split.js';
export type { SplitOptions } from './classifier/split.js';

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

function checkInt(field: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer in [${min}, ${max}], got ${String(value)}`);
  }
}

/**
 * A fastText-style agent-vs-general classifier. Create one with {@link AgentClassifier.train} or
 * {@link AgentClassifier.fromBytes}.
 */
export class AgentClassifier {
  /** Architecture (embedding size, buckets, n-gram settings). */
  readonly config: Readonly<ClassifierConfig>;
  private readonly weights: ClassifierWeights;
  /** Zeroed work table for bag-of-features lookups, allocated on first prediction. */
  private scratch: Int32Array | undefined;

  private constructor(weights: ClassifierWeights) {
    this.config = Object.freeze({ ...weights.config });
    this.weights = weights;
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

    return new AgentClassifier(trainWeights(examples, config, { epochs, lr: lr0, seed, signal: options.signal, onProgress: options.onProgress }));
  }

  /** Probability that `text` is agent data. */
  probability(text: string): number {
    const { dim } = this.config;
    this.scratch ??= new Int32Array(this.config.buckets);
    const { ids, weights } = weightedBag(featureIds(text, this.config), this.scratch);
    const hidden = new Float64Array(dim);
    const { input, output, bias } = this.weights;
    accumulateRows(input, hidden, dim, ids, weights, 0, ids.length);
    let z0 = bias[0];
    let z1 = bias[1];
    for (let d = 0; d < dim; d++) {
      z0 += output[d] * hidden[d];
      z1 += output[dim + d] * hidden[d];
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

  /** The weights in the classifier file format (see `classifier/weights-file.ts`); equal models give equal bytes. */
  toBytes(): Uint8Array {
    return encodeWeights(this.weights);
  }

  /**
   * Loads weights written by {@link AgentClassifier.toBytes}.
   * @param name how errors refer to the bytes (e.g. the file they came from).
   * @throws InputError naming what is wrong (magic, header, version, sizes, non-finite weights).
   */
  static fromBytes(bytes: Uint8Array, name = 'agent classifier weights'): AgentClassifier {
    return new AgentClassifier(decodeWeights(bytes, name));
  }
}
