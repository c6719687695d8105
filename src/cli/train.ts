import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { RandomWindowSampler, sequentialBatches } from '../data/batch.js';
import { readAll, readJsonlDocuments, readTextDocuments } from '../data/sources/index.js';
import { fileSource } from '../data/sources/node-lines.js';
import { syntheticCorpus } from '../data/synthetic/index.js';
import { encodeDocuments, splitTokens } from '../data/tokens.js';
import { PRESETS, resolveConfig, type PresetName } from '../model/config.js';
import { LlamaModel } from '../model/model.js';
import { countParams } from '../model/params.js';
import { initNodeBackend } from '../runtime/node-webgpu.js';
import type { BackendName } from '../runtime/backend.js';
import { checkpointFiles, parseCheckpoint } from '../store/checkpoint.js';
import { readCheckpointDir, writeCheckpointDir } from '../store/node-dir.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import { runTraining, type TrainProgress } from '../train/loop.js';
import { Trainer } from '../train/trainer.js';
import { ConfigError } from '../util/errors.js';
import { formatDuration, numberOption, stringOption, tokenizerOption } from './args.js';

export const TRAIN_OPTIONS = {
  data: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' },
  'batch-size': { type: 'string' }, 'seq-len': { type: 'string' }, accumulation: { type: 'string' },
  lr: { type: 'string' }, 'vocab-size': { type: 'string' }, tokenizer: { type: 'string' },
  seed: { type: 'string' }, 'eval-every': { type: 'string' }, 'save-every': { type: 'string' },
  out: { type: 'string' }, resume: { type: 'boolean' }, backend: { type: 'string' },
} as const;

/** `hephaestus-web train`: tokenizer, model, training with live progress, checkpoints. */
export async function trainCommand(values: Record<string, unknown>): Promise<void> {
  const out = stringOption(values, 'out', 'checkpoints/run');
  const seed = numberOption(values, 'seed', 0);
  const backend = await initNodeBackend({ prefer: backendOption(values) });
  log(`backend: ${backend.name} (${backend.adapter})${backend.fallbackReason ? `; WebGPU unavailable: ${backend.fallbackReason}` : ''}`);

  const resumeFrom = values.resume && existsSync(join(out, 'trainer_state.json'))
    ? parseCheckpoint(await readCheckpointDir(out), out) : undefined;
  const texts = await loadTexts(values.data as string | undefined, seed);
  const tokenizer = resumeFrom ? await loadTokenizer(resumeFrom.tokenizer) : await tokenizerOption(values, texts, PRESETS[presetOption(values)].vocabSize);
  const tokens = encodeDocuments(tokenizer, texts);
  const { train, validation } = splitTokens(tokens, 0.1);
  log(`data: ${texts.length} documents, ${tokens.length} tokens (${validation.length} held out), vocabulary ${tokenizer.vocabSize}`);

  const seqLen = numberOption(values, 'seq-len', 64);
  const batchSize = numberOption(values, 'batch-size', 8);
  const config = resumeFrom?.config ?? resolveConfig(presetOption(values), {
    vocabSize: tokenizer.vocabSize,
    contextLength: Math.max(seqLen, PRESETS[presetOption(values)].contextLength),
  });
  const model = LlamaModel.create(config, { seed, weights: resumeFrom?.weights });
  const trainer = new Trainer(model, {
    steps: numberOption(values, 'steps', 150),
    lr: numberOption(values, 'lr', 3e-3, false),
    minLr: numberOption(values, 'lr', 3e-3, false) / 10,
    accumulation: numberOption(values, 'accumulation', 1),
  });
  const sampler = new RandomWindowSampler(train, { batchSize, seqLen, seed });
  if (resumeFrom?.trainer && resumeFrom.optimizer) {
    trainer.restore(resumeFrom.trainer, resumeFrom.optimizer);
    sampler.restore(resumeFrom.trainer.batchSource);
    log(`resumed ${out} at step ${trainer.stepCount}`);
  }
  log(`model: ${countParams(config).toLocaleString('en')} parameters, ${config.nLayers} layers, width ${config.dModel}; ` +
    `${trainer.options.steps} steps of ${batchSize}x${seqLen} tokens`);

  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  const save = async (step: number) => {
    const files = await checkpointFiles(model, tokenizer.toFiles(), {
      trainer: { step, skippedSteps: trainer.skippedSteps, batchSource: sampler.state(), extra: { seed } },
      optimizer: await trainer.optimizer.saveState(),
    });
    await writeCheckpointDir(out, files);
  };
  await runTraining(trainer, sampler, {
    evalBatches: sequentialBatches(validation, batchSize, seqLen, 4),
    evalEvery: numberOption(values, 'eval-every', 50),
    saveEvery: numberOption(values, 'save-every', 50),
    onProgress: showProgress,
    onEval: ({ step, loss }) => log(`\nstep ${step}: validation loss ${loss.toFixed(4)}`),
    onSave: save,
    signal: abort.signal,
  });
  log(`\nsaved checkpoint to ${out} (config.json, model.safetensors, tokenizer.json, trainer_state.json)`);
  log(`try: hephaestus-web generate --checkpoint ${out} --prompt "<|user|>What is the weather in Paris?<|end|>"`);
}

async function loadTexts(file: string | undefined, seed: number): Promise<string[]> {
  if (file) {
    const jsonl = /\.jsonl?$/i.test(file);
    const { items } = await readAll(jsonl ? readJsonlDocuments(file, { openPath: fileSource }) : readTextDocuments(file, { openPath: fileSource }));
    return items.map((document) => document.text);
  }
  log('data: embedded synthetic agent sample (tool docs, trajectories, code, prose)');
  return syntheticCorpus({ seed }).map((document) => document.text);
}

function presetOption(values: Record<string, unknown>): PresetName {
  const preset = stringOption(values, 'preset', 'nano');
  if (!Object.hasOwn(PRESETS, preset)) throw new ConfigError('preset', `unknown preset "${preset}" (nano, tiny, small)`);
  return preset as PresetName;
}

function backendOption(values: Record<string, unknown>): BackendName | 'auto' {
  const name = stringOption(values, 'backend', 'auto');
  if (name !== 'auto' && name !== 'webgpu' && name !== 'cpu') throw new ConfigError('backend', `unknown backend "${name}" (auto, webgpu, cpu)`);
  return name;
}

function showProgress(progress: TrainProgress): void {
  const width = 24;
  const filled = Math.round((progress.step / progress.totalSteps) * width);
  const bar = '#'.repeat(filled) + '-'.repeat(width - filled);
  const line = `[${bar}] step ${progress.step}/${progress.totalSteps}  loss ${progress.loss.toFixed(4)}  ` +
    `${Math.round(progress.tokensPerSecond)} tok/s  ETA ${formatDuration(progress.etaSeconds)}` +
    (progress.skippedSteps ? `  skipped ${progress.skippedSteps}` : '');
  if (process.stderr.isTTY) process.stderr.write(`\r${line}`);
  else if (progress.step % 10 === 0 || progress.step === progress.totalSteps) process.stderr.write(`${line}\n`);
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
