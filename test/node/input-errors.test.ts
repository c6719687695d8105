import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry, runCli, STACK_LINE } from '../setup/cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-input-'));
  await cliEntry();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Each reader's error handling is tested in sources.test.ts; this is what a CLI user sees.
describe('the CLI prints the error, not a stack trace', () => {
  it.each([
    ['empty.txt', '', /empty\.txt: file is empty/],
    ['binary.txt', 'abc\n\0\x01\x02', /binary\.txt:2: binary file/],
    ['broken.jsonl', '{"text":"a"}\n{"text":"b"}\n{"text": oops\n', /broken\.jsonl:3: invalid JSON/],
  ])('train --data %s', async (name, content, message) => {
    const file = join(dir, name);
    await writeFile(file, content);
    const { code, stderr } = await runCli(['train', '--backend', 'cpu', '--data', file, '--out', join(dir, `run-${name}`)]);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('an unknown option and a bad number', async () => {
    const unknown = await runCli(['train', '--stpes', '5']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/--stpes/);
    const bad = await runCli(['train', '--backend', 'cpu', '--steps', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--steps: expects an integer, got "many"/);
    expect(bad.stderr).not.toMatch(STACK_LINE);
  });
});
