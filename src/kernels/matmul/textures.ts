/**
 * Operands of the texture variant: a pool of rgba32float textures and the packing of a tensor into one
 * (a buffer-to-texture copy where the rows are 256-byte aligned, else a small WGSL pack shader that
 * also writes the zero padding).
 *
 * A pooled texture is reused by the next matmul that needs the same size: the queue runs in order, so
 * the next copy into it happens after the previous product has read it. The pool keeps the most
 * recently used textures and destroys the others after submitting what is recorded.
 */
import * as tf from '../../runtime/tfjs.js';
import { dispatch, encode, flush, gpuDevice } from '../webgpu/dispatch.js';
import { rowRange, type MatmulLimits, type TextureLayout } from './plan.js';
import { packShader } from './wgsl.js';

interface Pooled {
  texture: GPUTexture;
  view: GPUTextureView;
}

/** Textures kept per device; beyond this the least recently used are destroyed. */
const POOL_LIMIT = 48;
const pools = new WeakMap<GPUDevice, Map<string, Pooled>>();

/** The pooled texture of `slot` (operand A or B) in `layout`'s size. */
function pooledTexture(slot: 'a' | 'b', layout: TextureLayout): Pooled {
  const device = gpuDevice();
  let pool = pools.get(device);
  if (!pool) pools.set(device, (pool = new Map()));
  const key = `${slot}:${layout.width}x${layout.height}`;
  let entry = pool.get(key);
  if (entry) {
    pool.delete(key); // re-inserted below: the Map's order is the use order
  } else {
    evict(pool, POOL_LIMIT - 1);
    const texture = device.createTexture({
      label: `matmul-${key}`,
      size: [layout.width, layout.height],
      format: 'rgba32float',
      usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.STORAGE_BINDING | GPUTextureUsage.COPY_DST,
    });
    entry = { texture, view: texture.createView() };
  }
  pool.set(key, entry);
  return entry;
}

function evict(pool: Map<string, Pooled>, keep: number): void {
  if (pool.size <= keep) return;
  flush(); // recorded commands may still use a texture about to go
  for (const [key, entry] of pool) {
    if (pool.size <= keep) break;
    entry.texture.destroy();
    pool.delete(key);
  }
}

/** Destroys every pooled texture of the current device (after submitting recorded work). */
export function releaseMatmulTextures(): void {
  const pool = pools.get(gpuDevice());
  if (pool) evict(pool, 0);
}

/** Bytes held by pooled textures of the current device (reported next to tfjs's own memory figures). */
export function matmulTextureBytes(): number {
  let bytes = 0;
  for (const { texture } of pools.get(gpuDevice())?.values() ?? []) bytes += texture.width * texture.height * 16;
  return bytes;
}

/**
 * Writes `tensor` (row-major `[layout.rows, layout.cols]`) into the pooled texture of `slot` and returns its
 * view. `padRows`: rows up to a multiple of 4 must read as zeros (the operand's rows run along k).
 */
export function packOperand(tensor: tf.TensorInfo, layout: TextureLayout, slot: 'a' | 'b', padRows: boolean, limits: MatmulLimits): GPUTextureView {
  const { texture, view } = pooledTexture(slot, layout);
  const aligned = layout.cols % 64 === 0 && (!padRows || layout.rows % 4 === 0);
  if (aligned) copyRows(tensor, layout, texture);
  else packRows(tensor, layout, view, limits);
  return view;
}

/** Plain copies, one per fold band (bytes per row a multiple of 256, nothing to pad). */
function copyRows(tensor: tf.TensorInfo, layout: TextureLayout, texture: GPUTexture): void {
  const band = 2 ** layout.foldShift;
  encode([tensor], (encoder, [buffer]) => {
    for (let first = 0, fold = 0; first < layout.rows; first += band, fold += 1) {
      const rows = Math.min(band, layout.rows - first);
      encoder.copyBufferToTexture(
        { buffer, offset: first * layout.cols * 4, bytesPerRow: layout.cols * 4, rowsPerImage: rows },
        { texture, origin: { x: fold * layout.texels, y: 0 } },
        { width: layout.texels, height: rows },
      );
    }
  });
}

/** The pack shader over chunks of rows small enough for the source binding and the dispatch grid. */
function packRows(tensor: tf.TensorInfo, layout: TextureLayout, view: GPUTextureView, limits: MatmulLimits): void {
  const paddedRows = Math.ceil(layout.rows / 4) * 4;
  const fit = Math.floor((limits.maxStorageBufferBindingSize - limits.minStorageBufferOffsetAlignment) / (4 * layout.cols));
  const chunk = Math.max(1, Math.min(paddedRows, fit, limits.maxComputeWorkgroupsPerDimension * 8));
  const code = packShader(layout.foldShift);
  for (let start = 0; start < paddedRows; start += chunk) {
    const end = Math.min(paddedRows, start + chunk);
    const source = rowRange(Math.min(start, layout.rows - 1), Math.min(end, layout.rows), layout.cols, limits);
    dispatch({
      key: `matmul-pack-${layout.foldShift}`,
      code,
      tensors: [tensor],
      ranges: [{ offset: source.offset, size: source.size }],
      textures: [view],
      uniforms: [layout.rows, layout.cols, layout.texels, start, end, source.startElement].map((u32) => ({ u32 })),
      workgroups: [Math.ceil(layout.texels / 8), Math.ceil((end - start) / 8)],
    });
  }
}
