/**
 * The demo page: the first screen's WebGPU check, then Data -> Training -> Checkpoints -> Playground ->
 * Evaluation. All the work happens in the library's trainer worker, through its client
 * (`hephaestus-web/worker`, as any app would use it); this thread only draws.
 */
import { createTrainer, type TrainerClient } from 'hephaestus-web/worker';
import { setupCheckpoints } from './ui/checkpoints.js';
import { setupData } from './ui/data.js';
import { byId, messageOf } from './ui/dom.js';
import { setupEvaluation } from './ui/evaluation.js';
import { setupPlayground } from './ui/playground.js';
import { checkWebGpu, showBackend } from './ui/start.js';
import { setupTraining } from './ui/training.js';

/** IndexedDB database of the page's checkpoints (each pipeline run has its own, `hephaestus-demo-run-<name>`). */
const STORE_NAME = 'hephaestus-demo';
/** Checkpoints kept per run: with the imported ones the list stays short. */
const KEEP_LAST = 4;

async function main(): Promise<void> {
  const check = await checkWebGpu();
  const start = (backend: 'auto' | 'cpu') => createTrainer({ backend, storeName: STORE_NAME, keepLast: KEEP_LAST });
  const holder: { trainer: TrainerClient; base?: string } = { trainer: await start(check.ok ? 'auto' : 'cpu').catch(async (error: unknown) => {
    showBackend(check, undefined, messageOf(error));
    return start('cpu');
  }) };
  showBackend(check, holder.trainer.backend);
  byId('use-cpu').addEventListener('click', async () => {
    holder.trainer.terminate();
    holder.trainer = await start('cpu');
    showBackend(check, holder.trainer.backend);
  });

  const modelButtons = ['ask', 'complete', 'evaluate'].map((id) => byId<HTMLButtonElement>(id));
  const enableModel = () => modelButtons.forEach((button) => (button.disabled = false));
  let checkpoints: { refresh(): Promise<void> } | undefined;
  const training = setupTraining(holder, {
    onSaved: () => void checkpoints?.refresh(),
    onSettled: () => {
      enableModel();
      void checkpoints?.refresh();
    },
  });
  checkpoints = setupCheckpoints(holder, {
    resume: (run, id) => training.resumeFrom(run, id),
    onLoaded: enableModel,
  });
  const playground = setupPlayground(holder);
  setupData(holder, () => training.setCorpusReady(true), (folder) => void playground.offerBfcl(folder));
  setupEvaluation(holder);
  document.body.dataset.ready = 'true';
}

void main();
