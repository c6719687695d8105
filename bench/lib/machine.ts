/** What the results were measured on: the header of BENCHMARKS.md. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  node: string;
  commit: string;
  date: string;
  loadAtStart: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    return line ? line.split(':').slice(1).join(':').trim() : 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

function gitCommit(): string {
  try {
    const hash = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${hash} (with uncommitted changes)` : hash;
  } catch {
    return 'unknown';
  }
}

export function loadAverage(): string {
  return loadavg().map((x) => x.toFixed(2)).join(' / ');
}

export function machineInfo(): MachineInfo {
  return {
    cores: availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    commit: gitCommit(),
    date: new Date().toISOString().replace('T', ' ').slice(0, 16) + ' UTC',
    loadAtStart: loadAverage(),
  };
}
