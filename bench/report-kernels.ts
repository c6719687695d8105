/**
 * The kernel sections of BENCHMARKS.md: the targets of issue 9 as measured ratios, the matmul variants
 * side by side, the autotune's choices, launches per step, and step time and memory against context.
 */
import type { MatmulTuneResult } from '../src/kernels/matmul/index.js';
import type { CeilingResult } from './ceiling.js';
import { table } from './lib/markdown.js';
import { fmt } from './lib/stats.js';
import { STOCK, type MatmulResult } from './matmul.js';
import type { ModelResult } from './model-bench.js';
import type { OpResult } from './ops-bench.js';
import { PEER, type PeerResult } from './peer-bench.js';
import { MISSED_TARGETS, type TargetId } from './target-notes.js';

const MB = 1024 * 1024;
const times = (x: number) => `${fmt(x, 2)}x`;
const layoutOf = (r: MatmulResult) => `${r.problem.transposeA ? 'Aᵀ' : 'A'}${r.problem.transposeB ? 'Bᵀ' : 'B'}`;

export interface KernelResults {
  models: ModelResult[];
  contexts: ModelResult[];
  peers: PeerResult[];
  matmuls: MatmulResult[];
  ceiling: CeilingResult;
  tuned: { label: string; results: MatmulTuneResult[] }[];
  ops: { label: string; backend: string; results: OpResult[] }[];
  baseline: string;
}

function model(res: KernelResults, label: string, variant: string): ModelResult | undefined {
  return res.models.find((m) => m.label === label && m.backend === 'webgpu' && m.variant === variant);
}

/** The autotuned variant of a product, if the autotune saw it. */
function tunedChoice(res: KernelResults, r: MatmulResult): string | undefined {
  for (const group of res.tuned) {
    const hit = group.results.find((t) => JSON.stringify(t.problem) === JSON.stringify(r.problem));
    if (hit) return hit.chosen;
  }
  return undefined;
}

function fastestPeer(res: KernelResults, label: string): PeerResult | undefined {
  return res.peers.filter((p) => p.label === label && p.step).sort((a, b) => a.step!.median - b.step!.median)[0];
}

interface Target {
  id: TargetId;
  what: string;
  target: number;
  measured: number | undefined;
  detail: string;
}

function targets(res: KernelResults): Target[] {
  const tiny = res.models.find((m) => m.label.startsWith('tiny') && m.backend === 'webgpu')?.label ?? 'tiny';
  const ours = model(res, tiny, 'ours');
  const stock = model(res, tiny, res.baseline);
  const peer = fastestPeer(res, tiny);
  const square = res.matmuls.find((m) => m.backend === 'webgpu' && m.label === '1024³');
  const chosen = square && tunedChoice(res, square);
  const squareOurs = square?.rows.find((r) => r.candidate === chosen) ?? square?.rows.slice(1).sort((a, b) => b.gflops - a.gflops)[0];
  const attention = res.ops.flatMap((g) => g.results).filter((r) => r.op === 'attention' && /T256/.test(res.ops.find((g) => g.results.includes(r))!.label));
  const attentionOurs = attention.find((r) => r.variant === 'ours');
  const attentionStock = attention.find((r) => r.variant === res.baseline);
  return [
    {
      id: 'step-vs-stock', what: `full training step, ${tiny}: ours vs stock`, target: 3,
      measured: ours && stock ? stock.step.median / ours.step.median : undefined,
      detail: ours && stock ? `${fmt(ours.step.median)} vs ${fmt(stock.step.median)} ms/step` : 'not run',
    },
    {
      id: 'step-vs-peer', what: `full training step, ${tiny}: ours vs the peer's fastest mode`, target: 2,
      measured: ours && peer ? peer.step!.median / ours.step.median : undefined,
      detail: ours && peer ? `${fmt(ours.step.median)} vs ${fmt(peer.step!.median)} ms/step (${PEER} ${peer.mode})` : 'not run',
    },
    {
      id: 'matmul-1024', what: 'matmul 1024³: ours (autotuned) vs stock tf.matMul', target: 5,
      measured: square && squareOurs ? squareOurs.gflops / square.rows[0].gflops : undefined,
      detail: square && squareOurs ? `${fmt(squareOurs.gflops, 2)} vs ${fmt(square.rows[0].gflops, 2)} GFLOP/s (${squareOurs.candidate})` : 'not run',
    },
    {
      id: 'attention-256', what: 'attention forward + backward, tiny at context 256: ours vs stock', target: 4,
      measured: attentionOurs && attentionStock ? attentionStock.forwardBackward.median / attentionOurs.forwardBackward.median : undefined,
      detail: attentionOurs && attentionStock ? `${fmt(attentionOurs.forwardBackward.median)} vs ${fmt(attentionStock.forwardBackward.median)} ms (rounds alternate ours and stock)` : 'not run',
    },
    {
      id: 'launches', what: `GPU dispatches per training step, ${tiny}: stock / ours`, target: 5,
      measured: ours?.launches && stock?.launches ? stock.launches.total / ours.launches.total : undefined,
      detail: ours?.launches && stock?.launches ? `${ours.launches.total} vs ${stock.launches.total} dispatches (tfjs kernel invocations ${ours.profile.kernels} vs ${stock.profile.kernels})` : 'not run',
    },
  ];
}

export function targetsSection(res: KernelResults): string[] {
  const rows = targets(res).map((t) => {
    const met = t.measured === undefined ? 'not measured' : t.measured >= t.target ? '**met**' : `missed (${fmt((100 * t.measured) / t.target, 0)}% of the target)`;
    return [t.what, `≥ ${t.target}x`, t.measured === undefined ? 'n/a' : times(t.measured), met, t.detail];
  });
  const missed = targets(res).filter((t) => t.measured !== undefined && t.measured < t.target);
  const notes = missed.map((t) => `- **${t.what}**: ${times(t.measured!)} against ${times(t.target)}, `
    + `short by ${fmt(100 - (100 * t.measured!) / t.target, 0)}%. ${MISSED_TARGETS[t.id]}`);
  return [
    '## Targets of issue 9 (ratios measured in this run, one adapter)', '',
    table(['what', 'target', 'measured', 'status', 'figures'], rows, ['l', 'r', 'r', 'l', 'l']), '',
    ...(notes.length > 0 ? ['Missed targets: why, and what was tried (bench/target-notes.ts).', '', ...notes, ''] : []),
  ];
}

/** Peer rows for the training-step table: same columns as ours. */
export function peerRows(res: KernelResults): string[][] {
  return res.peers.map((p) => {
    const stock = model(res, p.label, res.baseline);
    return [
      p.label, 'webgpu', `peer ${PEER} ${p.mode}`, p.params ? `${fmt(p.params / 1e6, 2)}M` : 'n/a', p.step ? String(p.step.samples.length) : '0',
      p.step ? fmt(p.step.median) : `failed: ${p.error}`, p.step ? `${fmt(p.step.p10)} – ${fmt(p.step.p90)}` : '',
      p.step ? fmt(p.tokensPerStep / (p.step.median / 1000), 0) : '', '', p.step && stock ? times(stock.step.median / p.step.median) : 'n/a',
    ];
  });
}

export function matmulSection(res: KernelResults): string[] {
  const webgpu = res.matmuls.filter((m) => m.backend === 'webgpu');
  if (webgpu.length === 0) return [];
  const variants = [...new Set(webgpu.flatMap((m) => m.rows.slice(1).map((r) => r.candidate)))];
  const ceiling = res.ceiling.gflops;
  const rows = webgpu.map((m) => {
    const chosen = tunedChoice(res, m);
    const best = m.rows.slice(1).sort((a, b) => b.gflops - a.gflops)[0];
    const cells = variants.map((v) => {
      const row = m.rows.find((r) => r.candidate === v);
      if (!row) return '—';
      const text = fmt(row.gflops, 1);
      return v === chosen ? `**${text}**` : text;
    });
    const pick = m.rows.find((r) => r.candidate === chosen) ?? best;
    return [
      m.label, `${layoutOf(m)} ${m.problem.m}×${m.problem.n}×${m.problem.k}`, fmt(m.rows[0].gflops, 2), ...cells,
      pick ? times(pick.gflops / m.rows[0].gflops) : 'n/a', pick ? `${fmt((100 * pick.gflops) / ceiling, 0)}%` : '',
    ];
  });
  const cpu = res.matmuls.filter((m) => m.backend === 'cpu').map((m) => `${m.label} on the tfjs CPU backend: stock ${fmt(m.rows[0].gflops, 2)} GFLOP/s.`);
  return [
    '## Matmul variants side by side (GFLOP/s, median of interleaved samples)', '',
    `FMA-chain ceiling of the adapter: **${fmt(ceiling, 1)} GFLOP/s** (${fmt(res.ceiling.timing.median)} ms per dispatch of independent vec4 FMA chains, no memory traffic). ` +
      'Bold: the variant the autotune picked for the product (its own measurement, before this table). ' +
      '"Picked vs stock" and "of ceiling" are for that variant (the fastest here where the autotune did not see the product). ' +
      'Packing the operands into textures is inside the timings of the texture variants.', '',
    table(['product', 'layout m×n×k', STOCK, ...variants, 'picked vs stock', 'of ceiling'], rows), '',
    ...(cpu.length > 0 ? [cpu.join(' '), ''] : []),
  ];
}

export function launchesSection(res: KernelResults): string[] {
  const withLaunches = res.models.filter((m) => m.launches);
  if (withLaunches.length === 0) return [];
  const out = ['### GPU dispatches per training step, by kernel', '',
    'Counted in one profiled step: tfjs programs where the WebGPU backend records them (`tfjs:`), and our raw dispatches (`ours:`, including the operand packing of the texture matmul). Most frequent first:', ''];
  for (const m of withLaunches) {
    const top = m.launches!.byName.slice(0, 12).map((k) => `${k.name} ${k.count}`).join(', ');
    out.push(`- ${m.label} / ${m.variant}: **${m.launches!.total}** — ${top}`);
  }
  out.push('');
  return out;
}

export function contextSection(res: KernelResults): string[] {
  if (res.contexts.length === 0) return [];
  const rows = res.contexts.map((m) => {
    const previous = res.contexts.filter((x) => x.variant === m.variant && x.tokensPerStep < m.tokensPerStep).at(-1);
    return [
      m.label, m.variant, fmt(m.step.median), fmt(m.tokensPerStep / (m.step.median / 1000), 0), fmt(m.memory.peakBytes / MB, 1),
      previous ? times(m.memory.peakBytes / previous.memory.peakBytes) : '', previous ? times(m.step.median / previous.step.median) : '',
    ];
  });
  return [
    '## Step time and memory against context length (tiny, one sequence per step)', '',
    table(['case', 'ops', 'ms/step', 'tokens/s', 'peak MB', 'peak vs half the context', 'time vs half the context'], rows), '',
    'Peak = tfjs tensor bytes during one step (see Memory). Doubling the context doubles the tokens: linear memory means ' +
      'about 2x per row; the stock attention keeps a T×T score matrix per head (4x per doubling for that part).', '',
  ];
}

/** Where the autotune's choices came from. */
export function tuneSection(res: KernelResults): string[] {
  const all = res.tuned.flatMap((g) => g.results.filter((r) => r.timings.length > 0).map((r) => ({ label: g.label, r })));
  if (all.length === 0) return [];
  const counts = new Map<string, number>();
  for (const { r } of all) counts.set(r.chosen, (counts.get(r.chosen) ?? 0) + 1);
  return [
    '### Matmul autotune', '',
    `${all.length} products measured on this adapter (each supported variant, best of 3 timed runs on a drained queue); picked: ` +
      `${[...counts].sort((a, b) => b[1] - a[1]).map(([name, n]) => `${name} ${n}x`).join(', ')}. ` +
      'Choices are cached per adapter (in Node: `~/.cache/hephaestus-web/matmul-autotune.json` through `hephaestus-web/node`; ' +
      'in browsers: localStorage or IndexedDB); this bench measures afresh.', '',
  ];
}
