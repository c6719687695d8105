import { CheckpointError } from '../util/errors.js';

/** One tensor for {@link encodeSafetensors}. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/** A decoded tensor: float data (F16/BF16 widened to float32) and its shape. */
export interface DecodedTensor {
  shape: number[];
  /** dtype as stored in the file. */
  dtype: 'F32' | 'F16' | 'BF16';
  data: Float32Array;
}

/**
 * Encodes float32 tensors in the safetensors format (8-byte little-endian header length, JSON header,
 * raw little-endian data), loadable by the Python `safetensors` package and transformers.
 */
export function encodeSafetensors(tensors: NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const tensor of tensors) {
    const bytes = tensor.data.length * 4;
    header[tensor.name] = { dtype: 'F32', shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let headerText = JSON.stringify(header);
  headerText += ' '.repeat((8 - (headerText.length % 8)) % 8); // keeps the data 8-byte aligned
  const headerBytes = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const tensor of tensors) {
    const view = new DataView(out.buffer, position, tensor.data.length * 4);
    tensor.data.forEach((value, i) => view.setFloat32(i * 4, value, true));
    position += tensor.data.length * 4;
  }
  return out;
}

/** Decodes a safetensors file; `source` names it in errors. */
export function decodeSafetensors(bytes: Uint8Array, source = 'safetensors'): Map<string, DecodedTensor> {
  if (bytes.length < 8) throw new CheckpointError(`${source}: file is too short for a safetensors header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.length - 8) {
    throw new CheckpointError(`${source}: header length ${headerLength} runs past the end of the file`);
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw new CheckpointError(`${source}: header is not valid JSON (${String(error)})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, DecodedTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    tensors.set(name, decodeEntry(bytes, dataStart, name, entry, source));
  }
  return tensors;
}

function decodeEntry(bytes: Uint8Array, dataStart: number, name: string, entry: unknown, source: string): DecodedTensor {
  const fail = (why: string) => new CheckpointError(`${source}: tensor "${name}": ${why}`);
  const { dtype, shape, data_offsets: offsets } = (entry ?? {}) as { dtype?: string; shape?: number[]; data_offsets?: number[] };
  if (dtype !== 'F32' && dtype !== 'F16' && dtype !== 'BF16') throw fail(`unsupported dtype ${String(dtype)}`);
  if (!Array.isArray(shape) || !Array.isArray(offsets) || offsets.length !== 2) throw fail('missing shape or data_offsets');
  const count = shape.reduce((a, b) => a * b, 1);
  const width = dtype === 'F32' ? 4 : 2;
  const [begin, end] = offsets;
  if (end - begin !== count * width || dataStart + end > bytes.length) throw fail('data_offsets do not match its shape or the file size');
  const view = new DataView(bytes.buffer, bytes.byteOffset + dataStart + begin, count * width);
  const data = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F32') data[i] = view.getFloat32(i * 4, true);
    else if (dtype === 'BF16') data[i] = bf16ToFloat(view.getUint16(i * 2, true));
    else data[i] = f16ToFloat(view.getUint16(i * 2, true));
  }
  return { shape, dtype, data };
}

const widen = new DataView(new ArrayBuffer(4));

function bf16ToFloat(bits: number): number {
  widen.setUint32(0, bits << 16);
  return widen.getFloat32(0);
}

function f16ToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}
