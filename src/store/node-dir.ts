import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CheckpointError, errorMessage } from '../util/errors.js';
import type { CheckpointFiles } from './checkpoint.js';

/**
 * Writes checkpoint files to a folder without ever leaving a half-written checkpoint in its place:
 * the files go to a sibling temporary folder first, which then replaces the old one by rename.
 */
export async function writeCheckpointDir(dir: string, files: CheckpointFiles): Promise<void> {
  const stamp = `${process.pid}-${Date.now()}`;
  const staging = join(dirname(dir), `.${basename(dir)}.partial-${stamp}`);
  const previous = join(dirname(dir), `.${basename(dir)}.previous-${stamp}`);
  await mkdir(staging, { recursive: true });
  try {
    for (const [name, bytes] of files) await writeFile(join(staging, name), bytes);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw new CheckpointError(`cannot write checkpoint to ${dir}: ${errorMessage(error)}`, { cause: error });
  }
  const hadPrevious = await rename(dir, previous).then(() => true, () => false);
  await rename(staging, dir);
  if (hadPrevious) await rm(previous, { recursive: true, force: true });
}

/** Reads every file of a checkpoint folder. */
export async function readCheckpointDir(dir: string): Promise<CheckpointFiles> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    throw new CheckpointError(`${dir}: no checkpoint folder there`);
  }
  const files: CheckpointFiles = new Map();
  for (const name of names) files.set(name, new Uint8Array(await readFile(join(dir, name))));
  return files;
}
