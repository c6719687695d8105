/**
 * `npm run bench`: measures training and forward throughput of the presets on WebGPU (Dawn in Node)
 * and on the tfjs CPU backend, the stock matmul ceiling, memory, the tokenizer and the Forge corpus
 * pipeline in Node (reading, BPE training, build phases, streaming memory), what a web app installs and
 * ships (bench/package-bench.ts), and writes BENCHMARKS.md. Progress goes to stderr.
 *
 *   npm run bench                       full run (~6 min on 2 cores), writes BENCHMARKS.md
 *   npm run bench -- --quick            smoke run, few iterations; prints the report, writes nothing
 *   ... --out FILE                      write the report to FILE instead
 *   ... --json FILE                     also write every raw sample as JSON
 *   ... --only package                  only the package section (bench/package-bench.ts): replaced
 *                                       in place in BENCHMARKS.md (or --out FILE), the rest kept
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolveConfig } from '../src/model/config.js';
import { initBackend, type BackendInfo, type BackendName } from '../src/runtime/backend.js';
import { initNodeBackend } from '../src/runtime/node-webgpu.js';
import { loadAverage, machineInfo } from './lib/machine.js';
import { progress, type Iterations } from './lib/stats.js';
import { benchMatmul, type MatmulCase, type MatmulResult } from './matmul.js';
import { benchForge, type ForgeBenchOptions } from './forge-bench.js';
import { benchModel, caseLabel, type ModelCase, type ModelResult } from './model-bench.js';
import { benchOps } from './ops-bench.js';
import { benchPackage, renderPackage } from './package-bench.js';
import { renderReport, replaceSection, type BenchResults } from './report.js';
import { benchTokenizer } from './tokenizer-bench.js';
import { VARIANTS } from './variants.js';

const SHARED_DATA = '../shared/data';
const TEXT_FILE = `${SHARED_DATA}/text/tinyshakespeare.txt`;
const MB = 1024 * 1024;

interface Plan {
  /** `ops`: iterations of the per-op benchmark at the case's shapes (after its own compile runs). */
  webgpuModels: (ModelCase & { ops: Iterations })[];
  cpuModels: ModelCase[];
  webgpuMatmuls: MatmulCase[];
  cpuMatmuls: MatmulCase[];
  tokenizer: { sliceBytes: number; vocabSize: number; warmIters: number };
  forge: ForgeBenchOptions;
}

/** Iteration counts chosen so the full run stays near 6 minutes on 2 cores with llvmpipe. */
function plan(quick: boolean): Plan {
  const it = (warmup: number, iters: number): Iterations => (quick ? { warmup: 1, iters: 1 } : { warmup, iters });
  const nano = { preset: 'nano', batchSize: 8, seqLen: 64, vocabSize: 1024 } as const;
  const tiny = { preset: 'tiny', batchSize: 8, seqLen: 128, vocabSize: 2048 } as const;
  return {
    webgpuModels: [
      { ...nano, forward: it(2, 15), forwardBackward: it(1, 10), step: it(2, 10), ops: it(0, 5) },
      // ~13 s per step here: few iterations. The smoke run skips it (nano covers every code path).
      ...(quick ? [] : [{ ...tiny, forward: it(1, 3), forwardBackward: it(1, 2), step: it(1, 4), ops: it(0, 3) }]),
    ],
    // The tfjs CPU backend takes ~20 s per nano step here; no separate fwd+bwd (the profile shows it).
    cpuModels: [{ ...nano, forward: it(1, 3), step: it(1, 3) }],
    webgpuMatmuls: [
      { n: 1024, reps: 1, iterations: it(1, 8) },
      { n: 256, reps: 8, iterations: it(2, 10) },
    ],
    cpuMatmuls: [{ n: 256, reps: 2, iterations: it(1, 5) }],
    tokenizer: { sliceBytes: quick ? 64 * 1024 : 256 * 1024, vocabSize: 1024, warmIters: quick ? 1 : 3 },
    // ~1 min in all on 2 idle cores (the 640 MB file, 10x the budget, is written to os.tmpdir() and deleted).
    forge: {
      sharedRoot: SHARED_DATA, codeFiles: quick ? 100 : 600, codeMaxChars: 65536, vocabSize: 2048, trainEvery: 4,
      streamBytes: (quick ? 64 : 640) * MB, budgetBytes: 64 * MB, sampleEvery: 2048, dedupDocuments: quick ? 1000 : 10_000,
    },
  };
}

interface Args {
  quick: boolean;
  out?: string;
  json?: string;
  /** Only this section, replaced in place in the existing report. */
  only?: 'package';
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') {
      if (argv[++i] !== 'package') throw new Error('--only takes one section name: package');
      args.only = 'package';
    } else if (arg === '--out' || arg === '--json') {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a file name`);
      args[arg === '--out' ? 'out' : 'json'] = value;
    } else throw new Error(`unknown option ${arg} (usage: tsx bench/run.ts [--quick] [--out FILE] [--json FILE] [--only package])`);
  }
  if (!args.quick && !args.out) args.out = 'BENCHMARKS.md';
  return args;
}

async function runModels(cases: ModelCase[], backend: BackendName, into: ModelResult[]): Promise<void> {
  for (const c of cases) {
    for (const variant of VARIANTS.filter((v) => v.backends.includes(backend))) {
      progress(`model ${caseLabel(c)} on ${backend} with ${variant.name}`);
      into.push(await benchModel(c, backend, variant));
    }
  }
}

async function runOps(cases: (ModelCase & { ops: Iterations })[], backend: BackendName, into: BenchResults['ops']): Promise<void> {
  for (const c of cases) {
    const config = resolveConfig(c.preset, { vocabSize: c.vocabSize });
    for (const variant of VARIANTS.filter((v) => v.backends.includes(backend))) {
      progress(`ops at the shapes of ${caseLabel(c)} on ${backend} with ${variant.name}`);
      const results = await benchOps(caseLabel(c), config, c.batchSize, c.seqLen, variant, variant.opsFor(backend), c.ops);
      into.push({ label: caseLabel(c), backend, results });
    }
  }
}

async function runMatmuls(cases: MatmulCase[], backend: BackendName, into: MatmulResult[]): Promise<void> {
  for (const c of cases) into.push(await benchMatmul(c, backend));
}

/** `--only package`: measures the package and replaces its section of an existing report. */
async function packageOnly(out: string): Promise<void> {
  const section = renderPackage(await benchPackage()).join('\n');
  writeFileSync(out, replaceSection(readFileSync(out, 'utf8'), section));
  progress(`replaced the package section of ${out}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only === 'package') return packageOnly(args.out ?? 'BENCHMARKS.md');
  const p = plan(args.quick);
  const started = performance.now();
  const machine = machineInfo();
  progress(`${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadAtStart}${args.quick ? ' (quick)' : ''}`);

  // CPU-only work first, before WebGPU starts (its memory baseline is then the bare process).
  const forge = await benchForge(p.forge);
  const tokenizer = await benchTokenizer(TEXT_FILE, p.tokenizer);
  const pkg = await benchPackage();

  const webgpu: BackendInfo = await initNodeBackend({ prefer: 'webgpu' });
  progress(`WebGPU adapter: ${webgpu.adapter}`);
  const matmuls: MatmulResult[] = [];
  const models: ModelResult[] = [];
  await runMatmuls(p.webgpuMatmuls, 'webgpu', matmuls);
  await runModels(p.webgpuModels, 'webgpu', models);
  const ops: BenchResults['ops'] = [];
  await runOps(p.webgpuModels, 'webgpu', ops);

  // The CPU backend last: switching back and forth between backends is not needed.
  await initBackend({ prefer: 'cpu' });
  await runMatmuls(p.cpuMatmuls, 'cpu', matmuls);
  await runModels(p.cpuModels, 'cpu', models);

  const totalSeconds = (performance.now() - started) / 1000;
  const report = renderReport({
    machine, webgpu, quick: args.quick, loadAtEnd: loadAverage(), totalSeconds,
    models, matmuls, ops, tokenizer, forge, package: pkg, baseline: VARIANTS[0].name,
  });
  if (args.out) {
    writeFileSync(args.out, report + '\n');
    progress(`wrote ${args.out} (${totalSeconds.toFixed(0)} s in all)`);
  } else {
    process.stdout.write(report + '\n');
  }
  if (args.json) {
    writeFileSync(args.json, JSON.stringify({ machine, webgpu, totalSeconds, models, matmuls, ops, tokenizer, forge, package: pkg }, null, 2) + '\n');
    progress(`wrote ${args.json}`);
  }
}

main().then(
  // Dawn keeps the process alive; leave explicitly once the report is written.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
