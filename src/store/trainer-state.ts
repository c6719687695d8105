/**
 * `trainer_state.json`: the progress of a run, saved next to the weights so that it resumes exactly.
 * Every field is checked on load and a bad one is named, so a damaged or hand-edited file stops with a
 * clear message instead of resuming from a wrong step.
 * @module
 */
import type { BatchSourceState } from '../data/batch.js';
import { CheckpointError } from '../util/errors.js';

/** Progress of a training run. */
export interface TrainerState {
  /** Optimizer steps taken (skipped ones included). */
  step: number;
  /** Steps skipped for a non-finite loss or gradient; at most `step`. */
  skippedSteps: number;
  /** Position of the batch source (see `BatchSource.state`). */
  batchSource: BatchSourceState;
  /** Anything else the caller wants back (options, loss history): a JSON object. */
  extra: Record<string, unknown>;
}

/** The file's content: the state plus the optimizer's own update count. */
export interface SavedTrainerState extends TrainerState {
  optimizerStep: number;
}

const FIELDS = new Set(['step', 'skippedSteps', 'batchSource', 'extra', 'optimizerStep']);

/** Checks a parsed `trainer_state.json`; `source` names the file in errors, with the field at fault. */
export function parseTrainerState(json: unknown, source: string): SavedTrainerState {
  const fail = (field: string, why: string) => new CheckpointError(`${source}: field "${field}" ${why}`);
  const root = plainObject(json);
  if (!root) throw new CheckpointError(`${source}: must be a JSON object`);
  for (const key of Object.keys(root)) if (!FIELDS.has(key)) throw fail(key, 'is not a trainer-state field');
  const count = (field: string): number => {
    const value = root[field];
    if (value === undefined) throw fail(field, 'is missing');
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw fail(field, `must be a non-negative integer, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const step = count('step');
  const skippedSteps = count('skippedSteps');
  if (skippedSteps > step) throw fail('skippedSteps', `is ${skippedSteps}, more than the ${step} steps taken`);
  const optimizerStep = count('optimizerStep');
  if (optimizerStep > step) throw fail('optimizerStep', `is ${optimizerStep}, more than the ${step} steps taken`);
  if (root.batchSource === undefined) throw fail('batchSource', 'is missing');
  const batchSource = plainObject(root.batchSource);
  if (!batchSource) throw fail('batchSource', 'must be an object');
  const extra = root.extra === undefined ? {} : plainObject(root.extra);
  if (!extra) throw fail('extra', 'must be an object');
  return { step, skippedSteps, optimizerStep, batchSource: parseBatchSource(batchSource, fail), extra };
}

/** A batch source position of a known kind with every field of that kind; the source checks the values on restore. */
function parseBatchSource(value: Record<string, unknown>, fail: (field: string, why: string) => CheckpointError): BatchSourceState {
  const integer = (field: string): number => {
    const entry = value[field];
    if (typeof entry !== 'number' || !Number.isInteger(entry)) throw fail(`batchSource.${field}`, `must be an integer, got ${JSON.stringify(entry)}`);
    return entry;
  };
  if (value.kind === 'packed') {
    return { kind: 'packed', seed: integer('seed'), rows: integer('rows'), epoch: integer('epoch'), index: integer('index') };
  }
  if (value.kind === 'random-window') {
    const { rng } = value;
    const isWord = (word: unknown) => typeof word === 'number' && Number.isInteger(word) && word >= -0x80000000 && word <= 0xffffffff;
    if (!Array.isArray(rng) || rng.length !== 4 || !rng.every(isWord)) {
      throw fail('batchSource.rng', `must be four 32-bit integers, got ${JSON.stringify(rng)}`);
    }
    return { kind: 'random-window', rng: [rng[0], rng[1], rng[2], rng[3]] };
  }
  throw fail('batchSource.kind', `must be "random-window" or "packed", got ${JSON.stringify(value.kind)}`);
}

function plainObject(value: unknown): Record<string, unknown> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value));
}
