import { readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';

/**
 * `vite build`: the browser library, as ES modules, one output file per source module
 * (`preserveModules`: dist/index.js, dist/model/model.js, ...; next to the declarations tsc writes),
 * every dependency left as an import. One file per module lets a page's bundler drop each module the
 * page does not use (package.json `sideEffects`), including the imports of dependencies it alone makes.
 * The entries are {@link BROWSER_ENTRIES}; each is also a subpath in package.json `exports`.
 *
 * `vite build --mode node`: the Node build, the same sources for Node's own loader ({@link NODE_ENTRIES}):
 *   src/index.ts         -> dist/node/index.js   (`hephaestus-web` under the "node" condition)
 *   src/node.ts          -> dist/node/node.js    (`hephaestus-web/node`: Dawn WebGPU, file store)
 *   src/entries/<x>.ts   -> dist/node/<x>.js     (`hephaestus-web/<x>` under the "node" condition)
 *   src/cli/cli.ts       -> dist/node/cli.js     (what bin/hephaestus-web.js runs)
 * The Node build bundles tfjs: Node would load the tfjs packages' CommonJS bundles for the bare
 * imports but their ES files for the gradient and chained-op modules the library imports (two copies
 * of tfjs, which break each other), and those ES files import their siblings without extensions.
 * Every other dependency and every Node builtin stays an import (the package's users install them).
 * No source maps there: with tfjs inside they weigh 9 MB, and the unminified output reads as it is.
 * Declarations come from `tsc -p tsconfig.build.json` afterwards (see the `build` script).
 *
 * `vite build --mode demo`: the demo page (examples/demo) as a static site in dist-demo/, with its
 * module worker; relative URLs, so it works from any folder of any static server.
 *
 * `vite` (dev server, `npm run demo`): serves the demo page from examples/demo, with public/ as
 * its static folder and the repository readable so the page can import ../../src directly.
 * `vite preview` serves the built demo site (dist-demo/).
 */

/**
 * Browser entry points, by output name (dist/<name>.js). A new public entry is one line here plus its
 * `exports` subpath; a module started as a worker (see keepWorkerUrls) is one line here and no subpath.
 */
const BROWSER_ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  'entries/forge': 'src/entries/forge.ts',
  'entries/tokenizer': 'src/entries/tokenizer.ts',
  'entries/kernels': 'src/entries/kernels.ts',
  'entries/eval': 'src/entries/eval.ts',
  'worker/index': 'src/worker/index.ts',
  // Started by worker/client.js as `new Worker(new URL('./worker.js', import.meta.url))`.
  'worker/worker': 'src/worker/worker.ts',
};

/**
 * Node build entries (dist/node/<name>.js): the package's entries, each a subpath's "node" condition,
 * plus the CLI. One build, so all of them share one bundled copy of tfjs.
 */
const NODE_ENTRIES: Record<string, string> = {
  index: 'src/index.ts',
  node: 'src/node.ts',
  forge: 'src/entries/forge.ts',
  tokenizer: 'src/entries/tokenizer.ts',
  kernels: 'src/entries/kernels.ts',
  eval: 'src/entries/eval.ts',
  cli: 'src/cli/cli.ts',
};

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

/**
 * Browser build: src/runtime/tfjs.ts with `export * from '@tensorflow/tfjs-core'` spelled out as named
 * exports. Over an external package, `export *` leaves the bundler no list of names, so with one file
 * per module every `import * as tf` turned into a run-time copy of all of tfjs-core's exports, and no
 * page could then drop an op it does not use. The names are those tfjs-core exports.
 */
function namedTfjsExports(): Plugin {
  const tfjsModule = fromRoot('./src/runtime/tfjs.ts');
  const star = "export * from '@tensorflow/tfjs-core';";
  return {
    name: 'hephaestus:named-tfjs-exports',
    enforce: 'pre',
    transform(code, id) {
      if (id !== tfjsModule) return undefined;
      if (!code.includes(star)) throw new Error(`${id}: expected \`${star}\``);
      const names = Object.keys(createRequire(tfjsModule)('@tensorflow/tfjs-core') as object).filter((name) => name !== 'default');
      return { code: code.replace(star, `export { ${names.join(', ')} } from '@tensorflow/tfjs-core';`), map: null };
    },
  };
}

/**
 * Browser build: leaves `new Worker(new URL('./x.js', import.meta.url), ...)` as written, for the page's
 * bundler to find (vite, webpack 5 and others bundle such a worker with its imports). Left to it, the
 * library build would bundle the worker itself and point the URL at its own `/assets/` folder, which
 * does not exist in the page. The worker module must then be a {@link BROWSER_ENTRIES} entry too, so it
 * is emitted next to the module that names it. (Checked with a two-module library and a vite app.)
 */
function keepWorkerUrls(): Plugin {
  const hidden = 'new __HEPHAESTUS_WORKER_URL__(';
  return {
    name: 'hephaestus:keep-worker-urls',
    enforce: 'pre',
    transform(code) {
      const out = code.replace(/\bnew Worker\(new URL\(/g, `new Worker(${hidden}`);
      return out === code ? undefined : { code: out, map: null };
    },
    renderChunk(code) {
      if (!code.includes(hidden)) return undefined;
      return { code: code.replaceAll(hidden, 'new URL('), map: null };
    },
  };
}

/** tfjs-core's Node platform module calls `require('util')`, also in its ES build. */
const NODE_REQUIRE_BANNER = "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

/** `hephaestus-web` and `hephaestus-web/worker` for the demo page: the sources (tsconfig.json `paths` says the same to tsc). */
const DEMO_ALIASES = [
  { find: /^hephaestus-web\/worker$/, replacement: fromRoot('./src/worker/index.ts') },
  { find: /^hephaestus-web$/, replacement: fromRoot('./src/index.ts') },
];

/** The demo site: what `vite build --mode demo` writes and `vite preview` serves. */
const DEMO_OUT = fromRoot('./dist-demo');

export default defineConfig(({ command, mode }) => {
  if (command === 'serve' || mode === 'demo') {
    return {
      root: fromRoot('./examples/demo'),
      base: './',
      publicDir: fromRoot('./public'),
      server: { fs: { allow: [repoRoot] } },
      optimizeDeps: { include: ['@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-cpu', '@tensorflow/tfjs-backend-webgpu', '@huggingface/tokenizers', 'comlink', 'fflate', 'idb-keyval', 'uplot'] },
      worker: { format: 'es' as const },
      // The page imports the library by its package name, as an app would; here the names are the sources.
      resolve: { alias: DEMO_ALIASES },
      build: { outDir: DEMO_OUT, emptyOutDir: true, target: 'es2022', chunkSizeWarningLimit: 4096 },
    };
  }
  const node = mode === 'node';
  return {
    root: repoRoot,
    // The library ships no static assets; public/ belongs to the demo.
    publicDir: false,
    plugins: node ? [] : [namedTfjsExports(), keepWorkerUrls()],
    worker: { format: 'es' as const },
    build: {
      outDir: fromRoot(node ? './dist/node' : './dist'),
      // The browser build runs first and clears dist/; the Node build then adds dist/node/.
      emptyOutDir: !node,
      target: node ? 'node20' : 'es2022',
      minify: false,
      sourcemap: !node,
      lib: {
        entry: Object.fromEntries(Object.entries(node ? NODE_ENTRIES : BROWSER_ENTRIES).map(([name, path]) => [name, fromRoot(`./${path}`)])),
        formats: ['es' as const],
        fileName: (_format: string, entryName: string) => `${entryName}.js`,
      },
      rolldownOptions: {
        external: (id: string) => isExternal(id, node),
        platform: node ? ('node' as const) : ('browser' as const),
        output: node
          ? { chunkFileNames: 'chunks/[name]-[hash].js', banner: NODE_REQUIRE_BANNER }
          : { preserveModules: true, preserveModulesRoot: fromRoot('./src') },
      },
    },
    resolve: node ? { mainFields: ['module', 'main'] } : undefined,
  };
});
