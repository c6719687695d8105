/**
 * The Training section: the plan (preset, steps per stage, batch geometry), start / pause / resume /
 * stop, the stage timeline with a progress bar each, the counters and the live charts. The worker runs
 * the library's pipeline (Stages I, II, III), each run in a checkpoint store of its own; its events
 * arrive at most ~10 times a second and the page draws them at most once per frame.
 */
import type { PipelinePlanInput, PipelineRunEvent, PresetName, Stage } from 'hephaestus-web/worker';
import { LineChart } from './charts.js';
import { byId, el, formatSeconds, numberField, perFrame, showError, type TrainerHolder } from './dom.js';

const STAGE_NAMES: Record<Stage, string> = {
  base: 'Base: general text and code',
  stage1: 'Stage I: mixed corpus', stage2: 'Stage II: seed agent data', stage3: 'Stage III: instruction tuning',
};
const PLANNED: readonly Stage[] = ['stage1', 'stage2', 'stage3'];

type State = 'idle' | 'running' | 'paused';

/** The Training section's controls, for the other sections. */
export interface TrainingControls {
  /** Resumes pipeline run `run` from its checkpoint `id` (after a reload, or any saved one). */
  resumeFrom(run: string, id: string): Promise<void>;
  setCorpusReady(ready: boolean): void;
}

/** What the section tells the others: a checkpoint was saved; a run ended, paused or stopped (the model is the run's last checkpoint). */
export interface TrainingHooks {
  onSaved(): void;
  onSettled(): void;
}

/** Where the counters stand, drawn once per frame. */
interface View {
  stages: { stage: Stage; steps: number }[];
  stageIndex: number;
  stageStep: number;
  globalStep: number;
  totalSteps: number;
  loss?: number;
  benchmark?: number;
  tokensPerSecond?: number;
  etaSeconds?: number;
  status?: string;
}

/** Wires the Training section. */
export function setupTraining(holder: TrainerHolder, hooks: TrainingHooks): TrainingControls {
  const buttons = {
    start: byId<HTMLButtonElement>('train-start'), pause: byId<HTMLButtonElement>('train-pause'),
    resume: byId<HTMLButtonElement>('train-resume'), stop: byId<HTMLButtonElement>('train-stop'),
  };
  const lossChart = new LineChart(byId('chart-loss'), ['training loss', 'benchmark loss (held-out agent data)', 'general-text benchmark'], 'loss');
  const tpsChart = new LineChart(byId('chart-tps'), ['tokens/s'], 'tokens/s');
  let state: State = 'idle';
  let corpusReady = false;
  let firstLoss: number | undefined;
  let view: View = { stages: [], stageIndex: 0, stageStep: 0, globalStep: 0, totalSteps: 0 };
  const draw = perFrame((current: View) => drawView(current, lossChart, firstLoss));
  const setState = (next: State) => {
    // What the page shows is current before its state says so (the e2e test reads the counter then).
    draw.flush();
    state = next;
    buttons.start.disabled = !corpusReady || next !== 'idle';
    buttons.pause.disabled = next !== 'running';
    buttons.resume.disabled = next !== 'paused';
    buttons.stop.disabled = next === 'idle';
    document.body.dataset.training = next;
  };

  const readPlan = (): { preset: PresetName; contextLength: number; seed: number; plan: PipelinePlanInput } => {
    const batchSize = numberField('batch-size', 'Batch');
    const seqLen = numberField('seq-len', 'Sequence');
    const lr = numberField('lr', 'Learning rate', false);
    const seed = numberField('seed', 'Seed');
    const stages = PLANNED.map((stage, i) => {
      const steps = numberField(`steps-${stage}`, `${STAGE_NAMES[stage]} steps`);
      if (steps < 1) throw new Error(`${STAGE_NAMES[stage]} steps: at least 1`);
      return { stage, tokenBudget: steps * batchSize * seqLen, batchSize, seqLen, seed: seed + i, train: { lr, minLr: lr / 10, warmupSteps: Math.max(1, Math.min(10, Math.floor(steps / 5))) } };
    });
    return {
      preset: byId<HTMLSelectElement>('preset').value as PresetName, contextLength: numberField('context', 'Context'), seed,
      plan: { stages, checkpointEvery: numberField('save-every', 'Save every'), benchmark: { batchSize, seqLen, batches: 2 } },
    };
  };

  /** Folds one event into the view (charts take every loss at once; the DOM follows once per frame). */
  const onEvent = (event: PipelineRunEvent, resumed: { pending: boolean }) => {
    switch (event.kind) {
      case 'stage-start': {
        const before = view.stages.slice(0, event.index).reduce((sum, stage) => sum + stage.steps, 0);
        view = { ...view, stageIndex: event.index, stageStep: event.fromStep, globalStep: before + event.fromStep, status: `${STAGE_NAMES[event.stage]}: ${event.packing.rows} rows` };
        if (resumed.pending) {
          resumed.pending = false;
          document.body.dataset.resumedAt = String(view.globalStep);
        }
        break;
      }
      case 'step': {
        const { progress } = event;
        const later = view.stages.slice(event.index + 1).reduce((sum, stage) => sum + stage.steps, 0);
        const perStep = progress.totalSteps > progress.step ? progress.etaSeconds / (progress.totalSteps - progress.step) : 0;
        view = {
          ...view, stageIndex: event.index, stageStep: progress.step, globalStep: event.globalStep, totalSteps: event.totalSteps, loss: progress.loss,
          tokensPerSecond: progress.tokensPerSecond, etaSeconds: progress.etaSeconds + later * perStep, status: undefined,
        };
        firstLoss ??= event.losses[0]?.[1];
        lossChart.addMany(event.losses.map(([x, loss]) => ({ x, values: [loss, null, null] })));
        if (progress.tokensPerSecond > 0) tpsChart.add(event.globalStep, [progress.tokensPerSecond]);
        break;
      }
      case 'benchmark':
        if (event.point.agent !== null) view = { ...view, benchmark: event.point.agent };
        lossChart.add(event.point.globalStep, [null, event.point.agent, event.point.general]);
        break;
      case 'checkpoint':
        hooks.onSaved();
        break;
      case 'corpus':
        view = { ...view, status: `building the run's corpus again: ${event.progress.phase} ${event.progress.detail}` };
        break;
      case 'state':
        if (event.state === 'paused') setState('paused');
        if (event.state === 'training') setState('running');
        break;
      case 'stage-end':
        break;
    }
    draw(view);
  };

  const run = async (stages: View['stages'], call: (handler: (event: PipelineRunEvent) => void) => Promise<unknown>, resume: boolean) => {
    showError('train-error', undefined);
    view = { stages, stageIndex: 0, stageStep: 0, globalStep: 0, totalSteps: stages.reduce((sum, stage) => sum + stage.steps, 0) };
    drawTimeline(stages);
    draw(view);
    setState('running');
    const resumed = { pending: resume };
    try {
      await call((event) => onEvent(event, resumed));
    } catch (error) {
      showError('train-error', error);
    }
    setState('idle');
    hooks.onSettled();
  };
  const resetCharts = () => {
    lossChart.clear();
    tpsChart.clear();
    firstLoss = undefined;
  };
  const stepsOf = (plan: PipelinePlanInput) => plan.stages.map((stage) => ({ stage: stage.stage, steps: Math.ceil(stage.tokenBudget / (stage.batchSize * stage.seqLen)) }));

  buttons.start.addEventListener('click', async () => {
    let chosen: ReturnType<typeof readPlan>;
    try {
      chosen = readPlan();
    } catch (error) {
      showError('train-error', error);
      return;
    }
    resetCharts();
    const name = `run-${new Date().toISOString().replace(/[^0-9]/g, '').slice(0, 14)}`;
    await run(stepsOf(chosen.plan), async (handler) => {
      if (!holder.base) await holder.trainer.createModel({ preset: chosen.preset, overrides: { contextLength: chosen.contextLength }, seed: chosen.seed, tokenizer: 'corpus' });
      // A loaded import is the base of this run only.
      holder.base = undefined;
      return holder.trainer.runPipeline({ name, plan: chosen.plan, seed: chosen.seed }, handler);
    }, false);
  });
  buttons.pause.addEventListener('click', () => void holder.trainer.pause().catch((error: unknown) => showError('train-error', error)));
  buttons.resume.addEventListener('click', () => void holder.trainer.resume().catch((error: unknown) => showError('train-error', error)));
  buttons.stop.addEventListener('click', () => void holder.trainer.stop().catch((error: unknown) => showError('train-error', error)));
  setState('idle');

  return {
    resumeFrom: async (name, id) => {
      if (state !== 'idle') throw new Error('stop the run in progress first');
      const listed = (await holder.trainer.listPipelines()).find((info) => info.name === name);
      if (!listed) throw new Error(`no pipeline run "${name}" in this browser`);
      resetCharts();
      await run(stepsOf(listed.plan), (handler) => holder.trainer.runPipeline({ name, resume: true, from: id }, handler), true);
    },
    setCorpusReady: (ready) => {
      corpusReady = ready;
      setState(state);
    },
  };
}

/**
 * The counters, the timeline's bars and the chart's data attributes (the e2e test reads them). Only
 * what changed is written: an unchanged text or attribute costs no style or layout work.
 */
function drawView(view: View, lossChart: LineChart, firstLoss: number | undefined): void {
  setText(byId('step-counter'), String(view.globalStep));
  setText(byId('step-total'), String(view.totalSteps));
  if (view.loss !== undefined && Number.isFinite(view.loss)) setText(byId('loss-now'), view.loss.toFixed(3));
  if (view.benchmark !== undefined) setText(byId('bench-now'), view.benchmark.toFixed(3));
  if (view.tokensPerSecond) {
    setText(byId('tps-now'), Math.round(view.tokensPerSecond).toLocaleString('en'));
    setText(byId('eta-now'), formatSeconds(view.etaSeconds ?? Number.NaN));
  }
  setText(byId('train-status'), view.status ?? '');
  byId('timeline').querySelectorAll('li').forEach((item, i) => {
    const stage = view.stages[i];
    if (!stage) return;
    const done = i < view.stageIndex ? stage.steps : i === view.stageIndex ? view.stageStep : 0;
    if (item.classList.contains('active') !== (i === view.stageIndex)) item.classList.toggle('active');
    const bar = item.querySelector('progress');
    if (bar && bar.value !== done) bar.value = done;
    const label = item.querySelector('span');
    if (label) setText(label, `${STAGE_NAMES[stage.stage]}: ${done} / ${stage.steps}`);
  });
  const chart = byId('chart-loss');
  setData(chart, 'points', String(lossChart.length));
  setData(chart, 'firstLoss', String(firstLoss));
  if (view.loss !== undefined) setData(chart, 'lastLoss', String(view.loss));
}

function setText(element: HTMLElement, text: string): void {
  if (element.textContent !== text) element.textContent = text;
}

function setData(element: HTMLElement, key: string, value: string): void {
  if (element.dataset[key] !== value) element.dataset[key] = value;
}

/** One row per stage with its progress bar. */
function drawTimeline(stages: { stage: Stage; steps: number }[]): void {
  byId('timeline').replaceChildren(...stages.map(({ stage, steps }, i) => {
    const item = el('li', '', { 'data-stage': stage });
    const label = el('span', `${STAGE_NAMES[stage]}: 0 / ${steps}`, { id: `timeline-label-${i}` });
    const bar = el('progress', '', { max: String(steps), value: '0', 'aria-label': STAGE_NAMES[stage], id: `timeline-bar-${i}` });
    item.append(label, bar);
    return item;
  }));
}
