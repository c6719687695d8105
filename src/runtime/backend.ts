import * as tf from './tfjs.js';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BackendError, errorMessage } from '../util/errors.js';

/** Which tfjs backend runs the maths. */
export type BackendName = 'webgpu' | 'cpu';

/** Options for {@link initBackend}. */
export interface BackendOptions {
  /** `'auto'` (default) tries WebGPU and falls back to the CPU backend. */
  prefer?: BackendName | 'auto';
  /**
   * The GPU entry point, or a promise of it. Defaults to `navigator.gpu`; Node passes the one from the
   * `webgpu` package (see `initNodeBackend` in the `hephaestus-web/node` entry). A rejected promise
   * counts as WebGPU being unavailable (with `'auto'`, the CPU backend and the reason).
   */
  gpu?: GPU | PromiseLike<GPU>;
  /** Adapter options, e.g. `{ featureLevel: 'compatibility' }` for OpenGL ES adapters. */
  adapterOptions?: GPURequestAdapterOptions;
}

/** What {@link initBackend} chose, to show the user. */
export interface BackendInfo {
  name: BackendName;
  /** Human-readable adapter description, e.g. `SwiftShader driver 5.0.0`. */
  adapter: string;
  /** Why WebGPU was not used, when it was not. */
  fallbackReason?: string;
}

let current: BackendInfo | undefined;

/**
 * Selects and initialises the tfjs backend. With `prefer: 'auto'` a missing or failing WebGPU
 * adapter falls back to the CPU backend and says why; with `prefer: 'webgpu'` it throws instead.
 */
export async function initBackend(options: BackendOptions = {}): Promise<BackendInfo> {
  const prefer = options.prefer ?? 'auto';
  if (prefer !== 'cpu') {
    try {
      current = await initWebGPU(options);
      return current;
    } catch (error) {
      if (prefer === 'webgpu') throw error;
      current = await initCpu(errorMessage(error));
      return current;
    }
  }
  current = await initCpu();
  return current;
}

/** The backend chosen by the last {@link initBackend} call, if any. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

async function initCpu(fallbackReason?: string): Promise<BackendInfo> {
  await tf.setBackend('cpu');
  await tf.ready();
  return { name: 'cpu', adapter: 'tfjs cpu (JavaScript)', fallbackReason };
}

async function initWebGPU(options: BackendOptions): Promise<BackendInfo> {
  const gpu = (await options.gpu) ?? (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) throw new BackendError('WebGPU is not available (no navigator.gpu)');
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance', ...options.adapterOptions });
  if (!adapter) throw new BackendError('WebGPU returned no adapter');
  const device = await adapter.requestDevice({ requiredLimits: wantedLimits(adapter.limits) });
  device.lost.then((info) => {
    if (info.reason !== 'destroyed') console.error(`hephaestus-web: WebGPU device lost: ${info.message}`);
  });
  // Our own factory instead of the package's: it lets Node pass a GPU object and adapter options
  // (compatibility adapters are invisible to the package's default request).
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, adapter.info), 3);
  const ok = await tf.setBackend('webgpu');
  if (!ok) throw new BackendError('the tfjs WebGPU backend failed to initialise');
  await tf.ready();
  return { name: 'webgpu', adapter: describeAdapter(adapter.info) };
}

function wantedLimits(limits: GPUSupportedLimits): Record<string, number> {
  return {
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    // Compatibility-mode devices default to fewer storage buffers than the adapter offers.
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
  };
}

function describeAdapter(info: GPUAdapterInfo | undefined): string {
  if (!info) return 'unknown adapter';
  const parts = [info.description, info.vendor, info.architecture].filter((part) => part);
  return parts.length > 0 ? parts.join(' / ') : 'unknown adapter';
}
