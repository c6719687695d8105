// Training-step time of the peer library @genai-fi/nanogpt in Node 20 on Dawn over llvmpipe (the
// adapter our bench uses), through its public API: TeachableLLM.create -> trainTokeniser ->
// training.job. Run by bench/peer-bench.ts in a child process (the peer bundles its own tfjs).
//
//   node bench/peer/nanogpt.mjs '{"dModel":256,"nLayers":4,"nHeads":8,"mlpFactor":3,"vocabSize":2048,
//                               "seqLen":128,"batchSize":8,"warmup":2,"steps":4,"mixed":false,"text":"..."}'
//
// Prints one `RESULT {json}` line: milliseconds per step, taken as the wall time between the library's
// per-step progress events (with logInterval 1 it reads the loss back every step, as our Trainer does).
import { readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';

const args = JSON.parse(process.argv[2] ?? '{}');

// Two shims for Node 20 (see ../shared/peer-bench/README.md): the published browser build picks tfjs's
// Node platform unless it sees a worker-like global, and its job bookkeeping calls Iterator.prototype.reduce.
globalThis.WorkerGlobalScope ??= class WorkerGlobalScope {};
const iteratorPrototype = Object.getPrototypeOf(Object.getPrototypeOf([].values()));
if (typeof iteratorPrototype.reduce !== 'function') {
  Object.defineProperty(iteratorPrototype, 'reduce', {
    configurable: true, writable: true,
    value(fn, initial) { let acc = initial; for (const value of this) acc = fn(acc, value); return acc; },
  });
}

// Dawn over Mesa llvmpipe (OpenGL ES): the adapter needs the compatibility feature level.
process.env.EGL_PLATFORM ??= 'surfaceless';
Object.assign(globalThis, globals);
const gpu = create(['backend=opengles']);
const requestAdapter = gpu.requestAdapter.bind(gpu);
gpu.requestAdapter = (options = {}) => requestAdapter({ ...options, featureLevel: 'compatibility' });
globalThis.keepDawnAlive = gpu; // dropping the instance crashes the process at random
globalThis.navigator = { gpu };

const { TeachableLLM, data } = await import('@genai-fi/nanogpt');
await TeachableLLM.selectBackend('webgpu');
const config = {
  modelType: 'GenAI_NanoGPT_v2', vocabSize: args.vocabSize, blockSize: args.seqLen,
  nLayer: args.nLayers, nHead: args.nHeads, nEmbed: args.dModel, mlpFactor: args.mlpFactor,
};
const llm = TeachableLLM.create('char', config);
await new Promise((resolve, reject) => { llm.on('loaded', resolve); llm.on('error', reject); });
const text = args.textFile ? readFileSync(args.textFile, 'utf8') : args.text;
const stream = new data.MemoryConversationStream([[{ role: 'text', content: text }]]);
await llm.trainTokeniser([stream]);

const total = args.warmup + args.steps;
const stamps = [];
const finished = new Promise((resolve, reject) => {
  llm.training.on('progress', (job) => {
    const entry = job.history.at(-1);
    stamps.push({ now: performance.now(), step: entry.step, loss: entry.trainingMetrics.loss });
    if (entry.step >= total) llm.training.cancel(job.id);
  });
  llm.training.on('completed', resolve);
  llm.training.on('cancelled', resolve);
  llm.training.on('error', (_, error) => reject(error));
});
await llm.training.job({
  method: { type: 'pretraining' }, batchSize: args.batchSize, learningRate: 1e-3, warmupSteps: 0, weightDecay: 0.01,
  logInterval: 1, mixedPrecision: args.mixed, gradientCheckpointing: false, dropout: 0, maxEpochs: 10, metrics: [],
}, [stream], [{ id: 'bench', name: 'bench' }]);
await finished;

// Step k's time is the gap between events k-1 and k; the first event follows the library's own warm-up pass.
const stepMs = stamps.slice(1).map((s, i) => ({ step: s.step, ms: s.now - stamps[i].now })).filter((s) => s.step > args.warmup).map((s) => s.ms);
console.log('RESULT', JSON.stringify({ params: llm.getNumParams(), stepMs, losses: stamps.map((s) => s.loss) }));
process.exit(0);
