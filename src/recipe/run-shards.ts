import { llmcShards } from '../data/export.js';
import { InputError } from '../util/errors.js';

/**
 * Row shards of a run folder. A token shard is an llm.c token shard (1,024-byte header of 256
 * little-endian int32, then uint16 or uint32 tokens) holding whole rows of `seqLen + 1` tokens; its
 * mask shard has the same header with its own magic number and one uint8 loss weight (0 or 1) per
 * token, where the weight of token `i` says whether predicting it counts (a row's first token never
 * does). llm.c readers use header ints 0-2 only; we fill ints 3-15:
 *
 * | int | meaning |
 * |---|---|
 * | 0, 1, 2 | magic, version, token count (llm.c) |
 * | 3 | {@link RUN_SHARD_MARK} |
 * | 4 | row width (`seqLen + 1`) |
 * | 5 | vocabulary size of the model the rows were made for |
 * | 6 | shard index within its stage |
 * | 7 | index of the shard's first row within its stage |
 * | 8-15 | the 32 bytes of the SHA-256 of the tokenizer.json that made the tokens |
 */
export const SHARD_HEADER_BYTES = 1024;
/** Header int 3 of our shards ("HEPH" in little-endian byte order). */
export const RUN_SHARD_MARK = 0x48504548;
/** Header int 0 of a mask shard. */
export const MASK_SHARD_MAGIC = 20250206;
/** Header int 1 of a mask shard. */
export const MASK_SHARD_VERSION = 1;
const LLMC_MAGICS = new Map([[20240520, 2], [20240801, 4]]);

/** What the header of a run shard says. */
export interface ShardMeta {
  rowWidth: number;
  vocabSize: number;
  shardIndex: number;
  firstRow: number;
  /** Hex SHA-256 of the tokenizer.json that made the tokens. */
  tokenizerSha256: string;
}

/** Rows for one shard pair: `rows * rowWidth` tokens and as many loss weights. */
export interface ShardRows {
  tokens: Int32Array;
  mask: Uint8Array;
}

/** Encodes one token shard and its mask shard. */
export function encodeShardPair(rows: ShardRows, meta: ShardMeta): { tokens: Uint8Array; masks: Uint8Array } {
  if (rows.tokens.length !== rows.mask.length || rows.tokens.length % meta.rowWidth !== 0) {
    throw new InputError('shard rows', `${rows.tokens.length} tokens and ${rows.mask.length} mask values are not whole rows of ${meta.rowWidth}`);
  }
  const [tokens] = llmcShards(rows.tokens, meta.vocabSize, rows.tokens.length);
  writeRunFields(tokens, meta);
  const masks = new Uint8Array(SHARD_HEADER_BYTES + rows.mask.length);
  const view = new DataView(masks.buffer);
  view.setInt32(0, MASK_SHARD_MAGIC, true);
  view.setInt32(4, MASK_SHARD_VERSION, true);
  view.setInt32(8, rows.mask.length, true);
  writeRunFields(masks, meta);
  masks.set(rows.mask, SHARD_HEADER_BYTES);
  return { tokens, masks };
}

/** Decodes a token or mask shard written by {@link encodeShardPair}; `source` names it in errors. */
export function decodeShard(bytes: Uint8Array, source: string): { kind: 'tokens' | 'mask'; meta: ShardMeta; values: Int32Array | Uint8Array } {
  if (bytes.length < SHARD_HEADER_BYTES) throw new InputError(source, `shorter than the ${SHARD_HEADER_BYTES}-byte shard header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int = (i: number) => view.getInt32(4 * i, true);
  const magic = int(0);
  const width = magic === MASK_SHARD_MAGIC ? 1 : LLMC_MAGICS.get(magic);
  if (width === undefined) throw new InputError(source, `header field magic is ${magic}, not an llm.c token shard or a mask shard`);
  if (int(3) !== RUN_SHARD_MARK) throw new InputError(source, 'header field 3 lacks the run-shard mark: an llm.c shard without rows, masks or tokenizer hash');
  const count = int(2);
  if (bytes.length !== SHARD_HEADER_BYTES + count * width) {
    throw new InputError(source, `header field count says ${count} tokens, the file holds ${(bytes.length - SHARD_HEADER_BYTES) / width}`);
  }
  const meta: ShardMeta = {
    rowWidth: int(4), vocabSize: int(5), shardIndex: int(6), firstRow: int(7),
    tokenizerSha256: hex(bytes.subarray(32, 64)),
  };
  const body = bytes.subarray(SHARD_HEADER_BYTES);
  if (width === 1) return { kind: 'mask', meta, values: Uint8Array.from(body) };
  const values = new Int32Array(count);
  for (let i = 0; i < count; i++) values[i] = width === 2 ? view.getUint16(SHARD_HEADER_BYTES + 2 * i, true) : view.getUint32(SHARD_HEADER_BYTES + 4 * i, true);
  return { kind: 'tokens', meta, values };
}

function writeRunFields(bytes: Uint8Array, meta: ShardMeta): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, SHARD_HEADER_BYTES);
  [RUN_SHARD_MARK, meta.rowWidth, meta.vocabSize, meta.shardIndex, meta.firstRow].forEach((value, i) => view.setInt32(12 + 4 * i, value, true));
  const digest = meta.tokenizerSha256.match(/../g)?.map((pair) => parseInt(pair, 16)) ?? [];
  if (digest.length !== 32) throw new InputError('tokenizerSha256', `expected 64 hex digits, got "${meta.tokenizerSha256}"`);
  bytes.set(digest, 32);
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}
