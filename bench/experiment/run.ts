/**
 * `npm run experiment`: the toy replication of the Hephaestus claim (issue 11). One base model (the
 * nano preset pre-trained on general text and code only), then five arms from it for each seed
 * (src/recipe/experiment.ts), each evaluated with the BFCL runner on held-out and seen functions and
 * with benchmark loss on held-out agent data and general text; the EXPERIMENTS.md section and the
 * curves (docs/experiment-curves.svg) are written from the results on disk.
 *
 *   npm run experiment                      run or continue everything in runs/experiment, then report
 *   npm run experiment -- --seeds 3         seeds per arm (default 3)
 *   ... --out DIR                           where the runs go (default runs/experiment; never committed)
 *   ... --scale 0.5                         every token budget times this (the report goes to stdout only)
 *   ... --smoke                             one seed, budgets x 0.02, 4 + 2 items: checks the whole path in minutes
 *   ... --report-only                       no training: the report from what is on disk
 *
 * Resumable: a killed sitting continues at the same arm, seed, stage and step. A progress line per arm
 * and seed goes to stderr.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { initNodeBackend, resolveConfig, type PipelineBase, type PipelineEvent } from '../../src/node.js';
import { armStages, EXPERIMENT_ARMS, type ExperimentArm } from '../../src/recipe/experiment.js';
import { parsePipelinePlan } from '../../src/recipe/pipeline-plan.js';
import type { StagePlan } from '../../src/recipe/run-plan.js';
import { evaluateRun, loadRunModel, readJson, trainRun, writeJsonAtomic, type EvalResult, type TrainResult } from './arm.js';
import { renderCurves } from './chart.js';
import { renderExperiment, replaceExperimentSection, type ArmRun, type ExperimentRecord } from './report.js';
import { experimentSettings, type ExperimentSettings } from './settings.js';
import { prepareData, type ExperimentData } from './setup.js';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '3' },
    out: { type: 'string', default: 'runs/experiment' },
    scale: { type: 'string', default: '1' },
    'report-only': { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
  },
});
const seeds = values.smoke ? 1 : Number(values.seeds);
const scale = values.smoke ? 0.02 : Number(values.scale);
if (!Number.isInteger(seeds) || seeds < 1) throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);
if (!(scale > 0)) throw new Error(`--scale must be a positive number, got ${values.scale}`);
const out = values.out;
const settings = experimentSettings(scale, values.smoke ? { heldOutItems: 4, seenItems: 2 } : undefined);

const log = (line: string) => process.stderr.write(`[experiment ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

/** A progress line per stage start and per quarter of a stage. */
function progressLine(name: string): (event: PipelineEvent) => void {
  let lastQuarter = -1;
  return (event) => {
    if (event.kind === 'stage-start') {
      lastQuarter = -1;
      log(`${name}: ${event.stage} (${event.index + 1}/${event.stages}), ${event.steps} steps${event.fromStep ? `, resumed at step ${event.fromStep}` : ''}`);
    } else if (event.kind === 'step') {
      const quarter = Math.floor((4 * event.progress.step) / event.progress.totalSteps);
      if (quarter > lastQuarter) {
        lastQuarter = quarter;
        const p = event.progress;
        log(`${name}: ${event.stage} step ${p.step}/${p.totalSteps}, loss ${p.loss.toFixed(3)}, ${Math.round(p.tokensPerSecond)} tokens/s, pipeline step ${event.globalStep}/${event.totalSteps}`);
      }
    } else if (event.kind === 'benchmark') {
      log(`${name}: benchmark at ${event.point.stage} step ${event.point.step}: agent ${event.point.agent?.toFixed(4)}, general ${event.point.general?.toFixed(4)}`);
    }
  };
}

function pipelinePlan(stages: StagePlan[], s: ExperimentSettings) {
  return parsePipelinePlan({ stages, checkpointEvery: s.checkpointEvery, benchmark: s.benchmark });
}

async function trainBase(data: ExperimentData): Promise<TrainResult> {
  const config = resolveConfig(settings.preset, { contextLength: settings.contextLength, vocabSize: Math.max(settings.vocabSize, data.tokenizer.vocabSize) });
  const plan = pipelinePlan([{ ...settings.base, stage: 'base' }], settings);
  return trainRun(join(out, 'base'), { config, tokenizer: data.tokenizer }, plan, data, 0, progressLine('base'));
}

/** Trains and evaluates one arm for one seed from `base` (the base run's last checkpoint). */
async function runArm(arm: ExperimentArm, seed: number, data: ExperimentData, base: PipelineBase): Promise<void> {
  const name = `${arm} seed ${seed}`;
  const dir = join(out, `${arm}-seed${seed}`);
  const train = await trainRun(dir, base, pipelinePlan(armStages(arm, settings.recipe, seed), settings), data, seed, progressLine(name));
  let lastTenth = -1;
  const evaluation: EvalResult = await evaluateRun(dir, train.finalCheckpoint, data, settings.evaluation.maxNewTokens, (done, total) => {
    const tenth = Math.floor((10 * done) / total);
    if (tenth > lastTenth) { lastTenth = tenth; log(`${name}: evaluation ${done}/${total} items`); }
  });
  log(`${name}: done; held-out accuracy ${evaluation.heldOut.overall.toFixed(3)}, seen ${evaluation.seen.overall.toFixed(3)}, ` +
    `train ${Math.round(train.seconds)} s, evaluation ${Math.round(evaluation.seconds)} s`);
}

/** Every arm and seed whose training and evaluation are on disk, in plan order. */
function finishedRuns(): ArmRun[] {
  const runs: ArmRun[] = [];
  for (let seed = 0; seed < seeds; seed++) {
    for (const arm of EXPERIMENT_ARMS) {
      const dir = join(out, `${arm}-seed${seed}`);
      const train = readJson<TrainResult>(join(dir, 'train.json'));
      const evaluation = readJson<EvalResult>(join(dir, 'eval.json'));
      if (train && evaluation) runs.push({ arm, seed, train, evaluation });
    }
  }
  return runs;
}

/** Writes record.json from what is on disk (after every arm, so that a partial run reports too). */
function saveRecord(base: TrainResult, notes: ExperimentRecord['notes'], heldOutFunctions: number, sitting: { startedAt: string; seconds: number }): ExperimentRecord {
  const path = join(out, 'record.json');
  const previous = readJson<ExperimentRecord>(path)?.sittings.filter((s) => s.startedAt !== sitting.startedAt) ?? [];
  const record: ExperimentRecord = { settings, seeds, base, runs: finishedRuns(), notes, heldOutFunctions, sittings: [...previous, sitting] };
  writeJsonAtomic(path, record);
  return record;
}

async function train(): Promise<void> {
  const startedAt = new Date().toISOString();
  const started = performance.now();
  const backend = await initNodeBackend({ prefer: 'webgpu' });
  log(`backend: ${backend.name} (${backend.adapter}); settings scale ${scale}, ${seeds} seeds, runs in ${out}`);
  const baseDone = readJson<TrainResult>(join(out, 'base', 'train.json'));
  const baseTokenizer = baseDone ? (await loadRunModel(join(out, 'base'), baseDone.finalCheckpoint)).tokenizer : undefined;
  const data = await prepareData(settings, log, baseTokenizer);
  const baseTrain = await trainBase(data);
  const base = await loadRunModel(join(out, 'base'), baseTrain.finalCheckpoint);
  const save = () => saveRecord(baseTrain, data.notes, data.corpus.evalFunctions.length, { startedAt, seconds: (performance.now() - started) / 1000 });
  for (let seed = 0; seed < seeds; seed++) {
    for (const arm of EXPERIMENT_ARMS) {
      await runArm(arm, seed, data, base);
      save();
    }
  }
}

async function main(): Promise<void> {
  mkdirSync(out, { recursive: true });
  if (!values['report-only']) await train();
  const record = readJson<ExperimentRecord>(join(out, 'record.json'));
  if (!record || record.runs.length === 0) throw new Error(`${join(out, 'record.json')} holds no finished arm yet: run without --report-only first`);
  const section = renderExperiment(record, 'docs/experiment-curves.svg');
  const curves = await renderCurves(record);
  const complete = record.runs.length === EXPERIMENT_ARMS.length * seeds;
  if (scale !== 1 || !complete) {
    process.stdout.write(`${section}\n`);
    log(`${record.runs.length} of ${EXPERIMENT_ARMS.length * seeds} runs finished: the report went to stdout, EXPERIMENTS.md is left as it was`);
    return;
  }
  mkdirSync('docs', { recursive: true });
  writeFileSync('docs/experiment-curves.svg', curves);
  replaceExperimentSection('EXPERIMENTS.md', section);
  log('wrote EXPERIMENTS.md (toy replication section) and docs/experiment-curves.svg');
}

await main();
