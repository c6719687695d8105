/**
 * Importing into a web app, as a user does: `npm pack`, install the tarball into a fresh vite app
 * (no overrides, install scripts off), `vite build`, serve the build, open each page in Debian's
 * Chromium and read the losses it prints while it trains nano on WebGPU (SwiftShader).
 * The pages are the bundle cases of BENCHMARKS.md (test/consumer/app.ts `PAGES`). The same install
 * also runs the Node entry without the optional `webgpu` and type-checks against the declarations.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  PAGES, buildApp, createApp, emittedFilesContaining, installedPackages, packLibrary, pageBundles, run, runPages, serveStatic,
  type PageRun,
} from './app.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** SwiftShader compiles every WebGPU pipeline on the first step: most of a page's time. */
const PAGE_TIMEOUT_MS = 300_000;

describe('hephaestus-web in a fresh vite app', () => {
  const work = mkdtempSync(join(tmpdir(), 'heph-consumer-'));
  const app = join(work, 'app');
  let runs: Record<string, PageRun>;

  beforeAll(async () => {
    const tarball = await packLibrary(work);
    await createApp(app, tarball);
    await buildApp(app);
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('installs without install scripts, the Node-only binaries, onnxruntime or sharp', () => {
    const packages = installedPackages(app);
    const names = new Set(packages.map((p) => p.name));
    for (const name of ['hephaestus-web', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu', '@huggingface/tokenizers']) {
      expect(names.has(name), name).toBe(true);
    }
    for (const name of ['webgpu', '@xenova/transformers', 'onnxruntime-web', 'onnxruntime-node', 'sharp', 'protobufjs']) {
      expect(names.has(name), name).toBe(false);
    }
    expect(packages.filter((p) => p.installScripts.length > 0)).toEqual([]);
  });

  it('runs in Node from the same install: the CPU without the optional webgpu package, and says why', async () => {
    const script = [
      "const { initNodeBackend, resolveConfig, LlamaModel, countParams, buildForge } = await import('hephaestus-web/node');",
      "const forge = await import('hephaestus-web/forge');",
      'const info = await initNodeBackend();',
      "const model = LlamaModel.create(resolveConfig('nano', { vocabSize: 256 }), { seed: 0 });",
      'console.log(JSON.stringify({ ...info, params: countParams(model.config), sameForge: forge.buildForge === buildForge }));',
    ].join('\n');
    const out = await run(process.execPath, ['--input-type=module', '-e', script], app);
    const info = JSON.parse(out.trim().split('\n').at(-1) as string) as { name: string; fallbackReason?: string; params: number; sameForge: boolean };
    expect(info.sameForge, 'hephaestus-web/forge and hephaestus-web/node share one module graph in Node').toBe(true);
    expect(info.name).toBe('cpu');
    expect(info.fallbackReason).toMatch(/optional package `webgpu` \(npm install webgpu@/);
    expect(info.params).toBeGreaterThan(100_000);
  });

  it("type-checks an app's use of the entries against the installed declarations (strict, no skipLibCheck)", async () => {
    writeFileSync(join(app, 'check.ts'), [
      "import { LlamaModel, Trainer, initBackend, resolveConfig, trainBpeTokenizer, type BackendInfo } from 'hephaestus-web';",
      "import { initNodeBackend, type NodeAdapterKind } from 'hephaestus-web/node';",
      "import { buildForge, type ForgeCorpus } from 'hephaestus-web/forge';",
      "import { checkOutputs, type BfclVerdict } from 'hephaestus-web/eval';",
      "import { kernelsFor, type Ops } from 'hephaestus-web/kernels';",
      "import { loadTokenizer, type Tokenizer } from 'hephaestus-web/tokenizer';",
      'const info: BackendInfo = await initBackend();',
      "const tokenizer = await trainBpeTokenizer(['a b c'], { vocabSize: 300 });",
      "const model = LlamaModel.create(resolveConfig('nano', { vocabSize: tokenizer.vocabSize }));",
      'const trainer = new Trainer(model, { steps: 1 });',
      "const kind: NodeAdapterKind = 'opengles';",
      'const named: Tokenizer = tokenizer;',
      'const corpus: ForgeCorpus = await buildForge({ documents: [] }, { tokenizer: named, seed: 0 });',
      'const verdicts: BfclVerdict[] = checkOutputs([], []).verdicts;',
      'const ops: Ops = kernelsFor();',
      'export { info, trainer, kind, initNodeBackend, corpus, verdicts, ops, loadTokenizer };',
    ].join('\n'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, lib: ['ES2022', 'DOM'] },
      files: ['check.ts'],
    }));
    await run(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], app);
  });

  it('builds pages without onnxruntime, each within its size target', () => {
    expect(emittedFilesContaining(app, /onnxruntime|ort-wasm/)).toEqual([]);
    const bundles = Object.fromEntries(pageBundles(app).map((b) => [b.page, b]));
    // Targets of issue 14 (minified bytes, everything a page can load).
    expect(bundles['token-ids'].totalBytes).toBeLessThanOrEqual(700_000);
    expect(bundles.bpe.totalBytes).toBeLessThanOrEqual(900_000);
    // The page without a tokenizer ships less than the one with one: unused modules are dropped.
    expect(bundles['token-ids'].totalBytes).toBeLessThan(bundles.bpe.totalBytes - 20_000);
  });

  it('trains nano on WebGPU in Chromium on every page and shows falling losses', async () => {
    const server = await serveStatic(join(app, 'dist'));
    try {
      runs = await runPages(server.url, PAGES, PAGE_TIMEOUT_MS);
    } finally {
      await server.close();
    }
    for (const { name } of PAGES) {
      const run = runs[name];
      console.info(`consumer page ${name} (${run.seconds.toFixed(0)} s): ${run.lines.join(' | ')}`);
      expect(run.status, `${name}: ${run.lines.join('\n')}`).toBe('done');
      expect(run.errors).toEqual([]);
      expect(run.lines[0]).toMatch(/^backend webgpu /);
      const losses = run.lines.filter((l) => l.startsWith('step ')).map((l) => Number(l.split(' loss ')[1]));
      expect(losses.length).toBeGreaterThanOrEqual(3);
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(losses.at(-1)).toBeLessThan(losses[0]);
    }
    expect(runs.bpe.lines.some((l) => /^generated ".*"$/.test(l))).toBe(true);
  }, PAGE_TIMEOUT_MS * PAGES.length + 60_000);
});
