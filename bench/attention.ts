/**
 * Fused causal attention against the stock composition, interleaved in one run: forward, forward +
 * backward (and the backward as their difference) at the head shapes of the presets, and how time
 * and GPU buffer bytes grow with the context. Standalone:
 *
 *   npx tsx --import ./scripts/register-tfjs-resolve.mjs bench/attention.ts [--quick]
 *
 * prints a markdown report on stdout (progress on stderr); `benchAttention` and `renderAttention` are
 * the same for bench/run.ts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fileURLToPath } from 'node:url';
import { fusedAttention, type AttentionOp } from '../src/kernels/attention/index.js';
import { tfjsOps } from '../src/kernels/stock/tfjs.js';
import { initNodeBackend } from '../src/runtime/node-webgpu.js';
import { Rng } from '../src/util/rng.js';
import { table } from './lib/markdown.js';
import { fmt, progress, summarise, type Timing } from './lib/stats.js';

/** One attention shape: q `[batch, heads, length, size]`, k and v the same (no grouped heads). */
export interface AttentionCase {
  label: string;
  batch: number;
  heads: number;
  length: number;
  size: number;
}

export interface AttentionResult extends AttentionCase {
  variant: 'stock' | 'fused';
  forward: Timing;
  forwardBackward: Timing;
  /** Bytes of every GPU buffer handed out during one forward + backward (new or pooled). */
  bufferBytes: number;
  largestBuffer: number;
}

const VARIANTS: { name: AttentionResult['variant']; op: AttentionOp }[] = [
  { name: 'stock', op: tfjsOps.attention },
  { name: 'fused', op: fusedAttention },
];

/** The nano and tiny presets' attention (head 32; 4 and 8 heads) at context 256, batch 8. */
export const SPEED_CASES: AttentionCase[] = [
  { label: 'nano heads', batch: 8, heads: 4, length: 256, size: 32 },
  { label: 'tiny heads', batch: 8, heads: 8, length: 256, size: 32 },
];

/** Context scaling at the tiny preset's heads, batch 1. */
export const CONTEXT_CASES: AttentionCase[] = [128, 256, 512, 1024].map((length) => ({ label: `context ${length}`, batch: 1, heads: 8, length, size: 32 }));

type Acquire = (size: number, ...rest: unknown[]) => GPUBuffer;

/** Runs `fn` while recording the size of every GPU buffer the tfjs WebGPU backend hands out. */
async function recordBuffers(fn: () => Promise<void>): Promise<number[]> {
  const manager = (tf.backend() as unknown as { bufferManager: { acquireBuffer: Acquire } }).bufferManager;
  const original = manager.acquireBuffer;
  const sizes: number[] = [];
  manager.acquireBuffer = function (size, ...rest) {
    sizes.push(size);
    return original.call(this, size, ...rest);
  };
  try {
    await fn();
  } finally {
    manager.acquireBuffer = original;
  }
  return sizes;
}

/** Times every case for both variants, alternating variant by variant in each iteration. */
export async function benchAttention(cases: AttentionCase[], iterations: number): Promise<AttentionResult[]> {
  const results: AttentionResult[] = [];
  for (const c of cases) {
    const rng = new Rng(c.length);
    const shape: [number, number, number, number] = [c.batch, c.heads, c.length, c.size];
    const draw = () => tf.tensor4d(Float32Array.from({ length: shape.reduce((a, b) => a * b) }, () => rng.normal()), shape);
    const [q, k, v, dy] = [draw(), draw(), draw(), draw()];
    const runs = VARIANTS.map(({ op }) => {
      const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, cc: tf.Tensor) => op(a as tf.Tensor4D, b as tf.Tensor4D, cc as tf.Tensor4D));
      return {
        forward: async () => {
          const out = op(q, k, v);
          await out.data();
          out.dispose();
        },
        forwardBackward: async () => {
          const gs = grads([q, k, v], dy);
          await Promise.all(gs.map((g) => g.data()));
          tf.dispose(gs);
        },
      };
    });
    const samples = VARIANTS.map(() => ({ forward: [] as number[], forwardBackward: [] as number[] }));
    const buffers: number[][] = [];
    for (const [i, run] of runs.entries()) buffers[i] = await recordBuffers(run.forwardBackward); // also compiles
    for (let it = 0; it < iterations; it++) {
      for (const [i, run] of runs.entries()) {
        for (const phase of ['forward', 'forwardBackward'] as const) {
          const start = performance.now();
          await run[phase]();
          samples[i][phase].push(performance.now() - start);
        }
        progress(`attention ${c.label} ${VARIANTS[i].name} ${it + 1}/${iterations}: fwd ${fmt(samples[i].forward[it])} ms, fwd+bwd ${fmt(samples[i].forwardBackward[it])} ms`);
      }
    }
    for (const [i, variant] of VARIANTS.entries()) {
      results.push({
        ...c, variant: variant.name, forward: summarise(samples[i].forward), forwardBackward: summarise(samples[i].forwardBackward),
        bufferBytes: buffers[i].reduce((a, b) => a + b, 0), largestBuffer: Math.max(...buffers[i]),
      });
    }
    tf.dispose([q, k, v, dy]);
  }
  return results;
}

/** Markdown tables of {@link benchAttention} results: medians and fused-over-stock speed-ups. */
export function renderAttention(results: AttentionResult[]): string {
  const MB = 1024 * 1024;
  const rows = [...new Set(results.map((r) => r.label))].map((label) => {
    const [stock, fused] = (['stock', 'fused'] as const).map((v) => results.find((r) => r.label === label && r.variant === v)!);
    const backward = (r: AttentionResult) => r.forwardBackward.median - r.forward.median;
    const ratio = (a: number, b: number) => `${fmt(a / b, 1)}x`;
    return [
      `${label} [${stock.batch},${stock.heads},${stock.length},${stock.size}]`,
      fmt(stock.forward.median), fmt(fused.forward.median), ratio(stock.forward.median, fused.forward.median),
      fmt(backward(stock)), fmt(backward(fused)), ratio(backward(stock), backward(fused)),
      fmt(stock.forwardBackward.median), fmt(fused.forwardBackward.median), ratio(stock.forwardBackward.median, fused.forwardBackward.median),
      fmt(stock.bufferBytes / MB, 1), fmt(fused.bufferBytes / MB, 1), fmt(stock.largestBuffer / MB, 2), fmt(fused.largestBuffer / MB, 2),
    ];
  });
  return table([
    'shape q [B,H,T,hd]', 'stock fwd ms', 'fused fwd ms', 'fwd speed-up', 'stock bwd ms', 'fused bwd ms', 'bwd speed-up',
    'stock fwd+bwd ms', 'fused fwd+bwd ms', 'fwd+bwd speed-up', 'stock buffers MB', 'fused buffers MB', 'stock largest MB', 'fused largest MB',
  ], rows);
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const info = await initNodeBackend({ prefer: 'webgpu' });
  if (info.name !== 'webgpu') throw new Error(`attention bench needs WebGPU (got ${info.name}: ${info.fallbackReason ?? ''})`);
  const speed = await benchAttention(quick ? SPEED_CASES.slice(0, 1) : SPEED_CASES, quick ? 1 : 5);
  const context = await benchAttention(quick ? CONTEXT_CASES.slice(0, 2) : CONTEXT_CASES, quick ? 1 : 3);
  process.stdout.write([
    `## Fused causal attention vs stock tfjs (${info.adapter}; medians, one interleaved run)`, '',
    'Backward = median(forward + backward) - median(forward). Buffers: bytes of every GPU buffer handed out',
    'in one forward + backward (stock: the T x T scores, probabilities and their gradients).', '',
    renderAttention(speed), '', '### Context scaling', '', renderAttention(context), '',
  ].join('\n'));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
