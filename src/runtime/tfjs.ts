/**
 * The one place the library imports TensorFlow.js from: the core (ops, autograd, engine) plus the
 * gradients and the CPU backend it needs, instead of the umbrella package (layers, converter, data,
 * WebGL: none of them used). The WebGPU backend is registered by `backend.ts` when asked for.
 */
import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';

export * from '@tensorflow/tfjs-core';
