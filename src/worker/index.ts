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
  RecordedRun, ServiceOptions, TrainerApi, TrainerBackend, TrainerEvent, TrainerState, TrainerStatus, TrainingData, TrainOutcome,
  TrainRequest,
} from './protocol.js';
export type { BackendInfo } from '../runtime/backend.js';
export type { CheckpointInfo } from '../store/store.js';
export {
  HephaestusError, ConfigError, InputError, CheckpointError, BackendError, NonFiniteError, AbortedError, TokenizerError,
} from '../util/errors.js';
