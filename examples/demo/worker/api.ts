/**
 * What the demo page and its worker say to each other (through comlink). Plain data only: everything
 * here crosses the worker boundary by structured clone.
 *
 * The library's own worker client (`createTrainer`, issue 8) is not on main yet; until it is, this
 * demo runs its own small worker over the same library calls (see worker.ts).
 */
import type { BackendInfo, CheckpointInfo, CompositionReport, MixRatio, PresetName, Stage } from '../../../src/index.js';

/** Where the corpus comes from. */
export type CorpusSource =
  | { kind: 'sample'; documents: number }
  | { kind: 'folder'; files: { path: string; file: File }[] }
  | { kind: 'files'; files: File[] };

/** What the Forge build is asked for. */
export interface CorpusSpec {
  source: CorpusSource;
  seed: number;
  vocabSize: number;
  ratio: MixRatio;
  /** Fraction of functions held out for evaluation. */
  evalFraction: number;
}

/** A phase of the corpus build, as the page shows it. */
export interface BuildProgress {
  phase: string;
  detail: string;
  /** 0..1 over the whole build. */
  fraction: number;
}

/** The built corpus as the page draws it. */
export interface CorpusSummary {
  label: string;
  documents: number;
  vocabSize: number;
  report: CompositionReport;
  stageTokens: Record<Stage, number>;
  evalFunctions: string[];
  evalDocuments: number;
  dedup: { removedExact: number; removedNear: number };
  leakageClean: boolean;
  /** Files read and documents skipped per file (user files). */
  notes: string[];
}

/** One stage of the training plan, in optimizer steps. */
export interface StageSteps {
  stage: Stage;
  steps: number;
}

/** The training plan: model preset, batch geometry and the stages. */
export interface TrainPlan {
  preset: PresetName;
  /** Longest prompt + response in tokens (rotary positions: no weight depends on it; prompts with function docs are long). */
  contextLength: number;
  batchSize: number;
  seqLen: number;
  lr: number;
  stages: StageSteps[];
  /** Benchmark loss on held-out data every N steps (and at the end of each stage). */
  evalEvery: number;
  /** Checkpoint every N steps (also at each pause, stop and stage end). */
  saveEvery: number;
}

/** Progress of training (throttled to about 10 a second; the last one always arrives). */
export interface TrainUpdate {
  stageIndex: number;
  stage: Stage;
  /** Step within the stage. */
  step: number;
  stageSteps: number;
  /** Steps over all stages so far. */
  globalStep: number;
  totalSteps: number;
  loss: number;
  tokensPerSecond: number;
  etaSeconds: number;
  /** Set on the update that reports where a resumed checkpoint put the run (before any step). */
  resumed?: boolean;
  /** Set when a benchmark loss was measured at this step. */
  benchmarkLoss?: number;
  /** Every stage of the plan (for the timeline). */
  stages: StageSteps[];
  /** Losses of the steps since the last update (so the chart misses none). */
  losses: { globalStep: number; loss: number }[];
}

/** How a training call ended. */
export type TrainOutcome = { status: 'done' | 'paused' | 'stopped'; globalStep: number; checkpoint?: CheckpointInfo };

/** Checkpoints and the origin's storage. */
export interface StoreListing {
  checkpoints: CheckpointInfo[];
  usageBytes: number | null;
  quotaBytes: number | null;
}

/** A playground request: function docs, a question and, optionally, the expected answer. */
export interface PlaygroundRequest {
  /** JSON: one function definition or a list of them. */
  functionsJson: string;
  question: string;
  /** JSON: BFCL possible answer, `[{"fn": {"param": [values]}}]`; empty for none. */
  answerJson: string;
  maxNewTokens: number;
}

/** What the playground shows. */
export interface PlaygroundResult {
  prompt: string;
  response: string;
  parse: string;
  verdict: string | null;
}

/** Per-category accuracy of the current model on held-out items. */
export interface EvaluationView {
  items: number;
  source: string;
  categories: { category: string; correct: number; total: number; low: number; high: number }[];
  examples: { id: string; valid: boolean; response: string; error?: string }[];
}

/** The worker's interface (every method async across the boundary). */
export interface DemoWorkerApi {
  init(prefer: 'auto' | 'cpu'): Promise<BackendInfo>;
  buildCorpus(spec: CorpusSpec, onProgress: (progress: BuildProgress) => void): Promise<CorpusSummary>;
  /** Trains from the current state, or from checkpoint `resumeId` when given. */
  train(plan: TrainPlan | null, onUpdate: (update: TrainUpdate) => void, resumeId?: string): Promise<TrainOutcome>;
  /** Stops after the step in progress and saves; `pause` keeps the run in memory for {@link train}. */
  halt(kind: 'paused' | 'stopped'): Promise<void>;
  list(): Promise<StoreListing>;
  remove(id: string): Promise<void>;
  exportZip(id: string): Promise<Uint8Array>;
  importZip(bytes: Uint8Array, name: string): Promise<CheckpointInfo>;
  complete(prompt: string, maxNewTokens: number): Promise<string>;
  playground(request: PlaygroundRequest): Promise<PlaygroundResult>;
  evaluate(limit: number, onProgress: (done: number, total: number) => void): Promise<EvaluationView>;
  /** The sample function docs offered in the playground. */
  sampleFunctions(): Promise<{ name: string; json: string }[]>;
}
