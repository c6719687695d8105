import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-input-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each reader's error handling is tested in sources.test.ts; this is what a CLI user sees.
describe('the CLI prints the error, not a stack trace', () => {
  const run = async (args: string[]) => {
    const result = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', './scripts/register-tfjs-resolve.mjs', 'src/cli/cli.ts', ...args], {
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
