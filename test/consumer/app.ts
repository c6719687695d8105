/**
 * A fresh web app that installs hephaestus-web the way a user's app does: the package is built and
 * packed (`npm pack`) from a copy of the repository, the tarball is installed into a new folder with
 * vite and nothing else (no overrides, install scripts off), the pages of test/consumer/ are built
 * by that app's own vite, served by a tiny static server and opened in Debian's Chromium.
 * Used by test/node/consumer.test.ts and bench/package-bench.ts.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright';
import { chromiumArgs, chromiumPath } from '../setup/chromium.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = fileURLToPath(new URL('.', import.meta.url));

/** One bundle case: an HTML page of the consumer app and what it must print. */
export interface PageCase {
  /** File name without `.html` (also the vite input name). */
  name: string;
  /** What the page does, for reports. */
  title: string;
}

/** The bundle cases, each a page in test/consumer/ (`<name>.html` + `<name>.js`): one entry here plus its two files. */
export const PAGES: readonly PageCase[] = [
  { name: 'token-ids', title: '(a) trains nano on token ids' },
  { name: 'bpe', title: '(b) trains a BPE tokenizer, trains nano, generates' },
  { name: 'worker', title: '(c) trains nano in the worker through its client' },
];

/** What the repository copy needs to build and pack the library. */
const PACKED_SOURCES = [
  'src', 'bin', 'examples', 'public', 'package.json', 'README.md', 'vite.config.ts', 'tsconfig.json', 'tsconfig.build.json',
  'scripts/check-public-types.mjs',
];

/** Runs a command; resolves with its output, rejects with the output's tail when it fails. */
export function run(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`\`${command} ${args.join(' ')}\` in ${cwd} exited ${String(code)}:\n${output.slice(-4000)}`));
    });
  });
}

/**
 * Builds the library in a copy of the repository (the checkout's own dist/ is left alone) and packs
 * it. `prepare` is the build, so it runs explicitly and the pack skips scripts.
 * @returns the tarball's path
 */
export async function packLibrary(workDir: string): Promise<string> {
  const copy = join(workDir, 'library');
  mkdirSync(copy, { recursive: true });
  for (const path of PACKED_SOURCES) cpSync(join(repoRoot, path), join(copy, path), { recursive: true });
  symlinkSync(join(repoRoot, 'node_modules'), join(copy, 'node_modules'), 'dir');
  await run('npm', ['run', 'build', '--silent'], copy);
  const out = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', workDir], copy);
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return join(workDir, filename);
}

/** The vite this repository is tested with: the consumer app installs the same one. */
function viteVersion(): string {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  return pkg.devDependencies.vite;
}

/**
 * Creates the app in `dir`: package.json (the tarball and, unless `withVite` is false, vite), the
 * pages, then `npm install` from the local cache where it can (`--prefer-offline`), with install
 * scripts off: none may be needed.
 */
export async function createApp(dir: string, tarball: string, withVite = true): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const dependencies: Record<string, string> = { 'hephaestus-web': `file:${tarball}` };
  if (withVite) dependencies.vite = viteVersion();
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer-app', private: true, type: 'module', dependencies }, null, 2));
  if (withVite) {
    for (const name of readdirSync(fixtures)) {
      if (/\.(html|js)$/.test(name)) cpSync(join(fixtures, name), join(dir, name));
    }
  }
  await run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], dir);
}

/** One installed package. */
export interface InstalledPackage {
  name: string;
  version: string;
  /** Its preinstall / install / postinstall scripts (a binding.gyp counts as `node-gyp rebuild`). */
  installScripts: string[];
}

/** Every package under `dir`/node_modules (nested ones too). */
export function installedPackages(dir: string): InstalledPackage[] {
  const found: InstalledPackage[] = [];
  const visit = (modules: string): void => {
    if (!existsSync(modules)) return;
    for (const name of readdirSync(modules)) {
      if (name.startsWith('.')) continue;
      const path = join(modules, name);
      if (name.startsWith('@')) {
        visit(path);
        continue;
      }
      const manifest = join(path, 'package.json');
      if (!existsSync(manifest)) continue;
      const pkg = JSON.parse(readFileSync(manifest, 'utf8')) as { name: string; version: string; scripts?: Record<string, string> };
      const installScripts = ['preinstall', 'install', 'postinstall'].filter((s) => pkg.scripts?.[s]).map((s) => `${s}: ${pkg.scripts?.[s]}`);
      if (existsSync(join(path, 'binding.gyp')) && !pkg.scripts?.install) installScripts.push('install: node-gyp rebuild (binding.gyp)');
      found.push({ name: pkg.name, version: pkg.version, installScripts });
      visit(join(path, 'node_modules'));
    }
  };
  visit(join(dir, 'node_modules'));
  return found;
}

/** Bytes on disk under `path` (files only, symlinks not followed). */
export function diskBytes(path: string): number {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 0;
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, name) => sum + diskBytes(join(path, name)), 0);
}

/** Builds the app's pages with its own vite (`vite build`, config in test/consumer/vite.config.js). */
export async function buildApp(dir: string): Promise<string> {
  return run(process.execPath, [join(dir, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--logLevel', 'warn'], dir);
}

/** What one page ships, from the app's vite manifest. */
export interface PageBundle {
  page: string;
  /** JavaScript files loaded with the page (entry and its static imports). */
  initialFiles: string[];
  /** Files only reachable through dynamic `import()` (loaded on demand). */
  lazyFiles: string[];
  /** Module workers the page's files start (`new Worker(new URL(...))`, bundled apart by vite). */
  workerFiles: string[];
  initialBytes: number;
  initialGzipBytes: number;
  /** Initial, lazy and workers. */
  totalBytes: number;
  totalGzipBytes: number;
}

interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

/** Sizes of each page's JavaScript (minified by vite's defaults; gzip level 9 file by file). */
export function pageBundles(dir: string, pages: readonly PageCase[] = PAGES): PageBundle[] {
  const dist = join(dir, 'dist');
  const manifest = JSON.parse(readFileSync(join(dist, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const closure = (keys: string[], follow: (chunk: ManifestChunk) => string[]): Set<string> => {
    const seen = new Set<string>();
    const stack = [...keys];
    while (stack.length > 0) {
      const key = stack.pop() as string;
      if (seen.has(key)) continue;
      seen.add(key);
      stack.push(...follow(manifest[key]));
    }
    return seen;
  };
  const size = (files: Iterable<string>): { bytes: number; gzip: number } => {
    let bytes = 0;
    let gzip = 0;
    for (const file of files) {
      const content = readFileSync(join(dist, file));
      bytes += content.length;
      gzip += gzipSync(content, { level: 9 }).length;
    }
    return { bytes, gzip };
  };
  const workerRe = /new Worker\(new URL\([`"'](?:\.?\/)?(assets\/[^`"']+\.js)[`"']/g;
  const workersOf = (files: string[]): string[] =>
    [...new Set(files.flatMap((file) => [...readFileSync(join(dist, file), 'utf8').matchAll(workerRe)].map((m) => m[1])))];
  return pages.map(({ name }) => {
    const entry = `${name}.html`;
    if (!manifest[entry]) throw new Error(`the consumer app's manifest has no entry ${entry}`);
    const initial = closure([entry], (chunk) => chunk.imports ?? []);
    const all = closure([entry], (chunk) => [...(chunk.imports ?? []), ...(chunk.dynamicImports ?? [])]);
    const files = (keys: Iterable<string>): string[] => [...keys].map((key) => manifest[key].file).filter((file) => file.endsWith('.js'));
    const initialFiles = files(initial);
    const allFiles = files(all);
    const workerFiles = workersOf(allFiles);
    const initialSize = size(initialFiles);
    const totalSize = size([...allFiles, ...workerFiles]);
    return {
      page: name,
      initialFiles,
      lazyFiles: allFiles.filter((file) => !initialFiles.includes(file)),
      workerFiles,
      initialBytes: initialSize.bytes,
      initialGzipBytes: initialSize.gzip,
      totalBytes: totalSize.bytes,
      totalGzipBytes: totalSize.gzip,
    };
  });
}

/** Every emitted JavaScript file of the app whose text contains `needle`. */
export function emittedFilesContaining(dir: string, needle: RegExp): string[] {
  const assets = join(dir, 'dist', 'assets');
  return readdirSync(assets).filter((name) => name.endsWith('.js') && needle.test(readFileSync(join(assets, name), 'utf8')));
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** Serves `dir` on 127.0.0.1 (a free port); `close()` stops it. */
export async function serveStatic(dir: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const file = join(dir, path);
    if (relative(dir, file).startsWith('..') || !existsSync(file) || statSync(file).isDirectory()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** What a page showed when it finished. */
export interface PageRun {
  status: 'done' | 'error';
  /** The lines of its #log. */
  lines: string[];
  /** Console errors and uncaught exceptions. */
  errors: string[];
  /** From opening the page to its end (mostly SwiftShader compiling pipelines on the first step). */
  seconds: number;
}

/** Opens each page in Debian's Chromium (WebGPU on SwiftShader) and waits for it to finish. */
export async function runPages(baseUrl: string, pages: readonly PageCase[], timeoutMs: number): Promise<Record<string, PageRun>> {
  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
  const runs: Record<string, PageRun> = {};
  try {
    for (const { name } of pages) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      const started = performance.now();
      await page.goto(`${baseUrl}/${name}.html`);
      await page.waitForFunction(() => document.body.dataset.status !== undefined, undefined, { timeout: timeoutMs });
      const status = (await page.getAttribute('body', 'data-status')) as PageRun['status'];
      const text = (await page.textContent('#log')) ?? '';
      runs[name] = { status, lines: text.split('\n').filter((line) => line !== ''), errors, seconds: 0 };
      runs[name].seconds = (performance.now() - started) / 1000;
      await page.close();
    }
  } finally {
    await browser.close();
  }
  return runs;
}
