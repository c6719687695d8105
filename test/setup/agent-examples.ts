/**
 * Real agent and general examples for the classifier and retrieval tests: read at run time from
 * ../shared/data and Debian's Python standard library (never copied). The official formatters live in
 * src/data/formats.ts, which these tests deliberately do not depend on.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pythonStdlibDir } from '../../src/data/sources/node-lines.js';

const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const PYTHON = ((): string => {
  const dir = pythonStdlibDir();
  if (dir === undefined) throw new Error("these examples read Debian's Python standard library (/usr/lib/python3.X), which is missing");
  return dir;
})();

/** A document with the API / function names it is about (empty for general text). */
export interface Doc {
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
export function bfclDocs(file: string): Doc[] {
  return jsonLines<BfclEntry>(join(DATA, 'bfcl', file)).map((entry, i) => ({
    text: `Available tools:\n${entry.function.map((fn) => renderFunction(fn, i)).join('\n\n')}\n\n`
      + entry.question.flat().map((turn) => `${turn.role}: ${turn.content}`).join('\n'),
    source: `bfcl/${file}:${i + 1}`,
    functions: entry.function.map((fn) => fn.name),
  }));
}

/** BFCL user question alone: no tool, no call. */
export function bfclQuestions(file: string): Doc[] {
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
export function gorillaApiDocs(file: string): Doc[] {
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
export function apibenchDocs(file: string): Doc[] {
  return jsonLines<{ code: string; api_call: string }>(join(DATA, 'gorilla', 'apibench', file)).map((r, i) => ({
    text: r.code,
    source: `gorilla/apibench/${file}:${i + 1}`,
    functions: [r.api_call],
  }));
}

/** tinyshakespeare: consecutive speeches joined into chunks of at least 300 characters. */
export function shakespeareDocs(): Doc[] {
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
export function pythonStdlibDocs(): Doc[] {
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
export function pydocTopicDocs(): Doc[] {
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

export const BFCL_FILES = ['BFCL_v4_simple_python.json', 'BFCL_v4_multiple.json', 'BFCL_v4_parallel.json', 'BFCL_v4_parallel_multiple.json'];
export const GORILLA_API_FILES = ['huggingface_api.jsonl', 'tensorflowhub_api.jsonl', 'torchhub_api.jsonl'];
export const APIBENCH_FILES = ['torchhub_train.json', 'torchhub_eval.json'];
