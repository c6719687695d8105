import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TuneStore } from './autotune.js';

/**
 * Matmul autotune choices as a JSON file in the user's cache directory (`$XDG_CACHE_HOME` or
 * `~/.cache`, `hephaestus-web/matmul-autotune.json`), written atomically; keyed by adapter inside.
 */
export function nodeTuneStore(path = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'hephaestus-web', 'matmul-autotune.json')): TuneStore {
  return {
    read: async () => readFile(path, 'utf8').catch(() => undefined),
    write: async (json) => {
      await mkdir(dirname(path), { recursive: true });
      const temporary = `${path}.${process.pid}.tmp`;
      await writeFile(temporary, json);
      await rename(temporary, path);
    },
  };
}
