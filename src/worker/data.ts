/**
 * The worker's training data: what the page attached, turned into token streams for the current
 * tokenizer, a resumable batch source for a run's settings, and a fingerprint of the tokens so that a
 * resumed run can refuse data that is not the data it was trained on.
 * @module
 */
import { RandomWindowSampler, sequentialBatches, type Batch, type ResumableBatchSource } from '../data/batch.js';
import { readAll } from '../data/sources/stream.js';
import { readJsonlDocuments } from '../data/sources/jsonl.js';
import { encodeDocuments, splitTokens } from '../data/tokens.js';
import { packStage } from '../forge/builder.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { InputError } from '../util/errors.js';
import { sha256Hex } from '../util/sha256.js';
import type { DataSummary, RecordedRun, TrainingData } from './protocol.js';

/** Share of a document stream held out for validation. */
const VALIDATION_FRACTION = 0.1;
/** Validation batches at most. */
const VALIDATION_BATCHES = 4;

/** Attached data, tokenised lazily for one tokenizer. */
export class AttachedData {
  readonly data: TrainingData;
  /** The documents' texts (for `documents` and `files`), or the Forge stage's and evaluation texts. */
  readonly texts: string[];
  private streams: { tokenizer: Tokenizer; train: Int32Array; validation: Int32Array; fingerprint: string } | undefined;

  private constructor(data: TrainingData, texts: string[]) {
    this.data = data;
    this.texts = texts;
  }

  /** Reads the data (files are read here, in the worker). */
  static async read(data: TrainingData): Promise<AttachedData> {
    if (data.kind === 'documents') {
      if (!Array.isArray(data.texts) || data.texts.some((text) => typeof text !== 'string')) {
        throw new InputError('documents', 'texts must be an array of strings');
      }
      return new AttachedData(data, data.texts);
    }
    if (data.kind === 'files') {
      const texts: string[] = [];
      for (const file of data.files) {
        if (/\.jsonl$/i.test(file.name)) texts.push(...(await readAll(readJsonlDocuments(file))).items.map((document) => document.text));
        else texts.push(await file.text());
      }
      return new AttachedData(data, texts);
    }
    if (data.kind === 'forge') return new AttachedData(data, data.corpus.stages[data.stage].map((item) => item.document.text));
    throw new InputError('data', `unknown data kind ${JSON.stringify((data as { kind?: unknown }).kind)}`);
  }

  /** Tokens of the training stream and the validation tail, and the stream's fingerprint. */
  async tokens(tokenizer: Tokenizer): Promise<{ train: Int32Array; validation: Int32Array; fingerprint: string }> {
    if (this.streams?.tokenizer === tokenizer) return this.streams;
    let train: Int32Array;
    let validation: Int32Array;
    if (this.data.kind === 'forge') {
      train = Int32Array.from(this.data.corpus.stages[this.data.stage].flatMap((item) => Array.from(item.ids)));
      validation = encodeDocuments(tokenizer, this.data.corpus.evaluation.map((document) => document.text));
    } else {
      ({ train, validation } = splitTokens(encodeDocuments(tokenizer, this.texts), VALIDATION_FRACTION));
    }
    const fingerprint = await sha256Hex(new Uint8Array(train.buffer, train.byteOffset, train.byteLength));
    this.streams = { tokenizer, train, validation, fingerprint };
    return this.streams;
  }

  async summary(tokenizer: Tokenizer | undefined): Promise<DataSummary> {
    if (!tokenizer) return { documents: this.texts.length, trainTokens: 0, validationTokens: 0, fingerprint: null };
    const { train, validation, fingerprint } = await this.tokens(tokenizer);
    return { documents: this.texts.length, trainTokens: train.length, validationTokens: validation.length, fingerprint };
  }

  /** The batch source of a run (at its start) and the validation batches. */
  async batches(tokenizer: Tokenizer, run: RecordedRun): Promise<{ source: ResumableBatchSource; evalBatches: Batch[] }> {
    const { train, validation } = await this.tokens(tokenizer);
    const rows = Math.min(run.batchSize, Math.floor((validation.length - 1) / run.seqLen));
    const evalBatches = rows >= 1 ? sequentialBatches(validation, rows, run.seqLen, VALIDATION_BATCHES) : [];
    if (this.data.kind === 'forge') {
      const source = packStage(this.data.corpus, this.data.stage, { seqLen: run.seqLen, batchSize: run.batchSize, seed: run.seed, tokenizer });
      return { source, evalBatches };
    }
    return { source: new RandomWindowSampler(train, { batchSize: run.batchSize, seqLen: run.seqLen, seed: run.seed }), evalBatches };
  }
}
