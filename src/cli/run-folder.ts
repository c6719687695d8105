/**
 * The `train` command's run folder: opening it safely (fresh or resumed), reading back what a resumed
 * run needs (checked against the options given), saving checkpoints, and the save-point test hook.
 * @module
 */
import { join } from 'node:path';
import {
  CheckpointError, HF_FILES, InputError, PRESETS, loadTokenizer, openCheckpointFolder, parseCheckpoint, readCheckpointFolder,
  type AdamWState, type CheckpointFolder, type CheckpointInfo, type CheckpointStoreOptions, type ModelConfig, type PresetName,
  type Tokenizer, type TrainerState,
} from '../node.js';
import { log, shellQuote } from './common.js';

/** The options a run records in its checkpoints, so that `--resume` alone continues it exactly. */
export interface RunRecord {
  /** The data file, or null for the embedded sample. */
  data: string | null;
  batchSize: number;
  seqLen: number;
  accumulation: number;
  lr: number;
  steps: number;
}

/** A run folder opened for training, with what a resumed run restores. */
export interface OpenedRun {
  folder: CheckpointFolder;
  resumed?: {
    info: CheckpointInfo;
    source: string;
    config: ModelConfig;
    weights: Map<string, Float32Array>;
    tokenizer: Tokenizer;
    trainer: TrainerState;
    optimizer: AdamWState;
    /** The recorded options, when the checkpoint has them. */
    record?: RunRecord;
  };
}

/** Options that decide how the run folder is opened. */
export interface RunFolderOptions {
  out: string;
  keep: number;
  /** Undefined for a fresh run; `current` or a checkpoint id to resume. */
  resumeFrom?: string;
}

/**
 * Opens `--out`: for a fresh run it must hold no checkpoints; to resume it must hold the one asked for,
 * which is verified and decoded here, before any data is read. The folder's lock is held on return.
 */
export async function openRun(options: RunFolderOptions): Promise<OpenedRun> {
  if (options.resumeFrom !== undefined) {
    const existing = await readCheckpointFolder(options.out).catch((error: unknown) => {
      if (error instanceof CheckpointError && error.problem === 'missing') {
        throw new InputError('--resume', `${options.out} holds no checkpoint to resume (start without --resume to begin a new run there)`);
      }
      throw error;
    });
    if ((await existing.list()).length === 0) throw new InputError('--resume', `${options.out} holds no checkpoint to resume`);
  }
  const folder = await openCheckpointFolder(options.out, { keepLast: options.keep, onSavePoint: savePointHook() });
  try {
    if (folder.lock.tookOverFrom) log(`took over the stale lock of pid ${folder.lock.tookOverFrom.pid} in ${options.out}`);
    if (options.resumeFrom === undefined) {
      const latest = (await folder.store.list()).at(-1);
      if (latest) {
        throw new InputError('--out', `${options.out} already holds checkpoints of a run (latest: ${latest.id}, step ${latest.step}); ` +
          'pass --resume to continue it, or choose another --out; nothing was changed');
      }
      return { folder };
    }
    return { folder, resumed: await loadResumed(folder, options.resumeFrom === 'current' ? undefined : options.resumeFrom) };
  } catch (error) {
    await folder.release();
    throw error;
  }
}

async function loadResumed(folder: CheckpointFolder, id: string | undefined): Promise<NonNullable<OpenedRun['resumed']>> {
  const { info, files } = await folder.store.load(id).catch((error: unknown) => {
    if (error instanceof CheckpointError && error.previousGood) {
      throw new CheckpointError(`${error.message}: resume from it with --resume-from ${error.previousGood}`, { problem: 'corrupt', previousGood: error.previousGood });
    }
    throw error;
  });
  const source = join(folder.dir, info.id);
  const checkpoint = parseCheckpoint(files, source);
  if (!checkpoint.trainer || !checkpoint.optimizer) throw new CheckpointError(`${source}: holds no training state (trainer_state.json) to resume`);
  return {
    info, source, config: checkpoint.config, weights: checkpoint.weights, trainer: checkpoint.trainer, optimizer: checkpoint.optimizer,
    tokenizer: await loadTokenizer(checkpoint.tokenizer), record: readRecord(checkpoint.trainer.extra, `${source}/trainer_state.json`),
  };
}

/** The run options saved in `extra.run`, each field checked; undefined when the checkpoint has none. */
function readRecord(extra: Record<string, unknown>, source: string): RunRecord | undefined {
  const run = extra.run;
  if (run === undefined) return undefined;
  const fail = (field: string, why: string) => new CheckpointError(`${source}: field "extra.run${field ? `.${field}` : ''}" ${why}`);
  if (typeof run !== 'object' || run === null || Array.isArray(run)) throw fail('', 'must be an object');
  const fields = Object.fromEntries(Object.entries(run));
  const positive = (field: string, integer: boolean): number => {
    const value = fields[field];
    if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
      throw fail(field, `must be a positive ${integer ? 'integer' : 'number'}, got ${JSON.stringify(value)}`);
    }
    return value;
  };
  const data = fields.data;
  if (data !== null && (typeof data !== 'string' || data === '')) throw fail('data', 'must be a file path or null');
  return {
    data, batchSize: positive('batchSize', true), seqLen: positive('seqLen', true), accumulation: positive('accumulation', true),
    lr: positive('lr', false), steps: positive('steps', true),
  };
}

/**
 * Refuses model options that disagree with a resumed checkpoint, naming the option and the field:
 * a resumed run keeps its model and tokenizer.
 */
export function checkResumedModel(config: ModelConfig, source: string, given: { preset?: PresetName; vocabSize?: number; tokenizer?: string }): void {
  if (given.tokenizer !== undefined) throw new InputError('--tokenizer', `a resumed run keeps the tokenizer of its checkpoint (${source})`);
  if (given.vocabSize !== undefined && given.vocabSize !== config.vocabSize) {
    throw new InputError('--vocab-size', `is ${given.vocabSize}, but the checkpoint ${source} has vocabSize ${config.vocabSize}`);
  }
  if (given.preset === undefined) return;
  const preset = PRESETS[given.preset];
  const fields = ['dModel', 'nLayers', 'nHeads', 'nKvHeads', 'ffnHidden', 'ropeTheta', 'normEps', 'tieEmbeddings'] as const;
  const differs = fields.find((field) => preset[field] !== config[field]);
  if (differs) {
    throw new InputError('--preset', `${given.preset} does not match the checkpoint ${source}: ${differs} is ${String(config[differs])} there, ` +
      `${String(preset[differs])} in ${given.preset} (resume without --preset, or start a new run in another --out)`);
  }
}

/** Prints where a checkpoint is and how to use it (paths quoted for the shell). */
export function describeCheckpoint(out: string, info: CheckpointInfo): void {
  const folder = join(out, info.id);
  log(`checkpoint: step ${info.step} in ${folder} (${HF_FILES.join(', ')}; trainer_state.json and optimizer.safetensors to resume)`);
  log(`  Hugging Face: AutoModelForCausalLM.from_pretrained(${JSON.stringify(folder)})`);
  log(`  try: hephaestus-web generate --checkpoint ${shellQuote(out)} --prompt ${shellQuote('<|user|>What is the weather in Paris?<|end|>')}`);
}

/**
 * Test hook for the kill-safety tests: `HEPHAESTUS_SAVE_TRACE=1` prints every save point to stderr, and
 * `HEPHAESTUS_SAVE_PAUSE=<point>:<ms>` also sleeps there, so that a test can kill inside that window.
 */
function savePointHook(): CheckpointStoreOptions['onSavePoint'] {
  const pause = /^([a-z-]+):(\d+)$/.exec(process.env.HEPHAESTUS_SAVE_PAUSE ?? '');
  if (!pause && process.env.HEPHAESTUS_SAVE_TRACE !== '1') return undefined;
  return async (point, detail) => {
    const sleep = pause?.[1] === point ? Number(pause[2]) : 0;
    process.stderr.write(`save-point ${point} ${detail}${sleep ? ` (pausing ${sleep} ms)` : ''}\n`);
    if (sleep) await new Promise((resolve) => setTimeout(resolve, sleep));
  };
}
