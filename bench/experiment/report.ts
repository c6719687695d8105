/**
 * The EXPERIMENTS.md section of the toy replication, from the results on disk: what ran (settings,
 * tokens, time), the tables per arm (mean ± sample sd over seeds), the claim checks (a gap counts
 * only when it exceeds the spread over seeds) and the curve numbers.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BfclSummary } from '../../src/node.js';
import { ARM_LABELS, EXPERIMENT_ARMS, beatsBeyondSpread, spread, type ExperimentArm, type Spread } from '../../src/recipe/experiment.js';
import { table } from '../lib/markdown.js';
import type { EvalResult, TrainResult } from './arm.js';
import type { ExperimentSettings } from './settings.js';
import type { ExperimentData } from './setup.js';

/** One arm for one seed. */
export interface ArmRun {
  arm: ExperimentArm;
  seed: number;
  train: TrainResult;
  evaluation: EvalResult;
}

/** Everything a finished `npm run experiment` keeps in record.json. */
export interface ExperimentRecord {
  settings: ExperimentSettings;
  seeds: number;
  base: TrainResult;
  runs: ArmRun[];
  notes: ExperimentData['notes'];
  heldOutFunctions: number;
  sittings: { startedAt: string; seconds: number }[];
}

export const SECTION_HEADING = '## Toy replication of the paper\'s claim (issue 11)';
const CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'irrelevance'] as const;

/** A measure of one run. */
type Measure = (run: ArmRun) => number;

const finalPoint = (run: ArmRun) => run.train.benchmarks.at(-1)!;
/** Mean accuracy over the categories that expect calls: BFCL's overall also counts irrelevance, which a model that writes no call passes. */
const callAccuracy = (summary: BfclSummary) => {
  const rates = summary.categories.filter((c) => c.category !== 'irrelevance').map((c) => c.rate ?? 0);
  return rates.reduce((sum, rate) => sum + rate, 0) / rates.length;
};
const MEASURES = {
  agentLoss: ((run) => finalPoint(run).agent ?? Number.NaN) as Measure,
  generalLoss: ((run) => finalPoint(run).general ?? Number.NaN) as Measure,
  heldOutAccuracy: ((run) => callAccuracy(run.evaluation.heldOut)) as Measure,
  heldOutNames: ((run) => run.evaluation.heldOut.partial.functionNames.rate) as Measure,
  heldOutSyntax: ((run) => run.evaluation.heldOut.partial.validSyntax.rate) as Measure,
  heldOutArguments: ((run) => run.evaluation.heldOut.partial.requiredArguments.rate) as Measure,
  seenAccuracy: ((run) => callAccuracy(run.evaluation.seen)) as Measure,
  seenSyntax: ((run) => run.evaluation.seen.partial.validSyntax.rate) as Measure,
};

/** The arms with at least one finished run, in plan order. */
function presentArms(record: ExperimentRecord): ExperimentArm[] {
  return EXPERIMENT_ARMS.filter((arm) => record.runs.some((run) => run.arm === arm));
}

function armSpread(record: ExperimentRecord, arm: ExperimentArm, measure: Measure): Spread {
  return spread(record.runs.filter((run) => run.arm === arm).map(measure), arm);
}

const fmt = (s: Spread, digits = 3) => `${s.mean.toFixed(digits)} ± ${s.sd.toFixed(digits)}`;
const pct = (s: Spread) => `${(100 * s.mean).toFixed(1)} ± ${(100 * s.sd).toFixed(1)}`;

function lossTable(record: ExperimentRecord): string {
  const rows = presentArms(record).map((arm) => {
    const runs = record.runs.filter((run) => run.arm === arm);
    const tokens = runs[0].train.stages.map((stage) => `${stage.stage} ${(stage.tokens / 1e3).toFixed(0)}k`).join(' + ');
    const seconds = spread(runs.map((run) => run.train.seconds + run.evaluation.seconds));
    return [ARM_LABELS[arm], tokens, fmt(armSpread(record, arm, MEASURES.agentLoss)), fmt(armSpread(record, arm, MEASURES.generalLoss)), `${Math.round(seconds.mean)}`];
  });
  const start = record.base.benchmarks.at(-1);
  const base = start ? `\n\nEvery arm starts from the base model: agent benchmark loss ${start.agent?.toFixed(3)}, general-text loss ${start.general?.toFixed(3)}.` : '';
  return table(['arm', 'tokens per stage', 'agent benchmark loss', 'general-text loss', 's per seed (train + eval)'], rows) + base;
}

function accuracyTable(record: ExperimentRecord, side: 'heldOut' | 'seen'): string {
  const summaries = (arm: ExperimentArm) => record.runs.filter((run) => run.arm === arm).map((run) => run.evaluation[side]);
  const rate = (list: BfclSummary[], pick: (s: BfclSummary) => number | undefined) => {
    const values = list.map(pick).filter((value): value is number => value !== undefined);
    return values.length === list.length ? pct(spread(values)) : 'n/a';
  };
  const rows = presentArms(record).map((arm) => {
    const list = summaries(arm);
    const perCategory = CATEGORIES.map((category) => rate(list, (s) => s.categories.find((c) => c.category === category)?.rate));
    return [ARM_LABELS[arm], rate(list, (s) => s.overall), ...perCategory,
      rate(list, (s) => s.partial.validSyntax.rate), rate(list, (s) => s.partial.functionNames.rate), rate(list, (s) => s.partial.requiredArguments.rate)];
  });
  const counts = record.runs[0].evaluation[side];
  const items = CATEGORIES.map((category) => `${category} ${counts.categories.find((c) => c.category === category)?.total ?? 0}`).join(', ');
  return `${table(['arm', 'overall', ...CATEGORIES, 'valid call', 'function name', 'required args'], rows)}\n\nItems: ${items}. ` +
    'Irrelevance passes when no call decodes (BFCL\'s rule), so a model that never writes a well-formed call scores 100% there ' +
    'and 20% overall: read the call categories and the partial measures (over the items that expect calls).';
}

/** One claim of the paper, checked on several measures. */
function claimRows(record: ExperimentRecord): string[][] {
  const present = presentArms(record);
  const check = (claim: string, a: ExperimentArm, b: ExperimentArm, measures: [string, Measure, boolean][]) =>
    !present.includes(a) || !present.includes(b) ? [] : measures.map(([name, measure, lower]) => {
      const x = armSpread(record, a, measure);
      const y = armSpread(record, b, measure);
      return [claim, `${a} vs ${b}`, name, fmt(x), fmt(y), beatsBeyondSpread(x, y, lower) ? 'yes' : 'no'];
    });
  const agent: [string, Measure, boolean] = ['agent benchmark loss', MEASURES.agentLoss, true];
  const heldOut: [string, Measure, boolean][] = [
    ['held-out call accuracy', MEASURES.heldOutAccuracy, false], ['held-out function name', MEASURES.heldOutNames, false],
    ['held-out valid call', MEASURES.heldOutSyntax, false], ['held-out required args', MEASURES.heldOutArguments, false],
  ];
  const general: [string, Measure, boolean] = ['general-text loss', MEASURES.generalLoss, true];
  // The valid-call rate is the one measure that moves before accuracy does: every ablation shows it.
  const calls = [heldOut[0], heldOut[1], heldOut[2]];
  return [
    ...check('CPT beats IFT only', 'full', 'ift-only', [agent, ['seen call accuracy', MEASURES.seenAccuracy, false], ['seen valid call', MEASURES.seenSyntax, false]]),
    ...check('Stage I helps', 'full', 'no-stage1', [agent, ...calls]),
    ...check('Stage II helps', 'full', 'no-stage2', [agent, ...calls]),
    ...check('not just compute', 'full', 'equal-compute', [agent, ...calls]),
    ...check('holds on unseen APIs', 'full', 'ift-only', heldOut),
    ...check('general text holds', 'full', 'ift-only', [general]),
    ...check('general text holds', 'full', 'equal-compute', [general]),
  ];
}

function curveTable(record: ExperimentRecord): string {
  const lines: string[] = [];
  for (const arm of presentArms(record)) {
    const runs = record.runs.filter((run) => run.arm === arm);
    const points = runs[0].train.benchmarks.map((point, i) => {
      const agent = spread(runs.map((run) => run.train.benchmarks[i].agent ?? Number.NaN));
      const general = spread(runs.map((run) => run.train.benchmarks[i].general ?? Number.NaN));
      return [`${(point.tokens / 1e3).toFixed(0)}k`, point.stage, fmt(agent), fmt(general)];
    });
    lines.push(`${ARM_LABELS[arm]}:\n\n${table(['tokens', 'stage', 'agent loss', 'general-text loss'], points)}\n`);
  }
  return lines.join('\n');
}

function setup(record: ExperimentRecord): string {
  const s = record.settings;
  const stage = (name: string, p: { tokenBudget: number; batchSize: number; seqLen: number; train?: { lr?: number; warmupSteps?: number } }) =>
    `${name} ${(p.tokenBudget / 1e3).toFixed(0)}k tokens (${p.batchSize} x ${p.seqLen} rows, peak LR ${p.train?.lr}, ${p.train?.warmupSteps} warm-up steps, cosine decay)`;
  const n = record.notes;
  const compute = record.base.seconds + record.runs.reduce((sum, run) => sum + run.train.seconds + run.evaluation.seconds, 0);
  return [
    `Command: \`npm run experiment\` (seeds 0-${record.seeds - 1}; resumable, ${record.sittings.length} sitting(s); ${record.runs.length} runs finished). ` +
      `Compute: ${(compute / 3600).toFixed(2)} h on 2 CPU cores, WebGPU through Dawn on Mesa llvmpipe, no GPU (base ${Math.round(record.base.seconds)} s).`,
    '',
    `- Data: ${s.dataDir} (BFCL, Gorilla, Shakespeare) plus up to ${s.codeFiles} Python standard-library files; Forge seed 0, ` +
      `${record.heldOutFunctions} functions held out of every stage (leakage check passed); ${(s.generalFraction * 100).toFixed(0)}% of the general text held out.`,
    `- Model: the ${s.preset} preset, context ${s.contextLength}, BPE vocabulary ${s.vocabSize} trained on the training documents.`,
    `- Base (shared by every arm): ${stage('general text and code', s.base)}.`,
    `- Recipe stages: ${stage('Stage I', s.recipe.stage1)}; ${stage('Stage II', s.recipe.stage2)}; ${stage('Stage III', s.recipe.stage3)}, loss on the answer turns.`,
    `  Stage III keeps the ${n.stage3Kept} instruction pairs that fit a row (${n.stage3TooLong} longer ones left out: a cut pair would lose its answer).`,
    `- Seeds change the data order of every stage (the base is the same model for all).`,
    `- Benchmark loss: ${s.benchmark.batches} batches of ${s.benchmark.batchSize} x ${s.benchmark.seqLen} tokens of held-out agent documents and of held-out general text, at every checkpoint (every ${s.checkpointEvery} steps and at stage ends).`,
    `- Function calling: greedy, at most ${s.evaluation.maxNewTokens} new tokens, on ${s.evaluation.heldOutItems} items of held-out functions ` +
      `(of ${n.heldOutAvailable}; ${n.heldOutTooLong} whose prompt does not fit the context left out) and ${s.evaluation.seenItems} of seen ones ` +
      `(of ${n.seenAvailable}; ${n.seenTooLong} too long), chosen evenly across categories, the same items for every run.`,
  ].join('\n');
}

/** The whole section (the heading included). */
export function renderExperiment(record: ExperimentRecord, curvesPath: string): string {
  return [
    SECTION_HEADING, '',
    'Generated by `npm run experiment` (bench/experiment/); the reading below the section is written by hand.', '',
    setup(record), '',
    '### Losses (mean ± sample sd over seeds, at the end of each arm)', '', lossTable(record), '',
    '### Function calling on held-out functions (%, mean ± sd)', '', accuracyTable(record, 'heldOut'), '',
    '### Function calling on seen functions (%, mean ± sd)', '', accuracyTable(record, 'seen'), '',
    '### The claims, measure by measure', '',
    '"beyond spread": the gap of the means is larger than the larger of the two standard deviations. "Call accuracy": the mean over the four categories that expect calls (BFCL\'s overall also counts irrelevance, which a model that writes no call passes).', '',
    table(['claim', 'arms', 'measure', 'first', 'second', 'first better beyond spread'], claimRows(record)), '',
    '### Curves', '',
    `![benchmark losses through training, mean over seeds](${curvesPath})`, '',
    '<details><summary>The numbers of the curves (mean ± sd over seeds)</summary>', '', curveTable(record), '</details>', '',
  ].join('\n');
}

/** Replaces (or appends) the section in `file`, keeping everything else. */
export function replaceExperimentSection(file: string, section: string): void {
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '# Experiments\n';
  const lines = text.split('\n');
  const start = lines.indexOf(SECTION_HEADING);
  if (start < 0) {
    writeFileSync(file, `${text.replace(/\n+$/, '')}\n\n${section}`);
    return;
  }
  let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  if (end < 0) end = lines.length;
  writeFileSync(file, [...lines.slice(0, start), ...section.replace(/\n+$/, '').split('\n'), '', ...lines.slice(end)].join('\n'));
}
