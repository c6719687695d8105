/**
 * Text primitives shared by the Forge steps: the one normalisation ({@link foldText}) with its token
 * and word cuts, the hash family of dedup and the leakage check, and the hashed features of the agent
 * classifier and the embedder. Browser-safe.
 * @module
 */
export { foldText, normalizeForHash, exactKey, words, wordHashes } from './normalize.js';
export { mix32, hashChars, hash32, hash64, Hash64, hashSequence, sequenceKey } from './hash.js';
export { tokenize, forEachFeature, resolveFeatureOptions } from './features.js';
export type { FeatureOptions, ResolvedFeatureOptions } from './features.js';
