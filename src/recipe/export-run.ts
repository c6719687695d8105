import type { Batch } from '../data/batch.js';
import { PackedDataset } from '../data/packing.js';
import { benchmarkRows } from '../eval/benchmark-loss.js';
import { packStage, type ForgeCorpus } from '../forge/builder.js';
import { toHfConfig } from '../model/hf-format.js';
import { parseCheckpoint, type Checkpoint, type CheckpointFiles } from '../store/checkpoint.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { ConfigError, InputError, throwIfAborted } from '../util/errors.js';
import { runReadme } from './run-readme.js';
import {
  RUN_FORMAT, RUN_FORMAT_VERSION, stageTrainOptions,
  type RunBenchmark, type RunPlan, type RunPosition, type RunStage, type ShardFile, type StagePlan,
} from './run-plan.js';
import { sha256Hex } from '../util/sha256.js';
import { encodeShardPair, type ShardRows } from './run-shards.js';

/** One file of a run folder, by path relative to the folder. */
export interface RunFile {
  path: string;
  bytes: Uint8Array;
}

/** Benchmark rows: the first `batches` batches of the held-out evaluation documents, packed as a stream. */
export interface BenchmarkOptions {
  /** Default: the first stage's. */
  batchSize?: number;
  /** Default: the first stage's. */
  seqLen?: number;
  /** Default 4. */
  batches?: number;
}

/** What {@link exportRun} needs. */
export interface ExportRunInput {
  /** The start checkpoint's files (as `readCheckpointDir` returns them); copied verbatim. */
  checkpoint: CheckpointFiles;
  /** Names the checkpoint in errors (its folder). */
  checkpointSource: string;
  /** The Forge corpus, tokenised with the checkpoint's tokenizer. */
  corpus: ForgeCorpus;
  tokenizer: Tokenizer;
  /** The stages to run, in order; the first one is where the checkpoint stands. */
  stages: StagePlan[];
  benchmark?: BenchmarkOptions;
  /** Most tokens per shard (default 100M); shards hold whole rows. */
  shardTokens?: number;
  signal?: AbortSignal;
  /** After each shard pair: rows written of the stage so far. */
  onProgress?: (progress: { stage: string; rows: number; totalRows: number }) => void;
}

const CHECKPOINT_DIR = 'checkpoint';

/**
 * The files of a run folder that PyTorch continues with `torchrun ... -m hephaestus_torch.train`:
 * `checkpoint/` (the Hugging Face checkpoint with its optimizer state, byte for byte), per stage
 * `<stage>/tokens_NNNNNN.bin` + `masks_NNNNNN.bin` (the exact rows the library's `PackedDataset` would
 * serve, in serving order, for the stage's whole token budget), `benchmark/` shards, `README.md`, and
 * `plan.json` last. The checkpoint, the tokenizer, the stage plans and the data cursor are checked before
 * the first file is produced (each row's token ids as it is written).
 *
 * Position: a checkpoint whose data cursor is the first stage's (same seed and rows, and the cursor the
 * library reaches after its step count) continues that stage at its step with its optimizer state;
 * any other checkpoint (no training state, or trained on other data) starts the first stage at step 0
 * with its weights and fresh optimizer moments.
 */
export async function* exportRun(input: ExportRunInput): AsyncGenerator<RunFile> {
  const checkpoint = parseCheckpoint(input.checkpoint, input.checkpointSource);
  checkRunTokenizer(input.tokenizer, checkpoint, input.checkpointSource);
  const tokenizerSha256 = await sha256Hex(input.checkpoint.get('tokenizer.json')!);
  const stages = input.stages.map((plan, i) => resolveStage(plan, i, input, checkpoint));
  const position = startPosition(checkpoint, stages[0], input);
  const benchmark = benchmarkSet(input, stages[0]);
  const meta = { vocabSize: checkpoint.config.vocabSize, tokenizerSha256 };

  for (const [name, bytes] of input.checkpoint) yield { path: `${CHECKPOINT_DIR}/${name}`, bytes };
  for (const stage of stages) {
    const dataset = packStage(input.corpus, stage.stage, { ...stage, tokenizer: input.tokenizer });
    const batches = takeBatches(dataset, stage.train.steps * stage.train.accumulation);
    yield* shardFiles(stage.stage, batches, stage.seqLen, stage.shards, meta, input);
  }
  if (benchmark) yield* shardFiles('benchmark', benchmark.batches, benchmark.plan.seqLen, benchmark.plan.shards, meta, input);
  const plan: RunPlan = {
    format: RUN_FORMAT, version: RUN_FORMAT_VERSION, model: toHfConfig(checkpoint.config),
    tokenizer: { sha256: tokenizerSha256, vocabSize: input.tokenizer.vocabSize },
    checkpoint: CHECKPOINT_DIR, stages, position, benchmark: benchmark?.plan,
  };
  const encoder = new TextEncoder();
  yield { path: 'README.md', bytes: encoder.encode(runReadme(plan)) };
  yield { path: 'plan.json', bytes: encoder.encode(`${JSON.stringify(plan, null, 2)}\n`) };
}

/**
 * The benchmark batches of a corpus: its held-out evaluation documents, tokenised and packed as one
 * stream (loss on every token) in a seeded order, the first `batches` batches. The library evaluates
 * them with `Trainer.evaluate`; the run folder holds the same rows.
 */
export function benchmarkBatches(
  corpus: ForgeCorpus, tokenizer: Tokenizer, options: { batchSize: number; seqLen: number; batches: number; seed: number },
): Batch[] {
  return benchmarkRows(corpus.evaluation, tokenizer, options);
}

/**
 * Checks that `tokenizer` (the corpus's) is the checkpoint's own (same vocabulary, merges and added
 * tokens) and that the model's vocabulary holds all its ids; {@link exportRun} runs it first, and a
 * caller can run it before building the corpus. `source` names the checkpoint's folder in errors.
 */
export function checkRunTokenizer(tokenizer: Tokenizer, checkpoint: Checkpoint, source: string): void {
  const ours = tokenizer.toFiles().tokenizerJson;
  const theirs = checkpoint.tokenizer.tokenizerJson;
  if (stableJson(ours.model) !== stableJson(theirs.model) || stableJson(ours.added_tokens) !== stableJson(theirs.added_tokens)) {
    throw new InputError(`${source}/tokenizer.json`, 'the corpus was tokenised with another tokenizer than this checkpoint\'s (its vocabulary or merges differ)');
  }
  if (tokenizer.vocabSize > checkpoint.config.vocabSize) {
    throw new ConfigError(`${source}/config.json: vocab_size`, `${checkpoint.config.vocabSize} is smaller than the tokenizer's ${tokenizer.vocabSize} ids`);
  }
}

function resolveStage(plan: StagePlan, index: number, input: ExportRunInput, checkpoint: Checkpoint): RunStage {
  const where = `stages[${index}]`;
  const train = stageTrainOptions(plan, where);
  if (plan.seqLen > checkpoint.config.contextLength) {
    throw new ConfigError(`${where}.seqLen`, `${plan.seqLen} exceeds the checkpoint's context length ${checkpoint.config.contextLength} (${input.checkpointSource}/config.json max_position_embeddings)`);
  }
  if (input.stages.slice(0, index).some((other) => other.stage === plan.stage)) {
    throw new ConfigError(`${where}.stage`, `${plan.stage} appears twice; a run folder holds one set of shards per stage`);
  }
  const dataset = packStage(input.corpus, plan.stage, { ...plan, tokenizer: input.tokenizer });
  const rowsPerStep = plan.batchSize * train.accumulation;
  const rows = train.steps * rowsPerStep;
  return {
    stage: plan.stage, tokenBudget: plan.tokenBudget, batchSize: plan.batchSize, seqLen: plan.seqLen, seed: plan.seed,
    train, schedule: 'warmup-cosine', rowsPerStep, rows,
    cursor: { kind: 'packed', seed: plan.seed, rows: dataset.rows, batchSize: plan.batchSize },
    shards: shardList(plan.stage, rows, plan.seqLen, input.shardTokens),
  };
}

/** Where the checkpoint stands in the first stage (see {@link exportRun}). */
function startPosition(checkpoint: Checkpoint, stage: RunStage, input: ExportRunInput): RunPosition {
  const fresh: RunPosition = { stage: 0, step: 0, optimizerStep: 0, skippedSteps: 0 };
  const saved = checkpoint.trainer;
  if (!saved || !checkpoint.optimizer || saved.batchSource.kind !== 'packed') return fresh;
  const file = `${input.checkpointSource}/trainer_state.json`;
  const cursor = saved.batchSource;
  if (cursor.seed !== stage.cursor.seed || cursor.rows !== stage.cursor.rows) {
    throw new InputError(file, `batchSource (seed ${String(cursor.seed)}, ${String(cursor.rows)} rows) is not the data cursor of ${stage.stage} ` +
      `(seed ${stage.cursor.seed}, ${stage.cursor.rows} rows): the checkpoint was trained on other data or another packing`);
  }
  if (saved.step > stage.train.steps) {
    throw new InputError(file, `step ${saved.step} is past the ${stage.train.steps} steps of ${stage.stage}'s token budget`);
  }
  const dataset = packStage(input.corpus, stage.stage, { ...stage, tokenizer: input.tokenizer });
  for (const _ of takeBatches(dataset, saved.step * stage.train.accumulation)) throwIfAborted(input.signal, 'run export');
  const expected = dataset.state();
  if (expected.epoch !== cursor.epoch || expected.index !== cursor.index) {
    throw new InputError(file, `batchSource is at epoch ${String(cursor.epoch)}, row ${String(cursor.index)}, but ${saved.step} steps of ` +
      `${stage.batchSize} x ${stage.train.accumulation} rows end at epoch ${String(expected.epoch)}, row ${String(expected.index)}: another batch size or accumulation`);
  }
  return { stage: 0, step: saved.step, optimizerStep: checkpoint.optimizer.step, skippedSteps: saved.skippedSteps };
}

/** The benchmark batches and their plan entry; none when the corpus holds out no documents. */
function benchmarkSet(input: ExportRunInput, first: RunStage): { batches: Batch[]; plan: RunBenchmark } | undefined {
  if (input.corpus.evaluation.length === 0) return undefined;
  const batchSize = input.benchmark?.batchSize ?? first.batchSize;
  const seqLen = input.benchmark?.seqLen ?? first.seqLen;
  const batches = benchmarkBatches(input.corpus, input.tokenizer, { batchSize, seqLen, batches: input.benchmark?.batches ?? 4, seed: first.seed });
  const rows = batches.length * batchSize;
  if (rows === 0) return undefined;
  return { batches, plan: { seqLen, rows, batchSize, shards: shardList('benchmark', rows, seqLen, input.shardTokens) } };
}

/** Shard pairs of at most `shardTokens` tokens (default 100M), whole rows each. */
function shardList(dir: string, rows: number, seqLen: number, shardTokens = 100_000_000): ShardFile[] {
  const shardRows = Math.max(1, Math.floor(shardTokens / (seqLen + 1)));
  return Array.from({ length: Math.ceil(rows / shardRows) }, (_, i) => {
    const id = String(i).padStart(6, '0');
    return { tokens: `${dir}/tokens_${id}.bin`, masks: `${dir}/masks_${id}.bin`, firstRow: i * shardRows, rows: Math.min(shardRows, rows - i * shardRows) };
  });
}

/** Writes batches, row by row, into the shard pairs of `shards` (as {@link shardList} sized them). */
function* shardFiles(
  name: string, batches: Iterable<Batch>, seqLen: number, shards: ShardFile[],
  meta: { vocabSize: number; tokenizerSha256: string }, input: ExportRunInput,
): Generator<RunFile> {
  const width = seqLen + 1;
  const totalRows = shards.reduce((sum, shard) => sum + shard.rows, 0);
  const empty = (shard: ShardFile): ShardRows => ({ tokens: new Int32Array(shard.rows * width), mask: new Uint8Array(shard.rows * width) });
  let index = 0;
  let pending = empty(shards[0]);
  let row = 0;
  for (const batch of batches) {
    throwIfAborted(input.signal, 'run export');
    for (let b = 0; b < batch.batchSize; b++, row++) {
      const shard = shards[index];
      writeRow(batch, b, pending, (row - shard.firstRow) * width, meta.vocabSize, `${name} row ${row}`);
      if (row + 1 < shard.firstRow + shard.rows) continue;
      const pair = encodeShardPair(pending, { ...meta, rowWidth: width, shardIndex: index, firstRow: shard.firstRow });
      yield { path: shard.tokens, bytes: pair.tokens };
      yield { path: shard.masks, bytes: pair.masks };
      input.onProgress?.({ stage: name, rows: row + 1, totalRows });
      if (++index < shards.length) pending = empty(shards[index]);
    }
  }
  if (row !== totalRows) throw new Error(`${name}: wrote ${row} rows, planned ${totalRows}`);
}

/** Row `b` of a batch (inputs plus the last target; weight of token i+1 = mask of position i) at `offset`. */
function writeRow(batch: Batch, b: number, out: ShardRows, offset: number, vocabSize: number, where: string): void {
  const { seqLen } = batch;
  for (let i = 0; i <= seqLen; i++) {
    const token = i < seqLen ? batch.inputs[b * seqLen + i] : batch.targets[b * seqLen + seqLen - 1];
    if (token < 0 || token >= vocabSize) throw new InputError(where, `token id ${token} is outside the model's vocabulary 0..${vocabSize - 1}`);
    if (i > 0 && batch.targets[b * seqLen + i - 1] !== token) throw new Error(`${where}: targets are not the inputs shifted by one`);
    out.tokens[offset + i] = token;
    out.mask[offset + i] = i > 0 && batch.mask[b * seqLen + i - 1] > 0 ? 1 : 0;
  }
}

function* takeBatches(dataset: PackedDataset, count: number): Generator<Batch> {
  for (let i = 0; i < count; i++) yield dataset.next();
}

/** JSON with object keys sorted, for comparing parsed files whatever their key order. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v);
}
