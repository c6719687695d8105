import { once } from 'node:events';
import { readFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CorpusDocument } from '../../src/data/document.js';
import {
  bfclCalls, loadBfclAnswers, readBfclAnswers, readBfclDocuments, readBfclQuestions,
} from '../../src/data/sources/bfcl.js';
import { readCodeDocuments } from '../../src/data/sources/code.js';
import {
  exampleCodeText, parseApibenchText, readApibenchDocuments, readApibenchRecords,
  readGorillaApiDocuments, readGorillaApiRecords,
} from '../../src/data/sources/gorilla.js';
import { readJsonlDocuments } from '../../src/data/sources/jsonl.js';
import { blobSource, readLines, streamSource, type SourceInput } from '../../src/data/sources/lines.js';
import { fileSource, pythonStdlibDir, walkFiles } from '../../src/data/sources/node-lines.js';
import { readSharedData, SHARED_DATA_FILES } from '../../src/data/sources/shared-data.js';
import { readAll, type RecordStream, type ReadStats } from '../../src/data/sources/stream.js';
import { readTextDocuments } from '../../src/data/sources/text.js';
import { validateCall, type ToolCall } from '../../src/tools/index.js';
import { AbortedError, ConfigError, InputError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

/** The shared reference data, relative to the repository root (never copied into the repository). */
const DATA = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
const MiB = 1024 * 1024;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-sources-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/**
 * BFCL ground truths that do not fit their own schema: a string parameter given a boolean (simple_python_307),
 * a parameter the function lacks (parallel_multiple_12, _26), a string for an array (_21), strings for integers (_94).
 */
const BFCL_GROUND_TRUTH_QUIRKS = ['simple_python_307', 'parallel_multiple_12', 'parallel_multiple_21', 'parallel_multiple_26', 'parallel_multiple_94'];

function kindCounts(documents: readonly CorpusDocument[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const document of documents) counts[document.kind] = (counts[document.kind] ?? 0) + 1;
  return counts;
}

function expectClean(stats: ReadStats): void {
  expect(stats.errors).toEqual([]);
  expect(stats.skipped).toBe(0);
}

/** The tool_call turns of a rendered chat. */
function toolCalls(text: string): ToolCall[] {
  return [...text.matchAll(/<\|tool_call\|>([\s\S]*?)<\|end\|>/g)].map((match) => JSON.parse(match[1]) as ToolCall);
}

describe('shared data: every file read with 0 errors and the documented counts', () => {
  it('every file under ../shared/data has a reader', async () => {
    const files: string[] = [];
    for await (const path of walkFiles(DATA)) files.push(relative(DATA, path));
    expect(files.sort()).toEqual(SHARED_DATA_FILES.map((file) => file.path).sort());
  });

  it.each(SHARED_DATA_FILES.filter((file) => file.reader === 'bfcl_questions'))('BFCL $path: $records questions', async (file) => {
    const answers = file.answers === undefined ? undefined : await loadBfclAnswers(join(DATA, file.answers), { openPath: fileSource, name: file.answers });
    if (file.answers !== undefined) expect(answers?.size).toBe(file.records);
    const questions = await readAll(readBfclQuestions(join(DATA, file.path), { openPath: fileSource, name: file.path }));
    expectClean(questions.stats);
    expect(questions.stats.read).toBe(file.records);
    expect(questions.items[0].source).toBe(`${file.path}:1`);
    const functions = questions.items.reduce((sum, question) => sum + question.functions.length, 0);

    const { items, stats } = await readAll(readBfclDocuments(join(DATA, file.path), { openPath: fileSource, name: file.path, answers }));
    expectClean(stats);
    expect(stats.read).toBe(file.records);
    expect(kindCounts(items)).toEqual({ instruction: file.records, tool_doc: functions });
    expect(stats.byFile).toEqual({ [file.path]: { read: file.records, skipped: 0, yielded: file.records as number + functions } });
    const instructions = items.filter((document) => document.kind === 'instruction');
    const invalid: string[] = [];
    instructions.forEach((document, i) => {
      const question = questions.items[i];
      expect(document.source).toBe(question.source);
      const calls = toolCalls(document.text);
      if (file.answers === undefined) {
        expect(calls).toEqual([]);
      } else {
        expect(calls).toEqual(bfclCalls(answers?.get(question.id)?.groundTruth ?? []));
        // The ground-truth calls are valid calls of the offered functions, but for a few quirks of BFCL's own data.
        for (const call of calls) {
          expect(question.functions.map((fn) => fn.name)).toContain(call.name);
          if (validateCall(question.functions, call) !== undefined) invalid.push(question.id);
        }
        if (file.path.includes('parallel')) expect(calls.length).toBeGreaterThanOrEqual(2);
      }
    });
    expect(invalid).toEqual(BFCL_GROUND_TRUTH_QUIRKS.filter((id) => file.path.endsWith(`_${id.replace(/_\d+$/, '')}.json`)));
  });

  it.each(SHARED_DATA_FILES.filter((file) => file.reader === 'bfcl_answers'))('BFCL answers $path: $records', async (file) => {
    const { items, stats } = await readAll(readBfclAnswers(join(DATA, file.path), { openPath: fileSource, name: file.path }));
    expectClean(stats);
    expect(items).toHaveLength(file.records as number);
  });

  it.each(SHARED_DATA_FILES.filter((file) => file.reader === 'gorilla_api'))('Gorilla API $path: $records records', async (file) => {
    const records = await readAll(readGorillaApiRecords(join(DATA, file.path), { openPath: fileSource, name: file.path }));
    expectClean(records.stats);
    expect(records.stats.read).toBe(file.records);
    const withCode = records.items.filter((entry) => exampleCodeText(entry.record.example_code) !== undefined).length;
    const { items, stats } = await readAll(readGorillaApiDocuments(join(DATA, file.path), { openPath: fileSource, name: file.path }));
    expectClean(stats);
    expect(kindCounts(items)).toEqual({ tool_doc: file.records, code: withCode });
    console.info(`${file.path}: ${file.records} records -> ${file.records} tool docs + ${withCode} code documents`);
    for (const document of items) {
      expect(document.source).toMatch(new RegExp(`^${file.path.replace(/\./g, '\\.')}:\\d+$`));
      expect(document.functions).toHaveLength(1);
      expect(document.text.trim()).not.toBe('');
    }
  });

  it.each(SHARED_DATA_FILES.filter((file) => file.reader === 'apibench'))('APIBench $path: $records records', async (file) => {
    const records = await readAll(readApibenchRecords(join(DATA, file.path), { openPath: fileSource, name: file.path }));
    expectClean(records.stats);
    expect(records.stats.read).toBe(file.records);
    const parsedCalls = records.items.filter((record) => record.call !== undefined).length;
    expect(parsedCalls).toBeGreaterThan((file.records as number) * 0.85);
    for (const record of records.items) {
      expect(record.instruction.length).toBeGreaterThan(10);
      expect(record.instruction).not.toMatch(/^(###|\{'Instruction)/);
      if (record.call !== undefined) expect(record.call.name).toBe('torch.hub.load');
    }
    const { items, stats } = await readAll(readApibenchDocuments(join(DATA, file.path), { openPath: fileSource, name: file.path }));
    expectClean(stats);
    expect(kindCounts(items)).toEqual({ trajectory: file.records, instruction: file.records });
    console.info(`${file.path}: ${file.records} records, ${parsedCalls} calls as JSON, ${records.items.filter((record) => record.explanation !== undefined).length} with an explanation`);
  });

  it('tinyshakespeare: text documents of at most maxChars holding every paragraph, in order', async () => {
    const path = join(DATA, 'text', 'tinyshakespeare.txt');
    const { items, stats } = await readAll(readTextDocuments(path, { openPath: fileSource, name: 'text/tinyshakespeare.txt', maxChars: 4096 }));
    expectClean(stats);
    expect(stats.read).toBe(items.length);
    expect(items.every((document) => document.kind === 'text' && document.text.length <= 4096)).toBe(true);
    expect(items[0].source).toBe('text/tinyshakespeare.txt:1');
    const original = await readFile(path, 'utf8');
    expect(items.map((document) => document.text).join('\n\n')).toBe(original.trim().replace(/\n{3,}/g, '\n\n'));
    const paragraphs = await readAll(readTextDocuments(path, { openPath: fileSource, split: 'paragraph' }));
    expect(paragraphs.items.length).toBe(original.trim().split(/\n\s*\n/).length);
    console.info(`tinyshakespeare: ${items.length} chunks of <= 4096 chars, ${paragraphs.items.length} paragraphs`);
  });

  it('README and licence read as text too; readSharedData reads the whole set', async () => {
    for (const file of SHARED_DATA_FILES.filter((entry) => !entry.corpus)) {
      const { items, stats } = await readAll(readTextDocuments(join(DATA, file.path), { openPath: fileSource, name: file.path }));
      expectClean(stats);
      expect(items.length).toBeGreaterThan(0);
    }
    const started = performance.now();
    const stream = readSharedData(DATA, { openPath: fileSource, onError: 'skip' });
    const { items, stats } = await readAll(stream);
    const seconds = (performance.now() - started) / 1000;
    expectClean(stats);
    for (const file of SHARED_DATA_FILES.filter((entry) => entry.corpus && entry.records !== undefined)) {
      expect(stats.byFile[file.path]?.read, file.path).toBe(file.records);
    }
    for (const document of items) expect(document.source).toMatch(/^(bfcl|gorilla|text)\/[\w./]+:\d+$/);
    console.info(`readSharedData: ${items.length} documents ${JSON.stringify(kindCounts(items))} in ${seconds.toFixed(2)} s`);
  });
});

describe('parsers of the Gorilla fields', () => {
  it('APIBench text in both layouts', () => {
    expect(parseApibenchText("###Instruction: Classify this.\n###Output: {'domain': 'D', 'api_call': 'x', 'api_provider': 'PyTorch', 'explanation': 'Because.', 'code': 'import torch'}\n"))
      .toEqual({ instruction: 'Classify this.', explanation: 'Because.', code: 'import torch' });
    expect(parseApibenchText(`{'Instruction': "Find depth.", 'Output': {'domain': 'D', 'api_call': "m = f()", 'api_provider': 'PyTorch', 'explanation': "Load it.", 'code': 'import torch\nm = f()'}}`))
      .toEqual({ instruction: 'Find depth.', explanation: 'Load it.', code: 'import torch\nm = f()' });
  });

  it('BFCL ground truth -> concrete calls: first acceptable value, "" means leave out, nested dicts resolved', () => {
    expect(bfclCalls([
      { 'realestate.find_properties': { location: ['SD', 'San Diego'], bedrooms: [3], budget: [{ min: [300000], max: [400000] }], pool: ['', true], note: [''] } },
      { f: { x: [[1, 2]] } },
    ])).toEqual([
      { name: 'realestate.find_properties', arguments: { location: 'SD', bedrooms: 3, budget: { min: 300000, max: 400000 }, pool: true } },
      { name: 'f', arguments: { x: [1, 2] } },
    ]);
  });
});

/** Writes `content` to a temp file and returns its path. */
async function temp(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

async function rejection(stream: RecordStream<unknown>): Promise<InputError> {
  try {
    await readAll(stream);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return error as InputError;
  }
  throw new Error('expected the read to throw');
}

describe('malformed input: reported with file and line, skipped or thrown', () => {
  const encoder = new TextEncoder();

  it('JSONL: broken JSON, non-object, missing field, bad kind, invalid UTF-8 and a NUL byte on their lines', async () => {
    const bytes = new Uint8Array([
      ...encoder.encode('{"text":"one"}\n\n{"text": two}\n{"title":"x"}\n[1]\n{"text":"t","kind":"poem"}\n'),
      ...encoder.encode('{"text":"caf'), 0xc3, 0x28, ...encoder.encode('"}\n'),
      ...encoder.encode('{"text":"ok","kind":"code","functions":["f"]}\r\n'),
      ...encoder.encode(`${'{"text":"padding"}\n'.repeat(500)}`),
      ...encoder.encode('{"text":"nul'), 0, ...encoder.encode('"}\n'),
      ...encoder.encode('{"text":"last"}'),
    ]);
    const path = await temp('broken.jsonl', bytes);
    const skip = readJsonlDocuments(path, { openPath: fileSource, onError: 'skip', name: 'broken.jsonl' });
    const { items, stats } = await readAll(skip);
    expect(items.map((document) => document.text).filter((text) => text !== 'padding')).toEqual(['one', 'ok', 'last']);
    expect(items[1]).toEqual({ kind: 'code', source: 'broken.jsonl:8', text: 'ok', functions: ['f'] });
    expect(stats.read).toBe(503);
    expect(stats.skipped).toBe(6);
    expect(stats.errors).toEqual([
      { file: 'broken.jsonl', line: 3, reason: expect.stringMatching(/^invalid JSON/) },
      { file: 'broken.jsonl', line: 4, reason: 'missing string field "text"' },
      { file: 'broken.jsonl', line: 5, reason: 'expected a JSON object' },
      { file: 'broken.jsonl', line: 6, reason: expect.stringMatching(/^field "kind" must be one of/) },
      { file: 'broken.jsonl', line: 7, reason: 'not valid UTF-8 text (binary data?)' },
      { file: 'broken.jsonl', line: 509, reason: 'NUL byte (binary data); expected UTF-8 text' },
    ]);
    expect(stats.byFile).toEqual({ 'broken.jsonl': { read: 503, skipped: 6, yielded: 503 } });

    const error = await rejection(readJsonlDocuments(path, { openPath: fileSource }));
    expect(error.message).toMatch(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: invalid JSON`));
    expect(error.line).toBe(3);
    expect(error.code).toBe('INPUT');
  });

  it('a binary file is rejected as a whole, on the line of its first NUL byte (PNG header: line 3)', async () => {
    const path = await temp('image.png', new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, 0x49, 0x48]));
    const { items, stats } = await readAll(readJsonlDocuments(path, { openPath: fileSource, onError: 'skip', name: 'image.png' }));
    expect(items).toEqual([]);
    expect(stats).toMatchObject({ read: 0, skipped: 1, errors: [{ file: 'image.png', line: 3, reason: 'binary file (NUL byte); expected UTF-8 text' }] });
    expect((await rejection(readTextDocuments(path, { openPath: fileSource, name: 'image.png' }))).message).toBe('image.png:3: binary file (NUL byte); expected UTF-8 text');
    expect((await rejection(readCodeDocuments(path, { openPath: fileSource, name: 'image.png' }))).line).toBe(3);
  });

  it('invalid UTF-8 in a text or code file, an empty file, a missing file', async () => {
    const text = await temp('latin1.txt', new Uint8Array([...encoder.encode('fine\n\nna'), 0xef, 0x76, ...encoder.encode('e\nmore\n')]));
    const skipped = await readAll(readTextDocuments(text, { openPath: fileSource, onError: 'skip', name: 'latin1.txt', split: 'paragraph' }));
    expect(skipped.items.map((document) => [document.source, document.text])).toEqual([['latin1.txt:1', 'fine'], ['latin1.txt:4', 'more']]);
    expect(skipped.stats.errors).toEqual([{ file: 'latin1.txt', line: 3, reason: 'not valid UTF-8 text (binary data?)' }]);
    expect((await rejection(readTextDocuments(text, { openPath: fileSource, name: 'latin1.txt' }))).message).toBe('latin1.txt:3: not valid UTF-8 text (binary data?)');
    // A code file is one record: a bad line rejects the file once.
    const code = await readAll(readCodeDocuments(text, { openPath: fileSource, onError: 'skip', name: 'latin1.txt' }));
    expect(code.stats).toMatchObject({ read: 0, skipped: 1 });

    const empty = await temp('empty.jsonl', '');
    const missing = join(dir, 'missing.jsonl');
    const many = await readAll(readCodeDocuments([empty, missing, text], { openPath: fileSource, onError: 'skip' }));
    expect(many.stats.errors).toEqual([
      { file: empty, reason: 'file is empty' },
      { file: missing, reason: expect.stringMatching(/^cannot read \(ENOENT/) },
      { file: text, line: 3, reason: 'not valid UTF-8 text (binary data?)' },
    ]);
    expect((await rejection(readJsonlDocuments(missing, { openPath: fileSource }))).message).toMatch(/missing\.jsonl: cannot read \(ENOENT/);
  });

  it('malformed records of the shared-data readers, and a capped error list with counts', async () => {
    const lines = (await readFile(join(DATA, 'bfcl', 'BFCL_v4_simple_python.json'), 'utf8')).split('\n').slice(0, 5);
    lines.splice(2, 0, '{"id": "x", "question": [[{"role": "user"}]], "function": []}', '{"id": "y", "question": [], "function": [{"name": "f"}]}', '{"id": "z"');
    const path = await temp('bfcl.json', lines.join('\n'));
    const { items, stats } = await readAll(readBfclQuestions(path, { openPath: fileSource, onError: 'skip', name: 'bfcl.json', maxErrors: 2 }));
    expect(items.map((question) => question.source)).toEqual(['bfcl.json:1', 'bfcl.json:2', 'bfcl.json:6', 'bfcl.json:7', 'bfcl.json:8']);
    expect(stats.skipped).toBe(3);
    expect(stats.errors).toEqual([
      { file: 'bfcl.json', line: 3, reason: '"question" messages must be objects with string "role" and "content"' },
      { file: 'bfcl.json', line: 4, reason: 'function[0]: function "f": "description" must be a string' },
    ]);
    expect(stats.errorsOmitted).toBe(1);
    expect((await rejection(readBfclQuestions(path, { openPath: fileSource, name: 'bfcl.json' }))).message).toBe('bfcl.json:3: "question" messages must be objects with string "role" and "content"');

    const api = await temp('api.jsonl', '{"api_name": "m", "api_call": "f()", "example_code": ["a", "b"]}\n{"api_call": "g()"}\n');
    const apiDocs = await readAll(readGorillaApiDocuments(api, { openPath: fileSource, onError: 'skip', name: 'api.jsonl' }));
    expect(kindCounts(apiDocs.items)).toEqual({ tool_doc: 1, code: 1 });
    expect(apiDocs.items[1].text).toBe('a\nb');
    expect(apiDocs.stats.errors).toEqual([{ file: 'api.jsonl', line: 2, reason: 'missing string field "api_name"' }]);
  });

  it('an overlong line is an error on its line and memory is not spent on it', async () => {
    const path = await temp('long.jsonl', `{"text":"a"}\n{"text":"${'x'.repeat(5000)}"}\n{"text":"c"}\n`);
    const { items, stats } = await readAll(readJsonlDocuments(path, { openPath: fileSource, onError: 'skip', name: 'long.jsonl', maxLineBytes: 1000 }));
    expect(items.map((document) => document.text)).toEqual(['a', 'c']);
    expect(stats.errors).toEqual([{ file: 'long.jsonl', line: 2, reason: 'line longer than 1000 bytes' }]);
  });
});

describe('user files', () => {
  it('JSONL with another text field, a default kind, kinds ignored', async () => {
    const path = await temp('user.jsonl', '{"body":"a","kind":"code"}\n{"body":"b"}\n');
    const { items } = await readAll(readJsonlDocuments(path, { openPath: fileSource, field: 'body', kind: 'trajectory', name: 'user.jsonl' }));
    expect(items).toEqual([
      { kind: 'code', source: 'user.jsonl:1', text: 'a' },
      { kind: 'trajectory', source: 'user.jsonl:2', text: 'b' },
    ]);
    const plain = await readAll(readJsonlDocuments(path, { openPath: fileSource, field: 'body', kindField: null }));
    expect(plain.items.map((document) => document.kind)).toEqual(['text', 'text']);
  });

  it('plain text: chunk, paragraph and whole modes; a long line is cut at maxChars', async () => {
    const path = await temp('notes.txt', 'one\ntwo\n\n\nthree\n\nfour four four four\n' + 'x'.repeat(25) + '\n');
    const read = async (options: Parameters<typeof readTextDocuments>[1]): Promise<[string, string][]> =>
      (await readAll(readTextDocuments(path, { openPath: fileSource, name: 'notes.txt', ...options }))).items.map((document) => [document.source, document.text]);
    expect(await read({ maxChars: 20 })).toEqual([
      ['notes.txt:1', 'one\ntwo\n\nthree'], ['notes.txt:7', 'four four four four'],
      ['notes.txt:8', 'x'.repeat(20)], ['notes.txt:8', 'x'.repeat(5)],
    ]);
    expect(await read({ split: 'paragraph' })).toEqual([
      ['notes.txt:1', 'one\ntwo'], ['notes.txt:5', 'three'], ['notes.txt:7', `four four four four\n${'x'.repeat(25)}`],
    ]);
    expect(await read({ split: 'whole' })).toEqual([['notes.txt:1', `one\ntwo\n\n\nthree\n\nfour four four four\n${'x'.repeat(25)}`]]);
  });
});

describe('one line reader for paths, Files/Blobs, streams and URLs', () => {
  const encoder = new TextEncoder();

  it('lines split across chunks of any size: multi-byte characters, CRLF, BOM, no final newline', async () => {
    const text = '\uFEFFfirst line\r\ncafé ☕ 𝄞\n\nlast';
    const bytes = encoder.encode(text);
    const expected = [
      { line: 1, text: 'first line' }, { line: 2, text: 'café ☕ 𝄞' }, { line: 3, text: '' }, { line: 4, text: 'last' },
    ];
    for (const size of [1, 2, 3, 5, 7, 64]) {
      const source = streamSource('chunks', async function* () {
        for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
      });
      const lines = [];
      for await (const line of readLines(source)) lines.push(line);
      expect(lines, `chunk size ${size}`).toEqual(expected);
    }
  });

  it('the same documents from a path, a File, a ReadableStream, a data: URL and an http URL', async () => {
    const rel = 'bfcl/BFCL_v4_parallel.json';
    const path = join(DATA, rel);
    const bytes = await readFile(path);
    const server: Server = createServer((request, response) => {
      if (request.url === '/data.json') response.end(bytes);
      else {
        response.statusCode = 404;
        response.end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    try {
      const inputs: [string, SourceInput][] = [
        ['path', path],
        ['fileSource', fileSource(path, rel)],
        ['File', new File([bytes], 'BFCL_v4_parallel.json')],
        ['Blob', blobSource(new Blob([bytes]), rel)],
        ['ReadableStream', streamSource(rel, () => new Blob([bytes]).stream())],
        ['data: URL', `data:application/json;base64,${bytes.toString('base64')}`],
        ['http URL', new URL(`http://127.0.0.1:${port}/data.json`)],
      ];
      for (const [label, input] of inputs) {
        const { items, stats } = await readAll(readBfclQuestions(input, { openPath: fileSource, name: rel }));
        expectClean(stats);
        expect(items, label).toHaveLength(200);
        expect(items[199].source).toBe(`${rel}:200`);
      }
      const notFound = await rejection(readBfclQuestions(`http://127.0.0.1:${port}/nope.json`));
      expect(notFound.message).toMatch(/nope\.json: cannot fetch \(HTTP 404/);
      // A path is opened only by the opener the caller passes: there is no global one.
      // Its absence is the caller's mistake, never a skipped "malformed" file.
      for (const onError of ['throw', 'skip'] as const) {
        const noOpener = await readAll(readBfclQuestions(path, { onError })).then(() => undefined, (error: unknown) => error);
        expect(noOpener).toBeInstanceOf(ConfigError);
        expect((noOpener as ConfigError).field).toBe('openPath');
        expect((noOpener as ConfigError).message).toContain(`${path} is a file path, which needs the option openPath`);
      }
    } finally {
      server.close();
    }
  });

  it('stops on an AbortSignal', async () => {
    const controller = new AbortController();
    const stream = readTextDocuments(join(DATA, 'text', 'tinyshakespeare.txt'), { openPath: fileSource, split: 'paragraph', signal: controller.signal });
    let count = 0;
    await expect((async () => {
      for await (const document of stream) {
        expect(document.kind).toBe('text');
        count += 1;
        if (count === 10) controller.abort();
      }
    })()).rejects.toBeInstanceOf(AbortedError);
    expect(count).toBe(10);
  });

  it('code files: the Python standard library and JavaScript packages, one code document each', async () => {
    const python = pythonStdlibDir();
    const roots = [join(import.meta.dirname, '..', '..', 'node_modules', 'comlink', 'dist', 'esm')];
    if (python !== undefined) roots.push(join(python, 'json'));
    for (const root of roots) {
      const files: string[] = [];
      for await (const path of walkFiles(root, { extensions: ['.py', '.js', '.mjs'], limit: 20 })) files.push(path);
      expect(files.length, root).toBeGreaterThan(0);
      const { items, stats } = await readAll(readCodeDocuments(files, { openPath: fileSource, onError: 'skip' }));
      expectClean(stats);
      expect(items).toHaveLength(files.length);
      for (const [i, document] of items.entries()) {
        expect(document).toMatchObject({ kind: 'code', source: `${files[i]}:1`, functions: [] });
        expect(document.text).toBe((await readFile(files[i], 'utf8')).replace(/\r\n/g, '\n').replace(/\n$/, ''));
      }
    }
  });
});

describe('streaming memory', () => {
  it('reads ahead of its consumer by at most one chunk and a line (32 MiB generated, 64 KiB chunks)', async () => {
    // A structural bound, not a measurement: the source counts the bytes it was asked for, and at every
    // document the reader may hold only the bytes of the current chunk that were not yet handed out.
    // A reader that slurped the input (or buffered documents) would be megabytes ahead. The whole-process
    // memory run (a 640 MiB file, live heap and RSS against a 64 MiB budget) is in npm run bench.
    const chunkBytes = 64 * 1024;
    const total = 32 * MiB;
    const rng = new Rng(9);
    const lines = Array.from({ length: 997 }, (_, i) => `${JSON.stringify({ text: `${i} ${'tool call '.repeat(1 + rng.int(120))}` })}\n`);
    const longest = Math.max(...lines.map((line) => line.length));
    let produced = 0;
    let consumed = 0;
    let ahead = 0;
    let count = 0;
    const source = streamSource('generated.jsonl', async function* () {
      let line = 0;
      while (produced < total) {
        let chunk = '';
        while (chunk.length < chunkBytes) chunk += lines[line++ % lines.length];
        produced += chunk.length; // ASCII: characters are bytes
        yield new TextEncoder().encode(chunk);
      }
    });
    for await (const document of readJsonlDocuments(source)) {
      consumed += JSON.stringify({ text: document.text }).length + 1;
      count += 1;
      ahead = Math.max(ahead, produced - consumed);
    }
    console.info(`streamed ${(produced / MiB).toFixed(0)} MiB (${count} documents): at most ${ahead} bytes read ahead `
      + `(bound ${chunkBytes + 2 * longest}: one ${chunkBytes}-byte chunk and a line)`);
    expect(consumed).toBe(produced);
    expect(count).toBeGreaterThan(40_000);
    expect(ahead).toBeLessThanOrEqual(chunkBytes + 2 * longest);
    expect(ahead).toBeGreaterThan(0);
  });
});
