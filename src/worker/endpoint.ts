/**
 * The object the worker exposes over comlink ({@link WorkerEndpoint}): `init` picks the backend and
 * opens the IndexedDB store, then every call goes to one {@link TrainerService}.
 * @module
 */
import { initBackend } from '../runtime/backend.js';
import { openIndexedDbStore } from '../store/indexeddb.js';
import { AbortedError, BackendError, InputError, errorMessage } from '../util/errors.js';
import type { WorkerEndpoint } from './client.js';
import type { ServiceOptions } from './protocol.js';
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
      const prefer = options.backend ?? 'webgpu';
      const backend = await initBackend({ prefer }).catch((error: unknown) => {
        throw new BackendError(`no WebGPU in the trainer worker (${errorMessage(error)}); pass backend: 'auto' to fall back to the CPU backend`, { cause: error });
      });
      const pause = options.savePause;
      const onSavePoint = pause && (async (point: string) => {
        if (point === pause.point) await new Promise((resolve) => setTimeout(resolve, pause.ms));
      });
      service = new TrainerService(openIndexedDbStore(options.storeName ?? DEFAULT_STORE_NAME, { keepLast: options.keepLast, onSavePoint }), backend, options);
      return backend;
    },
    status: () => ready().status(),
    createModel: (spec) => ready().createModel(spec),
    loadCheckpoint: (id, expect) => ready().loadCheckpoint(id, expect),
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
    train: (request, onEvent) => ready().train(request, onEvent),
    pause: () => ready().pause(),
    resume: () => ready().resume(),
    stop: () => ready().stop(),
    evaluate: () => ready().evaluate(),
    generate: (request) => ready().generate(request),
    save: () => ready().save(),
    listCheckpoints: () => ready().listCheckpoints(),
    deleteCheckpoint: (id) => ready().deleteCheckpoint(id),
    exportCheckpoint: (id) => ready().exportCheckpoint(id),
    importCheckpoint: (zip) => ready().importCheckpoint(zip),
  };
}
