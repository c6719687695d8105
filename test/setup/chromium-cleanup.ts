/**
 * Safety net for the browser project: when the Vitest process exits, any Chromium process that is
 * still a live descendant of it (only ones Playwright started for this run) is killed by its pid.
 *
 * Normally there is none: the Playwright provider closes the browser when the run ends, and the
 * crash handlers Chromium double-forks (reparented to init) exit with it. This catches the cases
 * where a run is cut short and the browser would otherwise outlive it. Linux only (/proc); a no-op
 * elsewhere.
 */
import { readFileSync, readdirSync } from 'node:fs';
import type { Plugin } from 'vitest/config';

interface ProcessEntry {
  pid: number;
  ppid: number;
  state: string;
  name: string;
}

function listProcesses(): ProcessEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const entries: ProcessEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const [state, ppid] = stat.slice(close + 2).split(' ');
      entries.push({ pid: Number(name), ppid: Number(ppid), state, name: comm });
    } catch {
      // The process ended while we looked.
    }
  }
  return entries;
}

/** Live (not zombie) Chromium processes below `root` in the process tree. */
export function chromiumDescendants(root: number = process.pid): number[] {
  const all = listProcesses();
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of all) {
    const list = children.get(entry.ppid) ?? [];
    list.push(entry);
    children.set(entry.ppid, list);
  }
  const found: number[] = [];
  const stack = [...(children.get(root) ?? [])];
  while (stack.length > 0) {
    const entry = stack.pop()!;
    if (entry.state !== 'Z' && /chrom/i.test(entry.name)) found.push(entry.pid);
    stack.push(...(children.get(entry.pid) ?? []));
  }
  return found;
}

let registered = false;

/** Vite/Vitest plugin that installs the exit-time cleanup once per Vitest process. */
export function chromiumCleanup(): Plugin {
  return {
    name: 'hephaestus:chromium-cleanup',
    configureVitest() {
      if (registered || process.platform !== 'linux') return;
      registered = true;
      process.on('exit', () => {
        const left = chromiumDescendants();
        for (const pid of left) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // Already gone.
          }
        }
        if (left.length > 0) {
          process.stderr.write(`vitest: killed ${left.length} leftover Chromium process(es): ${left.join(' ')}\n`);
        }
      });
    },
  };
}
