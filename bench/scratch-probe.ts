import * as tf from '@tensorflow/tfjs';
import { initNodeBackend } from '../src/runtime/node-webgpu.js';
import { resolveConfig } from '../src/model/config.js';
import { LlamaModel } from '../src/model/model.js';
import { Trainer } from '../src/train/trainer.js';
import { profileKernels } from './lib/kernel-profile.js';
await initNodeBackend({ prefer: process.argv[2] === 'cpu' ? 'cpu' : 'webgpu' });
const model = LlamaModel.create(resolveConfig('nano', { vocabSize: 1024 }));
const trainer = new Trainer(model, { steps: 1000 });
const n = 512;
const batch = { batchSize: 8, seqLen: 64, inputs: new Int32Array(n).map((_, i) => (i * 7) % 1024), targets: new Int32Array(n).map((_, i) => (i * 13) % 1024), mask: new Float32Array(n).fill(1) };
const src = { next: () => batch, state: () => ({ kind: 'x' }), restore() {} };
for (let i = 0; i < 2; i++) { const t = performance.now(); await trainer.step(src); console.log('step', performance.now() - t); }
const p = await profileKernels(async () => { await trainer.step(src); });
console.log(p.totalMs, p.byName.slice(0, 12));
process.exit(0);
