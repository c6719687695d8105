import { ConfigError } from '../util/errors.js';
import type { CorpusDocument } from './document.js';

/** The corpus as JSON Lines: one `{"text", "kind", "source"}` object per line. */
export function* corpusJsonl(documents: Iterable<CorpusDocument>): Generator<string> {
  for (const { text, kind, source } of documents) yield `${JSON.stringify({ text, kind, source })}\n`;
}

/** Magic numbers and versions of llm.c's token shard header (256 int32, little-endian). */
const LLMC_UINT16 = { magic: 20240520, version: 1, bytes: 2 } as const;
const LLMC_UINT32 = { magic: 20240801, version: 7, bytes: 4 } as const;

/**
 * Token shards in llm.c's binary format: a 1,024-byte header (int32 magic, version, token count,
 * then zeros) followed by the tokens as little-endian uint16 (vocabularies up to 65,536, the GPT-2
 * format) or uint32 (larger vocabularies, the Llama 3 format). Splits `tokens` into shards of at most
 * `shardTokens`.
 */
export function* llmcShards(tokens: ArrayLike<number>, vocabSize: number, shardTokens = 100_000_000): Generator<Uint8Array> {
  if (!Number.isInteger(shardTokens) || shardTokens < 1) throw new ConfigError('shardTokens', `must be a positive integer, got ${shardTokens}`);
  const format = vocabSize <= 65_536 ? LLMC_UINT16 : LLMC_UINT32;
  for (let start = 0; start < tokens.length; start += shardTokens) {
    const count = Math.min(shardTokens, tokens.length - start);
    const bytes = new Uint8Array(1024 + count * format.bytes);
    const view = new DataView(bytes.buffer);
    view.setInt32(0, format.magic, true);
    view.setInt32(4, format.version, true);
    view.setInt32(8, count, true);
    for (let i = 0; i < count; i++) {
      if (format.bytes === 2) view.setUint16(1024 + 2 * i, tokens[start + i], true);
      else view.setUint32(1024 + 4 * i, tokens[start + i], true);
    }
    yield bytes;
  }
}
