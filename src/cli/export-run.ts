import { readFile } from 'node:fs/promises';
import {
  ConfigError, DEFAULT_TRAIN_OPTIONS, InputError, checkRunTokenizer, errorMessage, exportRun, loadCheckpointAt, loadTokenizer,
  loadTokenizerFromDir, packStage, parseCheckpoint, parseStagePlans, writeRunDir,
  type Checkpoint, type ForgeCorpus, type Stage, type StagePlan, type Tokenizer,
} from '../node.js';
import { defineCommand } from './command.js';
import { checkOutputFolder, log, requireFile, requireFolder, requireTokenizerFolder, shellQuote } from './common.js';
import { FORGE_CORPUS_OPTIONS, buildForgeCorpus, checkForgeCorpusOptions } from './forge-corpus.js';
import type { GivenOptions, OptionValues } from './options.js';

/** The options of the one stage exported when no `--plan` is given. */
const STAGE_OPTIONS = {
  stage: { type: 'choice', choices: ['stage1', 'stage2', 'stage3'], default: 'stage1', help: 'the Forge stage to train' },
  tokens: { type: 'integer', min: 1, defaultText: 'one pass over the stage', help: 'token budget of the stage (trained target tokens)' },
  'batch-size': { type: 'integer', min: 1, default: 8, help: 'rows per micro-batch' },
  'seq-len': { type: 'integer', min: 1, default: 64, help: 'tokens per row, at most the checkpoint\'s context' },
  accumulation: { type: 'integer', min: 1, default: DEFAULT_TRAIN_OPTIONS.accumulation, help: 'micro-batches per optimizer step' },
  lr: { type: 'number', above: 0, default: DEFAULT_TRAIN_OPTIONS.lr, help: 'peak learning rate (linear warm-up, then cosine decay)' },
  'min-lr': { type: 'number', min: 0, default: DEFAULT_TRAIN_OPTIONS.minLr, help: 'learning rate at the end of the decay' },
  'warmup-steps': { type: 'integer', min: 0, default: DEFAULT_TRAIN_OPTIONS.warmupSteps, help: 'warm-up steps' },
} as const;

const OPTIONS = {
  checkpoint: {
    type: 'string', arg: 'folder', required: true,
    help: 'a run folder of train (its current checkpoint), one of its step-* folders, or a Hugging Face model folder',
  },
  out: { type: 'string', arg: 'folder', required: true, help: 'the run folder to write: new or empty' },
  ...FORGE_CORPUS_OPTIONS,
  tokenizer: {
    type: 'string', arg: 'folder', defaultText: 'the checkpoint\'s',
    help: 'the tokenizer the corpus is meant for (e.g. a forge --export-shards folder); it must be the checkpoint\'s',
  },
  plan: {
    type: 'string', arg: 'file',
    help: 'stages from a pipeline plan file ({"stages": [{"stage", "tokenBudget", "batchSize", "seqLen", "seed", "train"}]}) instead of the stage options below',
  },
  ...STAGE_OPTIONS,
  'benchmark-batches': { type: 'integer', min: 0, default: 4, help: 'held-out batches for the benchmark loss (0: none)' },
  'shard-tokens': { type: 'integer', min: 1, default: 100_000_000, help: 'most tokens per shard file' },
} as const;

type ExportValues = OptionValues<typeof OPTIONS>;

/** `hephaestus-web export-run`: a checkpoint and a Forge corpus as a folder that PyTorch's torchrun continues. */
export const exportRunCommand = defineCommand({
  name: 'export-run',
  summary: 'write a checkpoint and its Forge corpus as a run folder that PyTorch (torchrun, DDP) continues',
  details: [
    'The folder holds checkpoint/ (the Hugging Face checkpoint with its optimizer state), per stage llm.c token',
    'shards with their loss masks, benchmark/ shards, plan.json (stages, budgets, learning rates, schedule and',
    'position), a README with the exact torchrun commands, and the hephaestus_torch package. The corpus is built',
    'as forge builds it (same options) and tokenised with the checkpoint\'s tokenizer. Everything is checked',
    'before the first file is written; the folder appears complete or not at all. Then, in the folder:',
    '  torchrun --standalone --nproc_per_node=2 -m hephaestus_torch.train . --out out',
  ].join('\n'),
  options: OPTIONS,
  async run(values, given) {
    const planned = values.plan !== undefined ? await readPlan(values.plan, given) : undefined;
    await requireFolder('--checkpoint', values.checkpoint);
    await checkOutputFolder('--out', values.out, () => false);
    await checkForgeCorpusOptions(values);
    if (values.tokenizer !== undefined) await requireTokenizerFolder('--tokenizer', values.tokenizer);

    const { files, source } = await loadCheckpointAt(values.checkpoint);
    const checkpoint = parseCheckpoint(files, source);
    const tokenizer = await loadTokenizer(checkpoint.tokenizer);
    checkRunTokenizer(values.tokenizer === undefined ? tokenizer : await loadTokenizerFromDir(values.tokenizer), checkpoint, source);
    checkContext(planned?.map(({ plan, where }) => ({ seqLen: plan.seqLen, where })) ?? [{ seqLen: values.seqLen, where: '--seq-len' }], checkpoint, source);
    log(`checkpoint: ${source} (${checkpoint.config.nLayers} layers, width ${checkpoint.config.dModel}, vocabulary ${checkpoint.config.vocabSize}` +
      `${checkpoint.trainer ? `, step ${checkpoint.trainer.step}` : ''})`);

    const { corpus } = await buildForgeCorpus(values, async () => tokenizer);
    const stages = planned?.map((entry) => entry.plan) ?? [stageFromOptions(values, corpus, tokenizer)];
    await writeRunDir(values.out, exportRun({
      checkpoint: files, checkpointSource: source, corpus, tokenizer, stages,
      benchmark: { batches: values.benchmarkBatches }, shardTokens: values.shardTokens,
      onProgress: (progress) => log(`wrote ${progress.stage}: ${progress.rows} of ${progress.totalRows} rows`),
    }));
    describeRun(values.out, stages);
  },
});

/** One stage plan read from `--plan`, with the name of its `seqLen` field for messages. */
interface PlannedStage {
  plan: StagePlan;
  where: string;
}

/** The stage options by their value names, for the check that none is combined with `--plan`. */
const STAGE_VALUES = ['stage', 'tokens', 'batchSize', 'seqLen', 'accumulation', 'lr', 'minLr', 'warmupSteps'] as const satisfies readonly (keyof ExportValues)[];

/** The stages of a plan file; the stage options cannot be combined with it. */
async function readPlan(path: string, given: GivenOptions<typeof OPTIONS>): Promise<PlannedStage[]> {
  const clash = STAGE_VALUES.find((name) => given.has(name));
  if (clash) {
    const option = `--${clash.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`)}`;
    throw new InputError(option, 'cannot be combined with --plan (the plan file sets every stage)');
  }
  await requireFile('--plan', path);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InputError(path, `invalid JSON (${errorMessage(error)})`);
  }
  return parseStagePlans(json, path).map((plan, i) => ({ plan, where: `${path}: stages[${i}].seqLen` }));
}

/** Rows longer than the model's context are refused before the corpus is built. */
function checkContext(stages: readonly { seqLen: number; where: string }[], checkpoint: Checkpoint, source: string): void {
  const context = checkpoint.config.contextLength;
  const long = stages.find((stage) => stage.seqLen > context);
  if (!long) return;
  const message = `${long.seqLen} exceeds the checkpoint's context of ${context} tokens (${source}/config.json max_position_embeddings)`;
  throw long.where.startsWith('--') ? new InputError(long.where, message) : new ConfigError(long.where, message);
}

/** The stage of the stage options; `--tokens` defaults to one pass over the stage's packed rows. */
function stageFromOptions(values: ExportValues, corpus: ForgeCorpus, tokenizer: Tokenizer): StagePlan {
  const stage: Stage = values.stage;
  const geometry = { batchSize: values.batchSize, seqLen: values.seqLen, seed: values.seed };
  const rows = packStage(corpus, stage, { ...geometry, tokenizer }).rows;
  if (rows === 0) throw new InputError('--data-dir', `the corpus has no ${stage} documents: give more data`);
  return {
    stage, ...geometry, tokenBudget: values.tokens ?? rows * values.seqLen,
    train: { accumulation: values.accumulation, lr: values.lr, minLr: values.minLr, warmupSteps: values.warmupSteps },
  };
}

function describeRun(out: string, stages: readonly StagePlan[]): void {
  log(`run folder: ${out} (${stages.map((stage) => `${stage.stage} ${stage.tokenBudget} tokens`).join(', ')}; see its README.md and plan.json)`);
  log(`  continue it with PyTorch: cd ${shellQuote(out)} && torchrun --standalone --nproc_per_node=2 -m hephaestus_torch.train . --out out`);
}
