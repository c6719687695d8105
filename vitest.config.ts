import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumCleanup } from './test/setup/chromium-cleanup.js';

/**
 * Two projects:
 * - `node`: Node 20 + Dawn (the `webgpu` package) over Mesa llvmpipe (OpenGL ES, EGL surfaceless).
 * - `browser`: Debian's Chromium (never a downloaded one) driven by Playwright, WebGPU on SwiftShader.
 *
 * Run one with `npx vitest run --project node` or `--project browser`; `npm test` runs both, the node
 * project first (groupOrder) so that llvmpipe and Chromium do not fight over the two cores.
 */

/** Debian's chromium package. `CHROMIUM_PATH` overrides it (e.g. another distribution). */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium flags (measured with Debian's chromium 156, headless, as root, offline, no GPU).
 * Only `--enable-unsafe-webgpu` is needed for WebGPU: without it `navigator.gpu` exists but
 * `requestAdapter()` returns null. The adapter is then Dawn on SwiftShader (Vulkan, from
 * chromium-common), reported as vendor `google`, architecture `swiftshader`, isFallbackAdapter true.
 * `--use-webgpu-adapter=swiftshader` asks for that adapter even where a GPU exists (same adapter everywhere);
 * `--enable-features=Vulkan` and `--use-angle=swiftshader` change nothing here and are left out.
 * The rest: no sandbox as root, and no network traffic (there is none to have).
 */
export const chromiumArgs = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Containers often mount a tiny /dev/shm; Chromium then crashes renderers without this.
  '--disable-dev-shm-usage',
];

/** The ES entry (`module` field) of each tfjs package, for the node project (see `server.deps.inline`). */
const TFJS_ES_ENTRIES = ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-webgpu'].map((name) => ({
  find: new RegExp(`^@tensorflow/${name}$`),
  replacement: fileURLToPath(new URL(`./node_modules/@tensorflow/${name}/dist/index.js`, import.meta.url)),
}));

export default defineConfig({
  test: {
    // Root-only option; each project sets its own test and hook timeouts (projects do not inherit).
    teardownTimeout: 30_000,
    projects: [
      {
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          environment: 'node',
          // tfjs as ES modules, one copy, as a bundler would load it: Node's own loader would take the
          // packages' CommonJS bundles for the bare imports and ES files for the gradient modules.
          server: { deps: { inline: [/@tensorflow\//] } },
          alias: TFJS_ES_ENTRIES,
          setupFiles: ['test/setup/node-require.ts'],
          pool: 'forks',
          // The machines have two cores, and llvmpipe uses all of them for one process.
          maxWorkers: 2,
          // WebGPU on a software rasteriser is slow: a kernel test may compile many pipelines.
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 0 },
        },
      },
      {
        // Kills any Chromium this run started that is still alive when Vitest exits (normally none).
        plugins: [chromiumCleanup()],
        // Dependencies the browser tests import, pre-bundled up front: discovering them mid-run makes
        // Vite reload the page and the run flaky.
        optimizeDeps: {
          include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@xenova/transformers', 'idb-keyval'],
        },
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
          browser: {
            enabled: true,
            headless: true,
            screenshotFailures: false,
            provider: playwright({
              launchOptions: {
                executablePath: chromiumPath,
                args: chromiumArgs,
              },
            }),
            instances: [{ browser: 'chromium' }],
          },
        },
      },
    ],
  },
});
