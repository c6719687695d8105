/**
 * `hephaestus-web/forge`: the paper's Forge steps — dedup, the held-out split with its leakage proof,
 * the agent classifier, embedders and retrieval, mixing, the composition report, and the builder that
 * runs them in order. Browser-safe (file paths need `hephaestus-web/node`'s readers).
 * @module
 */
export { shingleHashes, jaccard, MinHasher, Deduplicator, deduplicate } from '../forge/dedup.js';
export type { DedupOptions, DedupDecision, DedupProgress, DedupResult, DuplicatePair } from '../forge/dedup.js';
export { splitByFunction, checkLeakage, formatLeakage, listFunctions, FunctionNameMatcher, GENERIC_NAMES } from '../forge/heldout.js';
export type {
  SplitOptions, SplitResult, DroppedDocument, LeakageOptions, LeakageReport, NameHit, NgramHit, MentionForm, FunctionMention, NameMatchOptions,
} from '../forge/heldout.js';
export { mixDocuments, DEFAULT_MIX, GROUP_OF_KIND } from '../forge/mixing.js';
export type { MixGroup, MixRatio, MixOptions, MixResult, SizedDocument } from '../forge/mixing.js';
export { compositionReport, formatComposition } from '../forge/report.js';
export type { CompositionEntry, CompositionReport } from '../forge/report.js';
export { AgentClassifier, splitExamples } from '../forge/classifier.js';
export type {
  AgentLabel, LabeledText, ClassifierTrainOptions, ClassifierProgress, AgentPrediction, ClassifierMetrics, Confusion,
  ClassifierConfig, SplitOptions as ExampleSplitOptions,
} from '../forge/classifier.js';
export { HashedEmbedder, TransformersEmbedder, resolveModelLocation } from '../forge/embedders.js';
export type { Embedder, HashedEmbedderOptions, TransformersEmbedderOptions, ModelLocation, XenovaEnv } from '../forge/embedders.js';
export { retrieveAgentLike } from '../forge/retrieval.js';
export type { RetrievalOptions, RetrievalResult, RetrievedDocument, RetrievalProgress, SimilarityScoring } from '../forge/retrieval.js';
export { buildForge, packStage, isSeedAgentDocument, isGeneralDocument, tokenizeDocuments } from '../forge/builder.js';
export type { Stage, ForgeInput, ForgeOptions, ForgeCorpus, PackStageOptions } from '../forge/builder.js';
