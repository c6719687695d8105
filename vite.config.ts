import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * `vite build`: the browser library, as ES modules, one file per entry (shared code in chunks):
 *   src/index.ts         -> dist/index.js   (the public API; every dependency stays an import)
 * `vite build --mode node`: the Node build, the same sources for Node's own loader:
 *   src/index.ts         -> dist/node/index.js   (`hephaestus-web` under the "node" condition)
 *   src/node.ts          -> dist/node/node.js    (`hephaestus-web/node`: Dawn WebGPU, file store)
 *   src/cli/cli.ts       -> dist/node/cli.js     (what bin/hephaestus-web.js runs)
 * The Node build bundles tfjs: Node would load the tfjs packages' CommonJS bundles for the bare
 * imports but their ES files for the gradient and chained-op modules the library imports (two copies
 * of tfjs, which break each other), and those ES files import their siblings without extensions.
 * Every other dependency and every Node builtin stays an import (the package's users install them).
 * Declarations come from `tsc -p tsconfig.build.json` afterwards (see the `build` script).
 *
 * `vite` (dev server, `npm run demo`): serves the demo page from examples/demo, with public/ as
 * its static folder and the repository readable so the page can import ../../src directly.
 */

const repoRoot = fileURLToPath(new URL('.', import.meta.url));
const fromRoot = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

interface PackageJson {
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}
const pkg = JSON.parse(readFileSync(fromRoot('./package.json'), 'utf8')) as PackageJson;
const dependencies = Object.keys({
  ...pkg.dependencies,
  ...pkg.peerDependencies,
  ...pkg.optionalDependencies,
});
const builtins = new Set(builtinModules);

function isExternal(id: string, bundleTfjs: boolean): boolean {
  if (id.startsWith('node:') || builtins.has(id)) return true;
  if (bundleTfjs && id.startsWith('@tensorflow/')) return false;
  return dependencies.some((name) => id === name || id.startsWith(`${name}/`));
}

/** tfjs-core's Node platform module calls `require('util')`, also in its ES build. */
const NODE_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

export default defineConfig(({ command, mode }) => {
  if (command === 'serve') {
    return {
      root: fromRoot('./examples/demo'),
      publicDir: fromRoot('./public'),
      server: { fs: { allow: [repoRoot] } },
      optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@xenova/transformers'] },
      worker: { format: 'es' as const },
    };
  }
  const node = mode === 'node';
  return {
    root: repoRoot,
    // The library ships no static assets; public/ belongs to the demo.
    publicDir: false,
    worker: { format: 'es' as const },
    build: {
      outDir: fromRoot(node ? './dist/node' : './dist'),
      // The browser build runs first and clears dist/; the Node build then adds dist/node/.
      emptyOutDir: !node,
      target: node ? 'node20' : 'es2022',
      minify: false,
      sourcemap: true,
      lib: {
        entry: (node
          ? { index: fromRoot('./src/index.ts'), node: fromRoot('./src/node.ts'), cli: fromRoot('./src/cli/cli.ts') }
          : { index: fromRoot('./src/index.ts') }) as Record<string, string>,
        formats: ['es' as const],
        fileName: (_format: string, entryName: string) => `${entryName}.js`,
      },
      rolldownOptions: {
        external: (id: string) => isExternal(id, node),
        platform: node ? ('node' as const) : ('browser' as const),
        output: { chunkFileNames: 'chunks/[name]-[hash].js', ...(node ? { banner: NODE_REQUIRE_BANNER } : {}) },
      },
    },
    resolve: node ? { mainFields: ['module', 'main'] } : undefined,
  };
});
