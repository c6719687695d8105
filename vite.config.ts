import { readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

/**
 * `vite build`: the library, as ES modules, one file per entry (shared code in chunks):
 *   src/index.ts         -> dist/index.js   (browser + Node public API)
 *   src/node.ts          -> dist/node.js    (`hephaestus-web/node`: Dawn WebGPU, file store)
 *   examples/node/cli.ts -> dist/cli.js     (what bin/hephaestus-web.js runs)
 * Every dependency and every Node builtin stays an import (the package's users install them).
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

function isExternal(id: string): boolean {
  if (id.startsWith('node:') || builtins.has(id)) return true;
  return dependencies.some((name) => id === name || id.startsWith(`${name}/`));
}

export default defineConfig(({ command }) => {
  if (command === 'serve') {
    return {
      root: fromRoot('./examples/demo'),
      publicDir: fromRoot('./public'),
      server: { fs: { allow: [repoRoot] } },
      optimizeDeps: { include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@xenova/transformers'] },
      worker: { format: 'es' as const },
    };
  }
  return {
    root: repoRoot,
    // The library ships no static assets; public/ belongs to the demo.
    publicDir: false,
    worker: { format: 'es' as const },
    build: {
      outDir: fromRoot('./dist'),
      emptyOutDir: true,
      target: 'es2022',
      minify: false,
      sourcemap: true,
      lib: {
        entry: {
          index: fromRoot('./src/index.ts'),
          node: fromRoot('./src/node.ts'),
          cli: fromRoot('./examples/node/cli.ts'),
        },
        formats: ['es' as const],
        fileName: (_format: string, entryName: string) => `${entryName}.js`,
      },
      rolldownOptions: {
        external: isExternal,
        output: { chunkFileNames: 'chunks/[name]-[hash].js' },
      },
    },
  };
});
