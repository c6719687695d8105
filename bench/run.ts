/**
 * `npm run bench`: our WebGPU kernels against the stock tfjs composition and the peer library on this
 * machine's software adapter (Dawn over llvmpipe in Node), plus the CPU backend, the tokenizer, the
 * Forge corpus pipeline and what a web app installs and ships (bench/package-bench.ts); writes
 * BENCHMARKS.md. Progress goes to stderr.
 *
 *   npm run bench                       full run (about 35 minutes on 2 idle cores), writes BENCHMARKS.md
 *   npm run bench -- --quick            smoke run, few iterations; prints the report, writes nothing
 *   ... --out FILE                      write the report to FILE instead
 *   ... --json FILE                     also write every raw sample as JSON
 *   ... --only package                  only the package section (bench/package-bench.ts): replaced
 *                                       in place in BENCHMARKS.md (or --out FILE), the rest kept
 *   ... --only targets                  only what the targets of issue 9 need (tiny steps ours, stock and
 *                                       the peer; matmul 1024³; attention at T 256; contexts with ours),
 *                                       for a loaded machine where the full run would take hours
 *   ... --render FILE                   no measuring: the report of a run's --json FILE, written to
 *                                       BENCHMARKS.md (or --out FILE), e.g. after the report's text changed
 *
 * On WebGPU: the FMA-chain ceiling; every matmul variant beside stock tf.matMul on 1024³ and on the
 * products of a training step of each preset; the matmul autotune for the model cases; full steps,
 * forward and fwd+bwd of each kernel set and of the peer (fp32 and its mixed f16) at equal size, with
 * launches and memory; each op alone; step time and memory against context length.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { autotuneMatmul, configureMatmul, type MatmulTuneResult } from '../src/kernels/matmul/index.js';
import { initBackend, type BackendInfo, type BackendName } from '../src/runtime/backend.js';
import { initNodeBackend } from '../src/runtime/node-webgpu.js';
import { benchCeiling, type CeilingResult } from './ceiling.js';
import { loadAverage, machineInfo } from './lib/machine.js';
import { progress, summarise, type Iterations, type Measured } from './lib/stats.js';
import { benchMatmul, trainingProblems, type MatmulCase, type MatmulResult } from './matmul.js';
import { benchForge, type ForgeBenchOptions } from './forge-bench.js';
import { benchModel, caseConfig, caseLabel, type ModelCase, type ModelResult } from './model-bench.js';
import { benchOps, type OpResult } from './ops-bench.js';
import { benchPackage, renderPackage } from './package-bench.js';
import { benchPeer, type PeerResult } from './peer-bench.js';
import { renderReport, replaceSection, type BenchResults } from './report.js';
import { benchTokenizer } from './tokenizer-bench.js';
import { VARIANTS } from './variants.js';

const SHARED_DATA = '../shared/data';
const TEXT_FILE = `${SHARED_DATA}/text/tinyshakespeare.txt`;
const MB = 1024 * 1024;

interface Plan {
  /** `ops`: iterations of the per-op benchmark at the case's shapes (after its own compile runs). */
  webgpuModels: (ModelCase & { ops: Iterations; peer: Iterations })[];
  cpuModels: ModelCase[];
  /** Step time and memory against context length (one sequence per step). */
  contexts: ModelCase[];
  /** Attention alone at context 256 (a target of issue 9). */
  attention: ModelCase & { ops: Iterations };
  ceiling: Iterations;
  webgpuMatmuls: MatmulCase[];
  cpuMatmuls: MatmulCase[];
  tokenizer: { sliceBytes: number; vocabSize: number; warmIters: number };
  forge: ForgeBenchOptions;
}

const square = (n: number, iterations: Iterations): MatmulCase => ({ label: `${n}³`, problem: { m: n, n, k: n, transposeA: false, transposeB: false }, iterations });

function plan(quick: boolean): Plan {
  const it = (warmup: number, iters: number): Iterations => (quick ? { warmup: Math.min(warmup, 1), iters: 1 } : { warmup, iters });
  const nano = { preset: 'nano', batchSize: 8, seqLen: 64, vocabSize: 1024 } as const;
  const tiny = { preset: 'tiny', batchSize: 8, seqLen: 128, vocabSize: 2048 } as const;
  const small = { preset: 'small', batchSize: 4, seqLen: 128, vocabSize: 8192 } as const;
  const shapesOf = (c: { preset: 'nano' | 'tiny' | 'small'; batchSize: number; seqLen: number; vocabSize: number }, iterations: Iterations) =>
    trainingProblems(caseLabel({ ...c, step: iterations, forward: iterations }), caseConfig(c), c.batchSize * c.seqLen).map((x) => ({ ...x, iterations }));
  return {
    webgpuModels: [
      { ...nano, forward: it(2, 10), forwardBackward: it(1, 6), step: it(2, 8), ops: it(0, 5), peer: it(2, 6) },
      // The stock tiny step takes 7-13 s here: few iterations. The smoke run skips it (nano covers every path).
      ...(quick ? [] : [{ ...tiny, forward: it(1, 3), forwardBackward: it(1, 2), step: it(1, 4), ops: it(0, 3), peer: it(2, 4) }]),
    ],
    cpuModels: [{ ...nano, forward: it(1, 3), step: it(1, 3) }],
    contexts: (quick ? [128, 256] : [128, 256, 512, 1024]).map((seqLen) => ({
      preset: 'tiny', batchSize: 1, seqLen, vocabSize: 2048, forward: it(0, 1), step: it(1, 2),
    })),
    attention: { preset: 'tiny', batchSize: 8, seqLen: 256, vocabSize: 2048, forward: it(0, 1), step: it(0, 1), ops: it(0, 5) },
    ceiling: it(1, 5),
    webgpuMatmuls: [
      square(1024, it(1, 3)),
      ...shapesOf(nano, it(1, 3)),
      ...(quick ? [] : [...shapesOf(tiny, it(1, 2)), ...shapesOf(small, it(0, 1))]),
    ],
    cpuMatmuls: [square(256, it(1, 3))],
    tokenizer: { sliceBytes: quick ? 64 * 1024 : 256 * 1024, vocabSize: 1024, warmIters: quick ? 1 : 3 },
    // ~1 min in all on 2 idle cores (the 640 MB file, 10x the budget, is written to os.tmpdir() and deleted).
    forge: {
      sharedRoot: SHARED_DATA, codeFiles: quick ? 100 : 600, codeMaxChars: 65536, vocabSize: 2048, trainEvery: 4,
      streamBytes: (quick ? 64 : 640) * MB, budgetBytes: 64 * MB, sampleEvery: 2048, dedupDocuments: quick ? 1000 : 10_000,
    },
  };
}

/**
 * The full plan cut to what the targets of issue 9 are measured from: no CPU backend, Forge, tokenizer
 * or package; tiny only; the contexts with our kernels only (their memory is the point there).
 */
function targetsPlan(full: Plan): Plan {
  const tiny = full.webgpuModels.filter((c) => c.preset === 'tiny');
  return { ...full, webgpuModels: tiny, cpuModels: [], webgpuMatmuls: full.webgpuMatmuls.slice(0, 1), cpuMatmuls: [] };
}

interface Args {
  quick: boolean;
  out?: string;
  json?: string;
  /** `package`: only that section, replaced in place in the existing report; `targets`: see {@link targetsPlan}. */
  only?: 'package' | 'targets';
  /** Raw results of an earlier run (its --json file) to render instead of measuring. */
  render?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') args.quick = true;
    else if (arg === '--only') {
      const only = argv[++i];
      if (only !== 'package' && only !== 'targets') throw new Error('--only takes package or targets');
      args.only = only;
    } else if (arg === '--out' || arg === '--json' || arg === '--render') {
      const value = argv[++i];
      if (!value) throw new Error(`${arg} needs a file name`);
      args[arg === '--out' ? 'out' : arg === '--json' ? 'json' : 'render'] = value;
    } else throw new Error(`unknown option ${arg} (usage: tsx bench/run.ts [--quick] [--out FILE] [--json FILE] [--only package] [--render FILE])`);
  }
  if (!args.quick && !args.out) args.out = 'BENCHMARKS.md';
  return args;
}

async function runModels(cases: ModelCase[], backend: BackendName, into: ModelResult[], only?: string): Promise<void> {
  for (const c of cases) {
    for (const variant of VARIANTS.filter((v) => v.backends.includes(backend) && (!only || v.name === only))) {
      progress(`model ${caseLabel(c)} on ${backend} with ${variant.name}`);
      into.push(await benchModel(c, backend, variant));
    }
  }
}

async function runOps(cases: (ModelCase & { ops: Iterations })[], backend: BackendName, into: BenchResults['ops'], only?: string[]): Promise<void> {
  for (const c of cases) {
    for (const variant of VARIANTS.filter((v) => v.backends.includes(backend))) {
      progress(`ops at the shapes of ${caseLabel(c)} on ${backend} with ${variant.name}`);
      const results = await benchOps(caseLabel(c), caseConfig(c), c.batchSize, c.seqLen, variant, variant.opsFor(backend), c.ops, only);
      into.push({ label: caseLabel(c), backend, results });
    }
  }
}

/**
 * The ops of one case with every kernel set, in `iterations.iters` rounds that alternate the sets (one
 * timed sample each per round), so that a change of the machine's load hits both sides of the ratio alike.
 */
async function runOpsInterleaved(c: ModelCase & { ops: Iterations }, backend: BackendName, into: BenchResults['ops'], only: string[]): Promise<void> {
  const variants = VARIANTS.filter((v) => v.backends.includes(backend));
  const rounds: OpResult[][][] = [];
  for (let round = 0; round < c.ops.iters; round++) {
    progress(`ops at the shapes of ${caseLabel(c)} on ${backend}, interleaved: round ${round + 1}/${c.ops.iters}`);
    const iterations = { warmup: round === 0 ? c.ops.warmup : 0, iters: 1 };
    const perVariant: OpResult[][] = [];
    for (const variant of variants) perVariant.push(await benchOps(caseLabel(c), caseConfig(c), c.batchSize, c.seqLen, variant, variant.opsFor(backend), iterations, only));
    rounds.push(perVariant);
  }
  variants.forEach((_, v) => {
    const results = rounds[0][v].map((first, i) => mergeRounds(first, rounds.map((round) => round[v][i])));
    into.push({ label: caseLabel(c), backend, results });
  });
}

/** One op's samples of every round as one result. */
function mergeRounds(first: OpResult, all: OpResult[]): OpResult {
  const merge = (pick: (r: OpResult) => Measured | undefined): Measured | undefined =>
    pick(first) && summarise(all.flatMap((r) => pick(r)?.samples ?? []));
  return { ...first, forward: merge((r) => r.forward), forwardBackward: merge((r) => r.forwardBackward)! };
}

/** The autotune for every product of the cases' training steps, before any of them is timed. */
async function tune(cases: ModelCase[], extra: MatmulCase[]): Promise<{ label: string; results: MatmulTuneResult[] }[]> {
  const out: { label: string; results: MatmulTuneResult[] }[] = [];
  for (const c of cases) {
    const problems = trainingProblems(caseLabel(c), caseConfig(c), c.batchSize * c.seqLen).map((x) => x.problem);
    progress(`matmul autotune: ${problems.length} products of ${caseLabel(c)}`);
    out.push({ label: caseLabel(c), results: await autotuneMatmul(problems) });
  }
  out.push({ label: 'square', results: await autotuneMatmul(extra.map((x) => x.problem)) });
  return out;
}

/** `--only package`: measures the package and replaces its section of an existing report. */
async function packageOnly(out: string): Promise<void> {
  const section = renderPackage(await benchPackage()).join('\n');
  writeFileSync(out, replaceSection(readFileSync(out, 'utf8'), section));
  progress(`replaced the package section of ${out}`);
}

/** `--render FILE`: the report of an earlier run's raw results, without measuring anything. */
function renderOnly(json: string, out: string): void {
  const results = JSON.parse(readFileSync(json, 'utf8')) as BenchResults;
  writeFileSync(out, renderReport(results) + '\n');
  progress(`wrote ${out} from ${json}`);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.only === 'package') return packageOnly(args.out ?? 'BENCHMARKS.md');
  if (args.render) return renderOnly(args.render, args.out ?? 'BENCHMARKS.md');
  const targetsOnly = args.only === 'targets';
  const p = targetsOnly ? targetsPlan(plan(args.quick)) : plan(args.quick);
  const started = performance.now();
  const machine = machineInfo();
  progress(`${machine.cores} cores, ${machine.cpuModel}, load ${machine.loadAtStart}${args.quick ? ' (quick)' : ''}${targetsOnly ? ' (targets only)' : ''}`);

  // CPU-only work first, before WebGPU starts (its memory baseline is then the bare process).
  const forge = targetsOnly ? undefined : await benchForge(p.forge);
  const tokenizer = targetsOnly ? undefined : await benchTokenizer(TEXT_FILE, p.tokenizer);
  const pkg = targetsOnly ? undefined : await benchPackage();

  const webgpu: BackendInfo = await initNodeBackend({ prefer: 'webgpu' });
  progress(`WebGPU adapter: ${webgpu.adapter}`);
  // Measured fresh in every run (not from a cache), and nothing tunes in the background while timing.
  configureMatmul({ store: null, autotune: 'off' });
  const ceiling: CeilingResult = await benchCeiling(p.ceiling);
  progress(`FMA-chain ceiling: ${ceiling.gflops.toFixed(1)} GFLOP/s`);
  const matmuls: MatmulResult[] = [];
  for (const c of p.webgpuMatmuls) matmuls.push(await benchMatmul(c, 'webgpu'));
  const tuned = await tune([...p.webgpuModels, ...p.contexts], p.webgpuMatmuls.slice(0, 1));

  const models: ModelResult[] = [];
  await runModels(p.webgpuModels, 'webgpu', models);
  const peers: PeerResult[] = [];
  for (const c of p.webgpuModels) {
    for (const mixed of [false, true]) {
      peers.push(await benchPeer({ label: caseLabel(c), config: caseConfig(c), batchSize: c.batchSize, seqLen: c.seqLen, mixed, iterations: c.peer, textFile: TEXT_FILE }));
    }
  }
  const ops: BenchResults['ops'] = [];
  if (!targetsOnly) await runOps(p.webgpuModels, 'webgpu', ops);
  await runOpsInterleaved(p.attention, 'webgpu', ops, ['attention']);
  const contexts: ModelResult[] = [];
  await runModels(p.contexts, 'webgpu', contexts, targetsOnly ? 'ours' : undefined);

  // The CPU backend last: switching back and forth between backends is not needed.
  await initBackend({ prefer: 'cpu' });
  for (const c of p.cpuMatmuls) matmuls.push(await benchMatmul(c, 'cpu'));
  await runModels(p.cpuModels, 'cpu', models);

  const totalSeconds = (performance.now() - started) / 1000;
  const results: BenchResults = {
    machine, webgpu, quick: args.quick, targetsOnly, loadAtEnd: loadAverage(), totalSeconds, models, contexts, peers, matmuls, ceiling, tuned, ops,
    tokenizer, forge, package: pkg, baseline: VARIANTS[0].name,
  };
  const report = renderReport(results);
  if (args.out) {
    writeFileSync(args.out, report + '\n');
    progress(`wrote ${args.out} (${totalSeconds.toFixed(0)} s in all)`);
  } else {
    process.stdout.write(report + '\n');
  }
  if (args.json) {
    writeFileSync(args.json, JSON.stringify(results, null, 2) + '\n');
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
