/**
 * Which matmul variant runs a given product on the active adapter: a short measured autotune per
 * product shape, cached per adapter in memory and in a {@link TuneStore} (localStorage or IndexedDB in
 * browsers; a JSON file in Node's cache directory through `hephaestus-web/node`).
 *
 * The op itself is synchronous, so a shape seen for the first time runs the adapter's default variant
 * at once and is queued for a background tune, which measures every candidate after the queue has
 * drained (minimum of a few timed runs, so work from other callers inflates no winner). Call
 * {@link autotuneMatmul} first to have the tuned variants from the first step on (the benchmark does).
 */
import { get as idbGet, set as idbSet } from 'idb-keyval';
import * as tf from '../../runtime/tfjs.js';
import { backendInfo } from '../../runtime/backend.js';
import { ConfigError, throwIfAborted } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { allocate, flush, gpuDevice, release } from '../webgpu/dispatch.js';
import { problemKey, type MatmulLimits, type MatmulProblem } from './plan.js';
import { currentLimits, runVariant, supports } from './run.js';
import type { MatmulVariant } from './wgsl.js';

const variant = (kind: MatmulVariant['kind'], rm: number, rn: number, wx: number, wy: number, tk = 0): MatmulVariant => ({
  name: kind === 'texture' ? `texture-${rm}x${rn}` : `tiled-${rm * wy}x${rn * wx}-${rm}x${rn}-k${tk}`, kind, rm, rn, wx, wy, tk,
});

/** The candidates, timed side by side by the autotune and the benchmark. */
export const MATMUL_VARIANTS: readonly MatmulVariant[] = [
  variant('texture', 4, 4, 8, 8),
  variant('texture', 8, 4, 8, 8),
  variant('texture', 8, 8, 8, 8),
  variant('texture', 16, 8, 8, 8),
  variant('texture', 8, 16, 8, 8),
  variant('tiled', 4, 4, 8, 8, 16),
  variant('tiled', 8, 8, 8, 8, 8),
  variant('tiled', 4, 4, 16, 16, 8),
];

/** Where tuned choices persist: one JSON document. */
export interface TuneStore {
  read(): Promise<string | undefined>;
  write(json: string): Promise<void>;
}

/** Bump when the variants change meaning: older persisted choices are then ignored. */
const TUNE_VERSION = 1;
const STORE_KEY = 'hephaestus-web:matmul-tune';

/** localStorage where there is one (a page), else IndexedDB (a worker), else nothing (plain Node). */
function browserStore(): TuneStore | undefined {
  const storage = (globalThis as { localStorage?: Storage }).localStorage;
  if (storage) {
    return { read: async () => storage.getItem(STORE_KEY) ?? undefined, write: async (json) => storage.setItem(STORE_KEY, json) };
  }
  if (typeof indexedDB === 'undefined') return undefined;
  return { read: () => idbGet<string>(STORE_KEY), write: (json) => idbSet(STORE_KEY, json) };
}

let store: TuneStore | undefined = browserStore();
let autotune: 'background' | 'off' = 'background';
/** A variant every supported problem must use (tests and benchmarks of one variant). */
let forced: MatmulVariant | undefined;
/** Chosen variant name by adapter, then by problem key. */
let choices = new Map<string, Map<string, string>>();
let loaded: Promise<void> | undefined;
const pending = new Map<string, MatmulProblem>();
let tuning: Promise<void> | undefined;

/** Settings of {@link configureMatmul}. */
export interface MatmulSettings {
  /** Where tuned choices persist; `null`: nowhere (memory only). */
  store?: TuneStore | null;
  /** `'off'` keeps every untuned shape on the default variant (no background measurement). */
  autotune?: 'background' | 'off';
  /** Runs every product it supports with this variant (by name); `null` returns to the tuned choice. */
  variant?: string | null;
}

/** Changes how the matmul variant is chosen and where choices persist. */
export function configureMatmul(settings: MatmulSettings): void {
  if (settings.store !== undefined) {
    store = settings.store ?? undefined;
    loaded = undefined;
  }
  if (settings.autotune) autotune = settings.autotune;
  if (settings.variant !== undefined) {
    forced = settings.variant === null ? undefined : byName(settings.variant);
    if (settings.variant !== null && !forced) throw new ConfigError('matmul.variant', `unknown variant "${settings.variant}" (known: ${MATMUL_VARIANTS.map((v) => v.name).join(', ')})`);
  }
}

/** Forgets every tuned choice in memory (not in the store). */
export function resetMatmulChoices(): void {
  choices = new Map();
  pending.clear();
  loaded = undefined;
}

function adapterKey(): string {
  return backendInfo()?.adapter ?? 'unknown adapter';
}

function choicesFor(adapter: string): Map<string, string> {
  let map = choices.get(adapter);
  if (!map) choices.set(adapter, (map = new Map()));
  return map;
}

function load(): Promise<void> {
  loaded ??= (async () => {
    const json = await store?.read().catch(() => undefined);
    if (!json) return;
    try {
      const saved = JSON.parse(json) as { version?: number; adapters?: Record<string, Record<string, string>> };
      if (saved.version !== TUNE_VERSION) return;
      for (const [adapter, byKey] of Object.entries(saved.adapters ?? {})) {
        const map = choicesFor(adapter);
        for (const [key, name] of Object.entries(byKey)) if (!map.has(key)) map.set(key, name);
      }
    } catch {
      // A corrupt cache is only a lost speed-up: start over.
    }
  })();
  return loaded;
}

async function persist(): Promise<void> {
  if (!store) return;
  const adapters: Record<string, Record<string, string>> = {};
  for (const [adapter, map] of choices) adapters[adapter] = Object.fromEntries(map);
  await store.write(JSON.stringify({ version: TUNE_VERSION, adapters })).catch(() => undefined);
}

const byName = (name: string) => MATMUL_VARIANTS.find((v) => v.name === name);

/**
 * The untuned choice: software adapters (llvmpipe, SwiftShader) read operands fastest from textures;
 * GPUs get the workgroup-memory tiles. Small outputs take the small block (more workgroups).
 */
function defaultVariant(problem: MatmulProblem, limits: MatmulLimits): MatmulVariant {
  const software = /llvmpipe|swiftshader|lavapipe|software|mesa|opengl/i.test(adapterKey());
  const order = software
    ? [problem.m * problem.n >= 65536 ? 'texture-8x8' : 'texture-4x4', 'texture-4x4', 'tiled-32x32-4x4-k16']
    : ['tiled-64x64-8x8-k8', 'tiled-32x32-4x4-k16', 'texture-8x8'];
  for (const name of order) {
    const v = byName(name)!;
    if (supports(v, problem, limits)) return v;
  }
  return byName('tiled-32x32-4x4-k16')!;
}

/** The variant for `problem`: the tuned one if known, else the default (and a background tune is queued). */
export function variantFor(problem: MatmulProblem, limits: MatmulLimits): MatmulVariant {
  if (forced && supports(forced, problem, limits)) return forced;
  const key = problemKey(problem);
  const chosen = byName(choicesFor(adapterKey()).get(key) ?? '');
  if (chosen && supports(chosen, problem, limits)) return chosen;
  if (autotune === 'background' && !pending.has(key)) {
    pending.set(key, problem);
    tuning ??= new Promise<void>((resolve) => setTimeout(resolve, 0)).then(drainPending).finally(() => (tuning = undefined));
  }
  return defaultVariant(problem, limits);
}

/** Resolves when the background tune has measured every queued shape. */
export function matmulTuningIdle(): Promise<void> {
  return tuning ?? Promise.resolve();
}

async function drainPending(): Promise<void> {
  await load();
  for (const [key, problem] of pending) {
    if (tf.getBackend() !== 'webgpu') break;
    if (!choicesFor(adapterKey()).has(key)) await tuneOne(problem).catch(() => undefined);
    pending.delete(key);
  }
  pending.clear();
  await persist();
}

/** Timing of one candidate on one problem. */
export interface VariantTiming {
  variant: string;
  /** Best of the timed runs, milliseconds per product (packing included). */
  ms: number;
}

/** What {@link autotuneMatmul} found for one problem. */
export interface MatmulTuneResult {
  problem: MatmulProblem;
  key: string;
  chosen: string;
  timings: VariantTiming[];
}

/** Options of {@link autotuneMatmul}. */
export interface AutotuneOptions {
  signal?: AbortSignal;
  /** Called after each problem with how many are done. */
  onProgress?: (done: number, total: number, result: MatmulTuneResult) => void;
  /** Measure again even where a choice is cached (default false: cached problems are skipped). */
  force?: boolean;
  /** Timed runs per candidate (default 3; the minimum counts). */
  runs?: number;
}

/**
 * Measures every supported variant on each problem (random operands) and keeps the fastest as the
 * choice for this adapter, persisted to the store. Problems already tuned are skipped unless `force`.
 */
export async function autotuneMatmul(problems: MatmulProblem[], options: AutotuneOptions = {}): Promise<MatmulTuneResult[]> {
  await load();
  const results: MatmulTuneResult[] = [];
  for (const problem of problems) {
    throwIfAborted(options.signal, 'matmul autotune');
    const key = problemKey(problem);
    const known = choicesFor(adapterKey()).get(key);
    const result = known && !options.force ? { problem, key, chosen: known, timings: [] } : await tuneOne(problem, options.runs);
    results.push(result);
    options.onProgress?.(results.length, problems.length, result);
  }
  await persist();
  return results;
}

/**
 * Times each supported candidate on `problem` and records the fastest. Every candidate runs twice (the
 * first compiles its pipelines); those within 2x of the best second run are then timed properly, the
 * others keep their single timing (on llvmpipe the tiled variants are about 10x slower: timing them
 * fully would dominate the tune).
 */
async function tuneOne(problem: MatmulProblem, runs = 3): Promise<MatmulTuneResult> {
  const limits = currentLimits();
  const candidates = MATMUL_VARIANTS.filter((x) => supports(x, problem, limits));
  const operands = allocateOperands(problem);
  const timings: VariantTiming[] = [];
  try {
    for (const v of candidates) {
      await timeRuns(v, problem, operands, limits, 1);
      timings.push({ variant: v.name, ms: await timeRuns(v, problem, operands, limits, 1) });
    }
    const quickest = Math.min(...timings.map((t) => t.ms));
    for (const [i, v] of candidates.entries()) {
      if (timings[i].ms > 2 * quickest) continue;
      const repeat = Math.max(1, Math.min(16, Math.round(20 / Math.max(timings[i].ms, 0.1))));
      for (let r = 0; r < runs; r++) timings[i].ms = Math.min(timings[i].ms, await timeRuns(v, problem, operands, limits, repeat));
    }
  } finally {
    operands.forEach(release);
  }
  const best = timings.reduce((x, y) => (y.ms < x.ms ? y : x));
  const key = problemKey(problem);
  choicesFor(adapterKey()).set(key, best.variant);
  return { problem, key, chosen: best.variant, timings };
}

/** Waits until the GPU has run everything recorded so far. */
async function idle(): Promise<void> {
  flush();
  await gpuDevice().queue.onSubmittedWorkDone();
}

/**
 * Random operands of `problem` that never become engine tensors, so a background tune leaves the
 * caller's `tf.memory()` untouched.
 */
function allocateOperands(problem: MatmulProblem): [tf.TensorInfo, tf.TensorInfo] {
  const rng = new Rng(1);
  const operand = (rows: number, cols: number) => allocate([rows, cols], 'float32', Float32Array.from({ length: rows * cols }, () => rng.normal()));
  return [
    problem.transposeA ? operand(problem.k, problem.m) : operand(problem.m, problem.k),
    problem.transposeB ? operand(problem.n, problem.k) : operand(problem.k, problem.n),
  ];
}

/** Wall time per product of `repeat` products in a row, started on a drained queue. */
async function timeRuns(v: MatmulVariant, problem: MatmulProblem, [a, b]: [tf.TensorInfo, tf.TensorInfo], limits: MatmulLimits, repeat: number): Promise<number> {
  await idle();
  const start = performance.now();
  for (let r = 0; r < repeat; r++) release(runVariant(v, problem, a, b, limits));
  await idle();
  return (performance.now() - start) / repeat;
}
