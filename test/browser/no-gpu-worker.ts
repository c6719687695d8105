/// <reference lib="webworker" />
export {}; // a module: top-level await
/**
 * The trainer worker as it runs in a browser without WebGPU: `navigator.gpu` hidden, then the real
 * worker entry (test/browser/worker.test.ts checks the client's error and the CPU fallback).
 */
Object.defineProperty(self.navigator, 'gpu', { value: undefined, configurable: true });
await import('../../src/worker/worker.js');
