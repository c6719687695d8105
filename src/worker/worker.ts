/// <reference lib="webworker" />
/**
 * The trainer worker's entry: started by `createTrainer` as a module worker, it owns the tfjs backend
 * (WebGPU when there is one) and the IndexedDB checkpoint store, and exposes the trainer over comlink.
 * @module
 */
import { expose } from 'comlink';
import { installErrorTransfer } from './errors.js';
import { workerEndpoint } from './endpoint.js';

installErrorTransfer();
expose(workerEndpoint());
