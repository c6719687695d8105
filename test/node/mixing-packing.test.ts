import { describe, expect, it } from 'vitest';
import type { CorpusDocument, DocumentKind } from '../../src/data/document.js';
import { corpusJsonl, llmcShards } from '../../src/data/export.js';
import { GROUP_OF_KIND, mixDocuments, type SizedDocument } from '../../src/forge/mixing.js';
import { PackedDataset, type TokenizedDocument } from '../../src/data/packing.js';
import { compositionReport, formatComposition } from '../../src/forge/report.js';
import { Rng } from '../../src/util/rng.js';

function randomSized(count: number, kind: DocumentKind, meanTokens: number, rng: Rng): SizedDocument[] {
  return Array.from({ length: count }, (_, i) => ({
    document: { kind, source: `${kind}.jsonl:${i + 1}`, text: `${kind} ${i}` },
    tokens: 1 + Math.floor(rng.next() * 2 * meanTokens),
  }));
}

describe('mixing by token share', () => {
  const rng = new Rng(1);
  // Unequal supplies and document sizes, as in real data: lots of agent data, little text.
  const pool = [
    ...randomSized(3000, 'tool_doc', 150, rng), ...randomSized(1500, 'trajectory', 300, rng),
    ...randomSized(2000, 'code', 400, rng), ...randomSized(700, 'text', 250, rng),
  ];

  it.each([
    [{ agent: 1, code: 1, text: 1 }],
    [{ agent: 0.36, code: 0.32, text: 0.32 }],
    [{ agent: 3, code: 1, text: 1 }],
  ])('hits the target shares %o within 1 percentage point', (ratio) => {
    const result = mixDocuments(pool, { ratio, seed: 4 });
    const report = compositionReport(result.documents);
    const sum = ratio.agent + ratio.code + ratio.text;
    for (const entry of report.byGroup) {
      const target = ratio[entry.name as keyof typeof ratio] / sum;
      expect(Math.abs(entry.share - target)).toBeLessThan(0.01);
    }
    expect(result.documents.every((item) => GROUP_OF_KIND[item.document.kind])).toBe(true);
  });

  it('upsamples a scarce group when a total larger than its supply is asked for', () => {
    const result = mixDocuments(pool, { ratio: { agent: 1, code: 1, text: 1 }, seed: 2, totalTokens: 900_000 });
    const text = compositionReport(result.documents).byGroup.find((entry) => entry.name === 'text')!;
    expect(Math.abs(text.share - 1 / 3)).toBeLessThan(0.01);
    expect(text.documents).toBeGreaterThan(700); // repeated documents
  });

  it('is deterministic per seed and rejects bad ratios naming the field', () => {
    const a = mixDocuments(pool, { ratio: { agent: 1, code: 1, text: 1 }, seed: 9 });
    const b = mixDocuments(pool, { ratio: { agent: 1, code: 1, text: 1 }, seed: 9 });
    expect(a.documents.map((item) => item.document.source)).toEqual(b.documents.map((item) => item.document.source));
    expect(() => mixDocuments(pool, { ratio: { agent: -1, code: 1, text: 1 }, seed: 0 })).toThrow(/"ratio.agent"/);
    const noText = pool.filter((item) => item.document.kind !== 'text');
    expect(() => mixDocuments(noText, { ratio: { agent: 1, code: 1, text: 1 }, seed: 0 })).toThrow(/no text documents/);
  });

  it('formats a report with groups, kinds and sources', () => {
    const text = formatComposition(compositionReport(mixDocuments(pool, { ratio: { agent: 1, code: 1, text: 1 }, seed: 1 }).documents), { agent: 1 / 3 });
    expect(text).toMatch(/^corpus: [\d,]+ documents/);
    expect(text).toMatch(/agent .* 33\.\d%\s+33\.3%/);
    expect(text).toMatch(/tool_doc\.jsonl/);
  });
});

describe('packing with a resumable cursor', () => {
  const rng = new Rng(3);
  const documents: TokenizedDocument[] = Array.from({ length: 57 }, (_, d) => ({
    ids: Array.from({ length: 1 + rng.int(40) }, () => 10 + rng.int(90)),
    mask: undefined,
  }));
  const options = { seqLen: 16, seed: 5, separator: 1, pad: 0, mode: 'stream' as const };

  it('stream mode keeps every token once, with separators, and pads only the end', () => {
    const dataset = PackedDataset.build(documents, options, 3);
    const total = documents.reduce((sum, document) => sum + document.ids.length + 1, 0);
    expect(dataset.stats.tokens).toBe(total);
    expect(dataset.stats.padding).toBe(dataset.rows * 17 - total);
    expect(dataset.stats.padding).toBeLessThan(17);
    const stream = Array.from(dataset.tokenStream());
    expect(stream.filter((id) => id === 1)).toHaveLength(57);
  });

  it('resuming the cursor mid-epoch (and across epochs) yields the same remaining batches', () => {
    const straight = PackedDataset.build(documents, options, 3);
    const expected = Array.from({ length: 40 }, () => straight.next());
    const first = PackedDataset.build(documents, options, 3);
    for (let i = 0; i < 7; i++) first.next();
    const saved = JSON.parse(JSON.stringify(first.state()));
    const resumed = PackedDataset.build(documents, options, 3);
    resumed.restore(saved);
    expect(Array.from({ length: 33 }, () => resumed.next())).toEqual(expected.slice(7));
    const other = PackedDataset.build(documents, { ...options, seed: 6 }, 3);
    expect(() => other.restore(saved)).toThrow(/does not fit this corpus/);
    for (const bad of [{ ...saved, epoch: 1.5 }, { ...saved, index: -1 }, { ...saved, index: resumed.rows + 1 }, { kind: 'random-window', rng: [1, 2, 3, 4] }]) {
      expect(() => resumed.restore(bad)).toThrow(/does not fit this corpus/);
    }
  });

  it('whole mode never splits a document, trains a separator only after a trained last token, never padding, and counts truncations', () => {
    const chats: TokenizedDocument[] = [
      { ids: [5, 6, 7, 8], mask: [0, 0, 1, 1] },
      { ids: Array.from({ length: 30 }, (_, i) => 20 + i), mask: Array(30).fill(1) },
      { ids: [9, 9, 9], mask: [0, 1, 1] },
      { ids: [4, 3], mask: [1, 0] },
    ];
    const dataset = PackedDataset.build(chats, { ...options, mode: 'whole' }, 1);
    expect(dataset.stats.truncated).toBe(1);
    const rows = dataset.batchesOfEpoch();
    const trainedAfter = new Map<number, number[]>();
    for (const row of rows) {
      const tokens = [row.inputs[0], ...Array.from(row.targets)];
      row.targets.forEach((target, i) => {
        if (target === options.pad) expect(row.mask[i]).toBe(0);
        if (target === options.separator) trainedAfter.set(tokens[i], [...(trainedAfter.get(tokens[i]) ?? []), row.mask[i]]);
      });
    }
    // The separators after 8 and 9 (trained) are trained; the one after 3 (untrained) is not; the cut
    // document lost its separator.
    expect(Object.fromEntries(trainedAfter)).toEqual({ 8: [1], 9: [1], 3: [0] });
    const masked = rows.flatMap((row) => Array.from(row.targets).filter((_, i) => row.mask[i] === 1));
    expect(masked).toEqual(expect.arrayContaining([7, 8, 9, 4]));
    expect(masked).not.toContain(5);
    expect(masked).not.toContain(3);
  });
});

describe('export', () => {
  it('writes JSONL with text, kind and source', () => {
    const documents: CorpusDocument[] = [{ kind: 'code', source: 'a.py', text: 'print("hi")\n' }];
    const lines = [...corpusJsonl(documents)];
    expect(JSON.parse(lines[0])).toEqual({ text: 'print("hi")\n', kind: 'code', source: 'a.py' });
  });

  it('writes llm.c shards: header magic, version, count, then little-endian tokens', () => {
    const tokens = Int32Array.from({ length: 2500 }, (_, i) => (i * 37) % 50_000);
    const shards = [...llmcShards(tokens, 50_257, 1000)];
    expect(shards.map((shard) => shard.length)).toEqual([1024 + 2000, 1024 + 2000, 1024 + 1000]);
    const view = new DataView(shards[2].buffer);
    expect([view.getInt32(0, true), view.getInt32(4, true), view.getInt32(8, true)]).toEqual([20240520, 1, 500]);
    expect(view.getUint16(1024 + 2 * 499, true)).toBe(tokens[2499]);
    const wide = [...llmcShards([70_000, 1], 128_256)][0];
    const wideView = new DataView(wide.buffer);
    expect([wideView.getInt32(0, true), wideView.getInt32(4, true), wideView.getUint32(1024, true)]).toEqual([20240801, 7, 70_000]);
  });
});
