/**
 * Test helpers for checkpoint stores: an in-memory {@link BlobBackend} (the shape an IndexedDB backend
 * has: keyed blobs plus one atomic manifest value) that can be told to fail, and a way to edit a file of
 * a saved checkpoint while keeping the manifest consistent (a hand-edited or buggy-tool checkpoint,
 * which only field validation can catch).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeManifest, parseManifest } from '../../src/store/manifest.js';
import { sha256Hex } from '../../src/util/sha256.js';
import type { BlobBackend } from '../../src/store/store.js';
import { CheckpointError } from '../../src/util/errors.js';

/** Keyed blobs in a Map; `failPut` decides whether a put fails (to simulate a full or broken store). */
export class MemoryBackend implements BlobBackend {
  readonly blobs = new Map<string, Uint8Array>();
  manifestBytes: Uint8Array | undefined;
  failPut: (key: string, bytes: Uint8Array) => Error | undefined = () => undefined;

  describe(key?: string): string {
    return key === undefined ? 'memory:' : `memory:${key}`;
  }

  async put(key: string, bytes: Uint8Array): Promise<void> {
    const failure = this.failPut(key, bytes);
    if (failure) throw failure;
    this.blobs.set(key, bytes.slice());
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    return this.blobs.get(key)?.slice();
  }

  async delete(key: string): Promise<void> {
    this.blobs.delete(key);
  }

  async keys(): Promise<string[]> {
    return [...this.blobs.keys()];
  }

  async readManifest(): Promise<Uint8Array | undefined> {
    return this.manifestBytes?.slice();
  }

  async switchManifest(bytes: Uint8Array, staged?: () => Promise<void>): Promise<void> {
    await staged?.();
    this.manifestBytes = bytes.slice();
  }
}

/** A quota failure as a browser backend would raise it. */
export function quotaError(key: string, bytes: number): CheckpointError {
  return new CheckpointError(`memory:${key}: quota exceeded`, { problem: 'quota', bytesNeeded: bytes });
}

/**
 * Rewrites `name` in checkpoint `id` of the run folder `dir` with `edit(bytes)`, and updates the
 * manifest's size and checksum to match (so the change passes verification).
 */
export async function editCheckpointFile(dir: string, id: string, name: string, edit: (bytes: Uint8Array) => Uint8Array): Promise<void> {
  const path = join(dir, id, name);
  const bytes = edit(new Uint8Array(await readFile(path)));
  await writeFile(path, bytes);
  const manifestPath = join(dir, 'manifest.json');
  const manifest = parseManifest(new Uint8Array(await readFile(manifestPath)), manifestPath);
  const file = manifest.checkpoints.find((entry) => entry.id === id)?.files.find((candidate) => candidate.name === name);
  if (!file) throw new Error(`${id}/${name} is not in ${manifestPath}`);
  file.bytes = bytes.byteLength;
  file.sha256 = await sha256Hex(bytes);
  await writeFile(manifestPath, encodeManifest(manifest));
}

/** Edits a JSON file of a checkpoint (see {@link editCheckpointFile}). */
export async function editCheckpointJson(dir: string, id: string, name: string, edit: (json: Record<string, unknown>) => unknown): Promise<void> {
  await editCheckpointFile(dir, id, name, (bytes) => {
    const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    return new TextEncoder().encode(JSON.stringify(edit(json)));
  });
}

/** Sets one float of a tensor in a safetensors file to `value` (e.g. NaN). */
export function setSafetensorsValue(bytes: Uint8Array, tensor: string, index: number, value: number): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<string, { data_offsets: [number, number] }>;
  const entry = header[tensor];
  if (!entry) throw new Error(`no tensor ${tensor}`);
  const out = bytes.slice();
  new DataView(out.buffer).setFloat32(8 + headerLength + entry.data_offsets[0] + index * 4, value, true);
  return out;
}
