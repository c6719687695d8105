/**
 * Fused causal attention forward, flash-attention style: each invocation owns a block of query rows
 * (their q and output accumulators in registers) and streams the keys and values they see past them
 * with an online softmax (running max and sum per row), so no score row is ever stored. It writes the
 * output and each row's log-sum-exp of the scaled scores, from which the backward recomputes the
 * probabilities. Grouped-query heads index their key/value head; K and V are never repeated.
 */
import { allocate } from '../webgpu/dispatch.js';
import type * as tf from '../../runtime/tfjs.js';
import { blockPlan, dispatchGrid, params, type AttentionLimits, type AttentionShape, type BlockPlan } from './plan.js';
import { entry, grid, lines, loadVec, NEG_BIG, PARAMS_WGSL, rowBuffer, rowsPrologue, storeVec, sum } from './wgsl.js';

/** Keys per step of the key loop: their scores share one max and one rescale of the accumulators. */
const KEYS = 2;

function forwardWgsl(plan: BlockPlan): string {
  const { size4: n, rows: R } = plan;
  const maxOf = (r: number) => Array.from({ length: KEYS }, (_, j) => `s${r}_${j}`).reduce((a, b) => `max(${a}, ${b})`);
  return /* wgsl */ `
${PARAMS_WGSL}
${rowBuffer(plan, 0, 'q', 'read')}
${rowBuffer(plan, 1, 'k', 'read')}
${rowBuffer(plan, 2, 'v', 'read')}
${rowBuffer(plan, 3, 'o', 'read_write')}
@group(0) @binding(4) var<storage, read_write> lse: array<f32>;
@group(0) @binding(5) var<uniform> p: Params;

${entry(plan)} {
  ${rowsPrologue(plan, 'p.tq')}
  let kvBase = (head / p.group) * p.tk;
  ${grid(R, n, (r, i) => `let q${r}_${i} = ${loadVec(plan, 'q', `head * p.tq + row${r}`, i)} * p.scale;`)}
  ${grid(R, n, (r, i) => `var a${r}_${i} = vec4<f32>(0.0);`)}
  ${lines(R, (r) => `var m${r} = ${NEG_BIG}; var l${r} = 0.0;`)}
  // Keys past the last row's position are masked for every row of the block.
  let end = offset + row${R - 1} + 1u;
  for (var key = 0u; key < end; key += ${KEYS}u) {
    ${grid(KEYS, n, (j, i) => `let k${j}_${i} = ${loadVec(plan, 'k', `kvBase + min(key + ${j}u, p.tk - 1u)`, i)};`, 4)}
    ${grid(R, KEYS, (r, j) => `let s${r}_${j} = select(${NEG_BIG}, ${sum(n, (i) => `dot(q${r}_${i}, k${j}_${i})`)}, key + ${j}u <= offset + row${r});`, 4)}
    ${lines(R, (r) => `let mNew${r} = max(m${r}, ${maxOf(r)}); let c${r} = exp(m${r} - mNew${r}); m${r} = mNew${r};`, 4)}
    ${grid(R, KEYS, (r, j) => `let p${r}_${j} = exp(s${r}_${j} - mNew${r});`, 4)}
    ${lines(R, (r) => `l${r} = l${r} * c${r} + ${sum(KEYS, (j) => `p${r}_${j}`)};`, 4)}
    ${grid(KEYS, n, (j, i) => `let v${j}_${i} = ${loadVec(plan, 'v', `kvBase + min(key + ${j}u, p.tk - 1u)`, i)};`, 4)}
    ${grid(R, n, (r, i) => `a${r}_${i} = a${r}_${i} * c${r} + ${sum(KEYS, (j) => `p${r}_${j} * v${j}_${i}`)};`, 4)}
  }
  ${lines(R, (r) => `if (first + ${r}u < p.tq) {
    let inv${r} = 1.0 / l${r};
    ${lines(n, (i) => `let o${r}_${i} = a${r}_${i} * inv${r};`, 4)}
    ${lines(n, (i) => storeVec(plan, 'o', `head * p.tq + row${r}`, i, `o${r}_${i}`), 4)}
    lse[head * p.tq + row${r}] = m${r} + log(l${r});
  }`)}
}`;
}

const programs = new Map<string, string>();

/** The forward program of a plan, generated once. */
function program(plan: BlockPlan): { key: string; code: string } {
  const key = `attention-forward-d${plan.size}-r${plan.rows}-w${plan.workgroup}`;
  let code = programs.get(key);
  if (!code) programs.set(key, (code = forwardWgsl(plan)));
  return { key, code };
}

/** Output `[B, H, Tq, hd]` and log-sum-exp `[B, H, Tq]` of one call, recorded into the backend's queue. */
export function attentionForward(
  q: tf.TensorInfo, k: tf.TensorInfo, v: tf.TensorInfo, shape: AttentionShape, limits: AttentionLimits,
): { out: tf.TensorInfo; lse: tf.TensorInfo } {
  const plan = blockPlan(shape.size, limits);
  const out = allocate([shape.batch, shape.heads, shape.queryLength, shape.size]);
  const lse = allocate([shape.batch, shape.heads, shape.queryLength]);
  dispatchGrid({
    ...program(plan),
    tensors: [q, k, v, out, lse],
    rowCount: shape.queryLength,
    heads: shape.batch * shape.heads,
    uniforms: (blockBase, headBase) => params(shape, blockBase, headBase),
  }, plan, limits);
  return { out, lse };
}
