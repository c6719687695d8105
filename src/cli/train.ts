import { resolve } from 'node:path';
import {
  AbortedError, CheckpointError, InputError, LlamaModel, NonFiniteError, PRESETS, RandomWindowSampler, Trainer, countParams,
  encodeDocuments, errorMessage, fileSource, initNodeBackend, readAll, readJsonlDocuments, readTextDocuments, resolveConfig,
  runTraining, sequentialBatches, splitTokens, syntheticCorpus, checkpointFiles,
  type Batch, type CheckpointInfo, type SaveRequest,
} from '../node.js';
import { defineCommand } from './command.js';
import {
  BACKEND_OPTION, PRESET_OPTION, SEED_OPTION, TOKENIZER_OPTIONS, interruptOnCtrlC, log, progressPrinter, requireFile, requireTokenizerFolder, shellQuote,
  tokenizerFor,
} from './common.js';
import type { GivenOptions, OptionValues } from './options.js';
import { checkResumedModel, describeCheckpoint, openRun, type OpenedRun, type RunRecord } from './run-folder.js';

const TRAIN_OPTIONS = {
  data: {
    type: 'string', arg: 'file', defaultText: 'the embedded synthetic agent sample',
    help: '.txt (one document) or .jsonl (one object with a "text" field per line)',
  },
  preset: PRESET_OPTION,
  steps: { type: 'integer', min: 1, default: 150, help: 'optimizer steps in all (a resumed run continues up to this count)' },
  'batch-size': { type: 'integer', min: 1, default: 8, help: 'sequences per micro-batch' },
  'seq-len': { type: 'integer', min: 1, default: 64, help: 'tokens per sequence, at most the preset\'s context' },
  accumulation: { type: 'integer', min: 1, default: 1, help: 'micro-batches per optimizer step' },
  lr: { type: 'number', above: 0, default: 3e-3, help: 'peak learning rate (warm-up, then cosine decay to a tenth)' },
  ...TOKENIZER_OPTIONS,
  seed: SEED_OPTION,
  'eval-every': { type: 'integer', min: 0, default: 50, help: 'validation loss every N steps (0: only after the last)' },
  'save-every': { type: 'integer', min: 0, default: 50, help: 'checkpoint every N steps (0: only after the last); Ctrl-C also saves' },
  keep: { type: 'integer', min: 1, default: 3, help: 'checkpoints kept in --out; older ones are deleted after a save' },
  out: { type: 'string', arg: 'folder', default: 'checkpoints/run', help: 'run folder: missing, empty, or one holding our checkpoints' },
  resume: { type: 'boolean', help: 'continue the run in --out from its current checkpoint (its options are the defaults)' },
  'resume-from': { type: 'string', arg: 'checkpoint', help: 'continue from this checkpoint of --out instead, e.g. step-000050' },
  backend: BACKEND_OPTION,
} as const;

type TrainValues = OptionValues<typeof TRAIN_OPTIONS>;

/** `hephaestus-web train`: tokenizer, model, training with live progress, checkpoints that are never lost. */
export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train a Llama-style model on a text or JSONL file (or the embedded sample), with checkpoints',
  details: [
    'Checkpoints go to per-step subfolders of --out (each a Hugging Face folder) named by its manifest.json;',
    'Ctrl-C saves the step reached and exits 130. Exit codes: 0 done, 1 internal error, 2 bad input',
    '(option, file, checkpoint), 3 training diverged (the last good checkpoint is kept), 130 interrupted.',
  ].join('\n'),
  options: TRAIN_OPTIONS,
  async run(values, given) {
    const resumeFrom = values.resumeFrom ?? (values.resume ? 'current' : undefined);
    if (resumeFrom === undefined && values.seqLen > PRESETS[values.preset].contextLength) {
      throw new InputError('--seq-len', `${values.seqLen} exceeds the context of preset ${values.preset} (${PRESETS[values.preset].contextLength} tokens): use a larger --preset or a shorter --seq-len`);
    }
    if (values.tokenizer !== undefined) {
      if (given.has('vocabSize')) throw new InputError('--vocab-size', 'cannot be combined with --tokenizer (the tokenizer decides the vocabulary)');
      await requireTokenizerFolder('--tokenizer', values.tokenizer);
    }
    if (values.data !== undefined) await requireFile('--data', values.data);
    const run = await openRun({ out: values.out, keep: values.keep, resumeFrom });
    try {
      await train(values, given, run);
    } finally {
      await run.folder.release();
    }
  },
});

async function train(values: TrainValues, given: GivenOptions<typeof TRAIN_OPTIONS>, run: OpenedRun): Promise<void> {
  const { resumed } = run;
  if (resumed) {
    checkResumedModel(resumed.config, resumed.source, {
      preset: given.has('preset') ? values.preset : undefined,
      vocabSize: given.has('vocabSize') ? values.vocabSize : undefined,
      tokenizer: values.tokenizer,
    });
  }
  const record = runRecord(values, given, resumed?.record);
  if (resumed) {
    if (record.seqLen > resumed.config.contextLength) {
      throw new InputError('--seq-len', `${record.seqLen} exceeds the checkpoint's context of ${resumed.config.contextLength} tokens`);
    }
    if (resumed.trainer.step >= record.steps) {
      throw new InputError('--steps', `the checkpoint ${resumed.source} is at step ${resumed.trainer.step}, not below --steps ${record.steps}: ` +
        `the run is complete; pass a larger --steps to train further`);
    }
    if (record.data !== null && !given.has('data')) {
      await requireFile('--data', record.data).catch(() => {
        throw new InputError('--data', `the run's data file ${record.data} (recorded in its checkpoints) is not there; name it with --data`);
      });
    }
  }

  const backend = await initNodeBackend({ prefer: values.backend });
  log(`backend: ${backend.name} (${backend.adapter})${backend.fallbackReason ? `; WebGPU unavailable: ${backend.fallbackReason}` : ''}`);
  const texts = await loadTexts(record.data, values.seed);
  const tokenizer = resumed?.tokenizer ?? await tokenizerFor(values.tokenizer, texts, values.vocabSize ?? PRESETS[values.preset].vocabSize);
  const tokens = encodeDocuments(tokenizer, texts);
  const { train: trainTokens, validation } = splitTokens(tokens, 0.1);
  log(`data: ${texts.length} documents, ${tokens.length} tokens (${validation.length} held out), vocabulary ${tokenizer.vocabSize}`);
  const evalBatches = validationBatches(validation, record.batchSize, record.seqLen);

  const config = resumed?.config ?? resolveConfig(values.preset, { vocabSize: tokenizer.vocabSize });
  const model = LlamaModel.create(config, { seed: values.seed, weights: resumed?.weights });
  const trainer = new Trainer(model, { steps: record.steps, lr: record.lr, minLr: record.lr / 10, accumulation: record.accumulation });
  const sampler = new RandomWindowSampler(trainTokens, { batchSize: record.batchSize, seqLen: record.seqLen, seed: values.seed });
  if (resumed) {
    trainer.restore(resumed.trainer, resumed.optimizer);
    try {
      sampler.restore(resumed.trainer.batchSource);
    } catch (error) {
      throw new CheckpointError(`${resumed.source}/trainer_state.json: field "batchSource": ${errorMessage(error)}`);
    }
    log(`resumed ${resumed.source} at step ${trainer.stepCount}`);
  }
  log(`model: ${countParams(config).toLocaleString('en')} parameters, ${config.nLayers} layers, width ${config.dModel}; ` +
    `${trainer.options.steps} steps of ${record.batchSize}x${record.seqLen} tokens`);

  let saved: CheckpointInfo | undefined = resumed?.info;
  const save = async ({ step, loss }: SaveRequest) => {
    const files = await checkpointFiles(model, tokenizer.toFiles(), {
      trainer: { step, skippedSteps: trainer.skippedSteps, batchSource: sampler.state(), extra: { run: { ...record } } },
      optimizer: await trainer.optimizer.saveState(),
    });
    saved = await run.folder.store.save(files, { step, loss, stage: 'train' });
    log(`saved ${saved.id} (step ${step})`);
  };
  const stop = interruptOnCtrlC();
  try {
    await runTraining(trainer, sampler, {
      evalBatches, evalEvery: values.evalEvery, saveEvery: values.saveEvery, signal: stop.signal,
      onProgress: progressPrinter(),
      onEval: ({ step, loss }) => log(`step ${step}: validation loss ${loss.toFixed(4)}`),
      onSave: save,
    });
  } catch (error) {
    const kept = saved ? `the last good checkpoint ${saved.id} (step ${saved.step}) in ${values.out} is kept` : 'no checkpoint was saved';
    if (error instanceof NonFiniteError) throw new NonFiniteError(`${error.message}; ${kept}`);
    if (error instanceof AbortedError && saved) {
      log(`interrupted: ${saved.id} (step ${saved.step}) is saved; continue with: hephaestus-web train --out ${shellQuote(values.out)} --resume`);
    }
    throw error;
  } finally {
    stop.dispose();
    trainer.dispose();
    model.dispose();
  }
  if (saved) describeCheckpoint(values.out, saved);
}

/** The options of this run: given ones win; otherwise a resumed run's recorded ones, then the defaults. */
function runRecord(values: TrainValues, given: GivenOptions<typeof TRAIN_OPTIONS>, recorded: RunRecord | undefined): RunRecord {
  const pick = <K extends keyof RunRecord & keyof TrainValues>(key: K, value: RunRecord[K]): RunRecord[K] =>
    given.has(key) || recorded === undefined ? value : recorded[key];
  return {
    // Recorded as an absolute path: a resumed run may start in another folder.
    data: pick('data', values.data === undefined ? null : resolve(values.data)),
    batchSize: pick('batchSize', values.batchSize), seqLen: pick('seqLen', values.seqLen), accumulation: pick('accumulation', values.accumulation),
    lr: pick('lr', values.lr), steps: pick('steps', values.steps),
  };
}

async function loadTexts(file: string | null, seed: number): Promise<string[]> {
  if (file === null) {
    log('data: embedded synthetic agent sample (tool docs, trajectories, code, prose)');
    return syntheticCorpus({ seed }).map((document) => document.text);
  }
  const source = fileSource(file);
  const { items } = await readAll(/\.jsonl?$/i.test(file) ? readJsonlDocuments(source) : readTextDocuments(source));
  return items.map((document) => document.text);
}

/** Up to 4 batches over the held-out tail, with fewer rows when it is short; a notice when it holds none. */
function validationBatches(validation: Int32Array, batchSize: number, seqLen: number): Batch[] {
  const rows = Math.min(batchSize, Math.floor((validation.length - 1) / seqLen));
  if (rows < 1) {
    log(`validation: the ${validation.length} held-out tokens are fewer than one sequence of ${seqLen + 1}; no validation loss ` +
      '(give more data or a shorter --seq-len)');
    return [];
  }
  if (rows < batchSize) log(`validation: held-out tokens fill ${rows} of ${batchSize} rows; validating on ${rows}-row batches`);
  return sequentialBatches(validation, rows, seqLen, 4);
}
