/**
 * Node test helpers for the PyTorch side: run `hephaestus_torch.train` under Debian's torchrun (or as one
 * plain process), read its metrics, and kill a whole run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
export const TORCHRUN = '/usr/bin/torchrun';

/** Fails with the install hint when Debian's python3-torch (torch, numpy, torchrun) is missing. */
export function checkTorch(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy, torch.distributed'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0 || !existsSync(TORCHRUN)) {
    throw new Error(`the scale-out tests need ${PYTHON} with torch and numpy and ${TORCHRUN} (Debian: apt-get install python3-torch): ` +
      `${probe.error?.message ?? probe.stderr.trim()}`);
  }
}

/** A free TCP port on 127.0.0.1 for torchrun's static rendezvous (never the fixed port of --standalone). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Outcome of a trainer run. */
export interface TorchRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** A running trainer: its process group id, and a promise of its outcome. */
export interface TorchProcess {
  pid: number;
  done: Promise<TorchRun>;
}

/** How long a trainer run may take before the helper kills it: the runs here take 10-60 s. */
const RUN_DEADLINE_MS = 300_000;

/**
 * Starts `torchrun --nproc_per_node=N -m hephaestus_torch.train RUN_DIR ...args` in the run folder (its own
 * process group, so that a test can kill the whole run), or with `processes: 0` the trainer as one plain
 * Python process. `--redirects 1 --tee 1`: Debian's torchrun 1.13 on Python 3.11 fails with its defaults.
 * Gloo is pinned to the loopback interface, so the host name's address never matters. A run still alive
 * after `deadlineMs` is killed (its output then says so), so a hang fails its test with the output instead
 * of outliving the test's timeout.
 */
export async function startTrainer(runDir: string, args: string[],
  options: { processes: number; env?: Record<string, string>; deadlineMs?: number }): Promise<TorchProcess> {
  const trainer = ['-m', 'hephaestus_torch.train', '.', ...args];
  const command = options.processes === 0
    ? [PYTHON, trainer]
    : [TORCHRUN, [`--nproc_per_node=${options.processes}`, '--nnodes=1', '--master_addr=127.0.0.1', `--master_port=${await freePort()}`,
      '--redirects', '1', '--tee', '1', ...trainer]];
  const child = spawn(command[0] as string, command[1] as string[], {
    cwd: runDir, detached: true, env: { ...process.env, OMP_NUM_THREADS: '1', GLOO_SOCKET_IFNAME: 'lo', ...options.env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadlineMs = options.deadlineMs ?? RUN_DEADLINE_MS;
  const deadline = setTimeout(() => {
    output += `\n[test helper] still running after ${deadlineMs / 1000} s: the process group was killed\n`;
    killGroup(child.pid!);
  }, deadlineMs);
  const done = new Promise<TorchRun>((resolve) => {
    // 'close' waits for the output pipes too; a grandchild that keeps them open must not hang the test.
    child.once('exit', (code, signal) => {
      clearTimeout(deadline);
      setTimeout(() => resolve({ code, signal, output }), 10_000).unref();
    });
    child.once('close', (code, signal) => resolve({ code, signal, output }));
  });
  return { pid: child.pid!, done };
}

/** SIGKILL to a run's whole process group (torchrun and its workers); a group already gone is fine. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/** Runs the trainer to its end. */
export async function runTrainer(runDir: string, args: string[], options: { processes: number; env?: Record<string, string> }): Promise<TorchRun> {
  return (await startTrainer(runDir, args, options)).done;
}

/** One line of the trainer's metrics.jsonl. */
export interface StepRecord {
  stageIndex: number;
  stage: string;
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  skipped: boolean;
  row: number;
  optimizerStep: number;
  weightDigests?: string[];
  benchmarkLoss?: number;
}

/** The records of `out/metrics.jsonl`: training steps and benchmark evaluations. */
export function readMetrics(outDir: string): { steps: StepRecord[]; evaluations: StepRecord[] } {
  const records = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as StepRecord);
  return { steps: records.filter((r) => r.loss !== undefined), evaluations: records.filter((r) => r.benchmarkLoss !== undefined) };
}

/** Relative difference |a - b| / |b|. */
export function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.abs(b);
}
