/**
 * The page's side of the trainer worker: `createTrainer` starts the module worker (which owns the
 * WebGPU device and the IndexedDB store) and returns a typed client over comlink. Nothing here loads
 * tfjs, so a page that only drives the worker stays light.
 * @module
 */
import { proxy, wrap, type Remote } from 'comlink';
import type { BackendInfo } from '../runtime/backend.js';
import { installErrorTransfer } from './errors.js';
import type {
  HfSource, LoadOptions, LoadProgress, ModelSummary, PipelineRunEvent, ServiceOptions, TrainerApi, TrainerEvent, TrainOutcome, TrainRequest,
} from './protocol.js';
import type { PipelineOutcome, PipelineRequest } from './recipe-protocol.js';

/** Options of {@link createTrainer}. */
export interface CreateTrainerOptions extends ServiceOptions {
  /** A worker running this package's `worker.js` (default: started here as a module worker). */
  worker?: Worker;
  /** Ask the browser for persistent storage, so checkpoints are not evicted under pressure (default true). */
  persist?: boolean;
  /**
   * Save when the page is hidden or left (`visibilitychange` to hidden, `pagehide`) while training
   * (default true). Best effort: the browser may end the worker before the save completes, in which case
   * the previous checkpoint stays current and loads.
   */
  saveOnHide?: boolean;
}

/** The trainer as the page sees it. */
export interface TrainerClient extends TrainerApi {
  /** The backend the worker runs on (see `fallbackReason` when it is the CPU). */
  readonly backend: BackendInfo;
  /** Whether the browser granted persistent storage (null when not asked or not supported). */
  readonly persisted: boolean | null;
  readonly worker: Worker;
  /** Ends the worker at once: calls in progress never settle, a save in progress is lost (the previous checkpoint stays current). */
  terminate(): void;
}

/** What the worker entry exposes: the trainer, with callbacks as separate arguments (comlink proxies them). */
export interface WorkerEndpoint extends Omit<TrainerApi, 'loadHuggingFace'> {
  init(options: ServiceOptions): Promise<BackendInfo>;
  loadHuggingFace(source: HfSource, onProgress?: (progress: LoadProgress) => void): Promise<ModelSummary>;
  abortLoad(): Promise<void>;
}

/**
 * Starts the trainer worker and its backend.
 * @throws BackendError when the worker has no WebGPU and `backend` is `webgpu` (the default); pass
 *   `backend: 'auto'` to fall back to the CPU backend instead
 */
export async function createTrainer(options: CreateTrainerOptions = {}): Promise<TrainerClient> {
  installErrorTransfer();
  const { worker: given, persist = true, saveOnHide = true, ...service } = options;
  const worker = given ?? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'hephaestus-trainer' });
  const remote = wrap<WorkerEndpoint>(worker);
  let backend: BackendInfo;
  try {
    backend = await remote.init(service);
  } catch (error) {
    worker.terminate();
    throw error;
  }
  const persisted = persist ? await requestPersistence() : null;
  return new WorkerClient(worker, remote, backend, persisted, saveOnHide);
}

async function requestPersistence(): Promise<boolean | null> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.persist) return null;
  return storage.persist().catch(() => null);
}

class WorkerClient implements TrainerClient {
  readonly worker: Worker;
  readonly backend: BackendInfo;
  readonly persisted: boolean | null;
  private readonly remote: Remote<WorkerEndpoint>;
  private training = 0;
  private readonly removeHideListeners: () => void;

  constructor(worker: Worker, remote: Remote<WorkerEndpoint>, backend: BackendInfo, persisted: boolean | null, saveOnHide: boolean) {
    this.worker = worker;
    this.remote = remote;
    this.backend = backend;
    this.persisted = persisted;
    this.removeHideListeners = saveOnHide ? this.listenForHide() : () => undefined;
  }

  status = () => this.remote.status();
  createModel: TrainerApi['createModel'] = (spec) => this.remote.createModel(spec);
  loadCheckpoint: TrainerApi['loadCheckpoint'] = (id, expect, run) => this.remote.loadCheckpoint(id, expect, run);
  attachData: TrainerApi['attachData'] = (data) => this.remote.attachData(data);
  buildCorpus: TrainerApi['buildCorpus'] = (request, onProgress) => this.remote.buildCorpus(request, onProgress && proxy(onProgress));
  listPipelines = () => this.remote.listPipelines();
  deletePipeline: TrainerApi['deletePipeline'] = (name) => this.remote.deletePipeline(name);
  pause = () => this.remote.pause();
  resume = () => this.remote.resume();
  stop = () => this.remote.stop();
  evaluate = () => this.remote.evaluate();
  generate: TrainerApi['generate'] = (request) => this.remote.generate(request);
  generateCall: TrainerApi['generateCall'] = (request) => this.remote.generateCall(request);
  evaluateCalls: TrainerApi['evaluateCalls'] = (request, onProgress) => this.remote.evaluateCalls(request, onProgress && proxy(onProgress));
  readBfclItems: TrainerApi['readBfclItems'] = (questions, answers, limit) => this.remote.readBfclItems(questions, answers, limit);
  save = () => this.remote.save();
  listCheckpoints: TrainerApi['listCheckpoints'] = (run) => this.remote.listCheckpoints(run);
  deleteCheckpoint: TrainerApi['deleteCheckpoint'] = (id, run) => this.remote.deleteCheckpoint(id, run);
  exportCheckpoint: TrainerApi['exportCheckpoint'] = (id, run) => this.remote.exportCheckpoint(id, run);
  importCheckpoint: TrainerApi['importCheckpoint'] = (zip) => this.remote.importCheckpoint(zip);

  train(request: TrainRequest, onEvent?: (event: TrainerEvent) => void): Promise<TrainOutcome> {
    return this.whileTraining(() => this.remote.train(request, onEvent && proxy(onEvent)));
  }

  runPipeline(request: PipelineRequest, onEvent?: (event: PipelineRunEvent) => void): Promise<PipelineOutcome> {
    return this.whileTraining(() => this.remote.runPipeline(request, onEvent && proxy(onEvent)));
  }

  async loadHuggingFace(source: HfSource, options: LoadOptions = {}): Promise<ModelSummary> {
    const { signal, onProgress } = options;
    const abort = () => void this.remote.abortLoad();
    signal?.addEventListener('abort', abort, { once: true });
    try {
      if (signal?.aborted) abort();
      return await this.remote.loadHuggingFace(source, onProgress ? proxy(onProgress) : undefined);
    } finally {
      signal?.removeEventListener('abort', abort);
    }
  }

  /** Counts a run in progress (for the save on hide). */
  private async whileTraining<T>(call: () => Promise<T>): Promise<T> {
    this.training += 1;
    try {
      return await call();
    } finally {
      this.training -= 1;
    }
  }

  terminate(): void {
    this.removeHideListeners();
    this.worker.terminate();
  }

  /** Saves (best effort) when the page goes to the background or away while a run is in progress. */
  private listenForHide(): () => void {
    if (typeof document === 'undefined' || typeof addEventListener !== 'function') return () => undefined;
    const saveNow = () => {
      if (this.training > 0) this.remote.save().catch(() => undefined);
    };
    const onVisibility = () => {
      if (document.visibilityState === 'hidden') saveNow();
    };
    addEventListener('pagehide', saveNow);
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      removeEventListener('pagehide', saveNow);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }
}
