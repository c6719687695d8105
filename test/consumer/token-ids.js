// Page (a): trains the nano model for a few steps on token ids the page makes itself (no tokenizer).
import { LlamaModel, RandomWindowSampler, Trainer, initBackend, resolveConfig, runTraining } from 'hephaestus-web';
import { report } from './report.js';

report(async (print) => {
  const backend = await initBackend({ prefer: 'webgpu' });
  print(`backend ${backend.name} ${backend.adapter}`);
  const vocabSize = 256;
  // A repeating pattern with noise: learnable, so the loss falls within a few steps.
  const tokens = Int32Array.from({ length: 4096 }, (_, i) => (i % 7 === 0 ? (i * 31) % vocabSize : (i * 3) % 17));
  const model = LlamaModel.create(resolveConfig('nano', { vocabSize }), { seed: 0 });
  const steps = 4;
  const trainer = new Trainer(model, { steps, lr: 1e-2, warmupSteps: 1 });
  const sampler = new RandomWindowSampler(tokens, { batchSize: 4, seqLen: 32, seed: 0 });
  await runTraining(trainer, sampler, { onProgress: (p) => print(`step ${p.step} loss ${p.loss.toFixed(4)}`) });
  trainer.dispose();
  model.dispose();
});
