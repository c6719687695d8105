/**
 * Checkpoints in IndexedDB (pages and workers), through idb-keyval: one database per store, one object
 * store of byte blobs keyed `<checkpoint id>/<file>`, and the manifest under its own key. A put is one
 * IndexedDB transaction, so the manifest switch is atomic: a tab closed mid-save leaves the old manifest,
 * which names only checkpoints whose every blob is stored. Browser-only (no Node fallback).
 * @module
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import { CheckpointError, errorMessage } from '../util/errors.js';
import { CheckpointStore, type BlobBackend, type CheckpointStoreOptions } from './store.js';

/** Key of the manifest (no `/`, so never taken for a checkpoint file). */
export const INDEXEDDB_MANIFEST_KEY = 'manifest.json';
const OBJECT_STORE = 'blobs';

/** The few key-value operations the backend uses; idb-keyval's by default (tests wrap them to inject failures). */
export interface KeyValueStorage {
  get(key: string): Promise<unknown>;
  set(key: string, value: Uint8Array): Promise<void>;
  del(key: string): Promise<void>;
  keys(): Promise<string[]>;
}

/** idb-keyval over the database `name` (created on first use). */
export function idbKeyValueStorage(name: string): KeyValueStorage {
  const store: UseStore = createStore(name, OBJECT_STORE);
  return {
    get: (key) => get(key, store),
    set: (key, value) => set(key, value, store),
    del: (key) => del(key, store),
    keys: async () => (await keys(store)).map(String),
  };
}

/** {@link BlobBackend} over IndexedDB. */
export class IndexedDbBackend implements BlobBackend {
  readonly name: string;
  private readonly storage: KeyValueStorage;

  /** @param storage defaults to idb-keyval over the database `name` */
  constructor(name: string, storage: KeyValueStorage = idbKeyValueStorage(name)) {
    this.name = name;
    this.storage = storage;
  }

  describe(key?: string): string {
    return key === undefined ? `indexeddb:${this.name}` : `indexeddb:${this.name}/${key}`;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    await this.write(key, bytes);
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    let value: unknown;
    try {
      value = await this.storage.get(key);
    } catch (error) {
      throw new CheckpointError(`cannot read ${this.describe(key)} (${errorMessage(error)})`, { problem: 'io', cause: error });
    }
    if (value === undefined) return undefined;
    if (!(value instanceof Uint8Array)) throw new CheckpointError(`${this.describe(key)} holds no bytes`, { problem: 'corrupt' });
    return value;
  }

  async delete(key: string): Promise<void> {
    try {
      await this.storage.del(key);
    } catch (error) {
      throw new CheckpointError(`cannot delete ${this.describe(key)} (${errorMessage(error)})`, { problem: 'io', cause: error });
    }
  }

  async keys(): Promise<string[]> {
    return (await this.storage.keys()).filter((key) => key !== INDEXEDDB_MANIFEST_KEY);
  }

  readManifest(): Promise<Uint8Array | undefined> {
    return this.get(INDEXEDDB_MANIFEST_KEY);
  }

  async switchManifest(bytes: Uint8Array, staged?: () => Promise<void>): Promise<void> {
    // One put replaces the value in one transaction: there is nothing to stage apart.
    await staged?.();
    await this.write(INDEXEDDB_MANIFEST_KEY, bytes);
  }

  /** Stores a value, turning a full storage into a `quota` error with the bytes needed and the estimate. */
  private async write(key: string, bytes: Uint8Array): Promise<void> {
    // A view is stored with its whole buffer: store exactly its bytes.
    const exact = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
    try {
      await this.storage.set(key, exact);
    } catch (error) {
      if (isQuotaError(error)) {
        throw new CheckpointError(
          `cannot write ${this.describe(key)}: the browser's storage is full (${bytes.byteLength} bytes needed; ${await estimateText()}); ` +
            'the previous checkpoint is kept: delete old checkpoints or free space',
          { problem: 'quota', bytesNeeded: bytes.byteLength, cause: error },
        );
      }
      throw new CheckpointError(`cannot write ${this.describe(key)} (${errorMessage(error)})`, { problem: 'io', cause: error });
    }
  }
}

/** A checkpoint store in the IndexedDB database `name`. */
export function openIndexedDbStore(name: string, options: CheckpointStoreOptions = {}): CheckpointStore {
  return new CheckpointStore(new IndexedDbBackend(name), options);
}

function isQuotaError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const name = (error as { name?: unknown }).name;
  return name === 'QuotaExceededError' || name === 'NS_ERROR_DOM_QUOTA_REACHED';
}

/** `navigator.storage.estimate()` as text, or why there is none. */
async function estimateText(): Promise<string> {
  const storage = (globalThis.navigator as Navigator | undefined)?.storage;
  if (!storage?.estimate) return 'no storage estimate in this browser';
  try {
    const { usage, quota } = await storage.estimate();
    return `navigator.storage.estimate(): ${usage ?? '?'} of ${quota ?? '?'} bytes used`;
  } catch (error) {
    return `no storage estimate (${errorMessage(error)})`;
  }
}
