import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Deduplicator, MinHasher, candidateProbability, deduplicate, estimateJaccard, jaccard, lshParameters, shingleHashes,
} from '../../src/forge/dedup.js';
import { exactKey, hash64, normalizeForHash, words } from '../../src/text/index.js';
import type { CorpusDocument } from '../../src/data/document.js';
import { AbortedError, ConfigError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

// Real data, read at run time from ../shared/data (never copied into the repository).
const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const BFCL = join(DATA, 'bfcl');

interface BfclFunction {
  name: string;
  description: string;
  parameters: { type?: string; properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}
interface BfclLine { id: string; question: { role: string; content: string }[][]; function: BfclFunction[] }

function readBfcl(): { file: string; line: number; item: BfclLine }[] {
  const out: { file: string; line: number; item: BfclLine }[] = [];
  for (const file of readdirSync(BFCL).filter((f) => /^BFCL_v4_.*\.json$/.test(f)).sort()) {
    readFileSync(join(BFCL, file), 'utf8').split('\n').forEach((line, i) => {
      if (line.trim() !== '') out.push({ file, line: i + 1, item: JSON.parse(line) as BfclLine });
    });
  }
  return out;
}

/** A tiny formatter of our own (the official ones live elsewhere): question, then the tools. */
function renderLine({ file, line, item }: { file: string; line: number; item: BfclLine }): CorpusDocument {
  const question = item.question.flat().map((m) => `${m.role}: ${m.content}`).join('\n');
  return {
    kind: 'instruction',
    source: `bfcl/${file}:${line}`,
    text: `${question}\nTools:\n${item.function.map(renderFunctionText).join('\n')}`,
    functions: item.function.map((f) => f.name),
  };
}

function renderFunctionText(fn: BfclFunction): string {
  const params = Object.entries(fn.parameters.properties ?? {})
    .map(([name, p]) => `  * ${name} (${p.type ?? 'any'}): ${p.description ?? ''}`);
  return [`- ${fn.name}: ${fn.description}`, ...params].join('\n');
}

/** One tool document per distinct function name (the first definition met). */
function functionDocs(lines: { item: BfclLine }[]): CorpusDocument[] {
  const seen = new Map<string, CorpusDocument>();
  for (const { item } of lines) {
    for (const fn of item.function) {
      if (!seen.has(fn.name)) {
        seen.set(fn.name, {
          kind: 'tool_doc', source: `bfcl-function:${fn.name}`, functions: [fn.name],
          text: `${fn.name}\n${fn.description}\nParameters:\n${JSON.stringify(fn.parameters, null, 2)}`,
        });
      }
    }
  }
  return [...seen.values()];
}

/** Replaces `edits` distinct random words (whitespace-separated tokens) by made-up ones. */
function editWords(text: string, edits: number, rng: Rng): string {
  const tokens = text.split(/(\s+)/);
  const wordPositions = tokens.map((t, i) => (/\S/.test(t) ? i : -1)).filter((i) => i >= 0);
  rng.shuffle(wordPositions);
  for (const i of wordPositions.slice(0, edits)) tokens[i] = `zq${rng.int(1e6)}x`;
  return tokens.join('');
}

const lines = readBfcl();
const bfclDocs = lines.map(renderLine);
const fnDocs = functionDocs(lines);

describe('normalisation and hashing', () => {
  it('folds case, whitespace and Unicode compatibility forms, keeps punctuation', () => {
    expect(normalizeForHash('  Hello,\n\tWORLD!  ')).toBe('hello , world !');
    expect(normalizeForHash('{"a":1}')).toBe(normalizeForHash('{ "A" :\n 1 }'));
    expect(normalizeForHash('f(x)')).not.toBe(normalizeForHash('f x'));
    expect(normalizeForHash('ab')).not.toBe(normalizeForHash('a b'));
    expect(normalizeForHash('ｆｕｌｌ ﬁne')).toBe('full fine');
    expect(normalizeForHash('snake_case_id')).toBe('snake_case_id');
    expect(words('calculate_triangle_area(Base=10)')).toEqual(['calculate', 'triangle', 'area', 'base', '10']);
    expect(words('नमस्ते दुनिया, e\u0301t\u00e9')).toEqual(['नमस्ते', 'दुनिया', '\u00e9t\u00e9']); // marks stay in words
  });

  it('exactKey is hash64 of the normal form (streamed, no string built) on every real document', () => {
    const texts = [...bfclDocs.map((d) => d.text), '', ' ', 'x', '𝐀𝐁 x😀y _a_(B)', '\ud800 lone surrogate'];
    for (const text of texts) expect(exactKey(text)).toBe(hash64(normalizeForHash(text)));
    // 64-bit keys: no collision among the distinct normal forms of the real documents.
    const forms = new Set(texts.map(normalizeForHash));
    expect(new Set([...forms].map((f) => hash64(f))).size).toBe(forms.size);
    expect(hash64('a')).toMatch(/^[0-9a-f]{16}$/);
  });

  it('MinHash signature values are (a*x+b) mod (2^31-1) minima, checked against BigInt arithmetic', () => {
    const shingles = shingleHashes(bfclDocs[0].text);
    const hasher = new MinHasher(8, 3);
    const sig = hasher.signature(shingles);
    const rng = new Rng(3);
    const p = 2147483647n;
    for (let i = 0; i < 8; i++) {
      const a = BigInt(1 + (rng.nextUint32() % (2 ** 21 - 1)));
      const b = BigInt(rng.nextUint32() % 2147483647);
      let min = p;
      for (const x of shingles) {
        const v = (a * (BigInt(x) % p) + b) % p;
        if (v < min) min = v;
      }
      expect(sig[i]).toBe(Number(min));
    }
  });

  it('picks LSH bands from the threshold so that pairs at the threshold are found', () => {
    const { bands, rows } = lshParameters(0.8, 128);
    expect({ bands, rows }).toEqual({ bands: 21, rows: 6 });
    expect(candidateProbability(0.8, bands, rows)).toBeGreaterThan(0.99);
    expect(candidateProbability(0.3, bands, rows)).toBeLessThan(0.02);
    expect(() => lshParameters(0, 128)).toThrow(ConfigError);
    expect(() => new Deduplicator({ bands: 20, rows: 8 })).toThrow(/bands x rows/);
    expect(() => new Deduplicator({ shingleSize: 0 })).toThrow(ConfigError);
  });
});

describe('deduplicate on BFCL', () => {
  it('reports the duplicates of the real set', async () => {
    const t0 = performance.now();
    const result = await deduplicate(bfclDocs);
    const ms = performance.now() - t0;
    console.info(`BFCL (${bfclDocs.length} rendered lines): kept ${result.kept.length}, exact ${result.removedExact}, `
      + `near ${result.removedNear} (threshold 0.8, ${result.bands}x${result.rows} LSH) in ${ms.toFixed(0)} ms`);
    const fnResult = await deduplicate(fnDocs);
    console.info(`BFCL functions (${fnDocs.length} tool docs): kept ${fnResult.kept.length}, exact ${fnResult.removedExact}, near ${fnResult.removedNear}`);
    for (const pair of fnResult.pairs.slice(0, 5)) console.info(`  ${pair.removedSource} ~ ${pair.keptSource} (${pair.similarity.toFixed(2)})`);
    expect(result.kept.length + result.removedExact + result.removedNear).toBe(bfclDocs.length);
    // Every near removal is a real near duplicate: exact Jaccard close to the threshold or above.
    for (const r of [result, fnResult]) {
      const docs = r === result ? bfclDocs : fnDocs;
      for (const pair of r.pairs.filter((p) => p.reason === 'near')) {
        const j = jaccard(shingleHashes(docs[pair.removed].text), shingleHashes(docs[pair.kept].text));
        expect(j).toBeGreaterThan(0.7);
      }
    }
    // Different functions are different documents: nearly all tool docs are kept.
    expect(fnResult.kept.length / fnDocs.length).toBeGreaterThan(0.97);
  });

  it('removes exact duplicates that differ only in case and whitespace', async () => {
    const originals = fnDocs.slice(0, 300);
    const rng = new Rng(5);
    const copies = originals.map((doc, i) => {
      const variant = i % 3 === 0
        ? doc.text.toUpperCase()
        : i % 3 === 1
          ? doc.text.replace(/\s+/g, (ws) => (rng.next() < 0.5 ? ' ' : '\n\t  '))
          // The same JSON re-serialised compactly: whitespace between tokens only.
          : `${doc.text.slice(0, doc.text.indexOf('\nParameters:\n'))}\nParameters:\n${JSON.stringify(JSON.parse(doc.text.slice(doc.text.indexOf('\nParameters:\n') + 13)) as unknown)}`;
      return { ...doc, source: `${doc.source}#copy`, text: variant };
    });
    const mixed = originals.flatMap((d, i) => [d, copies[i]]); // each copy right after its original
    const result = await deduplicate(mixed, { near: false });
    expect(result.removedExact).toBe(copies.length);
    expect(result.kept.map((d) => d.source)).toEqual(originals.map((d) => d.source));
    for (const pair of result.pairs) expect(pair.removedSource).toBe(`${pair.keptSource}#copy`);
  });

  it('removes near duplicates (a few words edited) at 0.8 and agrees with exact Jaccard', async () => {
    const rng = new Rng(11);
    // Variants of the longer documents with 1 to 12 words edited: from clear duplicates to clearly not.
    const bases = bfclDocs.map((d, i) => ({ d, i })).filter(({ d }) => words(d.text).length >= 120);
    const variants: CorpusDocument[] = [];
    for (const { d } of bases.slice(0, 240)) {
      const edits = 1 + rng.int(12);
      variants.push({ ...d, source: `${d.source}#edit${edits}`, text: editWords(d.text, edits, rng) });
    }
    const corpus = [...bfclDocs, ...variants];
    const t0 = performance.now();
    const result = await deduplicate(corpus, { threshold: 0.8 });
    const ms = performance.now() - t0;

    // Brute force: the same greedy rule (keep first, compare with kept) with exact Jaccard.
    const shingles = corpus.map((d) => shingleHashes(d.text));
    const keptExact: number[] = [];
    const exactDecision: boolean[] = [];
    const seenKeys = new Set<string>();
    corpus.forEach((doc, i) => {
      const key = exactKey(doc.text);
      // (J <= min/max of the set sizes, so pairs whose sizes differ too much are skipped: exact, just faster.)
      const size = shingles[i].length;
      const dup = seenKeys.has(key) || keptExact.some((k) => {
        const other = shingles[k].length;
        return Math.min(size, other) >= 0.8 * Math.max(size, other) && jaccard(shingles[i], shingles[k]) >= 0.8;
      });
      exactDecision.push(!dup);
      if (!dup) {
        keptExact.push(i);
        seenKeys.add(key);
      }
    });
    const keptSet = new Set(result.kept);
    const minhashDecision = corpus.map((d) => keptSet.has(d));
    const agree = minhashDecision.filter((k, i) => k === exactDecision[i]).length;
    const docAgreement = agree / corpus.length;

    // Pairwise: every pair with at least one edited variant (its base and all the others), estimated vs
    // exact Jaccard (the exact value is only computed where the set sizes allow J >= 0.5).
    const hasher = new MinHasher(128, 1);
    const sigs = shingles.map((s) => hasher.signature(s));
    let pairs = 0;
    let pairAgree = 0;
    let near = 0;
    let nearAgree = 0;
    let absErr = 0;
    let errCount = 0;
    let worstMiss = 0;
    for (let i = bfclDocs.length; i < corpus.length; i++) {
      for (let j = 0; j < i; j++) {
        const est = estimateJaccard(sigs[i], sigs[j]);
        const [a, b] = [shingles[i].length, shingles[j].length];
        const exact = Math.min(a, b) >= 0.5 * Math.max(a, b) || est >= 0.5 ? jaccard(shingles[i], shingles[j]) : 0;
        pairs++;
        if ((exact >= 0.8) === (est >= 0.8)) pairAgree++;
        else worstMiss = Math.max(worstMiss, Math.abs(exact - 0.8));
        if (exact >= 0.5 || est >= 0.5) {
          near++;
          if ((exact >= 0.8) === (est >= 0.8)) nearAgree++;
          absErr += Math.abs(exact - est);
          errCount++;
        }
      }
    }
    console.info(`near dedup of ${corpus.length} docs (${variants.length} edited variants): kept ${result.kept.length}, `
      + `exact ${result.removedExact}, near ${result.removedNear} in ${ms.toFixed(0)} ms; brute-force exact Jaccard keeps `
      + `${keptExact.length}; per-document agreement ${(100 * docAgreement).toFixed(2)}%`);
    console.info(`pairs with a variant: ${pairs}, decision agreement ${(100 * pairAgree / pairs).toFixed(4)}%; pairs with J or estimate >= 0.5: `
      + `${near}, agreement ${(100 * nearAgree / near).toFixed(2)}%, mean |estimate - J| ${(absErr / errCount).toFixed(4)}; `
      + `every disagreement has |J - 0.8| <= ${worstMiss.toFixed(3)}`);
    expect(docAgreement).toBeGreaterThan(0.98);
    expect(nearAgree / near).toBeGreaterThan(0.9);
    expect(absErr / errCount).toBeLessThan(0.04);
    expect(worstMiss).toBeLessThan(0.1); // about 3 standard errors of a 128-permutation estimate at J = 0.8

    // Clear cases are always decided right: variants with exact J >= 0.9 to their base are removed,
    // and nothing is removed as a near duplicate of a document it shares less than 0.6 with.
    const index = new Map(corpus.map((d, i) => [d, i]));
    for (const v of variants) {
      const base = bfclDocs.find((d) => d.source === v.source.split('#')[0])!;
      if (jaccard(shingles[index.get(v)!], shingles[index.get(base)!]) >= 0.9) expect(keptSet.has(v)).toBe(false);
    }
    for (const pair of result.pairs) expect(jaccard(shingles[pair.removed], shingles[pair.kept])).toBeGreaterThan(0.6);
  });

  it('is deterministic for a seed, and the streaming Deduplicator decides exactly like the batch', async () => {
    const rng = new Rng(2);
    const corpus = [...bfclDocs];
    for (const d of bfclDocs.slice(0, 200)) corpus.push({ ...d, source: `${d.source}#e`, text: editWords(d.text, 2, rng) });
    const a = await deduplicate(corpus, { seed: 7 });
    const b = await deduplicate(corpus, { seed: 7 });
    expect(b.kept.map((d) => d.source)).toEqual(a.kept.map((d) => d.source));
    expect(b.pairs).toEqual(a.pairs);
    const other = await deduplicate(corpus, { seed: 8 });
    const same = other.kept.filter((d) => a.kept.includes(d)).length;
    console.info(`seed 7 vs seed 8: ${a.kept.length} vs ${other.kept.length} kept, ${same} in common`);

    const stream = new Deduplicator({ seed: 7 });
    const streamed = corpus.filter((d) => stream.add(d));
    expect(streamed.map((d) => d.source)).toEqual(a.kept.map((d) => d.source));
    expect([stream.removedExact, stream.removedNear, stream.keptCount]).toEqual([a.removedExact, a.removedNear, a.kept.length]);
  });

  it('reports progress and stops when aborted', async () => {
    const progress: number[] = [];
    await deduplicate(bfclDocs, { onProgress: (p) => progress.push(p.done) });
    expect(progress.at(-1)).toBe(bfclDocs.length);
    const controller = new AbortController();
    controller.abort();
    await expect(deduplicate(bfclDocs, { signal: controller.signal })).rejects.toBeInstanceOf(AbortedError);
  });
});
