/**
 * A vitest browser command (runs in Node, called from the page): writes a run folder the page exported,
 * trains it with python/hephaestus_torch as one process, and hands back the checkpoint PyTorch wrote and
 * its benchmark loss, so that the page can import them. Files travel as base64.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserCommand } from 'vitest/node';
import { readTorchCheckpoint, writeRunDir } from '../../src/recipe/node-run-dir.js';

/** What {@link trainWithTorch} returns to the page. */
export interface TorchResult {
  code: number | null;
  output: string;
  /** The newest checkpoint's files, base64. */
  checkpoint: Record<string, string>;
  /** The last benchmark loss PyTorch measured. */
  benchmarkLoss: number;
}

export const trainWithTorch: BrowserCommand<[files: Record<string, string>, args: string[]], TorchResult> = async (_context, files, args) => {
  const dir = mkdtempSync(join(tmpdir(), 'hephaestus-page-run-'));
  try {
    const runDir = join(dir, 'run');
    await writeRunDir(runDir, (async function* () {
      for (const [path, base64] of Object.entries(files)) yield { path, bytes: new Uint8Array(Buffer.from(base64, 'base64')) };
    })());
    const run = spawnSync('/usr/bin/python3', ['-m', 'hephaestus_torch.train', '.', '--out', 'out', ...args], {
      cwd: runDir, encoding: 'utf8', timeout: 300_000, env: { ...process.env, OMP_NUM_THREADS: '1' },
    });
    const output = `${run.stdout}${run.stderr}${run.error ? String(run.error) : ''}`;
    if (run.status !== 0) return { code: run.status, output, checkpoint: {}, benchmarkLoss: NaN };
    const { files: saved } = await readTorchCheckpoint(join(runDir, 'out'));
    const metrics = readFileSync(join(runDir, 'out', 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { benchmarkLoss?: number });
    const checkpoint = Object.fromEntries([...saved].map(([name, bytes]) => [name, Buffer.from(bytes).toString('base64')]));
    return { code: run.status, output, checkpoint, benchmarkLoss: metrics.filter((m) => m.benchmarkLoss !== undefined).at(-1)!.benchmarkLoss! };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

declare module 'vitest/browser' {
  interface BrowserCommands {
    trainWithTorch: (files: Record<string, string>, args: string[]) => Promise<TorchResult>;
  }
}
