/**
 * What a web app pays for hephaestus-web: the packed tarball installed into a fresh app (size on disk,
 * packages, install scripts), and the minified + gzipped JavaScript of each page of test/consumer/
 * as that app's own vite builds it. Also the two ways of reading tokenizer.json that were weighed
 * (issue 14), each as a one-line page. Same app as the consumer test (test/consumer/app.ts).
 */
import { mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  PAGES, buildApp, createApp, diskBytes, emittedFilesContaining, installedPackages, packLibrary, pageBundles, run,
  type PageBundle,
} from '../test/consumer/app.js';
import { machineInfo } from './lib/machine.js';
import { table } from './lib/markdown.js';
import { fmt, progress } from './lib/stats.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Disk and package count of one install. */
export interface InstallFigures {
  bytes: number;
  packages: number;
  withInstallScripts: string[];
  /** Installed packages that a browser page of the library never needs. */
  unwanted: string[];
}

/** One way of reading tokenizer.json, as a one-line page. */
export interface TokenizerRoute {
  route: string;
  bytes: number;
  gzipBytes: number;
  onnxruntime: boolean;
}

export interface PackageResult {
  /** Date and commit, for a section re-measured alone (`--only package`). */
  measured: string;
  tarballBytes: number;
  /** An app with hephaestus-web alone. */
  library: InstallFigures;
  /** The consumer app: hephaestus-web and vite. */
  app: InstallFigures;
  pages: (PageBundle & { title: string; onnxruntime: boolean })[];
  tokenizerRoutes: TokenizerRoute[];
}

const UNWANTED = ['webgpu', '@xenova/transformers', 'onnxruntime-web', 'onnxruntime-node', 'sharp'];

function installFigures(dir: string): InstallFigures {
  const packages = installedPackages(dir);
  return {
    bytes: diskBytes(join(dir, 'node_modules')),
    packages: packages.length,
    withInstallScripts: packages.filter((p) => p.installScripts.length > 0).map((p) => p.name),
    unwanted: packages.filter((p) => UNWANTED.includes(p.name)).map((p) => p.name),
  };
}

const ROUTES: { route: string; code: string; stubOnnx: boolean }[] = [
  {
    route: '`@huggingface/tokenizers` (the library\'s choice)',
    code: "import { Tokenizer } from '@huggingface/tokenizers';\nconst t = new Tokenizer(JSON.parse(document.body.dataset.json), {});\ndocument.body.textContent = String(t.encode('hi').ids);\n",
    stubOnnx: false,
  },
  {
    route: 'transformers.js `src/tokenizers.js`, its onnx backend module stubbed by the app\'s bundler',
    code: "import { PreTrainedTokenizer } from '@xenova/transformers/src/tokenizers.js';\nconst t = new PreTrainedTokenizer(JSON.parse(document.body.dataset.json), {});\ndocument.body.textContent = String(t.encode('hi'));\n",
    stubOnnx: true,
  },
  {
    route: 'transformers.js `src/tokenizers.js` as it is (what the library imported before)',
    code: "import { PreTrainedTokenizer } from '@xenova/transformers/src/tokenizers.js';\nconst t = new PreTrainedTokenizer(JSON.parse(document.body.dataset.json), {});\ndocument.body.textContent = String(t.encode('hi'));\n",
    stubOnnx: false,
  },
];

/** Builds each tokenizer route as a page with the repository's own node_modules and vite. */
async function tokenizerRoutes(work: string): Promise<TokenizerRoute[]> {
  const results: TokenizerRoute[] = [];
  for (const [i, { route, code, stubOnnx }] of ROUTES.entries()) {
    const dir = join(work, `tokenizer-route-${i}`);
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{ "type": "module" }');
    writeFileSync(join(dir, 'page.js'), code);
    writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./page.js"></script>\n');
    writeFileSync(join(dir, 'onnx-stub.js'), 'export const ONNX = {};\n');
    writeFileSync(join(dir, 'vite.config.js'), [
      "import { defineConfig } from 'vite';",
      `const stub = ${stubOnnx} ? new URL('./onnx-stub.js', import.meta.url).pathname : undefined;`,
      'export default defineConfig({ build: { manifest: true }, plugins: [{ name: \'stub-onnx\', enforce: \'pre\',',
      "  resolveId: (id) => (stub && id.endsWith('/backends/onnx.js') ? stub : undefined) }] });",
    ].join('\n'));
    await run(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'error'], dir);
    const [bundle] = pageBundles(dir, [{ name: 'index', title: route }]);
    results.push({ route, bytes: bundle.totalBytes, gzipBytes: bundle.totalGzipBytes, onnxruntime: emittedFilesContaining(dir, /onnxruntime/).length > 0 });
  }
  return results;
}

/** Packs, installs and builds in a temporary folder (deleted afterwards); about 2 minutes on 2 cores. */
export async function benchPackage(): Promise<PackageResult> {
  const work = mkdtempSync(join(tmpdir(), 'heph-package-bench-'));
  try {
    progress('package: building and packing the library');
    const tarball = await packLibrary(work);
    progress('package: installing it alone, then into a vite app');
    const libraryDir = join(work, 'library-only');
    await createApp(libraryDir, tarball, false);
    const appDir = join(work, 'app');
    await createApp(appDir, tarball);
    progress('package: vite build of the consumer pages');
    await buildApp(appDir);
    const titles = new Map(PAGES.map((p) => [p.name, p.title]));
    const withOnnx = new Set(emittedFilesContaining(appDir, /onnxruntime/).map((name) => `assets/${name}`));
    const pages = pageBundles(appDir).map((b) => ({
      ...b,
      title: titles.get(b.page) ?? b.page,
      onnxruntime: [...b.initialFiles, ...b.lazyFiles, ...b.workerFiles].some((file) => withOnnx.has(file)),
    }));
    progress('package: tokenizer routes');
    const { date, commit } = machineInfo();
    return {
      measured: `${date}, commit ${commit}`,
      tarballBytes: statSync(tarball).size,
      library: installFigures(libraryDir),
      app: installFigures(appDir),
      pages,
      tokenizerRoutes: await tokenizerRoutes(work),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

const kb = (bytes: number): string => fmt(bytes / 1000, 1);
const mb = (bytes: number): string => fmt(bytes / 1e6, 1);

/** The BENCHMARKS.md section. */
export function renderPackage(p: PackageResult): string[] {
  const out: string[] = [];
  out.push('## Package: installing into a web app', '');
  out.push('`npm pack` of the library, installed into a fresh folder with `npm install --ignore-scripts --prefer-offline` ' +
    '(no overrides), then built by that app\'s own vite (default minification) and measured from its manifest. ' +
    `KB = 1000 bytes; gzip at level 9, file by file. Measured ${p.measured}.`, '');
  out.push(table(
    ['install', 'node_modules MB', 'packages', 'with install scripts', 'webgpu / transformers.js / onnxruntime / sharp'],
    [
      ['hephaestus-web alone', mb(p.library.bytes), String(p.library.packages), p.library.withInstallScripts.join(', ') || 'none', p.library.unwanted.join(', ') || 'none'],
      ['hephaestus-web + vite (the consumer app)', mb(p.app.bytes), String(p.app.packages), p.app.withInstallScripts.join(', ') || 'none', p.app.unwanted.join(', ') || 'none'],
    ],
    ['l', 'r', 'r', 'l', 'l'],
  ), '');
  out.push(`Tarball: ${kb(p.tarballBytes)} KB.`, '');
  out.push(table(
    ['page (test/consumer/)', 'loaded with the page KB', 'gzip KB', 'with lazy chunks and workers KB', 'gzip KB', 'onnxruntime'],
    p.pages.map((b) => [`${b.title} (\`${b.page}.html\`)`, kb(b.initialBytes), kb(b.initialGzipBytes), kb(b.totalBytes), kb(b.totalGzipBytes), b.onnxruntime ? 'yes' : 'no']),
    ['l', 'r', 'r', 'r', 'r', 'l'],
  ), '');
  out.push('Targets (issue 14): (a) at most 700 KB, (b) at most 900 KB minified, no onnxruntime.', '');
  out.push('Reading tokenizer.json, each route as a one-line page built by vite (the ids are the same on every file ' +
    'of ../shared/data: test/node/tokenizer.test.ts):', '');
  out.push(table(
    ['route', 'KB', 'gzip KB', 'onnxruntime'],
    p.tokenizerRoutes.map((r) => [r.route, kb(r.bytes), kb(r.gzipBytes), r.onnxruntime ? 'yes' : 'no']),
    ['l', 'r', 'r', 'l'],
  ), '');
  return out;
}
