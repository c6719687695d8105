/**
 * The Training section: the plan (preset, steps per stage, batch geometry), start / pause / resume /
 * stop, the stage timeline with a progress bar each, the counters and the live charts. Training runs
 * in the worker; updates arrive about 10 times a second and are drawn as they come.
 */
import { proxy, type Remote } from 'comlink';
import type { PresetName, Stage } from '../../../src/index.js';
import type { DemoWorkerApi, TrainOutcome, TrainPlan, TrainUpdate } from '../worker/api.js';
import { LineChart } from './charts.js';
import { byId, el, formatSeconds, numberField, showError } from './dom.js';

const STAGE_NAMES: Record<Stage, string> = {
  base: 'Base: general text and code',
  stage1: 'Stage I: mixed corpus', stage2: 'Stage II: seed agent data', stage3: 'Stage III: instruction tuning',
};

type State = 'idle' | 'running' | 'paused';

/** The Training section's controls, for the other sections. */
export interface TrainingControls {
  /** Resumes checkpoint `id` (after a reload, or any saved one). */
  resumeFrom(id: string): Promise<void>;
  setCorpusReady(ready: boolean): void;
  isRunning(): boolean;
}

/** Wires the Training section; `onSettled` runs when a run pauses, stops or ends (a checkpoint was written). */
export function setupTraining(worker: Remote<DemoWorkerApi>, onSettled: (outcome: TrainOutcome) => void): TrainingControls {
  const buttons = {
    start: byId<HTMLButtonElement>('train-start'), pause: byId<HTMLButtonElement>('train-pause'),
    resume: byId<HTMLButtonElement>('train-resume'), stop: byId<HTMLButtonElement>('train-stop'),
  };
  const lossChart = new LineChart(byId('chart-loss'), ['training loss', 'benchmark loss'], 'loss');
  const tpsChart = new LineChart(byId('chart-tps'), ['tokens/s'], 'tokens/s');
  let state: State = 'idle';
  let corpusReady = false;
  let firstLoss: number | undefined;
  const setState = (next: State) => {
    state = next;
    buttons.start.disabled = !corpusReady || next !== 'idle';
    buttons.pause.disabled = next !== 'running';
    buttons.resume.disabled = next !== 'paused';
    buttons.stop.disabled = next === 'idle';
    document.body.dataset.training = next;
  };

  const plan = (): TrainPlan => ({
    preset: byId<HTMLSelectElement>('preset').value as PresetName,
    contextLength: numberField('context', 'Context'), batchSize: numberField('batch-size', 'Batch'), seqLen: numberField('seq-len', 'Sequence'), lr: numberField('lr', 'Learning rate', false),
    evalEvery: numberField('eval-every', 'Benchmark every'), saveEvery: numberField('save-every', 'Save every'),
    stages: (['stage1', 'stage2', 'stage3'] as const).map((stage) => ({ stage, steps: numberField(`steps-${stage}`, `${STAGE_NAMES[stage]} steps`) })),
  });

  const onUpdate = proxy((update: TrainUpdate) => draw(update));
  const draw = (update: TrainUpdate) => {
    drawTimeline(update);
    byId('step-counter').textContent = String(update.globalStep);
    byId('step-total').textContent = String(update.totalSteps);
    if (Number.isFinite(update.loss)) byId('loss-now').textContent = update.loss.toFixed(3);
    if (update.resumed) document.body.dataset.resumedAt = String(update.globalStep);
    if (update.benchmarkLoss !== undefined) byId('bench-now').textContent = update.benchmarkLoss.toFixed(3);
    if (update.tokensPerSecond > 0) {
      byId('tps-now').textContent = Math.round(update.tokensPerSecond).toLocaleString('en');
      byId('eta-now').textContent = formatSeconds(update.etaSeconds);
      tpsChart.add(update.globalStep, [update.tokensPerSecond]);
    }
    if (update.losses.length > 0) {
      firstLoss ??= update.losses[0].loss;
      lossChart.addMany(update.losses.map(({ globalStep, loss }) => ({ x: globalStep, values: [loss, null] })));
    }
    if (update.benchmarkLoss !== undefined) lossChart.add(update.globalStep, [null, update.benchmarkLoss]);
    const chart = byId('chart-loss');
    chart.dataset.points = String(lossChart.length);
    chart.dataset.firstLoss = String(firstLoss);
    if (update.losses.length > 0) chart.dataset.lastLoss = String(update.losses.at(-1)!.loss);
  };

  const run = async (call: () => Promise<TrainOutcome>) => {
    showError('train-error', undefined);
    setState('running');
    try {
      const outcome = await call();
      setState(outcome.status === 'paused' ? 'paused' : 'idle');
      byId('step-counter').textContent = String(outcome.globalStep);
      onSettled(outcome);
    } catch (error) {
      showError('train-error', error);
      setState('idle');
    }
  };
  const resetCharts = () => {
    lossChart.clear();
    tpsChart.clear();
    firstLoss = undefined;
  };

  buttons.start.addEventListener('click', () => {
    let chosen: TrainPlan;
    try {
      chosen = plan();
    } catch (error) {
      showError('train-error', error);
      return;
    }
    resetCharts();
    drawTimeline({ plan: chosen });
    void run(() => worker.train(chosen, onUpdate));
  });
  buttons.pause.addEventListener('click', () => void worker.halt('paused'));
  buttons.stop.addEventListener('click', () => {
    if (state === 'paused') {
      void worker.halt('stopped');
      setState('idle');
    } else void worker.halt('stopped');
  });
  buttons.resume.addEventListener('click', () => void run(() => worker.train(null, onUpdate)));
  setState('idle');

  return {
    resumeFrom: async (id) => {
      if (state === 'running') throw new Error('pause or stop the run in progress first');
      let fallback: TrainPlan | null = null;
      try {
        fallback = plan();
      } catch {
        fallback = null;
      }
      resetCharts();
      await run(() => worker.train(fallback, onUpdate, id));
    },
    setCorpusReady: (ready) => {
      corpusReady = ready;
      setState(state);
    },
    isRunning: () => state === 'running',
  };
}

/** The stage timeline: one row per stage with its progress bar (from a plan, or updated from progress). */
function drawTimeline(input: { plan: Pick<TrainPlan, 'stages'> } | TrainUpdate): void {
  const list = byId('timeline');
  if ('plan' in input) {
    list.replaceChildren(...input.plan.stages.map(({ stage, steps }, i) => {
      const item = el('li', '', { 'data-stage': stage });
      const label = el('span', `${STAGE_NAMES[stage]}: 0 / ${steps}`, { id: `timeline-label-${i}` });
      const bar = el('progress', '', { max: String(steps), value: '0', 'aria-label': STAGE_NAMES[stage], id: `timeline-bar-${i}` });
      item.append(label, bar);
      return item;
    }));
    return;
  }
  let items = [...list.querySelectorAll('li')];
  if (items.length !== input.stages.length || items[input.stageIndex]?.dataset.stage !== input.stage) {
    drawTimeline({ plan: { stages: input.stages } });
    items = [...list.querySelectorAll('li')];
  }
  items.forEach((item, i) => {
    item.classList.toggle('active', i === input.stageIndex);
    const bar = item.querySelector('progress');
    if (bar && i < input.stageIndex) bar.value = bar.max;
  });
  const bar = byId<HTMLProgressElement>(`timeline-bar-${input.stageIndex}`);
  bar.value = input.step;
  byId(`timeline-label-${input.stageIndex}`).textContent = `${STAGE_NAMES[input.stage]}: ${input.step} / ${input.stageSteps}`;
}
