/**
 * Geometry of one matrix product and how it is cut into dispatches that respect the device limits
 * (pure functions: no GPU needed, so the splitting is tested with any limits).
 */
import { BackendError } from '../../util/errors.js';

/**
 * `C[m, n] = op(A) @ op(B)` over `k`. A is stored `[m, k]`, or `[k, m]` when `transposeA`; B is stored
 * `[k, n]`, or `[n, k]` when `transposeB`. All row-major float32.
 */
export interface MatmulProblem {
  m: number;
  n: number;
  k: number;
  transposeA: boolean;
  transposeB: boolean;
}

/** The device limits a matmul plans by (a subset of `GPUSupportedLimits`, lowered in tests). */
export interface MatmulLimits {
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  minStorageBufferOffsetAlignment: number;
  maxTextureDimension2D: number;
}

/** Outputs per workgroup, the unit the grid is counted in. */
export interface TileShape {
  rows: number;
  cols: number;
}

/** A half-open range `[start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** One dispatch: a rectangle of C over one range of k (later k ranges accumulate). */
export interface MatmulChunk {
  rows: Span;
  cols: Span;
  depth: Span;
}

/** Which operands a variant reads through storage bindings (textures are not bound as buffers). */
export interface BoundOperands {
  a: boolean;
  b: boolean;
}

/** Stable key of a problem, e.g. `nt:512x1024x128` (transposes, m x n x k). */
export function problemKey(p: MatmulProblem): string {
  return `${p.transposeA ? 't' : 'n'}${p.transposeB ? 't' : 'n'}:${p.m}x${p.n}x${p.k}`;
}

/** Floating-point operations of the product (one multiply and one add per term). */
export function problemFlops(p: MatmulProblem): number {
  return 2 * p.m * p.n * p.k;
}

/** Bytes a binding of `elements` floats may take when its start is rounded down to the offset alignment. */
function bindableElements(limits: MatmulLimits): number {
  return Math.floor((limits.maxStorageBufferBindingSize - limits.minStorageBufferOffsetAlignment) / 4);
}

/** Largest count <= `total` that is a multiple of `unit` (or `total` itself) and at most `cap`. */
function chunkSize(total: number, cap: number, unit: number, what: string): number {
  if (cap >= total) return total;
  const size = Math.floor(cap / unit) * unit;
  if (size < 1) throw new BackendError(`matmul: ${what} does not fit the device limits even ${unit} at a time`);
  return size;
}

function spans(total: number, size: number): Span[] {
  const out: Span[] = [];
  for (let start = 0; start < total; start += size) out.push({ start, end: Math.min(total, start + size) });
  return out;
}

/**
 * Cuts the product into dispatches: rows and columns of C so that the workgroup grid and every
 * storage binding (C's rows; A's and B's rows where they are bound) fit, and ranges of k where an
 * operand stored k-major would not fit whole.
 */
export function planChunks(p: MatmulProblem, tile: TileShape, bound: BoundOperands, limits: MatmulLimits): MatmulChunk[] {
  const fit = bindableElements(limits);
  const groups = limits.maxComputeWorkgroupsPerDimension;
  // Rows of C (and of A when A is stored [m, k]) bound per dispatch.
  let rowCap = Math.min(groups * tile.rows, Math.floor(fit / p.n));
  if (bound.a && !p.transposeA) rowCap = Math.min(rowCap, Math.floor(fit / p.k));
  let colCap = groups * tile.cols;
  if (bound.b && p.transposeB) colCap = Math.min(colCap, Math.floor(fit / p.k));
  let depthCap = p.k;
  if (bound.a && p.transposeA) depthCap = Math.min(depthCap, Math.floor(fit / p.m));
  if (bound.b && !p.transposeB) depthCap = Math.min(depthCap, Math.floor(fit / p.n));
  // Chunks start at multiples of 4: register blocks read 4 rows (or columns, or k) per texel or vec4.
  const rows = chunkSize(p.m, rowCap, 4, `a row of the ${p.m}x${p.n} output`);
  const cols = chunkSize(p.n, colCap, 4, `a column of the ${p.m}x${p.n} output`);
  const depth = chunkSize(p.k, depthCap, 4, `a k-slice of the ${problemKey(p)} product`);
  const out: MatmulChunk[] = [];
  for (const d of spans(p.k, depth)) {
    for (const r of spans(p.m, rows)) for (const c of spans(p.n, cols)) out.push({ rows: r, cols: c, depth: d });
  }
  return out;
}

/**
 * The bound part of a row-major matrix with `width` floats per row, rows `[first, end)`: a byte range
 * whose start is aligned down to the offset alignment, and the element index where it starts.
 */
export function rowRange(first: number, end: number, width: number, limits: MatmulLimits): { offset: number; size: number; startElement: number } {
  const startByte = first * width * 4;
  const offset = startByte - (startByte % limits.minStorageBufferOffsetAlignment);
  return { offset, size: end * width * 4 - offset, startElement: offset / 4 };
}

/**
 * How a row-major `[rows, cols]` operand is laid out in an rgba32float texture: 4 consecutive floats of a
 * row per texel, rows padded with zeros to a multiple of 4, and rows beyond the texture height folded
 * into further bands of columns (row r at texel column `(r >> foldShift) * texels + c`, row `r & mask`).
 */
export interface TextureLayout {
  rows: number;
  cols: number;
  /** Texels per row (`ceil(cols / 4)`). */
  texels: number;
  /** log2 of the fold height (the largest power of two within the texture size limit). */
  foldShift: number;
  width: number;
  height: number;
}

/** The layout of a `[rows, cols]` operand, or undefined when it cannot fit the texture size limit. */
export function textureLayout(rows: number, cols: number, limits: MatmulLimits): TextureLayout | undefined {
  const foldShift = Math.floor(Math.log2(limits.maxTextureDimension2D));
  const foldHeight = 2 ** foldShift;
  const paddedRows = Math.ceil(rows / 4) * 4;
  const texels = Math.ceil(cols / 4);
  const folds = Math.ceil(paddedRows / foldHeight);
  const width = folds * texels;
  if (width > limits.maxTextureDimension2D) return undefined;
  return { rows, cols, texels, foldShift, width, height: Math.min(paddedRows, foldHeight) };
}
