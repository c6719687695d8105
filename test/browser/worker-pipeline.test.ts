/**
 * The pipeline in the trainer worker, in Chromium (WebGPU on SwiftShader, one IndexedDB database per
 * run): the corpus is built in the worker, two stages run straight through; separately the run is
 * stopped after its first step event, the worker terminated, a new worker made ("the page reloaded"),
 * the run found by listPipelines and resumed (its sample corpus built again from the run's record):
 * the loss sequences agree to 1e-6 relative and the final weights are equal. A 16 ms page timer runs
 * meanwhile (gaps reported). Also what a built corpus would cost the page to receive, next to the
 * summary that crosses instead.
 */
import { describe, expect, it } from 'vitest';
import { decodeSafetensors } from '../../src/model/safetensors.js';
import { buildCorpusFromSpec } from '../../src/recipe/corpus-spec.js';
import { unzipFiles } from '../../src/util/zip.js';
import { createTrainer, type TrainerClient } from '../../src/worker/client.js';
import type { PipelineRunEvent } from '../../src/worker/protocol.js';
import type { CorpusRequest, PipelinePlanInput } from '../../src/worker/recipe-protocol.js';
import { describeGaps, watchPage } from './page-gaps.js';

const corpus: CorpusRequest = { source: { kind: 'sample', documents: 60 }, seed: 3, generalFraction: 0.2, tokenizer: { vocabSize: 300 } };
/** Two stages of two steps each; a checkpoint at each stage end and after every step. */
const plan: PipelinePlanInput = {
  stages: [
    { stage: 'stage1', tokenBudget: 2 * 2 * 16, batchSize: 2, seqLen: 16, seed: 1, train: { lr: 1e-2, warmupSteps: 1 } },
    { stage: 'stage2', tokenBudget: 2 * 2 * 16, batchSize: 2, seqLen: 16, seed: 2, train: { lr: 5e-3, warmupSteps: 1 } },
  ],
  checkpointEvery: 1,
  benchmark: { batchSize: 2, seqLen: 16, batches: 1 },
};

async function ready(storeName: string): Promise<TrainerClient> {
  const trainer = await createTrainer({ storeName, backend: 'webgpu', matmulAutotune: 'off' });
  const summary = await trainer.buildCorpus(corpus);
  expect(summary.generalDocuments).toBeGreaterThan(0);
  await trainer.createModel({ preset: 'nano', overrides: { dModel: 32, nLayers: 1, nHeads: 2, nKvHeads: 1, ffnHidden: 48, contextLength: 32 }, seed: 3, tokenizer: 'corpus' });
  return trainer;
}

async function runWeights(trainer: TrainerClient, run: string): Promise<Map<string, Float32Array>> {
  const files = unzipFiles(new Uint8Array(await (await trainer.exportCheckpoint(undefined, run)).arrayBuffer()), 'export');
  return new Map([...decodeSafetensors(files.get('model.safetensors')!)].map(([name, tensor]) => [name, tensor.data]));
}

describe('pipeline in the trainer worker (Chromium)', () => {
  it('resumes a pipeline run exactly from its IndexedDB store after the worker is terminated', async () => {
    const run = `${Date.now()}`;
    const straight = await ready(`pipe-straight-${run}`);
    const events: PipelineRunEvent[] = [];
    const watch = watchPage();
    const whole = await straight.runPipeline({ name: 'recipe', plan }, (event) => events.push(event));
    const gaps = watch.stop();
    console.info(`page timer, 16 ms, while the worker ran the pipeline: ${describeGaps(gaps)}`);
    // As in worker.test.ts: no gap of 100 ms or more lies in a task of the page (the raw maximum is logged).
    expect(gaps.over100InLongTask, describeGaps(gaps)).toBe(0);
    expect(whole).toMatchObject({ reason: 'done', globalStep: 4, totalSteps: 4 });
    expect(whole.losses).toHaveLength(4);
    expect(events.filter((event) => event.kind === 'stage-end')).toHaveLength(2);
    expect(events.flatMap((event) => (event.kind === 'step' ? event.losses.map(([step]) => step) : []))).toEqual([1, 2, 3, 4]);
    const straightWeights = await runWeights(straight, 'recipe');
    // The pipeline's checkpoints are the run's own: the single-stage store stays empty.
    expect(await straight.listCheckpoints()).toEqual([]);
    straight.terminate();

    const first = await ready(`pipe-resumed-${run}`);
    let stopping = false;
    const part = await first.runPipeline({ name: 'recipe', plan }, (event) => {
      if (event.kind !== 'step' || stopping) return;
      stopping = true;
      void first.stop();
    });
    expect(part.reason).toBe('stopped');
    expect(part.globalStep).toBeLessThan(4);
    first.terminate();

    const second = await createTrainer({ storeName: `pipe-resumed-${run}`, backend: 'webgpu', matmulAutotune: 'off' });
    const [listed] = await second.listPipelines();
    expect(listed).toMatchObject({ name: 'recipe', totalSteps: 4 });
    expect(listed.checkpoints.at(-1)).toMatchObject({ step: part.globalStep, current: true });
    const rest = await second.runPipeline({ name: 'recipe', resume: true });
    const resumed = [...part.losses, ...rest.losses];
    console.info(`worker pipeline losses: straight ${whole.losses.map((l) => l.toFixed(6)).join(' ')}; stopped at ${part.globalStep}, resumed ${resumed.map((l) => l.toFixed(6)).join(' ')}`);
    expect(resumed).toHaveLength(whole.losses.length);
    resumed.forEach((loss, i) => expect(Math.abs(loss - whole.losses[i])).toBeLessThanOrEqual(1e-6 * Math.abs(whole.losses[i])));
    const resumedWeights = await runWeights(second, 'recipe');
    for (const [name, data] of straightWeights) expect(resumedWeights.get(name), name).toEqual(data);
    second.terminate();
  }, 240_000);

  it('sends the corpus summary across, not the corpus: what each would cost the page', async () => {
    // The demo's corpus (200 sample documents) and a larger one, built here on the page only to measure them.
    for (const documents of [200, 2000]) {
      const built = await buildCorpusFromSpec({ source: { kind: 'sample', documents }, seed: 0 }, { vocabSize: 320 });
      const corpusBytes = built.corpus.training.reduce((sum, item) => sum + item.ids.byteLength + 2 * item.document.text.length, 0) * 2;
      const summaryBytes = 2 * JSON.stringify(built.summary).length;
      const clone = (value: unknown) => {
        const started = performance.now();
        structuredClone(value);
        return performance.now() - started;
      };
      const corpusMs = clone(built.corpus);
      const summaryMs = clone(built.summary);
      console.info(`${documents} documents: the corpus is ~${(corpusBytes / 1e6).toFixed(2)} MB, one structured clone ${corpusMs.toFixed(1)} ms ` +
        `(a page receiving it deserialises on its main thread); the summary ~${(summaryBytes / 1e3).toFixed(1)} KB, ${summaryMs.toFixed(2)} ms`);
      expect(summaryBytes).toBeLessThan(32_000);
      expect(corpusBytes).toBeGreaterThan(20 * summaryBytes);
    }
  }, 240_000);
});
