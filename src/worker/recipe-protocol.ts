/**
 * The recipe's part of the worker contract: the Forge corpus built in the worker (only its summary
 * crosses), the three-stage pipeline as a named, resumable run with a checkpoint store of its own, and
 * function calling on the held model (a typed question, the BFCL-style evaluation). Plain data only.
 * @module
 */
import type { BfclItem } from '../eval/bfcl/items.js';
import type { CategoryAccuracy } from '../eval/bfcl/summary.js';
import type { RunVerdict } from '../eval/bfcl/runner.js';
import type { QuestionInput } from '../eval/bfcl/corpus-items.js';
import type { CorpusSpec } from '../recipe/corpus-spec.js';
import type { BenchmarkPoint, PipelineEvent, StageOutcome } from '../recipe/pipeline.js';
import type { PipelineBenchmark, PipelinePlan } from '../recipe/pipeline-plan.js';
import type { StagePlan } from '../recipe/run-plan.js';
import type { CheckpointInfo } from '../store/store.js';
import type { ToolCall } from '../tools/index.js';

/** What the worker builds a Forge corpus from: the source and Forge options, and the tokenizer. */
export interface CorpusRequest extends CorpusSpec {
  /**
   * `{ vocabSize }` (default, 1024): a byte-level BPE trained on the documents; `'model'`: the held
   * model's; `{ run }`: the tokenizer of a pipeline run's current checkpoint (to build its corpus again
   * from files before resuming it).
   */
  tokenizer?: { vocabSize: number } | 'model' | { run: string };
}

/** A pipeline plan as the page writes it; checked by `parsePipelinePlan` (defaults filled in). */
export interface PipelinePlanInput {
  stages: StagePlan[];
  /** A checkpoint (with benchmark losses) every this many steps inside a stage (default 50; 0: stage ends only). */
  checkpointEvery?: number;
  benchmark?: Partial<PipelineBenchmark>;
}

/**
 * One pipeline run of {@link TrainerApi.runPipeline}. A fresh run starts from the held model on the
 * built corpus (built with the model's tokenizer); a resumed one continues its store's checkpoint.
 */
export interface PipelineRequest {
  /**
   * The run's name: its checkpoints go to a store of its own (in the worker, the IndexedDB database
   * `<storeName>-run-<name>`), apart from the single-stage checkpoints and from other runs. Letters,
   * digits, `_`, `.` and `-`, at most 64.
   */
  name: string;
  /** Required for a fresh run; a resumed run uses its recorded plan (a plan given must be the same). */
  plan?: PipelinePlanInput;
  /** Seed of the pipeline (default 0). */
  seed?: number;
  /**
   * Continue the run from its current checkpoint (or `from`): same stage, step, optimizer state and
   * data position. The corpus is built again with the checkpoint's tokenizer when the run's source
   * can be read again (sample, URL); for files, build it first with `tokenizer: { run: name }`.
   */
  resume?: boolean;
  /** With `resume`: the checkpoint of the run to continue from (default its current one). */
  from?: string;
}

/** A throttled step event: the recipe's, with the losses of the steps since the last one sent, so a chart misses none. */
export type PipelineStepEvent = Extract<PipelineEvent, { kind: 'step' }> & {
  /** `[global step, loss]` of every step since the previous step event (this one's included). */
  losses: [number, number][];
  /** Live tensors and their bytes on the backend (tf.memory()). */
  memory: { tensors: number; bytes: number };
};

/** How a {@link TrainerApi.runPipeline} call ended. */
export interface PipelineOutcome {
  reason: 'done' | 'stopped';
  /** Steps of the whole plan reached, and in all. */
  globalStep: number;
  totalSteps: number;
  /** Training loss of every step this call trained, in order. */
  losses: number[];
  /** The stages finished so far and every benchmark measurement of the run (from its checkpoints). */
  stages: StageOutcome[];
  benchmarks: BenchmarkPoint[];
  /** The checkpoint saved last. */
  checkpoint?: CheckpointInfo;
}

/** A recorded source: what can be read again (sample, URL), or only what it was (files). */
export type RecordedSource = { kind: 'sample'; documents: number } | { kind: 'url'; url: string } | { kind: 'folder' | 'files' };

/** The corpus a run was trained on, as its record keeps it. */
export interface CorpusRecord extends Omit<CorpusSpec, 'source'> {
  source: RecordedSource;
  label: string;
}

/** A pipeline run as {@link TrainerApi.listPipelines} shows it. */
export interface PipelineRunInfo {
  name: string;
  createdAt: string;
  plan: PipelinePlan;
  seed: number;
  corpus: CorpusRecord;
  /** Steps of the whole plan. */
  totalSteps: number;
  /** Its checkpoints, oldest first (`step` counts over the whole plan). */
  checkpoints: CheckpointInfo[];
}

/** A typed question for the held model: function docs, the question, optionally the expected answer. */
export interface CallRequest extends QuestionInput {
  /** Most tokens of the response (default 48; the context length also ends it). */
  maxNewTokens?: number;
}

/** The held model's answer to a {@link CallRequest}. */
export interface CallReply {
  /** The prompt as training renders it. */
  prompt: string;
  /** The response text (its stop token left out). */
  response: string;
  /** The calls it decodes to, or why it does not decode. */
  decoded: { ok: true; calls: ToolCall[] } | { ok: false; problem: string };
  /** BFCL's verdict against the expected answer; null when none was given. */
  verdict: { valid: boolean; errorType?: string; error?: string } | null;
}

/** What {@link TrainerApi.evaluateCalls} evaluates. */
export interface CallEvaluationRequest {
  /** Items to evaluate (default: those of the built corpus's held-out instruction documents). */
  items?: BfclItem[];
  /** Most items, the first ones (default all). */
  limit?: number;
  /** Most tokens of a response (default 64). */
  maxNewTokens?: number;
}

/** Per-category function-calling accuracy of the held model. */
export interface CallEvaluation {
  items: number;
  /** What was evaluated, in words. */
  source: string;
  categories: CategoryAccuracy[];
  /** The unweighted mean of the categories' accuracies. */
  overall: number;
  verdicts: RunVerdict[];
}

/** Progress of an evaluation, after each item. */
export interface CallEvaluationProgress {
  done: number;
  total: number;
}
