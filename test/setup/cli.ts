/**
 * The CLI as users run it, for tests that spawn it: the Node build of src/cli/cli.ts (`vite build --mode
 * node`), made once per state of the sources and cached under node_modules/.cache/hephaestus-web-cli/.
 * A spawn of the build starts in about half a second; tsx needs several seconds per process to load
 * tfjs from source, which dozens of spawns (and the kill tests) cannot afford.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const cacheDir = join(root, 'node_modules', '.cache', 'hephaestus-web-cli');

let entry: Promise<string> | undefined;

/** Path of the built `cli.js` for the current sources (built now when missing). */
export function cliEntry(): Promise<string> {
  entry ??= buildOnce();
  return entry;
}

async function sourceHash(): Promise<string> {
  const hash = createHash('sha256');
  const files = [...await walk(join(root, 'src')), ...['vite.config.ts', 'package.json', 'package-lock.json'].map((name) => join(root, name))];
  for (const file of files.sort()) {
    hash.update(relative(root, file)).update('\0').update(await readFile(file)).update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

async function walk(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const item of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, item.name);
    if (item.isDirectory()) files.push(...await walk(path));
    else files.push(path);
  }
  return files;
}

/** Builds into a private folder and renames it into place; a concurrent builder waits for the first. */
async function buildOnce(): Promise<string> {
  const hash = await sourceHash();
  const target = join(cacheDir, hash);
  const built = join(target, 'cli.js');
  if (existsSync(built)) return built;
  await mkdir(cacheDir, { recursive: true });
  const lock = join(cacheDir, `${hash}.lock`);
  const locked = await mkdir(lock).then(() => true, () => false);
  if (!locked) {
    const since = Date.now();
    while (!existsSync(built)) {
      const age = Date.now() - (await stat(lock).then((info) => info.mtimeMs, () => 0));
      if (age > 300_000 || Date.now() - since > 300_000) break; // the other builder died: build here
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    if (existsSync(built)) return built;
  }
  const staging = join(cacheDir, `${hash}.${process.pid}.tmp`);
  try {
    await run(process.execPath, [join(root, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--mode', 'node', '--outDir', staging, '--emptyOutDir', '--logLevel', 'warn']);
    await rename(staging, target).catch(async () => rm(staging, { recursive: true, force: true }));
    // Builds of earlier sources go once they are a day old (a test run may still use a recent one).
    for (const name of await readdir(cacheDir)) {
      const age = Date.now() - (await stat(join(cacheDir, name)).then((info) => info.mtimeMs, () => Date.now()));
      if (name !== hash && age > 86_400_000) await rm(join(cacheDir, name), { recursive: true, force: true });
    }
  } finally {
    await rm(lock, { recursive: true, force: true });
  }
  return built;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`vite build failed (${code}): ${stderr}`))));
  });
}

/** What a finished CLI process left. */
export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Options of {@link spawnCli} and {@link runCli}. */
export interface CliOptions {
  cwd?: string;
  /** Added to the test process's environment. */
  env?: Record<string, string>;
}

/** A running CLI process, its output so far, and a promise of its end. */
export interface CliProcess {
  child: ChildProcess;
  output: { stdout: string; stderr: string };
  done: Promise<CliResult>;
  /**
   * Resolves once stderr matches `pattern` (a predicate: returns true), rejecting if the process ends
   * first or `timeoutMs` passes.
   */
  waitFor(pattern: RegExp | ((stderr: string) => boolean), timeoutMs?: number): Promise<RegExpMatchArray>;
}

/** Children still running; a test that fails or times out must not leave a training behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts the built CLI with `args`. */
export async function spawnCli(args: string[], options: CliOptions = {}): Promise<CliProcess> {
  const child = spawn(process.execPath, [await cliEntry(), ...args], {
    cwd: options.cwd ?? root, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output = { stdout: '', stderr: '' };
  const waiters: (() => void)[] = [];
  child.stdout?.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => {
    output.stderr += chunk.toString();
    for (const waiter of [...waiters]) waiter();
  });
  const done = new Promise<CliResult>((resolve) => {
    child.once('close', (code, signal) => {
      for (const waiter of [...waiters]) waiter();
      resolve({ code, signal, ...output });
    });
  });
  let ended = false;
  void done.then(() => (ended = true));
  const waitFor = (pattern: RegExp | ((stderr: string) => boolean), timeoutMs = 240_000) => new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${String(pattern)}; stderr:\n${output.stderr}`)), timeoutMs);
    const check = () => {
      const match = typeof pattern === 'function' ? (pattern(output.stderr) ? output.stderr.match(/[^]*/) : null) : output.stderr.match(pattern);
      if (match) finish(undefined, match);
      else if (ended || child.exitCode !== null || child.signalCode !== null) finish(new Error(`the CLI ended before ${String(pattern)}; stderr:\n${output.stderr}`));
    };
    const finish = (error?: Error, match?: RegExpMatchArray) => {
      clearTimeout(timer);
      const index = waiters.indexOf(check);
      if (index >= 0) waiters.splice(index, 1);
      if (match) resolve(match);
      else reject(error);
    };
    waiters.push(check);
    check();
  });
  return { child, output, done, waitFor };
}

/** Runs the built CLI to its end. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return (await spawnCli(args, options)).done;
}

/** A stack-trace line: the CLI must print errors, not traces, for bad input. */
export const STACK_LINE = /^\s+at /m;
