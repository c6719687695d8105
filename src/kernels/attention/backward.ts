/**
 * Fused causal attention backward in two programs that recompute the probabilities from the saved
 * log-sum-exp instead of reading a stored T x T matrix. WGSL has no float atomics, so dq and dk/dv
 * are accumulated by different invocations rather than scattered:
 *
 * 1. dq: each invocation owns a block of query rows and streams the keys they see. It also computes
 *    each row's `delta = dot(dO, O)`, the softmax-gradient term, for program 2.
 * 2. dk, dv: each invocation owns a block of key rows of one key/value head and streams the query
 *    rows of every query head of its group that see them, so grouped-query heads are summed in
 *    registers and K and V are never repeated per head.
 *
 * With s = scale * q.k, P = exp(s - lse), dP = dO.v, dS = P * (dP - delta):
 * dq = scale * sum_j dS k_j, dk = scale * sum_i dS q_i, dv = sum_i P dO_i.
 */
import { allocate } from '../webgpu/dispatch.js';
import type * as tf from '../../runtime/tfjs.js';
import { blockPlan, dispatchGrid, params, type AttentionLimits, type AttentionShape, type BlockPlan } from './plan.js';
import { entry, grid, lines, loadRows, loadVec, PARAMS_WGSL, rowBuffer, rowsPrologue, storeRows, sum } from './wgsl.js';

function queryGradWgsl(plan: BlockPlan): string {
  const { size4: n, rows: R } = plan;
  const qRow = (r: string) => `head * p.tq + first + ${r}`;
  return /* wgsl */ `
${PARAMS_WGSL}
${rowBuffer(plan, 0, 'q', 'read')}
${rowBuffer(plan, 1, 'k', 'read')}
${rowBuffer(plan, 2, 'v', 'read')}
${rowBuffer(plan, 3, 'o', 'read')}
${rowBuffer(plan, 4, 'dO', 'read')}
@group(0) @binding(5) var<storage, read> lse: array<f32>;
${rowBuffer(plan, 6, 'dq', 'read_write')}
@group(0) @binding(7) var<storage, read_write> delta: array<f32>;
@group(0) @binding(8) var<uniform> p: Params;

${entry(plan)} {
  ${rowsPrologue(plan, 'p.tq')}
  let kvBase = (head / p.group) * p.tk;
  ${loadRows(plan, [{ register: 'q', buffer: 'q', scale: 'p.scale' }, { register: 'g', buffer: 'dO' }, { register: 'o', buffer: 'o' }], qRow)}
  ${lines(R, (r) => `let delta${r} = ${sum(n, (i) => `dot(g${r}_${i}, o${r}_${i})`)};`)}
  ${lines(R, (r) => `let lse${r} = lse[head * p.tq + first + min(${r}u, count - 1u)];`)}
  ${grid(R, n, (r, i) => `var d${r}_${i} = vec4<f32>(0.0);`)}
  for (var key = 0u; key < offset + first + count; key++) {
    ${lines(n, (i) => `let k${i} = ${loadVec(plan, 'k', 'kvBase + key', i)};`, 4)}
    ${lines(n, (i) => `let v${i} = ${loadVec(plan, 'v', 'kvBase + key', i)};`, 4)}
    ${lines(R, (r) => `let ds${r} = select(0.0, exp(${sum(n, (i) => `dot(q${r}_${i}, k${i})`)} - lse${r}), key <= offset + first + ${r}u)
      * (${sum(n, (i) => `dot(g${r}_${i}, v${i})`)} - delta${r});`, 4)}
    ${grid(R, n, (r, i) => `d${r}_${i} += ds${r} * k${i};`, 4)}
  }
  ${storeRows(plan, [{ buffer: 'dq', value: (r, i) => `d${r}_${i} * p.scale` }], [{ buffer: 'delta', value: (r) => `delta${r}` }], qRow)}
}`;
}

function keyValueGradWgsl(plan: BlockPlan): string {
  const { size4: n, rows: R } = plan;
  const kRow = (r: string) => `head * p.tk + first + ${r}`;
  return /* wgsl */ `
${PARAMS_WGSL}
${rowBuffer(plan, 0, 'q', 'read')}
${rowBuffer(plan, 1, 'k', 'read')}
${rowBuffer(plan, 2, 'v', 'read')}
${rowBuffer(plan, 3, 'dO', 'read')}
@group(0) @binding(4) var<storage, read> lse: array<f32>;
@group(0) @binding(5) var<storage, read> delta: array<f32>;
${rowBuffer(plan, 6, 'dk', 'read_write')}
${rowBuffer(plan, 7, 'dv', 'read_write')}
@group(0) @binding(8) var<uniform> p: Params;

${entry(plan)} {
  // Here \`head\` is a key/value head and the rows are key rows.
  ${rowsPrologue(plan, 'p.tk')}
  ${loadRows(plan, [{ register: 'k', buffer: 'k', scale: 'p.scale' }, { register: 'v', buffer: 'v' }], kRow)}
  ${grid(R, n, (r, i) => `var dk${r}_${i} = vec4<f32>(0.0);`)}
  ${grid(R, n, (r, i) => `var dv${r}_${i} = vec4<f32>(0.0);`)}
  // Query i sees key j when offset + i >= j: the queries before \`start\` see none of these keys.
  let start = select(0u, first - offset, first > offset);
  for (var g = 0u; g < p.group; g++) {
    let qBase = (head * p.group + g) * p.tq;
    for (var query = start; query < p.tq; query++) {
      ${lines(n, (i) => `let q${i} = ${loadVec(plan, 'q', 'qBase + query', i)};`, 6)}
      ${lines(n, (i) => `let g${i} = ${loadVec(plan, 'dO', 'qBase + query', i)};`, 6)}
      let rowLse = lse[qBase + query];
      let rowDelta = delta[qBase + query];
      ${lines(R, (r) => `let p${r} = select(0.0, exp(${sum(n, (i) => `dot(q${i}, k${r}_${i})`)} - rowLse), offset + query >= first + ${r}u);`, 6)}
      ${lines(R, (r) => `let ds${r} = p${r} * (${sum(n, (i) => `dot(g${i}, v${r}_${i})`)} - rowDelta);`, 6)}
      ${grid(R, n, (r, i) => `dv${r}_${i} += p${r} * g${i};`, 6)}
      ${grid(R, n, (r, i) => `dk${r}_${i} += ds${r} * q${i};`, 6)}
    }
  }
  ${storeRows(plan, [{ buffer: 'dk', value: (r, i) => `dk${r}_${i} * p.scale` }, { buffer: 'dv', value: (r, i) => `dv${r}_${i}` }], [], kRow)}
}`;
}

const programs = new Map<string, string>();

function program(name: 'dq' | 'dkv', plan: BlockPlan): { key: string; code: string } {
  const key = `attention-${name}-d${plan.size}-r${plan.rows}-w${plan.workgroup}`;
  let code = programs.get(key);
  if (!code) programs.set(key, (code = name === 'dq' ? queryGradWgsl(plan) : keyValueGradWgsl(plan)));
  return { key, code };
}

/** The saved forward tensors and the output gradient of one call. */
export interface BackwardInputs {
  q: tf.TensorInfo;
  k: tf.TensorInfo;
  v: tf.TensorInfo;
  out: tf.TensorInfo;
  lse: tf.TensorInfo;
  dOut: tf.TensorInfo;
}

/**
 * Gradients of q, k and v. Also returns the `delta` scratch tensor `[B, H, Tq]`, which the caller
 * disposes once the dispatches are recorded.
 */
export function attentionBackward(
  inputs: BackwardInputs, shape: AttentionShape, limits: AttentionLimits,
): { dq: tf.TensorInfo; dk: tf.TensorInfo; dv: tf.TensorInfo; delta: tf.TensorInfo } {
  const plan = blockPlan(shape.size, limits);
  const { q, k, v, out, lse, dOut } = inputs;
  const dq = allocate([shape.batch, shape.heads, shape.queryLength, shape.size]);
  const dk = allocate([shape.batch, shape.kvHeads, shape.keyLength, shape.size]);
  const dv = allocate([shape.batch, shape.kvHeads, shape.keyLength, shape.size]);
  const delta = allocate([shape.batch, shape.heads, shape.queryLength]);
  const uniforms = (blockBase: number, headBase: number) => params(shape, blockBase, headBase);
  dispatchGrid({
    ...program('dq', plan),
    tensors: [q, k, v, out, dOut, lse, dq, delta],
    rowCount: shape.queryLength,
    heads: shape.batch * shape.heads,
    uniforms,
  }, plan, limits);
  dispatchGrid({
    ...program('dkv', plan),
    tensors: [q, k, v, dOut, lse, delta, dk, dv],
    rowCount: shape.keyLength,
    heads: shape.batch * shape.kvHeads,
    uniforms,
  }, plan, limits);
  return { dq, dk, dv, delta };
}
