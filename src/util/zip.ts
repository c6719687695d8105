/**
 * Folders as one `.zip` (fflate): files stored uncompressed (weights barely compress, and storing keeps
 * export and import fast), and read back with their folder prefix removed when they share one.
 * @module
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { InputError, errorMessage } from './errors.js';

/** A zip of the files (names may hold `/` for subfolders). */
export function zipFiles(files: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const entries: Zippable = {};
  for (const [name, bytes] of files) entries[name] = [bytes, { level: 0 }];
  return zipSync(entries);
}

/**
 * The files of a zip by name; when every file sits under one top folder (a zipped folder), that
 * prefix is removed. Folder entries are skipped. `source` names the zip in errors.
 * @throws InputError when the bytes are not a readable zip
 */
export function unzipFiles(bytes: Uint8Array, source: string): Map<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new InputError(source, `not a readable zip file (${errorMessage(error)})`);
  }
  const names = Object.keys(entries).filter((name) => !name.endsWith('/'));
  const top = names[0]?.split('/')[0];
  const shared = names.length > 0 && names.every((name) => name.includes('/') && name.split('/')[0] === top);
  return new Map(names.map((name) => [shared ? name.slice(top!.length + 1) : name, entries[name]]));
}
