/**
 * WGSL text shared by the attention programs. The programs are generated per head size with the head
 * and the rows of an invocation unrolled, so every register has a name (`q3_1`: row 3, vec4 1) and
 * no private array is indexed at run time (software adapters turn that into per-lane memory access).
 */
import type { BlockPlan } from './plan.js';

/**
 * Uniforms: group = query heads per key/value head; tq, tk = query and key lengths; blockBase and
 * headBase = where this part of a split dispatch starts; scale = 1/sqrt(head size).
 */
export const PARAMS_WGSL = 'struct Params { group: u32, tq: u32, tk: u32, blockBase: u32, headBase: u32, scale: f32 }';

/** Finite stand-in for -infinity (WGSL has no infinite literals): exp of it minus any score is 0. */
export const NEG_BIG = '-1e30';

/** Storage declaration of a tensor with rows of `size` floats: vec4 elements when rows are whole vec4s. */
export function rowBuffer(plan: BlockPlan, binding: number, name: string, access: 'read' | 'read_write'): string {
  const element = plan.size % 4 === 0 ? 'vec4<f32>' : 'f32';
  return `@group(0) @binding(${binding}) var<storage, ${access}> ${name}: array<${element}>;`;
}

/** WGSL expression of vec4 number `i` of row `row` (an index expression) of a {@link rowBuffer}, zero-padded. */
export function loadVec(plan: BlockPlan, name: string, row: string, i: number): string {
  if (plan.size % 4 === 0) return `${name}[(${row}) * ${plan.size4}u + ${i}u]`;
  const parts = [0, 1, 2, 3].map((e) => (4 * i + e < plan.size ? `${name}[(${row}) * ${plan.size}u + ${4 * i + e}u]` : '0.0'));
  return `vec4<f32>(${parts.join(', ')})`;
}

/** WGSL statements storing the vec4 variable `value` as vec4 number `i` of row `row`, dropping the padding. */
export function storeVec(plan: BlockPlan, name: string, row: string, i: number, value: string): string {
  if (plan.size % 4 === 0) return `${name}[(${row}) * ${plan.size4}u + ${i}u] = ${value};`;
  const lanes = ['x', 'y', 'z', 'w'];
  return [0, 1, 2, 3].filter((e) => 4 * i + e < plan.size)
    .map((e) => `${name}[(${row}) * ${plan.size}u + ${4 * i + e}u] = ${value}.${lanes[e]};`).join(' ');
}

/** Generated lines, one per index. */
export function lines(n: number, line: (i: number) => string, indent = 2): string {
  return Array.from({ length: n }, (_, i) => line(i)).join(`\n${' '.repeat(indent)}`);
}

/** Generated lines, one per (row r, vec4 i) of a block of `rows` rows. */
export function grid(rows: number, size4: number, line: (r: number, i: number) => string, indent = 2): string {
  return lines(rows * size4, (z) => line(Math.floor(z / size4), z % size4), indent);
}

/** A WGSL sum of `n` terms. */
export function sum(n: number, term: (i: number) => string): string {
  return Array.from({ length: n }, (_, i) => term(i)).join(' + ');
}

/**
 * The head of every attention program: the workgroup's invocation owns rows `first .. first + count`
 * (at most `plan.rows`, fewer at the end) of head `head`.
 */
export function rowsPrologue(plan: BlockPlan, limit: string): string {
  return `let head = p.headBase + wg.y;
  let first = ((p.blockBase + wg.x) * ${plan.workgroup}u + lid) * ${plan.rows}u;
  if (first >= ${limit}) { return; }
  let count = min(${plan.rows}u, ${limit} - first);
  let offset = p.tk - p.tq;`;
}

/** Index in a staging array of operand `o`'s vec4 `i` of row `r` (a literal or a WGSL expression). */
function stagingSlot(operands: number, size4: number): (r: number | string, o: number, i: number) => string {
  return (r, o, i) => `(${typeof r === 'number' ? `${r}u` : r} * ${operands}u + ${o}u) * ${size4}u + ${i}u`;
}

/** A tensor with rows of the head size, and the register name its rows get. */
export interface RowOperand {
  register: string;
  buffer: string;
  /** WGSL factor applied as the rows are loaded. */
  scale?: string;
}

/**
 * Loads the invocation's rows of each operand into registers `<register><r>_<i>`. The loads run in a
 * loop over the rows whose trip count is only known at run time, so the compiler cannot unroll them:
 * the code holds one row's loads per operand instead of `rows` copies (software adapters expand each
 * load into a per-lane loop, and the copies cost far more compile time than the loop costs to run).
 */
export function loadRows(plan: BlockPlan, operands: RowOperand[], row: (r: string) => string): string {
  const { rows: R, size4: n } = plan;
  const slot = stagingSlot(operands.length, n);
  const load = (op: RowOperand, o: number) =>
    lines(n, (i) => `staged[${slot('r', o, i)}] = ${loadVec(plan, op.buffer, row('r'), i)}${op.scale ? ` * ${op.scale}` : ''};`, 4);
  const copy = (op: RowOperand, o: number) => grid(R, n, (r, i) => `let ${op.register}${r}_${i} = staged[${slot(r, o, i)}];`);
  return `var staged: array<vec4<f32>, ${R * n * operands.length}>;
  for (var r = 0u; r < count; r++) {
    ${operands.map(load).join('\n    ')}
  }
  ${operands.map(copy).join('\n  ')}`;
}

/** A tensor with rows of the head size to write, and the WGSL vec4 value of row r, vec4 i. */
export interface RowResult {
  buffer: string;
  value: (r: number, i: number) => string;
}

/** A tensor with one float per row to write, and the WGSL value of row r. */
export interface ScalarResult {
  buffer: string;
  value: (r: number) => string;
}

/** Writes the invocation's rows of each result, through a loop over the rows (see {@link loadRows}). */
export function storeRows(plan: BlockPlan, results: RowResult[], scalars: ScalarResult[], row: (r: string) => string): string {
  const { rows: R, size4: n } = plan;
  const slot = stagingSlot(results.length, n);
  const stage = (result: RowResult, o: number) => grid(R, n, (r, i) => `results[${slot(r, o, i)}] = ${result.value(r, i)};`);
  const store = (result: RowResult, o: number) => lines(n, (i) => storeVec(plan, result.buffer, row('r'), i, `results[${slot('r', o, i)}]`), 4);
  const stageScalar = (scalar: ScalarResult, o: number) => `var scalars${o}: array<f32, ${R}>;
  ${lines(R, (r) => `scalars${o}[${r}] = ${scalar.value(r)};`)}`;
  return `var results: array<vec4<f32>, ${R * n * results.length}>;
  ${results.map(stage).join('\n  ')}
  ${scalars.map(stageScalar).join('\n  ')}
  for (var r = 0u; r < count; r++) {
    ${results.map(store).join('\n    ')}
    ${scalars.map((scalar, o) => `${scalar.buffer}[${row('r')}] = scalars${o}[r];`).join('\n    ')}
  }`;
}

/** The entry point signature of every attention program. */
export function entry(plan: BlockPlan): string {
  return `@compute @workgroup_size(${plan.workgroup})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_index) lid: u32)`;
}
