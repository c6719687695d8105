import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CorpusDocument } from '../../src/data/document.js';
import { corpusJsonl } from '../../src/data/export.js';
import { buildForge, packStage, type ForgeCorpus } from '../../src/forge/builder.js';
import { readAll, readCodeDocuments, readSharedData } from '../../src/data/sources/index.js';
import { fileSource, pythonStdlibDir, walkFiles } from '../../src/data/sources/node-lines.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
let documents: CorpusDocument[];
let tokenizer: Tokenizer;

beforeAll(async () => {
  const shared = await readAll(readSharedData(DATA, { openPath: fileSource }));
  const python = pythonStdlibDir();
  if (python === undefined) throw new Error('the Forge test reads code from Debian\'s Python standard library (/usr/lib/python3.X)');
  const code = await readAll(readCodeDocuments(walkFiles(python, { extensions: ['.py'], limit: 300, skipDirectories: ['test', 'tests'] }), { openPath: fileSource, onError: 'skip', maxChars: 64 * 1024 }));
  documents = [...shared.items, ...code.items];
  tokenizer = await trainBpeTokenizer(documents.filter((_, i) => i % 8 === 0).map((document) => document.text), { vocabSize: 1024 });
}, 120_000);

const fingerprint = (corpus: ForgeCorpus) => {
  const hash = createHash('sha256');
  for (const line of corpusJsonl(corpus.stages.stage1.map((item) => item.document))) hash.update(line);
  for (const item of corpus.stages.stage1) hash.update(new Uint8Array(item.ids.buffer));
  return hash.digest('hex');
};

describe('Forge corpus from ../shared/data', () => {
  it('hits 1:1:1 token shares within 1 point, holds out functions without leakage, and is identical for a seed', async () => {
    const first = await buildForge({ documents }, { tokenizer, seed: 3 });
    const shares = Object.fromEntries(first.report.byGroup.map((entry) => [entry.name, entry.share]));
    console.info(`forge shares: ${JSON.stringify(shares)}; ${first.report.tokens} tokens; ` +
      `${first.evalFunctions.length} eval functions; dedup ${first.dedup.removedExact}+${first.dedup.removedNear}`);
    for (const group of ['agent', 'code', 'text']) expect(Math.abs(shares[group] - 1 / 3)).toBeLessThan(0.01);
    expect(first.leakage.ok).toBe(true);
    expect(first.evalFunctions.length).toBeGreaterThan(50);
    const evalNames = new Set(first.evalFunctions);
    for (const stage of ['stage1', 'stage2', 'stage3'] as const) {
      for (const item of first.stages[stage]) expect(item.document.functions?.some((name) => evalNames.has(name)) ?? false).toBe(false);
    }
    expect(first.stages.stage2.every((item) => item.document.kind !== 'text' && item.document.kind !== 'instruction')).toBe(true);
    expect(first.stages.stage3.length).toBeGreaterThan(100);
    expect(first.stages.stage3.every((item) => item.document.kind === 'instruction')).toBe(true);

    const second = await buildForge({ documents }, { tokenizer, seed: 3 });
    expect(fingerprint(second)).toBe(fingerprint(first));
    const other = await buildForge({ documents }, { tokenizer, seed: 4 });
    expect(fingerprint(other)).not.toBe(fingerprint(first));

    // Stage III rows train on responses only: every trained target sits inside a tool_call/assistant turn.
    const rows = packStage(first, 'stage3', { seqLen: 128, batchSize: 4, seed: 3, tokenizer }).batchesOfEpoch();
    const trained = rows.flatMap((row) => Array.from(row.targets).filter((_, i) => row.mask[i] === 1));
    const masked = rows.flatMap((row) => Array.from(row.targets).filter((_, i) => row.mask[i] === 0));
    expect(trained).not.toContain(tokenizer.special.user);
    expect(trained).toContain(tokenizer.special.endOfTurn);
    expect(masked).toContain(tokenizer.special.user);
  }, 300_000);
});
