/// <reference lib="webworker" />
/**
 * The trainer worker as it runs in a browser without WebGPU: the real worker entry with `navigator.gpu`
 * hidden (the entry only reads it at `init`; a static import, so the entry listens before any message).
 */
import '../../src/worker/worker.js';

Object.defineProperty(self.navigator, 'gpu', { value: undefined, configurable: true });
