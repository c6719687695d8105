/**
 * The agent classifier's weights file: magic `HCLS`, a little-endian u32 header length, a UTF-8 JSON
 * header (`format`, `version`, `labels`, and the architecture), zero padding to a multiple of 4, then
 * little-endian float32 arrays: embedding table (`buckets * dim`), output layer (`2 * dim`), bias (2).
 * @module
 */
import { InputError } from '../../util/errors.js';
import { LABELS, type ClassifierConfig, type ClassifierWeights } from './model.js';

const MAGIC = [0x48, 0x43, 0x4c, 0x53]; // "HCLS"
const FORMAT = 'hephaestus-agent-classifier';
const VERSION = 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** The weights as the bytes of the file format (see the module documentation). */
export function encodeWeights(weights: ClassifierWeights): Uint8Array {
  const { dim, buckets, wordNgrams, minn, maxn, maxTokens } = weights.config;
  // Fixed key order, so equal models give equal bytes however they were made.
  const header = new TextEncoder().encode(JSON.stringify({
    format: FORMAT, version: VERSION, labels: LABELS, dim, buckets, wordNgrams, minn, maxn, maxTokens,
  }));
  const dataStart = align4(8 + header.length);
  const floats = weights.input.length + weights.output.length + weights.bias.length;
  const bytes = new Uint8Array(dataStart + floats * 4);
  bytes.set(MAGIC, 0);
  new DataView(bytes.buffer).setUint32(4, header.length, true);
  bytes.set(header, 8);
  let offset = dataStart;
  for (const array of [weights.input, weights.output, weights.bias]) {
    writeFloats(bytes, offset, array);
    offset += array.length * 4;
  }
  return bytes;
}

/**
 * Reads weights written by {@link encodeWeights}.
 * @param name how errors refer to the bytes (e.g. the file they came from).
 * @throws InputError naming what is wrong (magic, header, version, sizes, non-finite weights).
 */
export function decodeWeights(bytes: Uint8Array, name: string): ClassifierWeights {
  const fail = (message: string): never => {
    throw new InputError(name, message);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected a Uint8Array');
  if (bytes.length < 8) fail(`only ${bytes.length} bytes; not an agent classifier file`);
  if (MAGIC.some((byte, i) => bytes[i] !== byte)) {
    fail(`bad magic ${JSON.stringify(String.fromCharCode(...bytes.subarray(0, 4)))}; expected "HCLS" (not an agent classifier file)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(4, true);
  if (8 + headerLength > bytes.length) fail(`header length ${headerLength} runs past the end (${bytes.length} bytes)`);
  let header: Record<string, unknown> = {};
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
  } catch (cause) {
    fail(`header is not valid UTF-8 JSON: ${String(cause)}`);
  }
  if (typeof header !== 'object' || header === null) fail('header is not a JSON object');
  if (header.format !== FORMAT) fail(`header format ${JSON.stringify(header.format)}; expected "${FORMAT}"`);
  if (header.version !== VERSION) fail(`unsupported version ${JSON.stringify(header.version)}; this library reads version ${VERSION}`);
  if (JSON.stringify(header.labels) !== JSON.stringify(LABELS)) fail(`header labels ${JSON.stringify(header.labels)}; expected ${JSON.stringify(LABELS)}`);
  const int = (field: keyof ClassifierConfig, min: number, max: number): number => {
    const value = header[field];
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      fail(`header field "${field}" is ${JSON.stringify(value)}; expected an integer in [${min}, ${max}]`);
    }
    return value as number;
  };
  const config: ClassifierConfig = {
    dim: int('dim', 1, 1024),
    buckets: int('buckets', 1, 1 << 24),
    wordNgrams: int('wordNgrams', 1, 5),
    minn: int('minn', 0, 16),
    maxn: int('maxn', 0, 16),
    maxTokens: int('maxTokens', 1, 1 << 24),
  };
  const dataStart = align4(8 + headerLength);
  const sizes = [config.buckets * config.dim, LABELS.length * config.dim, LABELS.length];
  const expected = dataStart + sizes.reduce((a, b) => a + b, 0) * 4;
  if (bytes.length !== expected) {
    fail(`${bytes.length} bytes, but dim ${config.dim} and ${config.buckets} buckets need exactly ${expected} (truncated or corrupt)`);
  }
  let offset = dataStart;
  const [input, output, bias] = sizes.map((size) => {
    const array = readFloats(bytes, offset, size);
    offset += size * 4;
    return array;
  });
  for (const [label, array] of [['embedding', input], ['output', output], ['bias', bias]] as const) {
    for (let i = 0; i < array.length; i++) {
      if (!Number.isFinite(array[i])) fail(`non-finite ${label} weight at index ${i}`);
    }
  }
  return { config, input, output, bias };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

function writeFloats(bytes: Uint8Array, offset: number, array: Float32Array): void {
  if (LITTLE_ENDIAN) {
    bytes.set(new Uint8Array(array.buffer, array.byteOffset, array.byteLength), offset);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, array.length * 4);
  for (let i = 0; i < array.length; i++) view.setFloat32(i * 4, array[i], true);
}

function readFloats(bytes: Uint8Array, offset: number, length: number): Float32Array {
  const out = new Float32Array(length);
  if (LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + length * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, length * 4);
  for (let i = 0; i < length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}
