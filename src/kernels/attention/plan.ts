/**
 * Shapes, blocking and dispatch splitting of the fused attention kernels, derived from the device
 * limits (or from artificially small ones in tests).
 */
import { dispatch, type KernelLimits, type UniformValue } from '../webgpu/dispatch.js';
import type * as tf from '../../runtime/tfjs.js';

/** The device limits the attention kernels depend on. */
export type AttentionLimits = Pick<KernelLimits,
  'maxComputeWorkgroupsPerDimension' | 'maxStorageBufferBindingSize' | 'maxStorageBuffersPerShaderStage' |
  'maxComputeInvocationsPerWorkgroup' | 'maxComputeWorkgroupSizeX'>;

const LIMIT_NAMES: readonly (keyof AttentionLimits)[] = [
  'maxComputeWorkgroupsPerDimension', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage',
  'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX',
];

/** The limits of `device` with any of `overrides` in their place. */
export function attentionLimits(device: KernelLimits, overrides: Partial<AttentionLimits>): AttentionLimits {
  const entries = LIMIT_NAMES.map((name) => [name, overrides[name] ?? device[name]]);
  return Object.fromEntries(entries) as AttentionLimits;
}

/** Storage buffers the largest attention program binds (the backward ones bind eight). */
export const STORAGE_BUFFERS_NEEDED = 8;
/** Largest head size the generated programs (the head unrolled into registers) take. */
export const MAX_HEAD_SIZE = 256;

/** Sizes of one attention call: q `[batch, heads, queryLength, size]`, k/v `[batch, kvHeads, keyLength, size]`. */
export interface AttentionShape {
  batch: number;
  heads: number;
  kvHeads: number;
  queryLength: number;
  keyLength: number;
  size: number;
}

/** Reads the shape of a call from its operands. */
export function shapeOf(q: tf.Tensor4D, k: tf.Tensor4D): AttentionShape {
  const [batch, heads, queryLength, size] = q.shape;
  return { batch, heads, kvHeads: k.shape[1], queryLength, keyLength: k.shape[2], size };
}

/**
 * Register blocking of one program at one head size. Each invocation owns `rows` consecutive query
 * rows (forward, dq) or key rows (dk/dv) and streams the other side past them, so every key (or
 * query) it loads is used `rows` times from registers. `workgroup` invocations form a workgroup.
 */
export interface BlockPlan {
  size: number;
  /** Head size in vec4s (the last one zero-padded when `size` is not a multiple of 4). */
  size4: number;
  rows: number;
  workgroup: number;
}

/**
 * Most vec4 products per streamed row (rows x head vec4s) an invocation's unrolled loop body holds.
 * Software adapters (llvmpipe, SwiftShader) pay a per-lane loop for every load from a storage or
 * workgroup buffer while arithmetic on registers is nearly free, so loads per row pair (2 x head /
 * rows) set the speed, and K/V tiles in workgroup memory only add a copy and barriers to the same
 * number of loads (measured 1.1-1.6x slower on llvmpipe than reading the storage buffers directly).
 * But LLVM's compile time grows faster than the body: at head 32, 8 rows of dq or dk/dv compiled in
 * 80-90 s on llvmpipe and ran slower than 4 rows (9-15 s); the forward with 8 rows compiled in 239 s
 * and with 4 in 64 s (Mesa's shader cache off, load average 11) and ran fwd+bwd at T 256 equally
 * fast within the noise (4 interleaved pairs, 2.3-4.4 s either way). Halving the rows again (2 for
 * dq and dk/dv at head 32) made fwd+bwd about 1.3x slower. Compiles are once per adapter (drivers
 * cache them on disk).
 */
const UNROLLED_MOST = 32;
const ROWS_MOST = 8;

/** Whether these kernels run this call on a device with these limits (else the stock op does). */
export function supported(shape: AttentionShape, limits: AttentionLimits): boolean {
  return shape.size <= MAX_HEAD_SIZE && limits.maxStorageBuffersPerShaderStage >= STORAGE_BUFFERS_NEEDED
    && shape.queryLength >= 1;
}

/** The blocking of a program at head size `size` within the device's workgroup size. */
export function blockPlan(size: number, limits: AttentionLimits): BlockPlan {
  const size4 = Math.ceil(size / 4);
  const rows = floorPow2(Math.min(ROWS_MOST, UNROLLED_MOST / size4));
  const workgroup = floorPow2(Math.min(16, limits.maxComputeInvocationsPerWorkgroup, limits.maxComputeWorkgroupSizeX));
  return { size, size4, rows, workgroup };
}

function floorPow2(n: number): number {
  return 2 ** Math.floor(Math.log2(Math.max(1, n)));
}

/** One program run over `rowCount` rows (in blocks of `plan.rows * plan.workgroup`) of each of `heads` heads. */
export interface GridRun {
  key: string;
  code: string;
  tensors: tf.TensorInfo[];
  rowCount: number;
  heads: number;
  /** Uniforms of the part of the grid starting at row block `blockBase` and head `headBase`. */
  uniforms: (blockBase: number, headBase: number) => UniformValue[];
}

/** Dispatches a grid in parts of at most `maxComputeWorkgroupsPerDimension` per dimension. */
export function dispatchGrid(run: GridRun, plan: BlockPlan, limits: AttentionLimits): void {
  const most = limits.maxComputeWorkgroupsPerDimension;
  const blocks = Math.ceil(run.rowCount / (plan.rows * plan.workgroup));
  for (let headBase = 0; headBase < run.heads; headBase += most) {
    for (let blockBase = 0; blockBase < blocks; blockBase += most) {
      dispatch({
        key: run.key,
        code: run.code,
        tensors: run.tensors,
        uniforms: run.uniforms(blockBase, headBase),
        workgroups: [Math.min(most, blocks - blockBase), Math.min(most, run.heads - headBase)],
      });
    }
  }
}

/** The uniform struct every attention program declares (see `PARAMS_WGSL`). */
export function params(shape: AttentionShape, blockBase: number, headBase: number): UniformValue[] {
  return [
    { u32: shape.heads / shape.kvHeads }, { u32: shape.queryLength }, { u32: shape.keyLength },
    { u32: blockBase }, { u32: headBase }, { f32: 1 / Math.sqrt(shape.size) },
  ];
}
