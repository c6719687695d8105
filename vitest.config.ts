import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { playwright } from '@vitest/browser-playwright';
import { chromiumCleanup } from './test/setup/chromium-cleanup.js';
import { chromiumArgs, chromiumPath } from './test/setup/chromium.js';
import { trainWithTorch } from './test/setup/torch-command.js';

/**
 * Four projects:
 * - `node`: Node 20 + Dawn (the `webgpu` package) over Mesa llvmpipe (OpenGL ES, EGL surfaceless).
 * - `consumer`: the packed package installed into a fresh vite app, its pages run in Chromium.
 * - `browser`: Debian's Chromium (never a downloaded one) driven by Playwright, WebGPU on SwiftShader.
 * - `demo`: the built demo site served by `vite preview`, driven end to end in Chromium by Playwright.
 *
 * Run one with `npx vitest run --project node` (or `consumer`, `browser`, `demo`); `npm test` runs all four
 * in that order (groupOrder) so that llvmpipe and Chromium do not fight over the two cores.
 */

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
        // The package as a user's web app installs it (npm pack, a fresh vite app, Chromium). Alone
        // between the other two: it builds, installs and compiles every WebGPU pipeline on SwiftShader.
        test: {
          name: 'consumer',
          include: ['test/consumer/**/*.test.ts'],
          environment: 'node',
          testTimeout: 600_000,
          hookTimeout: 600_000,
          sequence: { groupOrder: 1 },
        },
      },
      {
        // Kills any Chromium this run started that is still alive when Vitest exits (normally none).
        plugins: [chromiumCleanup()],
        // Dependencies the browser tests import, pre-bundled up front: discovering them mid-run makes
        // Vite reload the page and the run flaky.
        optimizeDeps: {
          include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@huggingface/tokenizers', 'idb-keyval'],
        },
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 2 },
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
            // Node-side helper of test/browser/scale-out.test.ts: trains a run folder the page exported with PyTorch.
            commands: { trainWithTorch },
          },
        },
      },
      {
        // The demo page as a visitor uses it: Playwright drives Chromium itself against `vite preview`.
        test: {
          name: 'demo',
          include: ['test/demo/**/*.test.ts'],
          environment: 'node',
          testTimeout: 300_000,
          hookTimeout: 300_000,
          sequence: { groupOrder: 3 },
        },
      },
    ],
  },
});
