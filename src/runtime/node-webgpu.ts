import { create, globals } from 'webgpu';
import { initBackend, type BackendInfo, type BackendName } from './backend.js';

/** Which Dawn adapter to use in Node. */
export type NodeAdapterKind = 'opengles' | 'vulkan';

/**
 * The Dawn instance must stay reachable for the life of the process: when it is garbage-collected
 * the native side tears down under live buffers and the process crashes at random.
 */
let dawnInstance: GPU | undefined;

/**
 * Initialises tfjs in Node on WebGPU through Dawn (the `webgpu` npm package), else on the CPU.
 *
 * `adapter: 'opengles'` (default) uses Mesa's llvmpipe through EGL, about 10x faster than SwiftShader
 * on machines without a GPU; `'vulkan'` uses whatever Vulkan driver is installed (a real GPU, or
 * SwiftShader via `VK_ICD_FILENAMES`). Environment: `HEPHAESTUS_ADAPTER` overrides `adapter`.
 */
export async function initNodeBackend(
  options: { prefer?: BackendName | 'auto'; adapter?: NodeAdapterKind } = {},
): Promise<BackendInfo> {
  const prefer = options.prefer ?? 'auto';
  if (prefer === 'cpu') return initBackend({ prefer });
  const kind = (process.env.HEPHAESTUS_ADAPTER as NodeAdapterKind | undefined) ?? options.adapter ?? 'opengles';
  if (kind === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
  if (!dawnInstance) {
    Object.assign(globalThis, globals);
    dawnInstance = create(kind === 'opengles' ? ['backend=opengles'] : ['backend=vulkan']);
    // tfjs-backend-webgpu checks `navigator.gpu` before it builds a backend; Node 20 has no navigator.
    const scope = globalThis as { navigator?: { gpu?: GPU } };
    if (!scope.navigator) scope.navigator = {};
    scope.navigator.gpu = dawnInstance;
  }
  const adapterOptions: GPURequestAdapterOptions =
    kind === 'opengles' ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : {};
  return initBackend({ prefer, gpu: dawnInstance, adapterOptions });
}
