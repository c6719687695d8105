/**
 * A lock file that keeps two processes from writing one checkpoint folder: `.lock` holds the owner's
 * pid, host and start time. It is created complete or not at all (written aside, then hard-linked into
 * place, which fails when a lock exists), and a lock whose process is gone on this host is stale and is
 * taken over. Node only.
 * @module
 */
import { link, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { readFileSync, unlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { CheckpointError, errorMessage } from '../util/errors.js';

/** Name of the lock file inside a checkpoint folder. */
export const LOCK_FILE = '.lock';
const LOCK_TOOL = 'hephaestus-web';

/** What a lock file says. */
export interface LockOwner {
  /** Always `hephaestus-web`. */
  tool: 'hephaestus-web';
  pid: number;
  host: string;
  startedAt: string;
}

/** A held lock. */
export interface FolderLock {
  /** The lock file. */
  path: string;
  /** Removes the lock (only if it is still ours). */
  release(): Promise<void>;
  /** Set when a stale lock was taken over: the dead owner's record. */
  tookOverFrom?: LockOwner;
}

/**
 * Takes the lock of `dir` for this process.
 * @throws CheckpointError `locked` naming the live owner; `io` when the folder is not writable
 */
export async function acquireFolderLock(dir: string): Promise<FolderLock> {
  const path = join(dir, LOCK_FILE);
  const mine: LockOwner = { tool: LOCK_TOOL, pid: process.pid, host: hostname(), startedAt: new Date().toISOString() };
  const text = `${JSON.stringify(mine)}\n`;
  const aside = join(dir, `${LOCK_FILE}.${process.pid}.tmp`);
  let tookOverFrom: LockOwner | undefined;
  try {
    await writeFile(aside, text);
  } catch (error) {
    throw new CheckpointError(`${dir}: cannot write there (${errorMessage(error)})`, { problem: 'io', cause: error });
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(aside, path);
        break;
      } catch (error) {
        if (!isCode(error, 'EEXIST') || attempt >= 3) throw error;
      }
      const owner = await readOwner(path);
      if (owner && !isStale(owner)) {
        throw new CheckpointError(
          `${dir} is in use by another training (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}); ` +
            `wait for it to finish or choose another folder (if no such process runs, delete ${path})`,
          { problem: 'locked' },
        );
      }
      if (await takeOver(path, owner)) tookOverFrom = owner ?? undefined;
    }
  } catch (error) {
    if (error instanceof CheckpointError) throw error;
    throw new CheckpointError(`${dir}: cannot take the lock ${path} (${errorMessage(error)})`, { problem: 'io', cause: error });
  } finally {
    await unlink(aside).catch(() => undefined);
  }
  const releaseSync = () => {
    try {
      if (readFileSync(path, 'utf8') === text) unlinkSync(path);
    } catch {
      // Already gone: nothing to release.
    }
  };
  // A process that exits without calling release (an error, process.exit) still frees the folder.
  process.once('exit', releaseSync);
  return {
    path,
    tookOverFrom,
    release: async () => {
      process.removeListener('exit', releaseSync);
      releaseSync();
    },
  };
}

/** The owner recorded in a lock file; null when the file is unreadable or not one of ours (treated as stale). */
async function readOwner(path: string): Promise<LockOwner | null | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (isCode(error, 'ENOENT')) return undefined; // released meanwhile: try again
    throw error;
  }
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && 'pid' in value && 'host' in value && 'startedAt' in value) {
      const { pid, host, startedAt } = value;
      if (typeof pid === 'number' && typeof host === 'string' && typeof startedAt === 'string') return { tool: LOCK_TOOL, pid, host, startedAt };
    }
  } catch {
    // Not JSON: a lock from an interrupted write, or not ours.
  }
  return null;
}

/** A lock is stale when its host is this one and its process no longer exists. */
function isStale(owner: LockOwner): boolean {
  return owner.host === hostname() && owner.pid !== process.pid && !processExists(owner.pid);
}

/** Whether a process with this pid exists on this host (one of another user's counts). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return !isCode(error, 'ESRCH');
  }
}

/**
 * Moves a stale lock aside (one rename: of two processes taking over at once, one wins), and puts it
 * back if what was moved turns out not to be the stale lock read before.
 */
async function takeOver(path: string, stale: LockOwner | null | undefined): Promise<boolean> {
  if (stale === undefined) return false;
  const aside = `${path}.stale-${process.pid}`;
  try {
    await rename(path, aside);
  } catch (error) {
    if (isCode(error, 'ENOENT')) return false;
    throw error;
  }
  const moved = await readOwner(aside);
  const same = stale === null ? moved === null : moved?.pid === stale.pid && moved.startedAt === stale.startedAt;
  if (!same) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return same;
}

function isCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === code;
}
