/**
 * The package's public surface: the declarations `tsc -p tsconfig.build.json` emits (here into a temporary
 * folder) name no type that no entry exports (scripts/check-public-types.mjs, also run by `npm run
 * build`), and the checker does find such a type in a planted declaration file. The subpath entries
 * re-export their folders' APIs (the Node build's entries are checked by identity).
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEntry } from '../setup/cli.js';
// @ts-expect-error: a plain JavaScript script without declarations
import { entryDeclarations, unexportedTypes } from '../../scripts/check-public-types.mjs';

interface Unexported {
  type: string;
  file: string;
  usedBy: string[];
}
const check = unexportedTypes as (declarations: string, entries: string[]) => Unexported[];
const entries = entryDeclarations as (declarations: string) => string[];

const root = join(import.meta.dirname, '..', '..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hephaestus-public-types-'));
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(dir, 'dist')], { cwd: root, encoding: 'utf8' });
  expect(tsc.status, tsc.stdout + tsc.stderr).toBe(0);
}, 300_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('public types', () => {
  it('package.json exports the root, /forge, /tokenizer, /kernels, /eval and /node, each with its declarations', () => {
    expect(entries(join(dir, 'dist')).map((file) => relative(join(dir, 'dist'), file))).toEqual(expect.arrayContaining([
      'index.d.ts', 'entries/forge.d.ts', 'entries/tokenizer.d.ts', 'entries/kernels.d.ts', 'entries/eval.d.ts', 'node.d.ts',
    ]));
  });

  it('every type an export refers to is exported by an entry', () => {
    const declarations = join(dir, 'dist');
    expect(check(declarations, entries(declarations))).toEqual([]);
  });

  it('the checker reports a referenced type no entry exports, and what it refers to in turn', async () => {
    const planted = join(dir, 'planted');
    await mkdir(planted);
    await writeFile(join(planted, 'index.d.ts'), "import type { Options } from './options.js';\nexport declare function run(options: Options): Result;\nexport interface Result { ok: boolean }\n");
    await writeFile(join(planted, 'options.d.ts'), 'export interface Options { retry: Retry }\ninterface Retry { times: number }\nexport {};\n');
    expect(check(planted, [join(planted, 'index.d.ts')])).toEqual([
      { type: 'Options', file: 'options.d.ts', usedBy: ['index.d.ts: run'] },
      { type: 'Retry', file: 'options.d.ts', usedBy: ['index.d.ts: run'] },
    ]);
  });

  it('the Node build\'s subpath entries are the root entry\'s modules (one copy of tfjs and of each class)', async () => {
    const built = dirname(await cliEntry());
    const load = async (name: string) => (await import(pathToFileURL(join(built, `${name}.js`)).href)) as Record<string, unknown>;
    const rootEntry = await load('index');
    for (const [name, probe] of [['forge', 'buildForge'], ['tokenizer', 'trainBpeTokenizer'], ['kernels', 'kernelsFor'], ['eval', 'checkOutputs']] as const) {
      const entry = await load(name);
      const shared = Object.keys(entry).filter((key) => key in rootEntry);
      expect(shared, name).toContain(probe);
      for (const key of shared) expect(entry[key], `${name}: ${key}`).toBe(rootEntry[key]);
    }
  }, 300_000);
});
