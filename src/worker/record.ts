/**
 * A run's settings as its checkpoints record them (`trainer_state.json`, field `extra`): what
 * `train({ resume: true })` restores, checked field by field, and the settings of a new run from a
 * request and the defaults.
 * @module
 */
import type { ModelConfig } from '../model/config.js';
import type { Checkpoint } from '../store/checkpoint.js';
import type { TrainerState } from '../store/trainer-state.js';
import type { AdamWState } from '../train/adamw.js';
import { DEFAULT_TRAIN_OPTIONS, validateTrainOptions } from '../train/trainer.js';
import { CheckpointError, ConfigError, InputError } from '../util/errors.js';
import type { RecordedRun, TrainRequest } from './protocol.js';

/** What a run continues from: the trainer's counters and data position, the optimizer, its settings, its losses. */
export interface TrainingState {
  trainer: TrainerState;
  optimizer: AdamWState;
  run: RecordedRun;
  /** `[step, loss]` of every step so far. */
  history: [number, number][];
}

const DEFAULT_BATCH_SIZE = 8;
const DEFAULT_SEQ_LEN = 64;

/** Fields a resumed run keeps; a request that gives another value is refused, naming the field. */
const KEPT = ['batchSize', 'seqLen', 'lr', 'minLr', 'warmupSteps', 'weightDecay', 'clipNorm', 'accumulation', 'seed'] as const;

/**
 * The settings of a run: a resumed run's recorded ones (only `steps` may grow; the data must be the
 * same), else the request's over the defaults, checked.
 */
export function recordFor(request: TrainRequest, config: ModelConfig, fingerprint: string, previous?: RecordedRun): RecordedRun {
  if (request.resume && previous) {
    for (const field of KEPT) {
      const given = request[field];
      if (given !== undefined && given !== previous[field]) {
        throw new ConfigError(`train.${field}`, `is ${given}, but the run being resumed has ${previous[field]} (a resumed run keeps its settings)`);
      }
    }
    if (fingerprint && fingerprint !== previous.dataFingerprint) {
      throw new InputError('data', `the attached data is not the data this run trained on (token stream SHA-256 ${fingerprint.slice(0, 12)}…, ` +
        `the checkpoint records ${previous.dataFingerprint.slice(0, 12)}…): attach the same documents with the same tokenizer to resume exactly`);
    }
    const steps = request.steps ?? previous.steps;
    if (!Number.isInteger(steps) || steps < previous.steps) throw new ConfigError('train.steps', `must be an integer >= the run's ${previous.steps}, got ${steps}`);
    return { ...previous, steps };
  }
  const lr = request.lr ?? DEFAULT_TRAIN_OPTIONS.lr;
  const record: RecordedRun = {
    steps: request.steps ?? DEFAULT_TRAIN_OPTIONS.steps,
    batchSize: request.batchSize ?? DEFAULT_BATCH_SIZE,
    seqLen: request.seqLen ?? Math.min(DEFAULT_SEQ_LEN, config.contextLength),
    lr,
    minLr: request.minLr ?? lr / 10,
    warmupSteps: request.warmupSteps ?? Math.min(DEFAULT_TRAIN_OPTIONS.warmupSteps, request.steps ?? DEFAULT_TRAIN_OPTIONS.steps),
    weightDecay: request.weightDecay ?? DEFAULT_TRAIN_OPTIONS.weightDecay,
    clipNorm: request.clipNorm ?? DEFAULT_TRAIN_OPTIONS.clipNorm,
    accumulation: request.accumulation ?? DEFAULT_TRAIN_OPTIONS.accumulation,
    seed: request.seed ?? 0,
    evalEvery: request.evalEvery ?? 0,
    stage: request.stage ?? 'train',
    dataFingerprint: fingerprint,
  };
  for (const field of ['batchSize', 'seqLen', 'seed', 'evalEvery'] as const) {
    if (!Number.isInteger(record[field]) || record[field] < (field === 'seed' || field === 'evalEvery' ? 0 : 1)) {
      throw new ConfigError(`train.${field}`, `must be a ${field === 'seed' || field === 'evalEvery' ? 'non-negative' : 'positive'} integer, got ${record[field]}`);
    }
  }
  if (record.seqLen > config.contextLength) throw new ConfigError('train.seqLen', `${record.seqLen} exceeds the model's context of ${config.contextLength} tokens`);
  validateTrainOptions({ ...DEFAULT_TRAIN_OPTIONS, ...record });
  return record;
}

/** The recorded run and loss history of `extra`, each field checked; `source` names the file. */
export function readRecordedRun(extra: Record<string, unknown>, source: string): { run: RecordedRun; history: [number, number][] } {
  const fail = (field: string, why: string) => new CheckpointError(`${source}: field "extra.${field}" ${why}`);
  const run = extra.run;
  if (typeof run !== 'object' || run === null || Array.isArray(run)) throw fail('run', 'must be an object (this checkpoint was not saved by the trainer worker)');
  const fields = run as Record<string, unknown>;
  const number = (field: keyof RecordedRun): number => {
    const value = fields[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw fail(`run.${field}`, `must be a non-negative number, got ${JSON.stringify(value)}`);
    return value;
  };
  const text = (field: 'stage' | 'dataFingerprint'): string => {
    const value = fields[field];
    if (typeof value !== 'string') throw fail(`run.${field}`, `must be a string, got ${JSON.stringify(value)}`);
    return value;
  };
  const record: RecordedRun = {
    steps: number('steps'), batchSize: number('batchSize'), seqLen: number('seqLen'), lr: number('lr'), minLr: number('minLr'),
    warmupSteps: number('warmupSteps'), weightDecay: number('weightDecay'), clipNorm: number('clipNorm'), accumulation: number('accumulation'),
    seed: number('seed'), evalEvery: number('evalEvery'), stage: text('stage'), dataFingerprint: text('dataFingerprint'),
  };
  const history = extra.history ?? [];
  const isPair = (pair: unknown) => Array.isArray(pair) && pair.length === 2 && pair.every((value) => typeof value === 'number' || value === null);
  if (!Array.isArray(history) || !history.every(isPair)) throw fail('history', 'must be a list of [step, loss] pairs');
  return { run: record, history: history as [number, number][] };
}

/** The training state of a checkpoint with its recorded run, or undefined when it has none. */
export function trainingStateOf(checkpoint: Checkpoint, source: string): TrainingState | undefined {
  // A pipeline's checkpoint resumes through runPipeline, with its stage plan.
  if (!checkpoint.trainer || !checkpoint.optimizer || checkpoint.trainer.extra.pipeline !== undefined) return undefined;
  const { run, history } = readRecordedRun(checkpoint.trainer.extra, `${source}/trainer_state.json`);
  return { trainer: checkpoint.trainer, optimizer: checkpoint.optimizer as AdamWState, run, history };
}
