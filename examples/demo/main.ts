// Minimal demo: the same library calls as the CLI, in the page. The worker, live charts and
// IndexedDB checkpoints arrive with later work; this page only proves the whole loop runs here.
import {
  LlamaModel, RandomWindowSampler, Trainer, encodeDocuments, generate, initBackend, resolveConfig,
  runTraining, syntheticCorpus, trainBpeTokenizer,
} from '../../src/index.js';

const log = document.querySelector<HTMLPreElement>('#log')!;
const start = document.querySelector<HTMLButtonElement>('#start')!;
const stop = document.querySelector<HTMLButtonElement>('#stop')!;
const stepsInput = document.querySelector<HTMLInputElement>('#steps')!;
const print = (line: string) => (log.textContent += `${line}\n`);

start.addEventListener('click', async () => {
  start.disabled = true;
  stop.disabled = false;
  log.textContent = '';
  const abort = new AbortController();
  stop.onclick = () => abort.abort();
  try {
    const backend = await initBackend();
    print(`backend: ${backend.name} (${backend.adapter})${backend.fallbackReason ? ` - WebGPU unavailable: ${backend.fallbackReason}` : ''}`);
    const texts = syntheticCorpus({ seed: 0 }).map((document) => document.text);
    const tokenizer = await trainBpeTokenizer(texts, { vocabSize: 1024, signal: abort.signal });
    const model = LlamaModel.create(resolveConfig('nano', { vocabSize: tokenizer.vocabSize }));
    const trainer = new Trainer(model, { steps: Number(stepsInput.value), lr: 3e-3, warmupSteps: 10 });
    const sampler = new RandomWindowSampler(encodeDocuments(tokenizer, texts), { batchSize: 8, seqLen: 64, seed: 0 });
    await runTraining(trainer, sampler, {
      signal: abort.signal,
      onProgress: (p) => {
        if (p.step % 5 === 0 || p.step === p.totalSteps) {
          print(`step ${p.step}/${p.totalSteps}  loss ${p.loss.toFixed(3)}  ${Math.round(p.tokensPerSecond)} tok/s`);
        }
      },
    });
    const prompt = tokenizer.encode('<|user|>What is the weather in Paris?<|end|>');
    const { tokens } = await generate(model, prompt, { maxNewTokens: 40, stopTokens: [tokenizer.special.endOfText] });
    print(`\nsample: ${tokenizer.decode([...prompt, ...tokens])}`);
  } catch (error) {
    print(`error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    start.disabled = false;
    stop.disabled = true;
  }
});
