// Page (b): trains a byte-level BPE tokenizer on the synthetic sample, trains nano, generates.
import {
  LlamaModel, RandomWindowSampler, Trainer, encodeDocuments, generate, initBackend, resolveConfig, runTraining, syntheticCorpus,
} from 'hephaestus-web';
// A subpath entry, bundled by the app's vite like the root.
import { trainBpeTokenizer } from 'hephaestus-web/tokenizer';
import { report } from './report.js';

report(async (print) => {
  const backend = await initBackend({ prefer: 'webgpu' });
  print(`backend ${backend.name} ${backend.adapter}`);
  const texts = syntheticCorpus({ documents: 60, seed: 1 }).map((document) => document.text);
  const tokenizer = await trainBpeTokenizer(texts, { vocabSize: 400 });
  print(`tokenizer ${tokenizer.vocabSize}`);
  const model = LlamaModel.create(resolveConfig('nano', { vocabSize: tokenizer.vocabSize }), { seed: 0 });
  const trainer = new Trainer(model, { steps: 4, lr: 1e-2, warmupSteps: 1 });
  const sampler = new RandomWindowSampler(encodeDocuments(tokenizer, texts), { batchSize: 4, seqLen: 32, seed: 0 });
  await runTraining(trainer, sampler, { onProgress: (p) => print(`step ${p.step} loss ${p.loss.toFixed(4)}`) });
  const prompt = tokenizer.encode('<|user|>Convert 10 USD to EUR<|end|>');
  const { tokens } = await generate(model, prompt, { maxNewTokens: 8 });
  print(`generated ${JSON.stringify(tokenizer.decode(tokens))}`);
  trainer.dispose();
  model.dispose();
});
