import {
  InputError, benchmarkRows, buildForge, holdOutGeneralText, initNodeBackend, resolveConfig, searchMixRatio,
} from '../node.js';
import { defineCommand } from './command.js';
import {
  BACKEND_OPTION, CORPUS_OPTIONS, PRESET_OPTION, SEED_OPTION, TOKENIZER_OPTIONS, checkOutputFile, formatDuration, log,
  requireFolder, tokenizerFor, tokenizerSample, writeFileAtomic,
} from './common.js';
import { loadCorpusSources } from './corpus-sources.js';

/** `hephaestus-web mix-search`: the paper's mixing-ratio study with proxy runs, at toy scale. */
export const mixSearchCommand = defineCommand({
  name: 'mix-search',
  summary: 'proxy trainings at several agent-data shares, a fitted loss curve and the chosen share',
  options: {
    ...CORPUS_OPTIONS,
    shares: { type: 'string', arg: 'list', default: '0.1,0.25,0.4,0.55,0.7', help: 'agent-data token shares to try, comma-separated, each in [0, 1]' },
    preset: PRESET_OPTION,
    steps: { type: 'integer', min: 1, default: 150, help: 'training steps per proxy run' },
    'batch-size': { type: 'integer', min: 1, default: 8, help: 'sequences per batch' },
    'seq-len': { type: 'integer', min: 1, default: 64, help: 'tokens per sequence, at most the preset\'s context' },
    'total-tokens': { type: 'integer', min: 1, default: 600_000, help: 'tokens of each proxy corpus' },
    'general-fraction': { type: 'number', above: 0, below: 1, default: 0.1, help: 'share of the general-text documents held out as the second benchmark' },
    'vocab-size': { ...TOKENIZER_OPTIONS['vocab-size'], default: 1024, defaultText: undefined },
    seed: SEED_OPTION,
    out: { type: 'string', arg: 'file', help: 'write the points and the fitted curve as JSON (for plotting); replaces the file' },
    backend: BACKEND_OPTION,
  },
  async run(values) {
    const shares = parseShares(values.shares);
    const model = resolveConfig(values.preset, { vocabSize: values.vocabSize });
    if (values.seqLen > model.contextLength) {
      throw new InputError('--seq-len', `${values.seqLen} exceeds the context of preset ${values.preset} (${model.contextLength} tokens)`);
    }
    if (values.dataDir !== undefined) await requireFolder('--data-dir', values.dataDir);
    if (values.codeDir !== undefined) await requireFolder('--code-dir', values.codeDir);
    if (values.out !== undefined) await checkOutputFile('--out', values.out);

    const backend = await initNodeBackend({ prefer: values.backend });
    log(`backend: ${backend.name} (${backend.adapter})`);
    const { seed, seqLen, batchSize } = values;
    const documents = await loadCorpusSources({ dataDir: values.dataDir, codeDir: values.codeDir, codeFiles: values.codeFiles, textFiles: [], seed }, log);
    const { training, heldOut } = holdOutGeneralText(documents, { fraction: values.generalFraction, seed });
    const tokenizer = await tokenizerFor(undefined, tokenizerSample(training), values.vocabSize);
    const corpus = await buildForge({ documents: training }, { tokenizer, seed, onPhase: (phase, detail) => log(`${phase}: ${detail}`) });
    const shape = { batchSize, seqLen, batches: 16, seed };
    const benchmarks = { agent: benchmarkRows(corpus.evaluation, tokenizer, shape), general: benchmarkRows(heldOut, tokenizer, shape) };
    if (benchmarks.agent.length === 0) throw new InputError('--data-dir', `the ${corpus.evaluation.length} held-out agent documents fill no batch of ${batchSize} x ${seqLen + 1} tokens`);
    log(`benchmarks: ${benchmarks.agent.length} batches of held-out agent data (${corpus.evaluation.length} documents about ${corpus.evalFunctions.length} held-out functions), ` +
      `${benchmarks.general.length} of held-out general text (${heldOut.length} documents)`);
    const started = performance.now();
    const result = await searchMixRatio(corpus.training.filter((item) => item.document.kind !== 'instruction'), benchmarks, tokenizer.special, {
      agentShares: shares, model: { ...model, vocabSize: tokenizer.vocabSize }, seqLen, batchSize, seed,
      train: { steps: values.steps, lr: 3e-3, warmupSteps: 15 },
      totalTokens: values.totalTokens,
      onProgress: ({ share, run, runs, step, steps, loss }) => {
        if (step % 25 === 0 || step === steps) {
          const elapsed = (performance.now() - started) / 1000;
          const done = run + step / steps;
          log(`run ${run + 1}/${runs} (agent share ${share}): step ${step}/${steps} loss ${loss.toFixed(3)}  ETA ${formatDuration((elapsed / done) * (runs - done))}`);
        }
      },
    });
    for (const point of result.points) {
      const general = point.generalLoss === null ? '' : `, general-text loss ${point.generalLoss.toFixed(4)}`;
      process.stdout.write(`agent share ${point.agentShare.toFixed(2)}: agent benchmark loss ${point.benchmarkLoss.toFixed(4)}${general}\n`);
    }
    const fitText = (fit: { a: number; b: number; c: number }) => `${fit.a.toFixed(4)} s^2 + ${fit.b.toFixed(4)} s + ${fit.c.toFixed(4)}`;
    process.stdout.write(`agent fit: loss = ${fitText(result.fit)}; its minimum at agent share ${result.optimum.toFixed(3)}\n`);
    if (result.generalFit) {
      process.stdout.write(`general-text fit: loss = ${fitText(result.generalFit)}\n`);
      process.stdout.write(`chosen agent share ${result.chosen.toFixed(3)}: the smallest sum of both fitted losses, each rescaled to [0, 1] over the tried shares\n`);
    }
    if (values.out !== undefined) {
      await writeFileAtomic('--out', values.out, [JSON.stringify({ preset: values.preset, shares, seqLen, batchSize, ...result }, null, 2)]);
      log(`wrote the points and the fitted curve to ${values.out}`);
    }
  },
});

/** `0.1,0.4,0.7`: at least three distinct shares in [0, 1] (a quadratic is fitted through them). */
function parseShares(text: string): number[] {
  const shares = text.split(',').map((part) => (part.trim() === '' ? NaN : Number(part)));
  if (shares.some((share) => !(share >= 0 && share <= 1))) throw new InputError('--shares', `expects numbers in [0, 1] like 0.1,0.4,0.7, got "${text}"`);
  if (new Set(shares).size < 3) throw new InputError('--shares', `needs at least three different shares to fit a curve, got "${text}"`);
  return shares;
}
