import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry, runCli, STACK_LINE, type CliResult } from '../setup/cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-cli-forge-'));
  await cliEntry();
}, 300_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A small build: the embedded sample, 20 code files, a 300-token vocabulary. */
const forge = (...more: string[]) => ['forge', '--code-files', '20', '--vocab-size', '300', ...more];

/** Bad input found before the corpus is built: exit 2, the message, no stack trace, no build phase. */
function expectRefusedBeforeBuild(result: CliResult, message: RegExp): void {
  expect(result.stderr).toMatch(message);
  expect(result.code).toBe(2);
  expect(result.stderr).not.toMatch(STACK_LINE);
  expect(result.stderr).not.toMatch(/^(read|tokenizer|dedup)\b/m);
}

describe('forge checks its inputs and outputs before building', () => {
  it('a missing --data-dir is named as missing; one without the shared data says so', async () => {
    expectRefusedBeforeBuild(await runCli(forge('--data-dir', join(dir, 'nonexistent'))), /--data-dir: no such folder: .*nonexistent/);
    const empty = join(dir, 'no-data');
    await mkdir(empty);
    const result = await runCli(forge('--data-dir', empty));
    expect(result.stderr).toMatch(/--data-dir: .*no-data holds none of the shared data files \(bfcl\/, gorilla\/, text\/; \d+ records unreadable\)/);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toMatch(/evalFraction/);
  });

  it('--export-jsonl into a missing folder, --export-shards onto a file or a folder of the user\'s', async () => {
    expectRefusedBeforeBuild(await runCli(forge('--export-jsonl', join(dir, 'missing', 'forge.jsonl'))), /--export-jsonl: cannot write .*forge.jsonl: no folder .*missing/);
    const file = join(dir, 'notes.txt');
    await writeFile(file, 'mine');
    expectRefusedBeforeBuild(await runCli(forge('--export-shards', file)), /--export-shards: .*notes.txt is a file, not a folder; nothing was changed/);
    expect(await readFile(file, 'utf8')).toBe('mine');
    const user = join(dir, 'user');
    await mkdir(user);
    await writeFile(join(user, 'model.bin'), 'weights of mine');
    expectRefusedBeforeBuild(await runCli(forge('--export-shards', user)), /--export-shards: .*user holds files that are not an export of ours \(model.bin\)/);
    expect(await readdir(user)).toEqual(['model.bin']);
  });

  it('builds and exports; --no-report leaves stdout empty; a second export replaces the first', async () => {
    const jsonl = join(dir, 'forge.jsonl');
    const shards = join(dir, 'shards');
    const reported = await runCli(forge('--export-jsonl', jsonl, '--export-shards', shards));
    expect(reported.code).toBe(0);
    expect(reported.stdout).toMatch(/stage2: \d+ documents, \d+ tokens/);
    const lines = (await readFile(jsonl, 'utf8')).trim().split('\n');
    expect(lines.length).toBeGreaterThan(10);
    expect(Object.keys(JSON.parse(lines[0]))).toEqual(['text', 'kind', 'source']);
    expect((await readdir(shards)).sort()).toEqual(['forge_train_000000.bin', 'tokenizer.json', 'tokenizer_config.json']);

    const quiet = await runCli(forge('--no-report', '--seed', '1', '--export-jsonl', jsonl, '--export-shards', shards));
    expect(quiet.code).toBe(0);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toMatch(/wrote \d+ documents to/);
    expect((await readFile(jsonl, 'utf8')).trim().split('\n')).not.toEqual(lines);
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    expect((await stat(join(shards, 'forge_train_000000.bin'))).size).toBeGreaterThan(0);
  }, 600_000);
});

describe('the corpus sources of forge and mix-search', () => {
  it('reads every file of ../shared/data (none skipped) and the Python standard library from their paths', async () => {
    const { loadCorpusSources } = await import('../../src/cli/corpus-sources.js');
    const lines: string[] = [];
    const data = join(import.meta.dirname, '..', '..', '..', 'shared', 'data');
    const documents = await loadCorpusSources({ dataDir: data, codeFiles: 20, textFiles: [], seed: 0 }, (line) => lines.push(line));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(new RegExp(`^read ${data}: \\d+ documents$`));
    // Some standard-library files are not valid UTF-8 or too long: skipped and counted, as the option asks.
    expect(lines[1]).toMatch(/^read code from \/usr\/lib\/python3\.\d+: \d+ documents/);
    for (const kind of ['tool_doc', 'trajectory', 'text', 'code'] as const) expect(documents.some((document) => document.kind === kind)).toBe(true);
  }, 120_000);
});
