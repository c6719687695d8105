import { createReadStream, readdirSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ByteSource } from './lines.js';

/**
 * Node-only sources: files by path, streamed with `fs.createReadStream` (1 MiB chunks), a directory
 * walk, and where Debian keeps the Python standard library (real code on every machine here). Pass {@link fileSource} as the readers' `openPath` option to let them take plain file paths:
 * `readTextDocuments('notes.txt', { openPath: fileSource })`.
 * @module
 */

/** Chunk size of {@link fileSource} (bytes). */
export const FILE_CHUNK_BYTES = 1 << 20;

/**
 * A {@link ByteSource} over a file, streamed in chunks (never read whole). `name` (default the path as
 * given) is what errors and document `source`s call it, e.g. a path relative to a data root. It is a
 * `PathOpener`: the readers' `openPath` option.
 */
export function fileSource(path: string, name?: string): ByteSource {
  return {
    name: name ?? path,
    open: (signal?: AbortSignal) => createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES, signal }) as AsyncIterable<Uint8Array>,
  };
}

/** Options of {@link walkFiles}. */
export interface WalkOptions {
  /** File name endings to keep, e.g. `['.py', '.ts']` (default all files). */
  extensions?: readonly string[];
  /** Stop after this many files. */
  limit?: number;
  /** Directory names not entered (default `.git` only). */
  skipDirectories?: readonly string[];
}

/**
 * The files under a directory, depth first in sorted name order (deterministic), e.g. to feed
 * `readCodeDocuments` with the Python standard library or the sources under `node_modules/`.
 * Symbolic links are not followed.
 */
export async function* walkFiles(dir: string, options: WalkOptions = {}): AsyncGenerator<string> {
  const skip = new Set(options.skipDirectories ?? ['.git']);
  let count = 0;
  const limit = options.limit ?? Infinity;
  async function* walk(current: string): AsyncGenerator<string> {
    const entries = (await readdir(current, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (count >= limit) return;
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!skip.has(entry.name)) yield* walk(path);
      } else if (entry.isFile() && (options.extensions === undefined || options.extensions.some((ending) => entry.name.endsWith(ending)))) {
        count += 1;
        yield path;
      }
    }
  }
  yield* walk(dir);
}

/**
 * Debian's Python standard library: the newest `python3.X` directory under `root` (by minor version,
 * so 3.11 before 3.9), or `undefined` where there is none.
 */
export function pythonStdlibDir(root = '/usr/lib'): string | undefined {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return undefined;
  }
  const minors = names.flatMap((name) => {
    const match = /^python3\.(\d+)$/.exec(name);
    return match === null ? [] : [Number(match[1])];
  });
  return minors.length === 0 ? undefined : join(root, `python3.${Math.max(...minors)}`);
}
