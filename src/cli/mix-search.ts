import { writeFile } from 'node:fs/promises';
import { buildForge, tokenizeDocuments } from '../forge/builder.js';
import { PackedDataset } from '../data/packing.js';
import { resolveConfig, type PresetName } from '../model/config.js';
import { initNodeBackend } from '../runtime/node-webgpu.js';
import { searchMixRatio } from '../recipe/mix-search.js';
import { InputError } from '../util/errors.js';
import { formatDuration, numberOption, stringOption, tokenizerOption, tokenizerSample } from './args.js';
import { loadCorpusSources } from './corpus-sources.js';

export const MIX_SEARCH_OPTIONS = {
  'data-dir': { type: 'string' }, 'code-dir': { type: 'string' }, 'code-files': { type: 'string' },
  shares: { type: 'string' }, preset: { type: 'string' }, steps: { type: 'string' }, 'batch-size': { type: 'string' },
  'seq-len': { type: 'string' }, 'total-tokens': { type: 'string' }, 'vocab-size': { type: 'string' },
  seed: { type: 'string' }, out: { type: 'string' }, backend: { type: 'string' },
} as const;

/** `hephaestus-web mix-search`: the paper's mixing-ratio study with proxy runs, at toy scale. */
export async function mixSearchCommand(values: Record<string, unknown>): Promise<void> {
  const seed = numberOption(values, 'seed', 0);
  const backend = await initNodeBackend({ prefer: stringOption(values, 'backend', 'auto') as 'auto' });
  log(`backend: ${backend.name} (${backend.adapter})`);
  const documents = await loadCorpusSources({
    dataDir: values['data-dir'] as string | undefined, codeDir: values['code-dir'] as string | undefined,
    codeFiles: numberOption(values, 'code-files', 600), textFiles: [], seed,
  }, log);
  const tokenizer = await tokenizerOption(values, tokenizerSample(documents), 1024);
  const corpus = await buildForge({ documents }, { tokenizer, seed, onPhase: (phase, detail) => log(`${phase}: ${detail}`) });
  const seqLen = numberOption(values, 'seq-len', 64);
  const batchSize = numberOption(values, 'batch-size', 8);
  const heldOutAgent = corpus.evaluation.filter((document) => document.kind === 'tool_doc' || document.kind === 'trajectory');
  const benchmark = PackedDataset.build(tokenizeDocuments(heldOutAgent, tokenizer), {
    seqLen, seed, separator: tokenizer.special.endOfText, pad: tokenizer.special.pad, mode: 'stream',
  }, batchSize).batchesOfEpoch().slice(0, 16);
  const shares = stringOption(values, 'shares', '0.1,0.25,0.4,0.55,0.7').split(',').map(Number);
  if (shares.some((share) => !Number.isFinite(share))) throw new InputError('--shares', `--shares expects numbers like 0.1,0.4,0.7`);
  const preset = stringOption(values, 'preset', 'nano') as PresetName;
  const model = resolveConfig(preset, { vocabSize: tokenizer.vocabSize });
  log(`benchmark: ${benchmark.length} batches of held-out agent data (${heldOutAgent.length} documents about ${corpus.evalFunctions.length} held-out functions)`);
  const started = performance.now();
  const result = await searchMixRatio(corpus.training.filter((item) => item.document.kind !== 'instruction'), benchmark, tokenizer.special, {
    agentShares: shares, model, seqLen, batchSize, seed,
    train: { steps: numberOption(values, 'steps', 150), lr: 3e-3, warmupSteps: 15 },
    totalTokens: numberOption(values, 'total-tokens', 600_000),
    onProgress: ({ share, run, runs, step, steps, loss }) => {
      if (step % 25 === 0 || step === steps) {
        const elapsed = (performance.now() - started) / 1000;
        const done = run + step / steps;
        log(`run ${run + 1}/${runs} (agent share ${share}): step ${step}/${steps} loss ${loss.toFixed(3)}  ETA ${formatDuration((elapsed / done) * (runs - done))}`);
      }
    },
  });
  for (const point of result.points) process.stdout.write(`agent share ${point.agentShare.toFixed(2)}: benchmark loss ${point.benchmarkLoss.toFixed(4)}\n`);
  process.stdout.write(`fit: loss = ${result.fit.a.toFixed(4)} s^2 + ${result.fit.b.toFixed(4)} s + ${result.fit.c.toFixed(4)}; chosen agent share ${result.optimum.toFixed(3)}\n`);
  const out = values.out;
  if (typeof out === 'string') {
    await writeFile(out, JSON.stringify({ preset, shares, seqLen, batchSize, ...result }, null, 2));
    log(`wrote the points and the fitted curve to ${out}`);
  }
}

function log(message: string): void {
  process.stderr.write(`${message}\n`);
}
