import { BackendError, errorMessage } from '../util/errors.js';
import { initBackend, type BackendInfo, type BackendName } from './backend.js';

/** Which Dawn adapter to use in Node. */
export type NodeAdapterKind = 'opengles' | 'vulkan';

/** The version of the optional `webgpu` package this release is tested with. */
const WEBGPU_PACKAGE = 'webgpu@0.6.2';

/**
 * The Dawn instance must stay reachable for the life of the process: when it is garbage-collected
 * the native side tears down under live buffers and the process crashes at random.
 */
let dawnInstance: Promise<GPU> | undefined;

/**
 * Loads Dawn (the `webgpu` package, an optional peer dependency: only Node WebGPU needs its 130 MB
 * binary, so browser apps never install it) and creates the GPU entry point once per process.
 */
function dawnGpu(kind: NodeAdapterKind): Promise<GPU> {
  dawnInstance ??= (async () => {
    let dawn: typeof import('webgpu');
    try {
      dawn = await import('webgpu');
    } catch (cause) {
      throw new BackendError(
        `WebGPU in Node needs the optional package \`webgpu\` (npm install ${WEBGPU_PACKAGE}): ${errorMessage(cause)}`,
        { cause },
      );
    }
    Object.assign(globalThis, dawn.globals);
    const gpu = dawn.create(kind === 'opengles' ? ['backend=opengles'] : ['backend=vulkan']);
    // tfjs-backend-webgpu checks `navigator.gpu` before it builds a backend; Node 20 has no navigator.
    const scope = globalThis as { navigator?: { gpu?: GPU } };
    if (!scope.navigator) scope.navigator = {};
    scope.navigator.gpu = gpu;
    return gpu;
  })();
  dawnInstance.catch(() => {
    dawnInstance = undefined;
  });
  return dawnInstance;
}

/**
 * Initialises tfjs in Node on WebGPU through Dawn (the optional `webgpu` npm package), else on the CPU.
 *
 * `adapter: 'opengles'` (default) uses Mesa's llvmpipe through EGL, about 10x faster than SwiftShader
 * on machines without a GPU; `'vulkan'` uses whatever Vulkan driver is installed (a real GPU, or
 * SwiftShader via `VK_ICD_FILENAMES`). Environment: `HEPHAESTUS_ADAPTER` overrides `adapter`.
 * Without the `webgpu` package, `prefer: 'auto'` falls back to the CPU and says why in `fallbackReason`.
 */
export async function initNodeBackend(
  options: { prefer?: BackendName | 'auto'; adapter?: NodeAdapterKind } = {},
): Promise<BackendInfo> {
  const prefer = options.prefer ?? 'auto';
  if (prefer === 'cpu') return initBackend({ prefer });
  const kind = (process.env.HEPHAESTUS_ADAPTER as NodeAdapterKind | undefined) ?? options.adapter ?? 'opengles';
  if (kind === 'opengles') process.env.EGL_PLATFORM ??= 'surfaceless';
  const adapterOptions: GPURequestAdapterOptions =
    kind === 'opengles' ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions) : {};
  return initBackend({ prefer, gpu: dawnGpu(kind), adapterOptions });
}
