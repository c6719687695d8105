/**
 * WGSL of the matmul variants, generated per register block and operand layout (straight-line code:
 * accumulators and loaded values stay in registers, no dynamically indexed private arrays).
 *
 * - `texture`: both operands packed into rgba32float textures (4 floats of a row per texel), each
 *   invocation a block of `rm x rn` outputs from `rm + rn` texel loads per 4 steps of k. No workgroup
 *   memory: on llvmpipe a storage-buffer or workgroup load costs a per-lane loop with branches, a texel
 *   fetch a branch-free gather (measured about 8x cheaper per float), so the win is in the load path.
 * - `tiled`: the classic GPU kernel: `tk`-deep tiles of A and B staged in workgroup memory (as vec4),
 *   `rm x rn` outputs per invocation with vec4 accumulators, read straight from the storage buffers.
 */
import type { MatmulProblem } from './plan.js';

/** One kernel variant: its kind and register/workgroup blocking. */
export interface MatmulVariant {
  /** Stable name, e.g. `texture-8x8`, `tiled-64x64`: the autotune cache stores it. */
  name: string;
  kind: 'texture' | 'tiled';
  /** Outputs per invocation: rows (multiple of 4) x columns (multiple of 4). */
  rm: number;
  rn: number;
  /** Invocations per workgroup along columns (x) and rows (y). */
  wx: number;
  wy: number;
  /** Tiled variants: depth of the k tile in workgroup memory (multiple of 4). */
  tk: number;
}

/** The uniform struct every matmul dispatch passes (see `run.ts` for the values). */
export const PARAMS_WGSL = /* wgsl */ `
struct Params {
  m: u32, n: u32, k: u32,
  rowStart: u32, rowEnd: u32, colStart: u32, colEnd: u32, depthStart: u32, depthEnd: u32,
  cStart: u32, aStart: u32, bStart: u32, accumulate: u32,
  aTexels: u32, bTexels: u32,
}`;

const lanes = ['x', 'y', 'z', 'w'];
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** `c_i_j = 0` declarations, and the masked store of every accumulator (adding C when accumulating). */
function storeBlock(v: MatmulVariant, value: (i: number, j: number) => string, accumulate: boolean): string {
  const lines: string[] = [];
  for (const i of range(v.rm)) {
    for (const j of range(v.rn)) {
      const add = accumulate ? ` if (p.accumulate != 0u) { s += out[idx]; }` : '';
      lines.push(`  if (row0 + ${i}u < p.rowEnd && col0 + ${j}u < p.colEnd) { let idx = (row0 + ${i}u) * p.n + col0 + ${j}u - p.cStart; var s = ${value(i, j)};${add} out[idx] = s; }`);
    }
  }
  return lines.join('\n');
}

/**
 * Texture variant. A is "k-major" (texels along k) when stored `[m, k]`, else "m-major" (texels along
 * m, one texture row per k); likewise B is k-major when stored `[n, k]`.
 */
export function textureShader(v: MatmulVariant, p: Pick<MatmulProblem, 'transposeA' | 'transposeB'>, foldShift: number): string {
  const aKMajor = !p.transposeA;
  const bKMajor = p.transposeB;
  const mask = 2 ** foldShift - 1;
  const out: string[] = [];
  out.push(PARAMS_WGSL, `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var ta: texture_2d<f32>;
@group(0) @binding(2) var tb: texture_2d<f32>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(${v.wx}, ${v.wy})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let row0 = p.rowStart + (wg.y * ${v.wy}u + lid.y) * ${v.rm}u;
  let col0 = p.colStart + (wg.x * ${v.wx}u + lid.x) * ${v.rn}u;`);
  const operand = (name: 'a' | 'b', kMajor: boolean, count: number, first: string, texels: string) => {
    // Coordinates that do not change along k, hoisted out of the loop.
    if (kMajor) {
      for (const i of range(count)) {
        out.push(`  let ${name}x${i} = ((${first} + ${i}u) >> ${foldShift}u) * ${texels}; let ${name}y${i} = (${first} + ${i}u) & ${mask}u;`);
      }
    } else {
      out.push(`  let ${name}col = ${first} / 4u;`);
    }
  };
  operand('a', aKMajor, v.rm, 'row0', 'p.aTexels');
  operand('b', bKMajor, v.rn, 'col0', 'p.bTexels');
  for (const i of range(v.rm)) for (const j of range(v.rn)) out.push(`  var c${i}_${j} = 0.0;`);
  out.push(`  let steps = (p.k + 3u) / 4u;`, `  for (var s = 0u; s < steps; s++) {`);
  const loads = (name: 'a' | 'b', tex: string, kMajor: boolean, count: number, texels: string) => {
    if (kMajor) {
      for (const i of range(count)) out.push(`    let ${name}${i} = textureLoad(${tex}, vec2<u32>(${name}x${i} + s, ${name}y${i}), 0);`);
      return;
    }
    for (const kk of range(4)) {
      out.push(`    let ${name}r${kk} = s * 4u + ${kk}u; let ${name}rx${kk} = (${name}r${kk} >> ${foldShift}u) * ${texels} + ${name}col; let ${name}ry${kk} = ${name}r${kk} & ${mask}u;`);
      for (const q of range(count / 4)) out.push(`    let ${name}${kk}_${q} = textureLoad(${tex}, vec2<u32>(${name}rx${kk} + ${q}u, ${name}ry${kk}), 0);`);
    }
  };
  loads('a', 'ta', aKMajor, v.rm, 'p.aTexels');
  loads('b', 'tb', bKMajor, v.rn, 'p.bTexels');
  const value = (name: 'a' | 'b', kMajor: boolean, index: number, kk: number) =>
    kMajor ? `${name}${index}.${lanes[kk]}` : `${name}${kk}_${index >> 2}.${lanes[index & 3]}`;
  for (const kk of range(4)) {
    for (const i of range(v.rm)) {
      for (const j of range(v.rn)) {
        out.push(`    c${i}_${j} = fma(${value('a', aKMajor, i, kk)}, ${value('b', bKMajor, j, kk)}, c${i}_${j});`);
      }
    }
  }
  out.push('  }', storeBlock(v, (i, j) => `c${i}_${j}`, false), '}');
  return out.join('\n');
}

/** Tiled variant: k tiles of A and B in workgroup memory, `rm x rn` outputs per invocation (vec4 along n). */
export function tiledShader(v: MatmulVariant, p: Pick<MatmulProblem, 'transposeA' | 'transposeB'>): string {
  const tileM = v.rm * v.wy;
  const tileN = v.rn * v.wx;
  const threads = v.wx * v.wy;
  const aIndex = p.transposeA ? 'kk * p.m + row' : 'row * p.k + kk';
  const bIndex = p.transposeB ? 'col * p.k + kk' : 'kk * p.n + col';
  // One vec4 of 4 consecutive rows (A) or columns (B) at one k per load step.
  const tileLoad = (name: 'a' | 'b', span: number, first: string) => {
    const vectors = (v.tk * span) / 4;
    const lines: string[] = [];
    for (const e of range(Math.ceil(vectors / threads))) {
      const q = `q${name}${e}`;
      lines.push(`    let ${q} = tid + ${e * threads}u;`);
      lines.push(`    if (${q} < ${vectors}u) {`);
      lines.push(`      let kk = k0 + ${q} % ${v.tk}u; let base = ${first} + (${q} / ${v.tk}u) * 4u;`);
      lines.push(`      tile${name.toUpperCase()}[(${q} % ${v.tk}u) * ${span / 4}u + ${q} / ${v.tk}u] = vec4<f32>(${range(4).map((c) => `load${name.toUpperCase()}(base + ${c}u, kk)`).join(', ')});`);
      lines.push('    }');
    }
    return lines.join('\n');
  };
  const out: string[] = [];
  out.push(PARAMS_WGSL, `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
var<workgroup> tileA: array<vec4<f32>, ${(v.tk * tileM) / 4}>;
var<workgroup> tileB: array<vec4<f32>, ${(v.tk * tileN) / 4}>;

// Out-of-range elements read as 0 (branch-free: index 0 is read and discarded).
fn loadA(row: u32, kk: u32) -> f32 {
  let inside = row < p.rowEnd && kk < p.depthEnd;
  return select(0.0, a[select(0u, ${aIndex} - p.aStart, inside)], inside);
}
fn loadB(col: u32, kk: u32) -> f32 {
  let inside = col < p.colEnd && kk < p.depthEnd;
  return select(0.0, b[select(0u, ${bIndex} - p.bStart, inside)], inside);
}

@compute @workgroup_size(${v.wx}, ${v.wy})
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let tid = lid.y * ${v.wx}u + lid.x;
  let tileRow = p.rowStart + wg.y * ${tileM}u;
  let tileCol = p.colStart + wg.x * ${tileN}u;
  let row0 = tileRow + lid.y * ${v.rm}u;
  let col0 = tileCol + lid.x * ${v.rn}u;`);
  for (const i of range(v.rm)) for (const j of range(v.rn / 4)) out.push(`  var c${i}_${j} = vec4<f32>(0.0);`);
  out.push(`  for (var k0 = p.depthStart; k0 < p.depthEnd; k0 += ${v.tk}u) {`);
  out.push(tileLoad('a', tileM, 'tileRow'), tileLoad('b', tileN, 'tileCol'), '    workgroupBarrier();');
  out.push(`    for (var kk = 0u; kk < ${v.tk}u; kk++) {`);
  for (const q of range(v.rm / 4)) out.push(`      let a${q} = tileA[kk * ${tileM / 4}u + lid.y * ${v.rm / 4}u + ${q}u];`);
  for (const q of range(v.rn / 4)) out.push(`      let b${q} = tileB[kk * ${tileN / 4}u + lid.x * ${v.rn / 4}u + ${q}u];`);
  for (const i of range(v.rm)) {
    for (const j of range(v.rn / 4)) out.push(`      c${i}_${j} = fma(vec4<f32>(a${i >> 2}.${lanes[i & 3]}), b${j}, c${i}_${j});`);
  }
  out.push('    }', '    workgroupBarrier();', '  }');
  out.push(storeBlock(v, (i, j) => `c${i}_${j >> 2}.${lanes[j & 3]}`, true), '}');
  return out.join('\n');
}

/** Packs rows `[rowStart, rowEnd)` of a row-major `[rows, cols]` buffer into an rgba32float texture (zeros past the edges). */
export function packShader(foldShift: number): string {
  return /* wgsl */ `
struct Pack { rows: u32, cols: u32, texels: u32, rowStart: u32, rowEnd: u32, srcStart: u32 }
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var dst: texture_storage_2d<rgba32float, write>;
@group(0) @binding(2) var<uniform> p: Pack;

fn element(row: u32, col: u32) -> f32 {
  let inside = row < p.rows && col < p.cols;
  return select(0.0, src[select(0u, row * p.cols + col - p.srcStart, inside)], inside);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let t = g.x;
  let row = p.rowStart + g.y;
  if (t >= p.texels || row >= p.rowEnd) { return; }
  let c = t * 4u;
  let value = vec4<f32>(element(row, c), element(row, c + 1u), element(row, c + 2u), element(row, c + 3u));
  textureStore(dst, vec2<u32>((row >> ${foldShift}u) * p.texels + t, row & ${2 ** foldShift - 1}u), value);
}`;
}
