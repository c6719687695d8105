/**
 * `hephaestus-web/worker`: the trainer in a Web Worker. `createTrainer()` starts the worker (which owns
 * the WebGPU device and the IndexedDB checkpoints) and returns a typed client; progress comes back as
 * throttled events, errors as the library's own classes.
 * @module
 */
export { createTrainer } from './client.js';
export type { CreateTrainerOptions, TrainerClient, WorkerEndpoint } from './client.js';
export { serializeError, deserializeError, installErrorTransfer } from './errors.js';
export type { SerializedError } from './errors.js';
export type {
  AutosaveOptions, DataSummary, GenerateReply, GenerateRequest, HfSource, LoadOptions, LoadProgress, ModelSpec, ModelSummary,
  PipelineRunEvent, RecordedRun, ServiceOptions, TrainerApi, TrainerBackend, TrainerEvent, TrainerState, TrainerStatus, TrainingData,
  TrainOutcome, TrainRequest,
} from './protocol.js';
export type {
  CallEvaluation, CallEvaluationProgress, CallEvaluationRequest, CallReply, CallRequest, CorpusRecord, CorpusRequest, PipelineOutcome,
  PipelinePlanInput, PipelineRequest, PipelineRunInfo, PipelineStepEvent, RecordedSource,
} from './recipe-protocol.js';
export type { CorpusProgress, CorpusSource, CorpusSpec, CorpusSummary } from '../recipe/corpus-spec.js';
export type { BenchmarkPoint, PipelineEvent, StageOutcome } from '../recipe/pipeline.js';
export type { PipelineBenchmark, PipelinePlan } from '../recipe/pipeline-plan.js';
export type { StagePlan, StageSchedule, StageTrainSettings } from '../recipe/run-plan.js';
export type { Stage } from '../forge/builder.js';
export type { ModelConfig, PresetName } from '../model/config.js';
export type { BfclItem } from '../eval/bfcl/items.js';
export type { BackendInfo } from '../runtime/backend.js';
export type { CheckpointInfo } from '../store/store.js';
export {
  HephaestusError, ConfigError, InputError, CheckpointError, BackendError, NonFiniteError, AbortedError, TokenizerError,
} from '../util/errors.js';
