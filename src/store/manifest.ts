/**
 * The checkpoint manifest, shared by every store backend (folders in Node, IndexedDB in browsers): which
 * checkpoints exist, which one is current, and each file's size and SHA-256. It is written last and
 * replaced atomically, so a reader sees either the old set or the new one, never a half-saved checkpoint.
 * Browser-safe (Web Crypto).
 * @module
 */
import { CheckpointError, errorMessage } from '../util/errors.js';

/** `format` field of every manifest. */
export const MANIFEST_FORMAT = 'hephaestus-web/checkpoints';
/** Version this code writes; a newer one is refused rather than misread. */
export const MANIFEST_VERSION = 1;

/** One file of a checkpoint. */
export interface ManifestFile {
  name: string;
  bytes: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  sha256: string;
}

/** One saved checkpoint. */
export interface ManifestEntry {
  /** Key prefix of its files, e.g. `step-000050` (a subfolder in Node). */
  id: string;
  /** Training stage that wrote it, e.g. `train`, `stage1`. */
  stage: string;
  /** Optimizer steps taken when it was saved. */
  step: number;
  /** Last training or validation loss, when known. */
  loss: number | null;
  /** ISO 8601 time of the save. */
  createdAt: string;
  files: ManifestFile[];
}

/** The whole manifest: checkpoints oldest first, and the current one. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  version: number;
  /** Id of the checkpoint to resume from; null when there is none. */
  current: string | null;
  checkpoints: ManifestEntry[];
}

/** An empty manifest. */
export function emptyManifest(): Manifest {
  return { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, current: null, checkpoints: [] };
}

/**
 * Checkpoint ids, `step-000050` or `step-000050-2` (a second save at one step): safe as a folder name
 * and a key prefix everywhere, and distinct enough that nothing of a user's is ever taken for one.
 */
export const CHECKPOINT_ID = /^step-\d{6,}(?:-\d+)?$/;

/** The manifest as UTF-8 JSON. */
export function encodeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
}

/** Parses and checks a manifest; `source` names it in errors, with the field at fault. */
export function parseManifest(bytes: Uint8Array, source: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CheckpointError(`${source}: invalid JSON (${errorMessage(error)})`);
  }
  const fail = (field: string, why: string) => new CheckpointError(`${source}: field "${field}" ${why}`);
  const root = objectAt(json, 'manifest', fail);
  if (root.format !== MANIFEST_FORMAT) throw fail('format', `must be "${MANIFEST_FORMAT}", got ${JSON.stringify(root.format)}`);
  if (root.version !== MANIFEST_VERSION) {
    throw fail('version', `is ${JSON.stringify(root.version)}; this version of hephaestus-web reads version ${MANIFEST_VERSION}`);
  }
  if (!Array.isArray(root.checkpoints)) throw fail('checkpoints', 'must be an array');
  const checkpoints = root.checkpoints.map((entry, i) => parseEntry(entry, `checkpoints[${i}]`, fail));
  const ids = new Set<string>();
  for (const [i, entry] of checkpoints.entries()) {
    if (ids.has(entry.id)) throw fail(`checkpoints[${i}].id`, `repeats "${entry.id}"`);
    ids.add(entry.id);
  }
  const current = root.current;
  if (current !== null && (typeof current !== 'string' || !ids.has(current))) {
    throw fail('current', `must be null or the id of a listed checkpoint, got ${JSON.stringify(current)}`);
  }
  return { format: MANIFEST_FORMAT, version: MANIFEST_VERSION, current, checkpoints };
}

type Fail = (field: string, why: string) => CheckpointError;

function objectAt(value: unknown, field: string, fail: Fail): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(field, 'must be an object');
  return Object.fromEntries(Object.entries(value));
}

function parseEntry(value: unknown, field: string, fail: Fail): ManifestEntry {
  const entry = objectAt(value, field, fail);
  const { id, stage, step, loss, createdAt, files } = entry;
  if (typeof id !== 'string' || !CHECKPOINT_ID.test(id)) throw fail(`${field}.id`, `must be a checkpoint id like "step-000050", got ${JSON.stringify(id)}`);
  if (typeof stage !== 'string' || stage === '') throw fail(`${field}.stage`, 'must be a non-empty string');
  if (!isCount(step)) throw fail(`${field}.step`, `must be a non-negative integer, got ${JSON.stringify(step)}`);
  if (loss !== null && typeof loss !== 'number') throw fail(`${field}.loss`, 'must be a number or null');
  if (typeof createdAt !== 'string' || Number.isNaN(Date.parse(createdAt))) throw fail(`${field}.createdAt`, 'must be an ISO date');
  if (!Array.isArray(files) || files.length === 0) throw fail(`${field}.files`, 'must be a non-empty array');
  return { id, stage, step, loss, createdAt, files: files.map((file, i) => parseFile(file, `${field}.files[${i}]`, fail)) };
}

function parseFile(value: unknown, field: string, fail: Fail): ManifestFile {
  const { name, bytes, sha256 } = objectAt(value, field, fail);
  // A plain file name: a manifest must never point outside its checkpoint.
  if (typeof name !== 'string' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name)) {
    throw fail(`${field}.name`, `must be a plain file name, got ${JSON.stringify(name)}`);
  }
  if (!isCount(bytes)) throw fail(`${field}.bytes`, `must be a non-negative integer, got ${JSON.stringify(bytes)}`);
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) throw fail(`${field}.sha256`, 'must be 64 lower-case hex digits');
  return { name, bytes, sha256 };
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
