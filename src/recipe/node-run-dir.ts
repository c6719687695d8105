/**
 * Node-only helpers of the PyTorch scale-out path: write a run folder, read back the checkpoints its
 * trainer writes. Not re-exported by the browser entry.
 * @module
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckpointFiles } from '../store/checkpoint.js';
import { CheckpointError, InputError, errorMessage } from '../util/errors.js';
import type { RunFile } from './export-run.js';
import { sha256Hex } from '../util/sha256.js';

/** Folder name of the Python package inside the repository's `python/` and inside a run folder. */
const PACKAGE = 'hephaestus_torch';

/**
 * Writes a run folder (the files of `exportRun`, plus a copy of the `hephaestus_torch` package so that
 * the folder runs as is). `dir` must not exist or be empty; the files go to a sibling staging folder
 * that is renamed into place at the end, so a failed export leaves nothing behind.
 */
export async function writeRunDir(dir: string, files: AsyncIterable<RunFile>): Promise<void> {
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw new InputError(dir, 'exists and is not empty; nothing was written');
  const staging = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}-${Date.now()}`);
  try {
    for await (const file of files) {
      const path = join(staging, file.path);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.bytes);
    }
    await copyPythonPackage(join(staging, PACKAGE));
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * The package's source folder, found from this module upwards (`src/recipe`, the built `dist/node/chunks`,
 * or a build elsewhere inside the repository, such as the tests' cached CLI under node_modules/.cache).
 */
export function pythonPackageDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'python', PACKAGE);
    if (existsSync(join(candidate, '__init__.py'))) return candidate;
    if (dirname(dir) === dir) break;
  }
  throw new InputError(PACKAGE, `cannot find python/${PACKAGE} above ${fileURLToPath(import.meta.url)} (is the package installed with its python/ folder?)`);
}

async function copyPythonPackage(target: string): Promise<void> {
  const source = pythonPackageDir();
  await mkdir(target, { recursive: true });
  for (const name of await readdir(source)) {
    if (name.endsWith('.py')) await copyFile(join(source, name), join(target, name));
  }
}

/** `manifest.json` of a PyTorch run's output folder (written last, atomically, by rank 0). */
export interface TorchManifest {
  format: 'hephaestus-torch-checkpoints';
  version: 1;
  /** Folder of the newest complete checkpoint, e.g. `stage1-step-000020`. */
  current: string;
  stage: string;
  step: number;
  files: Record<string, { bytes: number; sha256: string }>;
}

/**
 * The newest checkpoint a PyTorch run wrote to `outDir`, with every file checked against the manifest's
 * size and SHA-256; pass `files` to `parseCheckpoint`.
 * @throws CheckpointError naming the manifest or the file that does not match
 */
export async function readTorchCheckpoint(outDir: string): Promise<{ files: CheckpointFiles; folder: string; manifest: TorchManifest }> {
  const manifestPath = join(outDir, 'manifest.json');
  let manifest: TorchManifest;
  try {
    manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as TorchManifest;
  } catch (error) {
    throw new CheckpointError(`${manifestPath}: cannot read (${errorMessage(error)})`);
  }
  if (manifest.format !== 'hephaestus-torch-checkpoints' || manifest.version !== 1) {
    throw new CheckpointError(`${manifestPath}: field "format" ${JSON.stringify(manifest.format)} version ${String(manifest.version)} is not a hephaestus-torch manifest (version 1)`);
  }
  const folder = join(outDir, manifest.current);
  const files: CheckpointFiles = new Map();
  for (const [name, expected] of Object.entries(manifest.files)) {
    const path = join(folder, name);
    const bytes = new Uint8Array(await readFile(path).catch(() => {
      throw new CheckpointError(`${path}: missing (listed in ${manifestPath})`);
    }));
    if (bytes.length !== expected.bytes || (await sha256Hex(bytes)) !== expected.sha256) {
      throw new CheckpointError(`${path}: size or SHA-256 differs from ${manifestPath} (a damaged checkpoint)`);
    }
    files.set(name, bytes);
  }
  return { files, folder, manifest };
}
