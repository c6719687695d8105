/**
 * The one place the library imports TensorFlow.js from: the core (ops, autograd, engine) plus the
 * gradients and the CPU backend it needs, instead of the umbrella package (layers, converter, data,
 * WebGL: none of them used). The WebGPU backend is registered by `backend.ts` when asked for.
 */
// The core first: its flags must be registered before the gradient registry reads them (pre-bundled
// browser dependencies evaluate each deep import as its own entry, in this order).
import '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
