/**
 * Checkpoints in a folder (Node): one subfolder per checkpoint, each a complete Hugging Face folder,
 * and `manifest.json` naming them, replaced atomically (written aside, flushed, renamed over). A folder is
 * only written when it is missing, empty, or already ours; anything else is refused untouched.
 * @module
 */
import { mkdir, open, readdir, readFile, rename, rmdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, errorMessage } from '../util/errors.js';
import type { CheckpointFiles } from './checkpoint.js';
import { CHECKPOINT_ID } from './manifest.js';
import { acquireFolderLock, LOCK_FILE, processExists, type FolderLock } from './node-lock.js';
import { CheckpointStore, type BlobBackend, type CheckpointInfo, type CheckpointStoreOptions } from './store.js';

/** Name of the manifest in a checkpoint folder. */
export const MANIFEST_FILE = 'manifest.json';
const MANIFEST_TEMP = /^\.manifest\.\d+\.tmp$/;
const LOCK_LEFTOVER = /^\.lock\.(?:stale-)?(\d+)(?:\.tmp)?$/;

/** {@link BlobBackend} over a folder; keys are `<id>/<file>` paths inside it. */
export class FolderBackend implements BlobBackend {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  describe(key?: string): string {
    return key === undefined ? this.dir : join(this.dir, key);
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const path = this.describe(key);
    await this.guard(path, bytes.byteLength, async () => {
      await mkdir(dirname(path), { recursive: true });
      await writeDurably(path, bytes);
    });
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.describe(key)));
    } catch (error) {
      if (codeOf(error) === 'ENOENT') return undefined;
      throw new CheckpointError(`cannot read ${this.describe(key)} (${errorMessage(error)})`, { problem: 'io', cause: error });
    }
  }

  async delete(key: string): Promise<void> {
    const path = this.describe(key);
    await unlink(path).catch((error: unknown) => {
      if (codeOf(error) !== 'ENOENT') throw new CheckpointError(`cannot delete ${path} (${errorMessage(error)})`, { problem: 'io', cause: error });
    });
    // The checkpoint's subfolder goes with its last file.
    if (key.includes('/')) await rmdir(dirname(path)).catch(() => undefined);
  }

  /** Files in checkpoint-id subfolders (nothing else in the folder is ever a key). */
  async keys(): Promise<string[]> {
    const keys: string[] = [];
    for (const entry of await readdir(this.dir, { withFileTypes: true })) {
      if (!entry.isDirectory() || !CHECKPOINT_ID.test(entry.name)) continue;
      const files = await readdir(join(this.dir, entry.name));
      // A kill between a prune's last unlink and its rmdir leaves an empty step folder that holds no key
      // for the leftover sweep to delete: it goes here (only the lock holder lists keys, before a save).
      if (files.length === 0) await rmdir(join(this.dir, entry.name)).catch(() => undefined);
      for (const file of files) keys.push(`${entry.name}/${file}`);
    }
    return keys;
  }

  async readManifest(): Promise<Uint8Array | undefined> {
    return this.get(MANIFEST_FILE);
  }

  async switchManifest(bytes: Uint8Array, staged?: () => Promise<void>): Promise<void> {
    const path = this.describe(MANIFEST_FILE);
    // One writer holds the lock, so a temporary manifest here is a leftover of an interrupted save; the
    // lock's own temporaries are removed once their process is gone (one may be another's attempt to lock).
    for (const name of await readdir(this.dir)) {
      const lockPid = LOCK_LEFTOVER.exec(name)?.[1];
      if (MANIFEST_TEMP.test(name) || (lockPid !== undefined && !processExists(Number(lockPid)))) {
        await unlink(join(this.dir, name)).catch(() => undefined);
      }
    }
    const temp = join(this.dir, `.manifest.${process.pid}.tmp`);
    await this.guard(path, bytes.byteLength, async () => {
      await writeDurably(temp, bytes);
      await staged?.();
      await rename(temp, path);
      await syncFolder(this.dir);
    });
  }

  /** Runs a write, turning a full disk into a `quota` error and anything else into an `io` one. */
  private async guard(path: string, bytes: number, write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (error) {
      if (error instanceof CheckpointError) throw error;
      const code = codeOf(error);
      if (code === 'ENOSPC' || code === 'EDQUOT') {
        throw new CheckpointError(`cannot write ${path}: the disk is full (${bytes} bytes needed)`, { problem: 'quota', bytesNeeded: bytes, cause: error });
      }
      throw new CheckpointError(`cannot write ${path} (${errorMessage(error)})`, { problem: 'io', cause: error });
    }
  }
}

/** A checkpoint folder opened for training: its store, and the lock that is held until `release`. */
export interface CheckpointFolder {
  dir: string;
  store: CheckpointStore;
  lock: FolderLock;
  release(): Promise<void>;
}

/**
 * Opens `dir` for writing checkpoints: creates it when missing, accepts it when empty or already ours
 * (a manifest, or our lock from an interrupted first save), refuses anything else without touching it,
 * and takes its lock.
 * @throws CheckpointError `refused` (a file, or a folder of someone else's), `locked`, or `io`
 */
export async function openCheckpointFolder(dir: string, options: CheckpointStoreOptions = {}): Promise<CheckpointFolder> {
  const kind = await folderKind(dir);
  if (kind === 'file') throw new CheckpointError(`${dir} is a file, not a folder; nothing was changed`, { problem: 'refused' });
  if (kind === 'missing') {
    await mkdir(dir, { recursive: true }).catch((error: unknown) => {
      throw new CheckpointError(`cannot create the folder ${dir} (${errorMessage(error)})`, { problem: 'io', cause: error });
    });
  } else if (kind.foreign.length > 0) {
    const shown = kind.foreign.slice(0, 3).join(', ') + (kind.foreign.length > 3 ? `, and ${kind.foreign.length - 3} more` : '');
    throw new CheckpointError(
      `${dir} is not empty and holds no hephaestus-web checkpoints (it has ${shown}); nothing was changed: choose an empty or new folder`,
      { problem: 'refused' },
    );
  }
  const lock = await acquireFolderLock(dir);
  const store = new CheckpointStore(new FolderBackend(dir), options);
  const release = async () => {
    await lock.release();
    // A folder made here that got no checkpoint goes again (rmdir fails on one that is not empty).
    if (kind === 'missing') await rmdir(dir).catch(() => undefined);
  };
  try {
    await store.manifest(); // a damaged manifest stops here, before any training
  } catch (error) {
    await release();
    throw error;
  }
  return { dir, store, lock, release };
}

/** Opens the store of an existing run folder for reading (no lock). */
export async function readCheckpointFolder(dir: string, options: CheckpointStoreOptions = {}): Promise<CheckpointStore> {
  if (!(await exists(join(dir, MANIFEST_FILE)))) {
    throw new CheckpointError(`${dir}: no checkpoint there (no ${MANIFEST_FILE})`, { problem: 'missing' });
  }
  return new CheckpointStore(new FolderBackend(dir), options);
}

/** Files of a checkpoint found at a path, and how to name it. */
export interface FoundCheckpoint {
  files: CheckpointFiles;
  /** The checkpoint's folder, for messages. */
  source: string;
  /** Present when it came from a run folder (verified against the manifest). */
  info?: CheckpointInfo;
}

/**
 * Loads the checkpoint at `path`: a run folder (its current checkpoint), one of its step subfolders (both
 * verified against the manifest), or any other Hugging Face model folder (read as it is).
 */
export async function loadCheckpointAt(path: string): Promise<FoundCheckpoint> {
  const kind = await folderKind(path);
  if (kind === 'missing' || kind === 'file') throw new CheckpointError(`${path}: no checkpoint folder there`, { problem: 'missing' });
  if (await exists(join(path, MANIFEST_FILE))) {
    const { info, files } = await (await readCheckpointFolder(path)).load();
    return { files, info, source: join(path, info.id) };
  }
  const parent = dirname(path);
  const id = basename(path);
  if (await exists(join(parent, MANIFEST_FILE))) {
    const store = await readCheckpointFolder(parent);
    if ((await store.list()).some((entry) => entry.id === id)) {
      const { info, files } = await store.load(id);
      return { files, info, source: path };
    }
  }
  return { files: await readCheckpointDir(path), source: path };
}

/** Reads every file of a plain folder (a Hugging Face model folder, say). */
export async function readCheckpointDir(dir: string): Promise<CheckpointFiles> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    throw new CheckpointError(`${dir}: no checkpoint folder there`, { problem: 'missing' });
  }
  const files: CheckpointFiles = new Map();
  for (const entry of entries) {
    if (entry.isFile()) files.set(entry.name, new Uint8Array(await readFile(join(dir, entry.name))));
  }
  return files;
}

type FolderKind = 'missing' | 'file' | { foreign: string[] };

/** What is at `dir`; for a folder, the entries that are not ours (none: empty or ours). */
async function folderKind(dir: string): Promise<FolderKind> {
  let info;
  try {
    info = await stat(dir);
  } catch (error) {
    if (codeOf(error) === 'ENOENT') return 'missing';
    throw new CheckpointError(`cannot open ${dir} (${errorMessage(error)})`, { problem: 'io', cause: error });
  }
  if (!info.isDirectory()) return 'file';
  const names = await readdir(dir).catch((error: unknown) => {
    throw new CheckpointError(`cannot list ${dir} (${errorMessage(error)})`, { problem: 'io', cause: error });
  });
  // Ours: a manifest (whatever else the user keeps beside it is never touched), or our lock with nothing
  // but checkpoint subfolders and our temporaries (a first save that was interrupted).
  if (names.includes(MANIFEST_FILE)) return { foreign: [] };
  const ours = (name: string) => name === LOCK_FILE || MANIFEST_TEMP.test(name) || LOCK_LEFTOVER.test(name) || CHECKPOINT_ID.test(name);
  return { foreign: names.includes(LOCK_FILE) ? names.filter((name) => !ours(name)) : names };
}

async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'w');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Makes a rename durable: the folder's entry list is flushed too. */
async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
