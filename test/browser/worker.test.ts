/**
 * The trainer worker in Chromium (WebGPU on SwiftShader, checkpoints in IndexedDB): 2N steps straight
 * vs N steps, the worker terminated, a new worker and store ("the page reloaded"), N more: the loss
 * sequences agree to 1e-6 relative and the final weights are equal. While the worker trains, a 16 ms
 * timer on the page keeps firing (gaps reported as p50 / p99 / max). Errors keep their class.
 */
import { describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import { unzipFiles } from '../../src/util/zip.js';
import { createTrainer, type CreateTrainerOptions, type TrainerClient } from '../../src/worker/client.js';
import type { ModelSpec, TrainerEvent, TrainRequest } from '../../src/worker/protocol.js';
import { BackendError, CheckpointError, ConfigError, InputError } from '../../src/util/errors.js';
import { describeGaps, watchPage } from './page-gaps.js';

const texts = syntheticCorpus({ documents: 40, seed: 5 }).map((document) => document.text);
const N = 2;
const request: TrainRequest = { steps: 2 * N, batchSize: 2, seqLen: 16, lr: 1e-2, warmupSteps: 1, seed: 7 };
const spec: ModelSpec = {
  preset: 'nano', overrides: { dModel: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnHidden: 48, contextLength: 32 }, seed: 3, tokenizer: { vocabSize: 300 },
};

function start(storeName: string, options: CreateTrainerOptions = {}): Promise<TrainerClient> {
  return createTrainer({ storeName, backend: 'webgpu', matmulAutotune: 'off', ...options });
}

async function ready(storeName: string): Promise<TrainerClient> {
  const trainer = await start(storeName);
  await trainer.attachData({ kind: 'documents', texts });
  return trainer;
}

/** The current checkpoint's weights, through the export zip. */
async function exportedWeights(trainer: TrainerClient): Promise<Map<string, Float32Array>> {
  const files = unzipFiles(new Uint8Array(await (await trainer.exportCheckpoint()).arrayBuffer()), 'export');
  return new Map([...decodeSafetensors(files.get('model.safetensors')!)].map(([name, tensor]) => [name, tensor.data]));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('trainer worker in Chromium', () => {
  it('resumes exactly from IndexedDB after the worker is terminated, and never blocks the page', async () => {
    const run = `${Date.now()}`;
    const straight = await ready(`straight-${run}`);
    expect(straight.backend.name).toBe('webgpu');
    await straight.createModel(spec);
    // The same timer with the worker idle, for comparison: on a shared machine both include its load.
    const idle = watchPage();
    await sleep(2000);
    const idleGaps = idle.stop();
    const timer = watchPage();
    const steps: TrainerEvent[] = [];
    const stepTimes: number[] = [];
    const marks: { at: number; what: string }[] = [];
    const whole = await straight.train(request, (event) => {
      marks.push({ at: performance.now(), what: event.type === 'step' ? `step ${event.step}` : event.type === 'state' ? event.state : event.type });
      if (event.type !== 'step') return;
      steps.push(event);
      stepTimes.push(performance.now());
    });
    const gaps = timer.stop();
    const { firings } = gaps;
    console.info(`page timer, 16 ms: worker idle ${describeGaps(idleGaps)}; worker training ${2 * N} steps ${describeGaps(gaps)}`);
    const longest = firings.slice(1).map((time, i) => ({ gap: time - firings[i], at: time })).sort((a, b) => b.gap - a.gap).slice(0, 5);
    const after = (at: number) => marks.filter((mark) => mark.at < at).at(-1)?.what ?? 'start';
    // The first step compiles every pipeline (on SwiftShader: CPU work in the GPU process).
    const later = firings.filter((time) => time > stepTimes[0]);
    const afterFirst = later.slice(1).map((time, i) => time - later[i]);
    console.info(`page timer after the first step's event: max gap ${Math.max(0, ...afterFirst).toFixed(1)} ms over ${afterFirst.length} gaps`);
    console.info(`longest gaps: ${longest.map(({ gap, at }) => `${gap.toFixed(0)} ms after event "${after(at - gap)}"`).join(', ')}`);
    // The page kept running during every step: the timer fired between any two step events.
    for (let i = 1; i < stepTimes.length; i++) {
      expect(firings.some((time) => time > stepTimes[i - 1] && time < stepTimes[i]), `timer fired during step ${i + 1}`).toBe(true);
    }
    // Issue 8: no gap of 100 ms or more is the page's own work: none lies in a long task of the page (it only
    // receives ~10 small events a second). The raw maximum is logged, not asserted: 25-46 ms at load 3-4,
    // 112-155 ms at load 6 on the shared 2-core machine, always with no page task in the gap (the thread
    // waiting for a core while the worker and SwiftShader use both).
    expect(gaps.over100InLongTask, describeGaps(gaps)).toBe(0);
    expect(whole.reason).toBe('done');
    expect(steps.at(-1)).toMatchObject({ type: 'step', step: 2 * N, totalSteps: 2 * N, stage: 'train' });
    const straightWeights = await exportedWeights(straight);
    straight.terminate();

    const first = await ready(`resumed-${run}`);
    await first.createModel(spec);
    // Step events are throttled (at most ~10 a second), so step N's may never arrive: stop at the first one.
    let stopping = false;
    const part = await first.train(request, (event) => {
      if (event.type !== 'step' || stopping) return;
      stopping = true;
      void first.stop();
    });
    expect(part.reason).toBe('stopped');
    expect(part.step).toBeLessThan(2 * N);
    first.terminate();

    const second = await ready(`resumed-${run}`);
    const loaded = await second.loadCheckpoint();
    expect(loaded.resumable).toBe(true);
    const rest = await second.train({ resume: true });
    const resumed = [...part.losses, ...rest.losses];
    console.info(`worker losses: straight ${whole.losses.map((l) => l.toFixed(6)).join(' ')}; stopped at ${part.step}, resumed ${resumed.map((l) => l.toFixed(6)).join(' ')}`);
    expect(resumed).toHaveLength(whole.losses.length);
    resumed.forEach((loss, i) => expect(Math.abs(loss - whole.losses[i])).toBeLessThanOrEqual(1e-6 * Math.abs(whole.losses[i])));
    const resumedWeights = await exportedWeights(second);
    for (const [name, data] of straightWeights) expect(resumedWeights.get(name), name).toEqual(data);
    second.terminate();
  }, 240_000);

  it('rejects with the library error classes, code and message across the boundary', async () => {
    const trainer = await start(`errors-${Date.now()}`);
    const noModel = await trainer.train(request).catch((error: unknown) => error);
    expect(noModel).toBeInstanceOf(InputError);
    expect(noModel).toMatchObject({ code: 'INPUT', file: 'model' });
    const missing = await trainer.loadCheckpoint().catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(CheckpointError);
    expect(missing).toMatchObject({ code: 'CHECKPOINT', problem: 'missing' });
    const badPreset = await trainer.createModel({ ...spec, preset: 'huge' as 'nano' }).catch((error: unknown) => error);
    expect(badPreset).toBeInstanceOf(ConfigError);
    expect((badPreset as ConfigError).field).toBe('preset');
    expect((badPreset as Error).message).toMatch(/unknown preset "huge"/);
    trainer.terminate();
  });

  it('a worker without WebGPU: the client says so, and falls back to the CPU backend when asked', async () => {
    const noGpu = () => new Worker(new URL('./no-gpu-worker.ts', import.meta.url), { type: 'module' });
    const refused = await createTrainer({ worker: noGpu(), storeName: `no-gpu-${Date.now()}` }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BackendError);
    expect((refused as Error).message).toMatch(/no WebGPU in the trainer worker \(WebGPU is not available \(no navigator.gpu\)\); pass backend: 'auto'/);
    const trainer = await createTrainer({ worker: noGpu(), backend: 'auto', storeName: `no-gpu-${Date.now()}` });
    expect(trainer.backend).toMatchObject({ name: 'cpu', fallbackReason: 'WebGPU is not available (no navigator.gpu)' });
    await trainer.attachData({ kind: 'documents', texts });
    await trainer.createModel(spec);
    const outcome = await trainer.train({ ...request, steps: 1 });
    expect(Number.isFinite(outcome.losses[0])).toBe(true);

    // The export zip goes back in as a checkpoint, and as a Hugging Face model to continue from.
    const zip = await trainer.exportCheckpoint();
    expect(zip.type).toBe('application/zip');
    const imported = await trainer.importCheckpoint(zip);
    expect(imported).toMatchObject({ stage: 'imported', step: 0, current: true });
    const base = await trainer.loadHuggingFace({ kind: 'zip', zip, name: 'exported.zip' });
    expect(base).toMatchObject({ source: { kind: 'huggingface', name: 'exported.zip' }, resumable: false });
    const prompt = '<|user|>Convert 10 USD to EUR<|end|>';
    const fromBase = await trainer.generate({ prompt, maxNewTokens: 4 });
    await trainer.loadCheckpoint(imported.id);
    expect((await trainer.generate({ prompt, maxNewTokens: 4 })).tokens).toEqual(fromBase.tokens);
    trainer.terminate();
  });
});
