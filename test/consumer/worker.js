// Page (c): trains nano in the library's Web Worker through its typed client (hephaestus-web/worker):
// the page itself holds no model, and its bundle carries only the client; the worker is its own chunk.
import { createTrainer } from 'hephaestus-web/worker';
import { report } from './report.js';

const CITIES = ['Paris', 'Lima', 'Oslo', 'Kyoto', 'Accra', 'Quito'];

report(async (print) => {
  // Default variants: no background matmul autotune competing with the few steps timed here.
  const trainer = await createTrainer({ backend: 'webgpu', storeName: `consumer-${Date.now()}`, matmulAutotune: 'off' });
  print(`backend ${trainer.backend.name} ${trainer.backend.adapter}`);
  const texts = Array.from({ length: 60 }, (_, i) => `<|user|>What is the weather in ${CITIES[i % CITIES.length]}?<|end|>` +
    `<|tool_call|>{"name": "get_weather", "arguments": {"city": "${CITIES[i % CITIES.length]}"}}<|end|>`);
  await trainer.attachData({ kind: 'documents', texts });
  await trainer.createModel({ preset: 'nano', overrides: { contextLength: 64 }, seed: 0, tokenizer: { vocabSize: 320 } });
  const outcome = await trainer.train({ steps: 4, batchSize: 4, seqLen: 32, lr: 1e-2, warmupSteps: 1, seed: 0 });
  outcome.losses.forEach((loss, i) => print(`step ${i + 1} loss ${loss.toFixed(4)}`));
  trainer.terminate();
});
