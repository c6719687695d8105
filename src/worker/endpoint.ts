/**
 * The object the worker exposes over comlink ({@link WorkerEndpoint}): `init` picks the backend and
 * opens the IndexedDB store, then every call goes to one {@link TrainerService}.
 * @module
 */
import { configureMatmul } from '../kernels/matmul/index.js';
import { initBackend } from '../runtime/backend.js';
import { openIndexedDbStore } from '../store/indexeddb.js';
import { AbortedError, BackendError, InputError, errorMessage } from '../util/errors.js';
import type { WorkerEndpoint } from './client.js';
import type { ServiceOptions } from './protocol.js';
import { indexedDbRunStores } from './runs.js';
import { TrainerService } from './service.js';

/** Default IndexedDB database of the checkpoints. */
export const DEFAULT_STORE_NAME = 'hephaestus-web';

/** A fresh endpoint; nothing runs until `init`. */
export function workerEndpoint(): WorkerEndpoint {
  let service: TrainerService | undefined;
  let loading: AbortController | undefined;
  const ready = (): TrainerService => {
    if (!service) throw new InputError('trainer', 'the worker is not initialised (call init first)');
    return service;
  };
  return {
    async init(options: ServiceOptions) {
      if (options.matmulAutotune) configureMatmul({ autotune: options.matmulAutotune });
      const prefer = options.backend ?? 'webgpu';
      const backend = await initBackend({ prefer }).catch((error: unknown) => {
        throw new BackendError(`no WebGPU in the trainer worker (${errorMessage(error)}); pass backend: 'auto' to fall back to the CPU backend`, { cause: error });
      });
      const pause = options.savePause;
      const onSavePoint = pause && (async (point: string) => {
        if (point === pause.point) await new Promise((resolve) => setTimeout(resolve, pause.ms));
      });
      const storeName = options.storeName ?? DEFAULT_STORE_NAME;
      const storeOptions = { keepLast: options.keepLast, onSavePoint };
      service = new TrainerService(openIndexedDbStore(storeName, storeOptions), backend, options, indexedDbRunStores(storeName, storeOptions));
      return backend;
    },
    status: () => ready().status(),
    createModel: (spec) => ready().createModel(spec),
    loadCheckpoint: (id, expect, run) => ready().loadCheckpoint(id, expect, run),
    async loadHuggingFace(source, onProgress) {
      loading?.abort();
      const controller = new AbortController();
      loading = controller;
      try {
        return await ready().loadHuggingFace(source, { onProgress, signal: controller.signal });
      } catch (error) {
        throw controller.signal.aborted && !(error instanceof AbortedError) ? new AbortedError('loading the Hugging Face model') : error;
      } finally {
        if (loading === controller) loading = undefined;
      }
    },
    async abortLoad() {
      loading?.abort();
    },
    attachData: (data) => ready().attachData(data),
    buildCorpus: (request, onProgress) => ready().buildCorpus(request, onProgress),
    train: (request, onEvent) => ready().train(request, onEvent),
    runPipeline: (request, onEvent) => ready().runPipeline(request, onEvent),
    listPipelines: () => ready().listPipelines(),
    deletePipeline: (name) => ready().deletePipeline(name),
    pause: () => ready().pause(),
    resume: () => ready().resume(),
    stop: () => ready().stop(),
    evaluate: () => ready().evaluate(),
    generate: (request) => ready().generate(request),
    generateCall: (request) => ready().generateCall(request),
    evaluateCalls: (request, onProgress) => ready().evaluateCalls(request, onProgress),
    readBfclItems: (questions, answers, limit) => ready().readBfclItems(questions, answers, limit),
    save: () => ready().save(),
    listCheckpoints: (run) => ready().listCheckpoints(run),
    deleteCheckpoint: (id, run) => ready().deleteCheckpoint(id, run),
    exportCheckpoint: (id, run) => ready().exportCheckpoint(id, run),
    importCheckpoint: (zip) => ready().importCheckpoint(zip),
  };
}
