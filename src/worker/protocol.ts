/**
 * The contract between the page and the trainer worker: what the page asks for, what it gets back, and
 * the progress events it sees. Plain data only (everything here crosses `postMessage`), so the same
 * types serve the worker, the main-thread client and an in-process service (Node, tests).
 * @module
 */
import type { ForgeCorpus, Stage } from '../forge/builder.js';
import type { ModelConfig, PresetName } from '../model/config.js';
import type { BackendInfo } from '../runtime/backend.js';
import type { BfclItem } from '../eval/bfcl/items.js';
import type { PipelineEvent } from '../recipe/pipeline.js';
import type { CorpusProgress, CorpusSummary } from '../recipe/corpus-spec.js';
import type { CheckpointInfo, SavePoint } from '../store/store.js';
import type { TokenizerFiles } from '../tokenizer/types.js';
import type {
  CallEvaluation, CallEvaluationProgress, CallEvaluationRequest, CallReply, CallRequest, CorpusRequest, PipelineOutcome, PipelineRequest,
  PipelineRunInfo, PipelineStepEvent,
} from './recipe-protocol.js';

/** Which tfjs backend the worker uses. */
export type TrainerBackend = 'webgpu' | 'cpu' | 'auto';

/** Settings of a trainer service (the worker's, or one made in-process). */
export interface ServiceOptions {
  /**
   * `webgpu` (default) requires WebGPU and fails with a `BackendError` saying why when the worker has
   * none; `auto` falls back to the CPU backend (the reason is in {@link TrainerStatus.backend}); `cpu`.
   */
  backend?: TrainerBackend;
  /**
   * IndexedDB database of the checkpoints (default `hephaestus-web`); a pipeline run's are in
   * `<storeName>-run-<name>`. Ignored by in-process services given their stores.
   */
  storeName?: string;
  /** Checkpoints kept, in the single-stage store and in each pipeline run's (default 3). */
  keepLast?: number;
  /** Least milliseconds between two `step` events (default 100: at most ~10 a second; the last always arrives). */
  progressIntervalMs?: number;
  /**
   * `off` keeps every matmul on its default variant instead of measuring the variants in the background
   * (see `configureMatmul`): fewer pipelines to compile, and the same kernels before and after a resume.
   */
  matmulAutotune?: 'background' | 'off';
  /**
   * Test hook: every save sleeps this long at this point (e.g. `files-written`: the blobs are stored, the
   * manifest not yet switched), so that a test can end the worker inside that window.
   */
  savePause?: { point: SavePoint; ms: number };
}

/** Where the model comes from when it is created fresh. */
export interface ModelSpec {
  preset: PresetName;
  /** Overrides of the preset (e.g. a shorter `contextLength`); `vocabSize` follows the tokenizer. */
  overrides?: Partial<Omit<ModelConfig, 'vocabSize'>>;
  /** Seed of the initial weights (default 0). */
  seed?: number;
  /**
   * The tokenizer: its Hugging Face files, the built corpus's (`'corpus'`, see
   * {@link TrainerApi.buildCorpus}), or a byte-level BPE trained here on the attached data with this
   * vocabulary size (default: the preset's).
   */
  tokenizer?: TokenizerFiles | 'corpus' | { vocabSize: number };
}

/**
 * Training data. Documents and files are tokenised into one stream (each document followed by
 * `<|endoftext|>`), split into a training head and a validation tail, and sampled in random windows; a
 * Forge corpus is packed per stage as `packStage` does.
 */
export type TrainingData =
  | { kind: 'documents'; texts: string[] }
  /** `.jsonl` (one object with a `text` field per line) or anything else read as one document per file. */
  | { kind: 'files'; files: File[] }
  | { kind: 'forge'; corpus: ForgeCorpus; stage: Stage };

/** What attaching data found. */
export interface DataSummary {
  documents: number;
  /** Tokens of the training stream (of the current tokenizer; 0 until there is one). */
  trainTokens: number;
  validationTokens: number;
  /** SHA-256 of the token stream: a resumed run refuses data that differs. */
  fingerprint: string | null;
}

/** The model the worker holds. */
export interface ModelSummary {
  config: ModelConfig;
  parameters: number;
  /** Where it came from: a preset, a checkpoint id of the store, or a Hugging Face model. */
  source: { kind: 'preset'; preset: PresetName } | { kind: 'checkpoint'; id: string; run?: string } | { kind: 'huggingface'; name: string };
  /** Steps of the training state it carries (0 when fresh or imported). */
  step: number;
  /** Whether it carries a training state that `train({ resume: true })` continues exactly. */
  resumable: boolean;
}

/** Autosave cadence: after every `everySteps` steps and at most `everySeconds` seconds apart (both optional). */
export interface AutosaveOptions {
  everySteps?: number;
  everySeconds?: number;
}

/** One training run (one stage) of the worker. */
export interface TrainRequest {
  /**
   * Continue the loaded checkpoint's run exactly (same data order, learning rate, optimizer state and
   * sampler draws) with its recorded settings; `steps` may raise its total. The other fields are then ignored.
   */
  resume?: boolean;
  /** Optimizer steps in all (a resumed run continues up to this count). */
  steps?: number;
  batchSize?: number;
  seqLen?: number;
  lr?: number;
  /** Default `lr / 10`. */
  minLr?: number;
  warmupSteps?: number;
  weightDecay?: number;
  clipNorm?: number;
  accumulation?: number;
  /** Seed of the data order (default 0). */
  seed?: number;
  /** Validation loss every N steps (0 or absent: after the last only). */
  evalEvery?: number;
  autosave?: AutosaveOptions;
  /** Stage name recorded with the checkpoints (default `train`). */
  stage?: string;
}

/** Settings of a run as its checkpoints record them (what `resume` restores). */
export interface RecordedRun {
  steps: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  minLr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  accumulation: number;
  seed: number;
  evalEvery: number;
  stage: string;
  /** SHA-256 of the training token stream. */
  dataFingerprint: string;
}

/** Where the trainer is. */
export type TrainerState = 'idle' | 'training' | 'pausing' | 'paused' | 'stopping';

/** What the trainer reports while it works; `step` events are throttled, the others are not. */
export type TrainerEvent =
  | {
    type: 'step';
    stage: string;
    step: number;
    totalSteps: number;
    loss: number;
    lr: number;
    gradNorm: number;
    skipped: boolean;
    tokensPerSecond: number;
    etaSeconds: number;
    /** Live tensors and their bytes on the backend (tf.memory()). */
    memory: { tensors: number; bytes: number };
  }
  | { type: 'eval'; stage: string; step: number; loss: number }
  | { type: 'saved'; checkpoint: CheckpointInfo; reason: 'periodic' | 'final' | 'stop' | 'request' | 'autosave' }
  | { type: 'state'; state: TrainerState };

/** What a pipeline run reports; `step` events are throttled (the last of each stage always arrives), the others are not. */
export type PipelineRunEvent =
  | Exclude<PipelineEvent, { kind: 'step' }>
  | PipelineStepEvent
  /** The corpus being built again for a resume. */
  | { kind: 'corpus'; progress: CorpusProgress }
  | { kind: 'state'; state: TrainerState };

/** How a {@link TrainerApi.train} call ended. */
export interface TrainOutcome {
  reason: 'done' | 'stopped';
  step: number;
  /** Training loss of every step of this call, in order. */
  losses: number[];
  /** Validation losses measured. */
  evaluations: { step: number; loss: number }[];
  /** The checkpoint saved last (at the end, or at the stop). */
  checkpoint?: CheckpointInfo;
}

/** Decoding settings of {@link TrainerApi.generate}. */
export interface GenerateRequest {
  prompt: string;
  maxNewTokens?: number;
  temperature?: number;
  topK?: number;
  seed?: number;
  /** Stop at `<|end|>` and `<|endoftext|>` (default true). */
  stopAtEnd?: boolean;
}

/** What {@link TrainerApi.generate} returns. */
export interface GenerateReply {
  /** The new text only. */
  text: string;
  tokens: number[];
  stopReason: 'stop-token' | 'max-tokens' | 'context-full';
}

/** Bytes of a download so far (`total` when the server said). */
export interface LoadProgress {
  file: string;
  loaded: number;
  total: number | null;
}

/** Options of {@link TrainerApi.loadHuggingFace}. */
export interface LoadOptions {
  onProgress?: (progress: LoadProgress) => void;
  signal?: AbortSignal;
}

/**
 * A Hugging Face model: the files of its folder (`config.json`, `model.safetensors` or the shards and
 * `model.safetensors.index.json`, `tokenizer.json`, `tokenizer_config.json`), a `.zip` of them, or the
 * URL of a folder (`https://huggingface.co/<name>/resolve/main/`, or any server with the same files).
 */
export type HfSource = { kind: 'files'; files: File[]; name?: string } | { kind: 'zip'; zip: Blob; name?: string } | { kind: 'url'; url: string };

/** Where the trainer is, for a page to show. */
export interface TrainerStatus {
  state: TrainerState;
  backend: BackendInfo;
  model: ModelSummary | null;
  data: DataSummary | null;
}

/**
 * What the trainer does, as the page calls it (through {@link createTrainer}'s client) and as the worker
 * implements it. Every method rejects with the library's own error classes (code and message kept).
 * Checkpoint methods take an optional `run`: a pipeline run's store instead of the single-stage one.
 */
export interface TrainerApi {
  status(): Promise<TrainerStatus>;
  /** A fresh model from a preset (the tokenizer given, the built corpus's, or one trained on the attached data). */
  createModel(spec: ModelSpec): Promise<ModelSummary>;
  /**
   * A checkpoint of the store (default: the current one), with its training state when it has one
   * (a pipeline run's checkpoint resumes through {@link TrainerApi.runPipeline} only).
   * `expect` lists config fields the page relies on: a checkpoint that differs in one (another
   * vocabulary, another width) is refused with a `ConfigError` naming the field, and nothing is loaded.
   */
  loadCheckpoint(id?: string, expect?: Partial<ModelConfig>, run?: string): Promise<ModelSummary>;
  /**
   * A Hugging Face Llama-architecture model, to continue pre-training from; `signal` cancels a download
   * (it rejects with `AbortedError`, and the model held before stays).
   */
  loadHuggingFace(source: HfSource, options?: LoadOptions): Promise<ModelSummary>;
  /** Training data for the next {@link TrainerApi.train} or {@link TrainerApi.evaluate}. */
  attachData(data: TrainingData): Promise<DataSummary>;
  /**
   * Builds a Forge corpus in the worker (reading the source, the tokenizer, dedup, held-out split, mix)
   * and keeps it there for {@link TrainerApi.runPipeline} and {@link TrainerApi.evaluateCalls}: only
   * its summary crosses to the page. Progress at most ~10 times a second, the last always.
   */
  buildCorpus(request: CorpusRequest, onProgress?: (progress: CorpusProgress) => void): Promise<CorpusSummary>;
  /**
   * Trains until `steps` or a stop; resolves then. `pause` and `resume` hold it in between. Saves per
   * the autosave cadence, after the last step, and at a stop.
   */
  train(request: TrainRequest, onEvent?: (event: TrainerEvent) => void): Promise<TrainOutcome>;
  /**
   * Runs the Hephaestus stages of the plan (base, I, II, III) on the held model and the built corpus,
   * or resumes a run, into the run's own checkpoint store; resolves at the end or at a stop, and then
   * holds the run's last checkpoint as the model. `pause`, `resume`, `stop` and `save` work on it: each
   * stops the pipeline after the step in progress with that state saved (the recipe's pipeline saves
   * before it stops), and a resume (or a save's carrying on) continues exactly from that checkpoint.
   */
  runPipeline(request: PipelineRequest, onEvent?: (event: PipelineRunEvent) => void): Promise<PipelineOutcome>;
  /** The pipeline runs of this store, each with its record and checkpoints. */
  listPipelines(): Promise<PipelineRunInfo[]>;
  /** Deletes a pipeline run: its checkpoints and its record. */
  deletePipeline(name: string): Promise<void>;
  /** Holds a run after the step in progress (resolves once held). */
  pause(): Promise<void>;
  resume(): Promise<void>;
  /** Ends a run after the step in progress, saving it; resolves with that checkpoint. */
  stop(): Promise<CheckpointInfo | undefined>;
  /** Mean loss on the validation tail of the attached data. */
  evaluate(): Promise<{ loss: number; batches: number }>;
  generate(request: GenerateRequest): Promise<GenerateReply>;
  /** The held model's call for a typed question (function docs, question), decoded and judged as BFCL does. */
  generateCall(request: CallRequest): Promise<CallReply>;
  /** BFCL-style per-category accuracy of the held model (default items: the built corpus's held-out functions). */
  evaluateCalls(request?: CallEvaluationRequest, onProgress?: (progress: CallEvaluationProgress) => void): Promise<CallEvaluation>;
  /** BFCL items of a question file and its possible-answer file (BFCL's own format), the first `limit`. */
  readBfclItems(questions: Blob, answers?: Blob, limit?: number): Promise<BfclItem[]>;
  /** Saves the model (and its training state, when training) now; during training, after the step in progress. */
  save(): Promise<CheckpointInfo>;
  listCheckpoints(run?: string): Promise<CheckpointInfo[]>;
  deleteCheckpoint(id: string, run?: string): Promise<void>;
  /** A checkpoint (default: the current one) as a Hugging Face folder in one `.zip`. */
  exportCheckpoint(id?: string, run?: string): Promise<Blob>;
  /** Stores a `.zip` made by {@link TrainerApi.exportCheckpoint} (or any Hugging Face folder zip) as a checkpoint (stage `imported`). */
  importCheckpoint(zip: Blob): Promise<CheckpointInfo>;
}
