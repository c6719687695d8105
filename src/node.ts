/**
 * Node entry (`hephaestus-web/node`): everything of the browser entry plus WebGPU through Dawn and
 * file-system helpers.
 * @module
 */
import { configureMatmul } from './kernels/matmul/index.js';
import { nodeTuneStore } from './kernels/matmul/node-store.js';

export * from './index.js';
export { nodeTuneStore } from './kernels/matmul/node-store.js';

// Matmul autotune choices persist across processes in Node's cache directory.
configureMatmul({ store: nodeTuneStore() });
export { initNodeBackend } from './runtime/node-webgpu.js';
export type { NodeAdapterKind } from './runtime/node-webgpu.js';
export { fileSource, walkFiles, pythonStdlibDir, FILE_CHUNK_BYTES } from './data/sources/node-lines.js';
export type { WalkOptions } from './data/sources/node-lines.js';
export {
  FolderBackend, openCheckpointFolder, readCheckpointFolder, loadCheckpointAt, readCheckpointDir, MANIFEST_FILE,
} from './store/node-folder.js';
export type { CheckpointFolder, FoundCheckpoint } from './store/node-folder.js';
export { acquireFolderLock, LOCK_FILE } from './store/node-lock.js';
export type { FolderLock, LockOwner } from './store/node-lock.js';
export { loadTokenizerFromDir, readTokenizerFiles, saveTokenizerToDir, TOKENIZER_JSON, TOKENIZER_CONFIG_JSON } from './tokenizer/node-files.js';
export { writeRunDir, readTorchCheckpoint, pythonPackageDir } from './recipe/node-run-dir.js';
export type { TorchManifest } from './recipe/node-run-dir.js';
