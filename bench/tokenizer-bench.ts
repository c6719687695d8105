/** Tokenizer throughput: train a byte-level BPE on a slice of tinyshakespeare, then encode the whole file. */
import { readFile } from 'node:fs/promises';
import { trainBpeTokenizer } from '../src/tokenizer/bpe-trainer.js';
import { measure, progress, type Measured } from './lib/stats.js';

export interface TokenizerResult {
  file: string;
  bytes: number;
  trainSliceBytes: number;
  vocabSize: number;
  trainMs: number;
  tokens: number;
  /** First encode of the file (the BPE word cache starts empty). */
  coldMs: number;
  /** Later encodes of the same text (word cache warm). */
  warm: Measured;
}

export async function benchTokenizer(
  file: string,
  options: { sliceBytes: number; vocabSize: number; warmIters: number },
): Promise<TokenizerResult> {
  const text = await readFile(file, 'utf8');
  const bytes = Buffer.byteLength(text, 'utf8');
  const slice = text.slice(0, options.sliceBytes);
  progress(`tokenizer: training BPE (vocab ${options.vocabSize}) on ${slice.length} chars`);
  let start = performance.now();
  const tokenizer = await trainBpeTokenizer([slice], { vocabSize: options.vocabSize });
  const trainMs = performance.now() - start;
  progress(`tokenizer: trained in ${trainMs.toFixed(0)} ms; encoding ${bytes} bytes`);
  start = performance.now();
  const tokens = tokenizer.encode(text).length;
  const coldMs = performance.now() - start;
  const warm = await measure('tokenizer encode (warm)', async () => {
    tokenizer.encode(text);
  }, { warmup: 0, iters: options.warmIters });
  return { file, bytes, trainSliceBytes: Buffer.byteLength(slice, 'utf8'), vocabSize: tokenizer.vocabSize, trainMs, tokens, coldMs, warm };
}
