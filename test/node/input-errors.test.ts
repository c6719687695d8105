import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readDocumentsFile } from '../../src/data/node-files.js';
import { decodeTextFile, parseJsonl } from '../../src/data/parse.js';
import { InputError } from '../../src/util/errors.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('malformed input is reported with file and line', () => {
  it('empty file', () => {
    expect(() => decodeTextFile(new Uint8Array(0), 'a.txt')).toThrow('a.txt: file is empty');
  });

  it('binary file: NUL byte and invalid UTF-8, with the line they are on', () => {
    const nul = new TextEncoder().encode('line one\nline two\nthree\0');
    expect(() => decodeTextFile(nul, 'b.bin')).toThrow('b.bin:3: binary file');
    const invalid = new Uint8Array([...new TextEncoder().encode('ok\nok\nok\nbad '), 0xff, 0xfe, 0x41]);
    expect(() => decodeTextFile(invalid, 'c.txt')).toThrow('c.txt:4: not valid UTF-8');
  });

  it('JSONL with a broken line: throws naming the line, or skips and reports it', () => {
    const content = '{"text":"one"}\n\n{"text": two}\n{"title":"x"}\n[1]\n{"text":"five"}\n';
    expect(() => parseJsonl(content, 'd.jsonl')).toThrow(InputError);
    expect(() => parseJsonl(content, 'd.jsonl')).toThrow(/^d\.jsonl:3: invalid JSON/);
    const lenient = parseJsonl(content, 'd.jsonl', { onError: 'skip' });
    expect(lenient.texts).toEqual(['one', 'five']);
    expect(lenient.skipped.map((s) => s.line)).toEqual([3, 4, 5]);
    expect(lenient.skipped[1].reason).toBe('missing string field "text"');
  });

  it('a missing file names the path', async () => {
    await expect(readDocumentsFile(join(dir, 'missing.txt'))).rejects.toThrow(/missing\.txt: cannot read file \(ENOENT\)/);
  });
});

describe('the CLI prints the error, not a stack trace', () => {
  const run = async (args: string[]) => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/node/cli.ts', ...args], {
      cwd: join(import.meta.dirname, '..', '..'),
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    return result;
  };

  it.each([
    ['empty.txt', '', /empty\.txt: file is empty/],
    ['binary.txt', 'abc\n\0\x01\x02', /binary\.txt:2: binary file/],
    ['broken.jsonl', '{"text":"a"}\n{"text":"b"}\n{"text": oops\n', /broken\.jsonl:3: invalid JSON/],
  ])('train --data %s', async (name, content, message) => {
    const file = join(dir, name);
    await writeFile(file, content);
    const { code, stderr } = await run(['train', '--backend', 'cpu', '--data', file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('an unknown option and a bad number', async () => {
    const unknown = await run(['train', '--stpes', '5']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--stpes/);
    const bad = await run(['train', '--backend', 'cpu', '--steps', 'many']);
    expect(bad.stderr).toMatch(/--steps expects an integer, got "many"/);
    expect(bad.stderr).not.toMatch(/^\s+at /m);
  });
});
