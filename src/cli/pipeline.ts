import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AbortedError, CheckpointError, DEFAULT_PIPELINE_PLAN, InputError, LlamaModel, NonFiniteError, SAMPLE_TOOLS, buildForge,
  errorMessage, evaluateFunctionCalling, formatEvaluationReport, holdOutGeneralText, initNodeBackend, loadCheckpointAt,
  loadTokenizer, openCheckpointFolder, parseCheckpoint, parsePipelinePlanFile, runPipeline, selectItems, syntheticBfclItems,
  trainedFunctions, type BenchmarkPoint, type BfclItem, type CheckpointFolder, type CorpusDocument, type ForgeCorpus,
  type PipelineBase, type PipelineEvent, type PipelinePlanFile, type TrainProgress,
} from '../node.js';
import { defineCommand } from './command.js';
import {
  BACKEND_OPTION, CORPUS_OPTIONS, formatDuration, interruptOnCtrlC, log, progressPrinter, requireFile, requireFolder, shellQuote,
  tokenizerFor, tokenizerSample,
} from './common.js';
import { loadCorpusSources, loadSharedBfclItems } from './corpus-sources.js';
import type { OptionValues } from './options.js';
import { describeCheckpoint } from './run-folder.js';

const PIPELINE_OPTIONS = {
  plan: { type: 'string', arg: 'file', defaultText: 'the built-in plan (--print-plan shows it)', help: 'the JSON plan: base model, stages, checkpoints, benchmark, evaluation' },
  'print-plan': { type: 'boolean', help: 'print the built-in plan as JSON (a start for your own) and exit' },
  ...CORPUS_OPTIONS,
  'general-fraction': { type: 'number', above: 0, below: 1, default: 0.1, help: 'share of the general-text documents held out as the forgetting benchmark' },
  out: { type: 'string', arg: 'folder', default: 'checkpoints/pipeline', help: 'run folder: missing, empty, or one holding this pipeline\'s checkpoints' },
  resume: { type: 'boolean', help: 'continue the run in --out from its current checkpoint (same plan and data)' },
  keep: { type: 'integer', min: 1, default: 12, help: 'checkpoints kept in --out; older ones are deleted after a save' },
  backend: BACKEND_OPTION,
} as const;

/** `hephaestus-web pipeline`: the whole recipe (base, Stages I-III) from a plan, resumable, then its evaluation. */
export const pipelineCommand = defineCommand({
  name: 'pipeline',
  summary: 'the Hephaestus recipe from a JSON plan: base stage, Stages I-III, checkpoints, benchmark loss, BFCL evaluation',
  details: [
    'Builds the Forge corpus (the embedded sample, or --data-dir), holds out general text, trains each stage of the plan',
    'with its own token budget and optimizer, checkpoints every stage end and every checkpointEvery steps with the',
    'benchmark losses, and evaluates the final checkpoint on BFCL-style items (real BFCL with --data-dir, else the',
    'sample\'s held-out synthetic tools). Ctrl-C saves and exits 130; --resume continues at the same stage, step and data.',
  ].join('\n'),
  options: PIPELINE_OPTIONS,
  async run(values) {
    if (values.printPlan) {
      process.stdout.write(`${JSON.stringify(DEFAULT_PIPELINE_PLAN, null, 2)}\n`);
      return;
    }
    const file = values.plan === undefined ? { plan: DEFAULT_PIPELINE_PLAN, source: 'the built-in plan' } : await readPlan(values.plan);
    const planFile = parsePipelinePlanFile(file.plan, file.source);
    if (values.dataDir !== undefined) await requireFolder('--data-dir', values.dataDir);
    if (values.codeDir !== undefined) await requireFolder('--code-dir', values.codeDir);
    const folder = await openCheckpointFolder(values.out, { keepLast: values.keep });
    try {
      const existing = (await folder.store.list()).at(-1);
      if (!values.resume && existing) {
        throw new InputError('--out', `${values.out} already holds checkpoints of a run (latest: ${existing.id}); pass --resume to continue it, or choose another --out; nothing was changed`);
      }
      if (values.resume && !existing) throw new InputError('--resume', `${values.out} holds no checkpoint to resume`);
      await pipeline(values, planFile, folder);
    } finally {
      await folder.release();
    }
  },
});

type PipelineValues = OptionValues<typeof PIPELINE_OPTIONS>;

async function pipeline(values: PipelineValues, planFile: PipelinePlanFile, folder: CheckpointFolder): Promise<void> {
  const { seed } = planFile;
  const backend = await initNodeBackend({ prefer: values.backend });
  log(`backend: ${backend.name} (${backend.adapter})${backend.fallbackReason ? `; WebGPU unavailable: ${backend.fallbackReason}` : ''}`);
  const documents = await loadCorpusSources({ dataDir: values.dataDir, codeDir: values.codeDir, codeFiles: values.codeFiles, textFiles: [], seed }, log);
  const { training, heldOut } = holdOutGeneralText(documents, { fraction: values.generalFraction, seed });
  const base = await loadBase(planFile, values.resume === true ? folder : undefined, training);
  const corpus = await buildForge({ documents: training }, { tokenizer: base.tokenizer, seed, onPhase: (phase, detail) => log(`${phase}: ${detail}`) });
  log(`corpus: ${corpus.training.length} training documents; held out: ${corpus.evalFunctions.length} functions (${corpus.evaluation.length} documents, ` +
    `the agent benchmark) and ${heldOut.length} general-text documents (the forgetting benchmark); leakage check ${corpus.leakage.ok ? 'passed' : 'FAILED'}`);

  const stop = interruptOnCtrlC();
  const started = performance.now();
  let result;
  try {
    result = await runPipeline({
      base, corpus, plan: planFile.plan, store: folder.store, generalText: heldOut, seed, resume: values.resume, signal: stop.signal,
      onProgress: eventPrinter(),
    });
  } catch (error) {
    const last = (await folder.store.list().catch(() => [])).at(-1);
    const kept = last ? `the last good checkpoint ${last.id} (${last.stage}, step ${last.step}) in ${values.out} is kept` : 'no checkpoint was saved';
    if (error instanceof NonFiniteError) throw new NonFiniteError(`${error.message}; ${kept}`);
    if (error instanceof AbortedError && last) log(`interrupted: ${kept}; continue with: hephaestus-web pipeline ${planArgument(values)}--out ${shellQuote(values.out)} --resume`);
    throw error;
  } finally {
    stop.dispose();
  }
  log(`pipeline done in ${formatDuration((performance.now() - started) / 1000)}`);
  process.stdout.write(`${benchmarkTable(result.benchmarks)}\n`);
  for (const stage of result.stages) process.stdout.write(`${stage.stage}: ${stage.steps} steps, checkpoint ${stage.checkpoint}, last loss ${stage.loss.toFixed(4)}\n`);
  describeCheckpoint(values.out, result.final);
  if (planFile.evaluation.items > 0) await evaluate(folder, result.final.id, corpus, values.dataDir, planFile);
}

function planArgument(values: PipelineValues): string {
  return values.plan === undefined ? '' : `--plan ${shellQuote(values.plan)} `;
}

async function readPlan(path: string): Promise<{ plan: unknown; source: string }> {
  await requireFile('--plan', path);
  const text = await readFile(path, 'utf8');
  try {
    return { plan: JSON.parse(text), source: path };
  } catch (error) {
    throw new InputError(path, `invalid JSON (${errorMessage(error)})`);
  }
}

/** The start model: the resumed run's tokenizer, a checkpoint folder, or a fresh preset with a BPE tokenizer trained here. */
async function loadBase(planFile: PipelinePlanFile, resumeFrom: CheckpointFolder | undefined, documents: CorpusDocument[]): Promise<PipelineBase> {
  if (planFile.base.kind === 'checkpoint' || resumeFrom) {
    const found = resumeFrom ? await resumeFrom.store.load().then(({ files, info }) => ({ files, source: join(resumeFrom.dir, info.id) }))
      : await loadCheckpointAt(planFile.base.kind === 'checkpoint' ? planFile.base.path : '');
    const checkpoint = parseCheckpoint(found.files, found.source);
    log(`${resumeFrom ? 'resuming' : 'base'}: ${found.source} (vocabulary ${checkpoint.config.vocabSize}, context ${checkpoint.config.contextLength})`);
    return { config: checkpoint.config, weights: resumeFrom ? undefined : checkpoint.weights, tokenizer: await loadTokenizer(checkpoint.tokenizer) };
  }
  const tokenizer = await tokenizerFor(undefined, tokenizerSample(documents), planFile.vocabSize);
  log(`base: fresh ${planFile.base.preset} model (context ${planFile.base.config.contextLength}, vocabulary ${tokenizer.vocabSize})`);
  return { config: { ...planFile.base.config, vocabSize: Math.max(planFile.base.config.vocabSize, tokenizer.vocabSize) }, tokenizer };
}

/** Prints stage starts, a progress bar per stage, benchmark points and saves. */
function eventPrinter(): (event: PipelineEvent) => void {
  let bar: ((progress: TrainProgress) => void) | undefined;
  return (event) => {
    switch (event.kind) {
      case 'stage-start': {
        const { packing } = event;
        log(`${event.stage} (${event.index + 1}/${event.stages}): ${event.steps} steps${event.fromStep ? `, resumed at step ${event.fromStep}` : ''}; ` +
          `${packing.documents} documents in ${packing.rows} rows${packing.truncated ? `, ${packing.truncated} cut at the row length (their end is not trained on)` : ''}`);
        bar = progressPrinter(`${event.stage} `);
        break;
      }
      case 'step':
        bar?.(event.progress);
        break;
      case 'benchmark':
        log(`benchmark at ${event.point.stage} step ${event.point.step} (pipeline step ${event.point.globalStep}): ${lossText(event.point)}`);
        break;
      case 'checkpoint':
        log(`saved ${event.checkpoint.id} (${event.stage}, ${event.reason})`);
        break;
      case 'stage-end':
        log(`${event.stage} done: ${event.checkpoint.id}`);
        break;
    }
  };
}

function lossText(point: BenchmarkPoint): string {
  const value = (loss: number | null) => (loss === null ? 'n/a' : loss.toFixed(4));
  return `agent ${value(point.agent)}, general text ${value(point.general)}`;
}

/** The benchmark log as a table: held-out agent loss and held-out general-text loss through the run. */
function benchmarkTable(points: readonly BenchmarkPoint[]): string {
  const rows = points.map((point) => `${String(point.globalStep).padStart(6)}  ${point.stage.padEnd(6)}  ${String(point.step).padStart(5)}  ${lossText(point)}`);
  return ['benchmark loss (held-out agent data / held-out general text)', '  step  stage    at', ...rows].join('\n');
}

/** Evaluates a checkpoint of the store on BFCL-style items and prints the report. */
async function evaluate(folder: CheckpointFolder, id: string, corpus: ForgeCorpus, dataDir: string | undefined, planFile: PipelinePlanFile): Promise<void> {
  const { files, info } = await folder.store.load(id);
  const checkpoint = parseCheckpoint(files, join(folder.dir, info.id));
  const tokenizer = await loadTokenizer(checkpoint.tokenizer);
  const seen = trainedFunctions(corpus);
  const items = selectItems(await evaluationItems(corpus, dataDir, planFile.seed), planFile.evaluation.items, planFile.seed, seen);
  log(`evaluating ${info.id} on ${items.length} BFCL-style items (${dataDir ? 'BFCL files' : 'the sample\'s synthetic tools; held out: ' + corpus.evalFunctions.join(', ')})`);
  const model = LlamaModel.create(checkpoint.config, { weights: checkpoint.weights });
  try {
    const evaluation = await evaluateFunctionCalling(model, tokenizer, items, {
      maxNewTokens: planFile.evaluation.maxNewTokens, seenFunctions: seen,
      onProgress: ({ done, total, correct }) => { if (done % 8 === 0 || done === total) log(`  ${done}/${total} items, ${correct} correct`); },
    });
    process.stdout.write(`${formatEvaluationReport(evaluation)}\n`);
  } finally {
    model.dispose();
  }
}

async function evaluationItems(corpus: ForgeCorpus, dataDir: string | undefined, seed: number): Promise<BfclItem[]> {
  if (dataDir === undefined) {
    const heldOut = SAMPLE_TOOLS.filter((tool) => corpus.evalFunctions.includes(tool.name));
    const seen = SAMPLE_TOOLS.filter((tool) => !corpus.evalFunctions.includes(tool.name));
    return syntheticBfclItems([...heldOut, ...seen], SAMPLE_TOOLS, { perFunction: 8, seed });
  }
  return loadSharedBfclItems(dataDir).catch((error: unknown) => {
    throw error instanceof CheckpointError ? error : new InputError('--data-dir', `cannot read the BFCL files: ${errorMessage(error)}`);
  });
}
