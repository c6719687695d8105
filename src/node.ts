/**
 * Node entry (`hephaestus-web/node`): everything of the browser entry plus WebGPU through Dawn and
 * file-system helpers.
 * @module
 */
export * from './index.js';
export { initNodeBackend } from './runtime/node-webgpu.js';
export type { NodeAdapterKind } from './runtime/node-webgpu.js';
export { readDocumentsFile } from './data/node-files.js';
export { writeCheckpointDir, readCheckpointDir } from './store/node-dir.js';
export { loadTokenizerFromDir, readTokenizerFiles, saveTokenizerToDir, TOKENIZER_JSON, TOKENIZER_CONFIG_JSON } from './tokenizer/node-files.js';
