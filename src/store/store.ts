/**
 * The checkpoint store, written once over a small blob interface that each backend implements (a folder
 * in Node, IndexedDB in browsers). A save writes the checkpoint's files under a fresh id, then switches
 * the manifest atomically, then prunes what fell out of keep-last-K; a process killed at any moment
 * leaves the previous manifest and every checkpoint it names intact, and the next save cleans up.
 * Browser-safe.
 * @module
 */
import { CheckpointError, errorMessage } from '../util/errors.js';
import { sha256Hex } from '../util/sha256.js';
import type { CheckpointFiles } from './checkpoint.js';
import {
  CHECKPOINT_ID, emptyManifest, encodeManifest, parseManifest,
  type Manifest, type ManifestEntry, type ManifestFile,
} from './manifest.js';

/**
 * Where a store keeps its bytes. Keys are `<checkpoint id>/<file name>`; the manifest is kept apart and
 * replaced in one atomic step. Errors should be {@link CheckpointError}s (`quota` when storage is full).
 */
export interface BlobBackend {
  /** Names a key (or the store itself) for messages: a path, or `indexeddb:<name>/<key>`. */
  describe(key?: string): string;
  put(key: string, bytes: Uint8Array): Promise<void>;
  /** The bytes of a key, or undefined when it does not exist. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** Removes a key; no error when it does not exist. */
  delete(key: string): Promise<void>;
  /** Every stored key (the manifest and the backend's own bookkeeping excluded). */
  keys(): Promise<string[]>;
  readManifest(): Promise<Uint8Array | undefined>;
  /**
   * Replaces the manifest atomically: readers see the old bytes or the new, never a mix. `staged`,
   * when given, is awaited once the new bytes are stored but not yet switched in (a test hook).
   */
  switchManifest(bytes: Uint8Array, staged?: () => Promise<void>): Promise<void>;
}

/** A checkpoint as {@link CheckpointStore.list} shows it. */
export interface CheckpointInfo {
  id: string;
  stage: string;
  step: number;
  loss: number | null;
  /** Sum of its files' sizes. */
  bytes: number;
  createdAt: string;
  current: boolean;
}

/** Named moments of a save, in order; {@link CheckpointStoreOptions.onSavePoint} sees each. */
export type SavePoint = 'started' | 'file-written' | 'files-written' | 'manifest-staged' | 'manifest-switched' | 'pruned';

/** Options of a {@link CheckpointStore}. */
export interface CheckpointStoreOptions {
  /** Checkpoints kept; older ones are deleted after a save. Default 3. */
  keepLast?: number;
  /** Awaited at each {@link SavePoint} (`detail`: the key or id); tests use it to interrupt saves. */
  onSavePoint?: (point: SavePoint, detail: string) => void | Promise<void>;
}

/** What to record about a checkpoint being saved. */
export interface SaveMeta {
  step: number;
  /** Default `train`. */
  stage?: string;
  loss?: number | null;
}

/** A verified checkpoint: its entry and its files. */
export interface LoadedCheckpoint {
  info: CheckpointInfo;
  files: CheckpointFiles;
}

/** Saves, lists, loads (verified), deletes and rotates checkpoints over a {@link BlobBackend}. */
export class CheckpointStore {
  readonly backend: BlobBackend;
  readonly keepLast: number;
  private readonly onSavePoint: NonNullable<CheckpointStoreOptions['onSavePoint']>;

  constructor(backend: BlobBackend, options: CheckpointStoreOptions = {}) {
    const keepLast = options.keepLast ?? 3;
    if (!Number.isInteger(keepLast) || keepLast < 1) {
      throw new CheckpointError(`keepLast must be a positive integer, got ${keepLast}`);
    }
    this.backend = backend;
    this.keepLast = keepLast;
    this.onSavePoint = options.onSavePoint ?? (() => undefined);
  }

  /** The manifest as stored (an empty one when nothing was saved yet). */
  async manifest(): Promise<Manifest> {
    const bytes = await this.backend.readManifest();
    return bytes ? parseManifest(bytes, this.backend.describe('manifest.json')) : emptyManifest();
  }

  /** Every checkpoint, oldest first. */
  async list(): Promise<CheckpointInfo[]> {
    const manifest = await this.manifest();
    return manifest.checkpoints.map((entry) => infoOf(entry, manifest.current));
  }

  /**
   * Saves a checkpoint and makes it current; the previous ones stay until the new manifest is in place,
   * then all but the last `keepLast` are deleted. Leftovers of an interrupted save are removed first.
   */
  async save(files: CheckpointFiles, meta: SaveMeta): Promise<CheckpointInfo> {
    if (!Number.isInteger(meta.step) || meta.step < 0) throw new CheckpointError(`save: step must be a non-negative integer, got ${meta.step}`);
    const manifest = await this.manifest();
    const id = freshId(manifest, meta.step);
    await this.onSavePoint('started', id);
    await this.removeLeftovers(manifest);
    const written: ManifestFile[] = [];
    try {
      for (const [name, bytes] of files) {
        const key = `${id}/${name}`;
        await this.backend.put(key, bytes);
        written.push({ name, bytes: bytes.byteLength, sha256: await sha256Hex(bytes) });
        await this.onSavePoint('file-written', key);
      }
    } catch (error) {
      await this.deleteFiles(id, [...files.keys()]).catch(() => undefined);
      throw error instanceof CheckpointError ? error
        : new CheckpointError(`cannot write ${this.backend.describe(id)}: ${errorMessage(error)}`, { cause: error, problem: 'io' });
    }
    await this.onSavePoint('files-written', id);
    const entry: ManifestEntry = {
      id, stage: meta.stage ?? 'train', step: meta.step, loss: finiteOrNull(meta.loss), createdAt: new Date().toISOString(), files: written,
    };
    const all = [...manifest.checkpoints, entry];
    const kept = all.slice(-this.keepLast);
    await this.backend.switchManifest(encodeManifest({ ...manifest, current: id, checkpoints: kept }), async () => {
      await this.onSavePoint('manifest-staged', id);
    });
    await this.onSavePoint('manifest-switched', id);
    for (const dropped of all.slice(0, all.length - kept.length)) await this.deleteEntry(dropped);
    await this.onSavePoint('pruned', id);
    return infoOf(entry, id);
  }

  /**
   * Loads a checkpoint (default: the current one), verifying every file's size and SHA-256. A damaged
   * file is named in a `corrupt` {@link CheckpointError} whose `previousGood` is the newest other
   * checkpoint that verifies.
   */
  async load(id?: string): Promise<LoadedCheckpoint> {
    const manifest = await this.manifest();
    const wanted = id ?? manifest.current;
    if (wanted === null) throw new CheckpointError(`${this.backend.describe()}: holds no checkpoint`, { problem: 'missing' });
    const entry = manifest.checkpoints.find((candidate) => candidate.id === wanted);
    if (!entry) {
      const known = manifest.checkpoints.map((candidate) => candidate.id).join(', ') || 'none';
      throw new CheckpointError(`${this.backend.describe()}: no checkpoint "${wanted}" (there are: ${known})`, { problem: 'missing' });
    }
    const result = await this.verify(entry);
    if (!(result instanceof CheckpointError)) return { info: infoOf(entry, manifest.current), files: result };
    const previousGood = await this.newestGood(manifest, entry.id);
    const offer = previousGood ? `; the previous checkpoint ${previousGood.id} (step ${previousGood.step}) verifies` : '; no other checkpoint verifies';
    throw new CheckpointError(`${result.message}${offer}`, { problem: 'corrupt', previousGood: previousGood?.id });
  }

  /** Makes checkpoint `id` the current one (what `load()` without an id loads), e.g. to resume from an earlier one. */
  async makeCurrent(id: string): Promise<void> {
    const manifest = await this.manifest();
    if (!manifest.checkpoints.some((entry) => entry.id === id)) {
      throw new CheckpointError(`${this.backend.describe()}: no checkpoint "${id}" (there are: ${manifest.checkpoints.map((entry) => entry.id).join(', ') || 'none'})`, { problem: 'missing' });
    }
    if (manifest.current !== id) await this.backend.switchManifest(encodeManifest({ ...manifest, current: id }));
  }

  /** Deletes one checkpoint; when it was current, the newest remaining one becomes current. */
  async delete(id: string): Promise<void> {
    const manifest = await this.manifest();
    const entry = manifest.checkpoints.find((candidate) => candidate.id === id);
    if (!entry) throw new CheckpointError(`${this.backend.describe()}: no checkpoint "${id}"`, { problem: 'missing' });
    const checkpoints = manifest.checkpoints.filter((candidate) => candidate !== entry);
    const current = manifest.current === id ? (checkpoints.at(-1)?.id ?? null) : manifest.current;
    await this.backend.switchManifest(encodeManifest({ ...manifest, current, checkpoints }));
    await this.deleteEntry(entry);
  }

  /** The files of an entry if every one matches the manifest, else an error naming the first that does not. */
  private async verify(entry: ManifestEntry): Promise<CheckpointFiles | CheckpointError> {
    const files: CheckpointFiles = new Map();
    for (const file of entry.files) {
      const key = `${entry.id}/${file.name}`;
      const where = this.backend.describe(key);
      const bytes = await this.backend.get(key);
      if (!bytes) return new CheckpointError(`${where} is missing`, { problem: 'corrupt' });
      if (bytes.byteLength !== file.bytes) {
        return new CheckpointError(`${where} has ${bytes.byteLength} bytes, the manifest says ${file.bytes}`, { problem: 'corrupt' });
      }
      if ((await sha256Hex(bytes)) !== file.sha256) return new CheckpointError(`${where} fails its SHA-256 check`, { problem: 'corrupt' });
      files.set(file.name, bytes);
    }
    return files;
  }

  private async newestGood(manifest: Manifest, except: string): Promise<ManifestEntry | undefined> {
    for (const entry of [...manifest.checkpoints].reverse()) {
      if (entry.id !== except && !((await this.verify(entry)) instanceof CheckpointError)) return entry;
    }
    return undefined;
  }

  /** Keys under a checkpoint id that the manifest does not list: an interrupted save or prune. */
  private async removeLeftovers(manifest: Manifest): Promise<void> {
    const listed = new Set(manifest.checkpoints.map((entry) => entry.id));
    for (const key of await this.backend.keys()) {
      const id = key.split('/')[0];
      if (key.includes('/') && CHECKPOINT_ID.test(id) && !listed.has(id)) await this.backend.delete(key);
    }
  }

  private async deleteEntry(entry: ManifestEntry): Promise<void> {
    await this.deleteFiles(entry.id, entry.files.map((file) => file.name));
  }

  private async deleteFiles(id: string, names: string[]): Promise<void> {
    for (const name of names) await this.backend.delete(`${id}/${name}`);
  }
}

/** `step-000050`, or `step-000050-2` when a listed checkpoint already has that id. */
function freshId(manifest: Manifest, step: number): string {
  const base = `step-${String(step).padStart(6, '0')}`;
  const taken = new Set(manifest.checkpoints.map((entry) => entry.id));
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}

function infoOf(entry: ManifestEntry, current: string | null): CheckpointInfo {
  return {
    id: entry.id, stage: entry.stage, step: entry.step, loss: entry.loss, createdAt: entry.createdAt,
    bytes: entry.files.reduce((sum, file) => sum + file.bytes, 0), current: entry.id === current,
  };
}

function finiteOrNull(loss: number | null | undefined): number | null {
  return typeof loss === 'number' && Number.isFinite(loss) ? loss : null;
}
