/**
 * The demo page: the first screen's WebGPU check, then Data -> Training -> Checkpoints -> Playground ->
 * Evaluation. All the work happens in a module worker (worker/worker.ts); this thread only draws.
 */
import { wrap } from 'comlink';
import type { BackendInfo } from '../../src/index.js';
import type { DemoWorkerApi } from './worker/api.js';
import { setupCheckpoints } from './ui/checkpoints.js';
import { setupData } from './ui/data.js';
import { byId, messageOf } from './ui/dom.js';
import { setupEvaluation } from './ui/evaluation.js';
import { setupPlayground } from './ui/playground.js';
import { checkWebGpu, showBackend } from './ui/start.js';
import { setupTraining } from './ui/training.js';

const worker = wrap<DemoWorkerApi>(new Worker(new URL('./worker/worker.ts', import.meta.url), { type: 'module' }));

const modelButtons = ['ask', 'complete', 'evaluate'].map((id) => byId<HTMLButtonElement>(id));
const enableModel = () => modelButtons.forEach((button) => (button.disabled = false));

async function main(): Promise<void> {
  const check = await checkWebGpu();
  let backend: BackendInfo | undefined;
  try {
    backend = await worker.init(check.ok ? 'auto' : 'cpu');
    showBackend(check, backend);
  } catch (error) {
    showBackend(check, undefined, messageOf(error));
  }
  byId('use-cpu').addEventListener('click', async () => {
    showBackend(check, await worker.init('cpu'));
  });

  let checkpoints: { refresh(): Promise<void> } | undefined;
  const training = setupTraining(worker, () => {
    enableModel();
    void checkpoints?.refresh();
  });
  checkpoints = setupCheckpoints(worker, async (id) => {
    const run = training.resumeFrom(id);
    enableModel();
    await run;
  });
  // The list follows the saves of a run in progress.
  setInterval(() => {
    if (training.isRunning()) void checkpoints?.refresh();
  }, 3000);
  const playground = setupPlayground(worker);
  setupData(worker, () => training.setCorpusReady(true), (folder) => void playground.then((view) => view.offerBfcl(folder)));
  setupEvaluation(worker);
  await playground;
  document.body.dataset.ready = 'true';
}

void main();
