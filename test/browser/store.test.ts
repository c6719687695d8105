/**
 * The IndexedDB checkpoint store in Chromium: a save interrupted between its blob writes and the
 * manifest switch leaves the previous checkpoint current and verifying (seen through a new store
 * object, as after a reload); a flipped byte in a stored tensor is named with the previous good
 * checkpoint offered; a quota error at the k-th write is a `quota` error that loses nothing; a worker
 * terminated in the middle of its saves leaves a current checkpoint that loads and verifies.
 */
import { createStore, get, keys, set } from 'idb-keyval';
import { describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { IndexedDbBackend, idbKeyValueStorage, openIndexedDbStore, type KeyValueStorage } from '../../src/store/indexeddb.js';
import { CheckpointStore } from '../../src/store/store.js';
import { CheckpointError } from '../../src/util/errors.js';
import { createTrainer } from '../../src/worker/client.js';

/** Checkpoint-like files of awkward sizes, seeded by `n`. */
function files(n: number): Map<string, Uint8Array> {
  const bytes = (size: number, salt: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + n * 7 + salt) & 255);
  return new Map([['config.json', bytes(37, 1)], ['model.safetensors', bytes(4099, 2)], ['trainer_state.json', bytes(211, 3)]]);
}

const unique = (what: string) => `${what}-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;

describe('IndexedDB checkpoint store in Chromium', () => {
  it('an interrupted save leaves the previous checkpoint current, loading and verifying', async () => {
    const name = unique('interrupted');
    await openIndexedDbStore(name).save(files(1), { step: 1 });
    const crashing = new CheckpointStore(new IndexedDbBackend(name), {
      onSavePoint: (point) => { if (point === 'manifest-staged') throw new Error('tab closed'); },
    });
    await expect(crashing.save(files(2), { step: 2 })).rejects.toThrow('tab closed');
    // The new blobs are stored, but no manifest names them.
    expect((await keys(createStore(name, 'blobs'))).map(String).filter((key) => key.startsWith('step-000002/'))).toHaveLength(3);
    const reopened = openIndexedDbStore(name);
    const { info, files: loaded } = await reopened.load();
    expect(info).toMatchObject({ id: 'step-000001', step: 1, current: true });
    expect(loaded).toEqual(files(1));
    // The next save removes the leftovers.
    await reopened.save(files(3), { step: 3 });
    expect((await keys(createStore(name, 'blobs'))).map(String).filter((key) => key.startsWith('step-000002/'))).toHaveLength(0);
  });

  it('names a stored tensor file with a flipped byte and offers the previous good checkpoint', async () => {
    const name = unique('flipped');
    const store = openIndexedDbStore(name);
    await store.save(files(1), { step: 1 });
    await store.save(files(2), { step: 2 });
    const blobs = createStore(name, 'blobs');
    const bytes = (await get<Uint8Array>('step-000002/model.safetensors', blobs))!;
    bytes[1234] ^= 0x10;
    await set('step-000002/model.safetensors', bytes, blobs);
    const error = await openIndexedDbStore(name).load().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CheckpointError);
    expect(error).toMatchObject({ problem: 'corrupt', previousGood: 'step-000001' });
    expect((error as Error).message).toMatch(new RegExp(`indexeddb:${name}/step-000002/model.safetensors fails its SHA-256 check`));
    expect((await openIndexedDbStore(name).load('step-000001')).files).toEqual(files(1));
  });

  it('a quota error at the k-th write is a quota error with the bytes needed, and nothing is lost', async () => {
    for (const k of [1, 2, 3, 4]) {
      const name = unique(`quota-${k}`);
      await openIndexedDbStore(name).save(files(1), { step: 1 });
      let writes = 0;
      const real = idbKeyValueStorage(name);
      const full: KeyValueStorage = {
        ...real,
        set: async (key, value) => {
          writes += 1;
          if (writes === k) throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
          return real.set(key, value);
        },
      };
      const error = await new CheckpointStore(new IndexedDbBackend(name, full)).save(files(2), { step: 2 }).catch((caught: unknown) => caught);
      expect(error, `write ${k}`).toBeInstanceOf(CheckpointError);
      const expectedBytes = [37, 4099, 211, undefined][k - 1];
      expect(error).toMatchObject({ problem: 'quota' });
      if (expectedBytes !== undefined) expect((error as CheckpointError).bytesNeeded).toBe(expectedBytes);
      expect((error as Error).message).toMatch(/storage is full \(\d+ bytes needed; navigator\.storage\.estimate\(\): \d+ of \d+ bytes used\)/);
      const reopened = openIndexedDbStore(name);
      expect((await reopened.list()).map((info) => info.id)).toEqual(['step-000001']);
      expect((await reopened.load()).files).toEqual(files(1));
    }
  });

  it('a worker terminated between its blob writes and the manifest switch leaves the previous checkpoint loading', async () => {
    const texts = syntheticCorpus({ documents: 30, seed: 8 }).map((document) => document.text);
    const name = unique('terminated');
    const blobs = createStore(name, 'blobs');
    const first = await createTrainer({ storeName: name, backend: 'webgpu' });
    await first.attachData({ kind: 'documents', texts });
    await first.createModel({ preset: 'nano', overrides: { dModel: 32, nLayers: 1, nHeads: 2, ffnHidden: 48, contextLength: 32 }, tokenizer: { vocabSize: 300 } });
    const saved = await first.save();
    first.terminate();
    const fileCount = (await keys(blobs)).map(String).filter((key) => key.startsWith(`${saved.id}/`)).length;
    // A worker whose saves sleep once their blobs are stored: the page sees them land and ends it there.
    const trainer = await createTrainer({ storeName: name, backend: 'webgpu', savePause: { point: 'files-written', ms: 20_000 } });
    await trainer.loadCheckpoint();
    void trainer.save().catch(() => undefined);
    const staged = async () => (await keys(blobs)).map(String).filter((key) => key.startsWith(`${saved.id}-2/`)).length;
    while ((await staged()) < fileCount) await new Promise((resolve) => setTimeout(resolve, 20));
    trainer.terminate();
    expect(await staged()).toBe(fileCount); // ended inside the window: its blobs are there, unnamed
    const store = openIndexedDbStore(name);
    expect((await store.list()).map((info) => info.id)).toEqual([saved.id]);
    const { info } = await store.load();
    expect(info).toMatchObject({ id: saved.id, current: true });
    const again = await createTrainer({ storeName: name, backend: 'webgpu' });
    expect((await again.loadCheckpoint()).source).toEqual({ kind: 'checkpoint', id: saved.id });
    again.terminate();
  });
});
