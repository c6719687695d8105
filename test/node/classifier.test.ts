import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AgentClassifier, type LabeledText, splitExamples } from '../../src/data/classifier.js';
import { AbortedError, ConfigError, InputError } from '../../src/util/errors.js';

// ---- Real data from ../shared/data and Debian's Python standard library, read at run time (never copied).
// (The same small loader is in classifier.test.ts and retrieval.test.ts; the official formatters live in
// src/data/formats.ts, which these tests deliberately do not depend on.)
const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const PYTHON = '/usr/lib/python3.11';

/** A document with the API / function names it is about (empty for general text). */
interface Doc {
  text: string;
  source: string;
  functions: string[];
}

interface SchemaFunction {
  name: string;
  description?: string;
  parameters?: { properties?: Record<string, { type?: string; description?: string }>; required?: string[] };
}

function jsonLines<T>(path: string): T[] {
  return readFileSync(path, 'utf8').split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as T);
}

/** A tool doc as a prose signature (even entries) or as raw JSON (odd entries), so no one template is learnt. */
function renderFunction(fn: SchemaFunction, style: number): string {
  if (style % 2 === 1) return JSON.stringify(fn, null, 2);
  const properties = fn.parameters?.properties ?? {};
  const required = new Set(fn.parameters?.required ?? []);
  const params = Object.entries(properties).map(([name, p]) =>
    `  - ${name} (${p.type ?? 'any'}${required.has(name) ? ', required' : ''}): ${p.description ?? ''}`);
  return `Function ${fn.name}(${Object.keys(properties).join(', ')})\n${fn.description ?? ''}\nParameters:\n${params.join('\n')}`;
}

interface BfclEntry {
  question: { role: string; content: string }[][];
  function: SchemaFunction[];
}

/** BFCL entry: its tool docs, then the user turns. */
function bfclDocs(file: string): Doc[] {
  return jsonLines<BfclEntry>(join(DATA, 'bfcl', file)).map((entry, i) => ({
    text: `Available tools:\n${entry.function.map((fn) => renderFunction(fn, i)).join('\n\n')}\n\n`
      + entry.question.flat().map((turn) => `${turn.role}: ${turn.content}`).join('\n'),
    source: `bfcl/${file}:${i + 1}`,
    functions: entry.function.map((fn) => fn.name),
  }));
}

/** BFCL user question alone: no tool, no call. */
function bfclQuestions(file: string): Doc[] {
  return jsonLines<BfclEntry>(join(DATA, 'bfcl', file)).map((entry, i) => ({
    text: entry.question.flat().map((turn) => turn.content).join('\n'),
    source: `bfcl/${file}:${i + 1}#question`,
    functions: [],
  }));
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(show).join(value.every((v) => typeof v === 'string') ? '\n' : ', ');
  return JSON.stringify(value);
}

/** Gorilla API documentation record as a tool doc (grouped by its api_call). */
function gorillaApiDocs(file: string): Doc[] {
  return jsonLines<Record<string, unknown>>(join(DATA, 'gorilla', 'api', file)).map((r, i) => {
    const example = show(r.example_code);
    return {
      text: [
        `API: ${show(r.api_name)} (${show(r.framework)}, ${show(r.domain)})`,
        `Functionality: ${show(r.functionality)}`,
        `Call: ${show(r.api_call)}`,
        `Arguments: ${show(r.api_arguments)}`,
        `Requirements: ${show(r.python_environment_requirements)}`,
        `Description: ${show(r.description)}`,
        ...(example && example !== 'N/A' ? [`Example:\n${example}`] : []),
      ].join('\n'),
      source: `gorilla/api/${file}:${i + 1}`,
      functions: [show(r.api_call)],
    };
  });
}

/** APIBench instruction -> API call pair, as its own text (instruction, api_call, explanation, code). */
function apibenchDocs(file: string): Doc[] {
  return jsonLines<{ code: string; api_call: string }>(join(DATA, 'gorilla', 'apibench', file)).map((r, i) => ({
    text: r.code,
    source: `gorilla/apibench/${file}:${i + 1}`,
    functions: [r.api_call],
  }));
}

/** tinyshakespeare: consecutive speeches joined into chunks of at least 300 characters. */
function shakespeareDocs(): Doc[] {
  const docs: Doc[] = [];
  let current = '';
  for (const speech of readFileSync(join(DATA, 'text', 'tinyshakespeare.txt'), 'utf8').split(/\n\s*\n/)) {
    current = current ? `${current}\n\n${speech.trim()}` : speech.trim();
    if (current.length >= 300) {
      docs.push({ text: current, source: `text/tinyshakespeare.txt#${docs.length}`, functions: [] });
      current = '';
    }
  }
  return docs;
}

/** .py files of the standard library, top level and packages (no tests, no dist-packages). */
function pythonFiles(): string[] {
  const skip = new Set(['test', 'tests', 'idle_test', 'dist-packages', 'site-packages', '__pycache__', 'lib2to3',
    'pydoc_data', 'encodings']);
  const out: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.isDirectory()) {
        if (!skip.has(entry.name) && !entry.name.startsWith('config-')) walk(join(dir, entry.name), `${rel}${entry.name}/`);
      } else if (entry.name.endsWith('.py')) out.push(`${rel}${entry.name}`);
    }
  };
  walk(PYTHON, '');
  return out;
}

/** Python standard library: module docstrings (prose) and up to 4 top-level def/class blocks per file (code). */
function pythonStdlibDocs(): Doc[] {
  const docs: Doc[] = [];
  for (const name of pythonFiles()) {
    const source = readFileSync(join(PYTHON, name), 'utf8');
    const docstring = /^(?:#.*\n|\s*\n)*[rRuU]?("""|''')([\s\S]*?)\1/.exec(source);
    if (docstring && docstring[2].trim().length >= 200) {
      docs.push({ text: docstring[2].trim().slice(0, 2000), source: `${name}#docstring`, functions: [] });
    }
    let taken = 0;
    for (const block of source.split(/\n(?=(?:def|class) )/).slice(1)) {
      if (block.trim().length < 200) continue;
      docs.push({ text: block.trim().slice(0, 2000), source: `${name}#block${taken}`, functions: [] });
      if (++taken >= 4) break;
    }
  }
  return docs;
}

/** Python language reference prose (pydoc_data/topics.py), paragraphs joined into chunks of 400+ characters. */
function pydocTopicDocs(): Doc[] {
  const source = readFileSync(join(PYTHON, 'pydoc_data', 'topics.py'), 'utf8');
  const topics: string[] = [];
  const literal = /'((?:[^'\\]|\\.)*)'(\s*:)?/g;
  for (let m = literal.exec(source); m; m = literal.exec(source)) {
    if (m[2]) topics.push('');
    else if (topics.length > 0) topics[topics.length - 1] += m[1].replace(/\\(n|'|"|\\)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  const docs: Doc[] = [];
  topics.forEach((topic, t) => {
    let current = '';
    for (const paragraph of topic.split(/\n\s*\n/)) {
      current = current ? `${current}\n\n${paragraph}` : paragraph;
      if (current.length >= 400) {
        docs.push({ text: current.slice(0, 2000), source: `pydoc_data/topics.py#${t}.${docs.length}`, functions: [] });
        current = '';
      }
    }
  });
  return docs;
}

const BFCL_FILES = ['BFCL_v4_simple_python.json', 'BFCL_v4_multiple.json', 'BFCL_v4_parallel.json', 'BFCL_v4_parallel_multiple.json'];
const GORILLA_API_FILES = ['huggingface_api.jsonl', 'tensorflowhub_api.jsonl', 'torchhub_api.jsonl'];
const APIBENCH_FILES = ['torchhub_train.json', 'torchhub_eval.json'];
// ---- end of loader

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
