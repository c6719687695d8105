/**
 * The checkpoint store's blob backend over IndexedDB (idb-keyval), for the demo's worker. A stand-in
 * until the library's own IndexedDB backend (issue 8) is on main. Each `set` is one IndexedDB
 * transaction, so the manifest switch is atomic: readers see the old manifest or the new one.
 */
import { createStore, del, get, keys, set, type UseStore } from 'idb-keyval';
import { CheckpointError, errorMessage, type BlobBackend } from '../../../src/index.js';

const MANIFEST = 'manifest.json';

/** A {@link BlobBackend} in IndexedDB database `name`. */
export function indexedDbBackend(name: string): BlobBackend {
  const store: UseStore = createStore(name, 'blobs');
  const describe = (key?: string) => `indexeddb:${name}${key ? `/${key}` : ''}`;
  const guard = async <T>(key: string, action: () => Promise<T>): Promise<T> => {
    try {
      return await action();
    } catch (error) {
      const quota = error instanceof DOMException && error.name === 'QuotaExceededError';
      throw new CheckpointError(`cannot write ${describe(key)}: ${errorMessage(error)}`, { cause: error, problem: quota ? 'quota' : 'io' });
    }
  };
  return {
    describe,
    put: (key, bytes) => guard(key, () => set(key, bytes, store)),
    get: async (key) => toBytes(await get<unknown>(key, store)),
    delete: (key) => del(key, store),
    keys: async () => (await keys<IDBValidKey>(store)).map(String).filter((key) => key !== MANIFEST),
    readManifest: async () => toBytes(await get<unknown>(MANIFEST, store)),
    switchManifest: async (bytes, staged) => {
      await staged?.();
      await guard(MANIFEST, () => set(MANIFEST, bytes, store));
    },
  };
}

function toBytes(value: unknown): Uint8Array | undefined {
  return value instanceof Uint8Array ? value : undefined;
}
