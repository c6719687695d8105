import { beforeAll, describe, expect, it } from 'vitest';
import { AgentClassifier, type LabeledText, splitExamples } from '../../src/forge/classifier.js';
import { AbortedError, ConfigError, InputError } from '../../src/util/errors.js';
import {
  APIBENCH_FILES, BFCL_FILES, GORILLA_API_FILES, apibenchDocs, bfclDocs, bfclQuestions, gorillaApiDocs, pydocTopicDocs,
  pythonStdlibDocs, shakespeareDocs,
} from '../setup/agent-examples.js';

/** An example with where it came from and its group keys (functions / APIs, or its source file). */
interface Example extends LabeledText {
  source: string;
  keys: string[];
}

/**
 * Agent side: BFCL entries (tool docs + request) of all five categories, Gorilla API documentation records,
 * APIBench instruction -> API-call pairs. BFCL *irrelevance* entries are agent data too: tool docs plus a
 * request those tools cannot serve (the agent's right move is to decline), which is function-calling data.
 * General side: Shakespeare, and hard negatives: Python standard-library code and module docstrings (code
 * and prose about code, without tool docs or API calls), Python reference-manual prose, and the BFCL
 * irrelevance *questions alone* (a bare request with no tool, no call, no API is plain text).
 */
function loadExamples(): Example[] {
  const agent = [
    ...[...BFCL_FILES, 'BFCL_v4_irrelevance.json'].flatMap(bfclDocs),
    ...GORILLA_API_FILES.flatMap(gorillaApiDocs),
    ...APIBENCH_FILES.flatMap(apibenchDocs),
  ];
  const general = [
    ...shakespeareDocs(),
    ...pythonStdlibDocs(),
    ...pydocTopicDocs(),
    ...bfclQuestions('BFCL_v4_irrelevance.json'),
  ];
  // Python blocks of one module, and chunks of one reference topic, stay on one side of the split.
  const groupOfGeneral = (source: string): string[] => {
    if (source.startsWith('pydoc_data/')) return [`topic:${source.replace(/\.\d+$/, '')}`];
    if (source.endsWith('.py') || source.includes('.py#')) return [`module:${source.replace(/#.*$/, '')}`];
    return [];
  };
  return [
    ...agent.map((doc) => ({ text: doc.text, label: 'agent' as const, source: doc.source, keys: doc.functions.map((f) => `fn:${f}`) })),
    ...general.map((doc) => ({
      text: doc.text,
      label: 'general' as const,
      source: doc.source,
      keys: groupOfGeneral(doc.source),
    })),
  ];
}

/** Byte equality without handing multi-megabyte arrays to the matcher's diff. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** Per source family: correct / total. */
function bySource(classifier: AgentClassifier, examples: Example[]): Record<string, string> {
  const counts = new Map<string, [number, number]>();
  for (const example of examples) {
    const family = example.source.startsWith('bfcl/')
      ? (example.source.includes('#question') ? 'bfcl irrelevance question (general)' : `bfcl ${example.source.split(/[/:]/)[1].replace(/^BFCL_v4_|\.json$/g, '')}`)
      : example.source.startsWith('gorilla/') ? example.source.split(/[:]/)[0]
        : example.source.startsWith('text/') ? 'tinyshakespeare'
          : example.source.startsWith('pydoc_data/') ? 'python reference prose'
            : example.source.includes('#docstring') ? 'python module docstrings' : 'python stdlib code';
    const count = counts.get(family) ?? [0, 0];
    count[1]++;
    if (classifier.predict(example.text).label === example.label) count[0]++;
    counts.set(family, count);
  }
  return Object.fromEntries([...counts].sort().map(([family, [ok, total]]) => [family, `${ok}/${total}`]));
}

describe('AgentClassifier on ../shared/data', () => {
  let examples: Example[];
  let split: { train: Example[]; test: Example[] };
  let classifier: AgentClassifier;
  let trainMs = 0;

  beforeAll(() => {
    const loadStarted = performance.now();
    examples = loadExamples();
    // Held out by API: examples sharing a function / API call (or a Python module) are on one side only.
    split = splitExamples(examples, { testFraction: 0.2, seed: 1, groupBy: (example) => example.keys });
    const loadMs = performance.now() - loadStarted;
    const started = performance.now();
    classifier = AgentClassifier.train(split.train, { seed: 0 });
    trainMs = performance.now() - started;
    console.info(`classifier data: ${examples.length} examples loaded in ${loadMs.toFixed(0)} ms; `
      + `training ${trainMs.toFixed(0)} ms (${classifier.config.dim} dim, ${classifier.config.buckets} buckets, 5 epochs)`);
  });

  it('reaches F1 >= 0.95 on a held-out split (by API) and reports the figures', () => {
    const count = (side: Example[], label: string): number => side.filter((example) => example.label === label).length;
    const started = performance.now();
    const metrics = classifier.evaluate(split.test);
    const evalMs = performance.now() - started;
    console.info(`classifier split: train ${split.train.length} (${count(split.train, 'agent')} agent, ${count(split.train, 'general')} general), `
      + `test ${split.test.length} (${count(split.test, 'agent')} agent, ${count(split.test, 'general')} general)`);
    console.info(`classifier held-out: accuracy ${metrics.accuracy.toFixed(4)}, precision ${metrics.precision.toFixed(4)}, `
      + `recall ${metrics.recall.toFixed(4)}, F1 ${metrics.f1.toFixed(4)}, confusion ${JSON.stringify(metrics.confusion)}, `
      + `evaluated in ${evalMs.toFixed(0)} ms`);
    console.info(`classifier held-out by source: ${JSON.stringify(bySource(classifier, split.test))}`);
    // No function / API is on both sides.
    const trainKeys = new Set(split.train.flatMap((example) => example.keys));
    expect(split.test.filter((example) => example.keys.some((key) => trainKeys.has(key))).length).toBe(0);
    expect(split.train.length + split.test.length).toBe(examples.length);
    expect(count(split.test, 'agent')).toBeGreaterThan(500);
    expect(count(split.test, 'general')).toBeGreaterThan(500);
    expect(metrics.count).toBe(split.test.length);
    expect(metrics.f1).toBeGreaterThanOrEqual(0.95);
    expect(metrics.precision).toBeGreaterThanOrEqual(0.95);
    expect(metrics.recall).toBeGreaterThanOrEqual(0.95);
  });

  it('saves and loads its weights with identical predictions', () => {
    const bytes = classifier.toBytes();
    const loaded = AgentClassifier.fromBytes(bytes);
    expect(loaded.config).toEqual(classifier.config);
    const sample = split.test.slice(0, 300);
    expect(sample.map((example) => loaded.probability(example.text))).toEqual(sample.map((example) => classifier.probability(example.text)));
    expect(sameBytes(loaded.toBytes(), bytes)).toBe(true);
    // Works from a view into a larger buffer at an odd offset, too.
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 3);
    expect(AgentClassifier.fromBytes(padded.subarray(3)).probability(sample[0].text)).toBe(classifier.probability(sample[0].text));
  });
});

describe('AgentClassifier unit behaviour', () => {
  const small: LabeledText[] = [
    ...bfclDocs('BFCL_v4_simple_python.json').slice(0, 150).map((doc) => ({ text: doc.text, label: 'agent' as const })),
    ...shakespeareDocs().slice(0, 150).map((doc) => ({ text: doc.text, label: 'general' as const })),
  ];
  const options = { buckets: 1 << 12, dim: 8, epochs: 2 };

  it('is deterministic: same seed, same weight bytes; another seed, other bytes', () => {
    const a = AgentClassifier.train(small, { ...options, seed: 3 }).toBytes();
    const b = AgentClassifier.train(small, { ...options, seed: 3 }).toBytes();
    const c = AgentClassifier.train(small, { ...options, seed: 4 }).toBytes();
    expect(sameBytes(b, a)).toBe(true);
    expect(sameBytes(c, a)).toBe(false);
  });

  it('reports progress per epoch and stops when aborted', () => {
    const epochs: number[] = [];
    AgentClassifier.train(small, { ...options, onProgress: (p) => epochs.push(p.epoch) });
    expect(epochs).toEqual([1, 2]);
    const controller = new AbortController();
    controller.abort();
    expect(() => AgentClassifier.train(small, { ...options, signal: controller.signal })).toThrow(AbortedError);
  });

  it('rejects bad weight bytes with errors that say what is wrong', () => {
    const bytes = AgentClassifier.train(small, options).toBytes();
    const headerLength = new DataView(bytes.buffer).getUint32(4, true);
    const dataStart = (8 + headerLength + 3) & ~3;
    /** The same weights behind an edited header (re-encoded with its new length). */
    const withHeader = (edit: (header: Record<string, unknown>) => void): Uint8Array => {
      const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, unknown>;
      edit(header);
      const encoded = new TextEncoder().encode(JSON.stringify(header));
      const start = (8 + encoded.length + 3) & ~3;
      const out = new Uint8Array(start + bytes.length - dataStart);
      out.set(bytes.subarray(0, 4));
      new DataView(out.buffer).setUint32(4, encoded.length, true);
      out.set(encoded, 8);
      out.set(bytes.subarray(dataStart), start);
      return out;
    };
    expect(AgentClassifier.fromBytes(withHeader(() => undefined)).config.dim).toBe(8);
    expect(() => AgentClassifier.fromBytes(new Uint8Array(3), 'weights.bin')).toThrow(/weights\.bin: only 3 bytes/);
    expect(() => AgentClassifier.fromBytes(new TextEncoder().encode('PK\u0003\u0004 not ours'))).toThrow(/bad magic "PK/);
    expect(() => AgentClassifier.fromBytes(bytes.subarray(0, bytes.length - 4))).toThrow(InputError);
    expect(() => AgentClassifier.fromBytes(bytes.subarray(0, bytes.length - 4))).toThrow(/truncated or corrupt/);
    expect(() => AgentClassifier.fromBytes(withHeader((h) => { h.version = 99; }))).toThrow(/unsupported version 99/);
    expect(() => AgentClassifier.fromBytes(withHeader((h) => { h.dim = 'sixteen'; }))).toThrow(/header field "dim"/);
    expect(() => AgentClassifier.fromBytes(withHeader((h) => { h.format = 'other'; }))).toThrow(/header format "other"/);
    const broken = bytes.slice();
    broken.set([0x7b, 0x7b], 8);
    expect(() => AgentClassifier.fromBytes(broken)).toThrow(/header is not valid UTF-8 JSON/);
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(nan.length - 4, Number.NaN, true);
    expect(() => AgentClassifier.fromBytes(nan)).toThrow(/non-finite bias weight at index 1/);
  });

  it('rejects bad options and examples', () => {
    expect(() => AgentClassifier.train(small, { dim: 0 })).toThrow(ConfigError);
    expect(() => AgentClassifier.train(small, { lr: -1 })).toThrow(/classifier\.lr/);
    expect(() => AgentClassifier.train(small, { minn: 4, maxn: 3 })).toThrow(/classifier\.maxn/);
    expect(() => AgentClassifier.train(small.filter((e) => e.label === 'agent'))).toThrow(/need both labels/);
    expect(() => AgentClassifier.train([{ text: 'x', label: 'tool' as 'agent' }])).toThrow(/example 0 has label "tool"/);
    expect(() => splitExamples(small, { testFraction: 1 })).toThrow(/split\.testFraction/);
  });

  it('splits by label and by group, deterministically', () => {
    const items = Array.from({ length: 100 }, (_, i) => ({ label: (i % 4 === 0 ? 'agent' : 'general') as 'agent' | 'general', key: `k${i % 10}` }));
    const a = splitExamples(items, { testFraction: 0.3, seed: 5, groupBy: (item) => item.key });
    expect(splitExamples(items, { testFraction: 0.3, seed: 5, groupBy: (item) => item.key })).toEqual(a);
    const trainKeys = new Set(a.train.map((item) => item.key));
    expect(a.test.every((item) => !trainKeys.has(item.key))).toBe(true);
    const plain = splitExamples(items, { testFraction: 0.2, seed: 5 });
    expect(plain.test.filter((item) => item.label === 'agent')).toHaveLength(5);
    expect(plain.test.filter((item) => item.label === 'general')).toHaveLength(15);
  });

  it('handles empty and odd text', () => {
    const classifier = AgentClassifier.train(small, options);
    for (const text of ['', '   ', '\u00a0\u2003', '🙂🙂', 'x'.repeat(100_000)]) {
      const { probability, label } = classifier.predict(text);
      expect(probability).toBeGreaterThanOrEqual(0);
      expect(probability).toBeLessThanOrEqual(1);
      expect(['agent', 'general']).toContain(label);
    }
  });
});
