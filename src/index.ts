/**
 * hephaestus-web: continual pre-training of language-model agents in the browser (the Hephaestus
 * recipe) on WebGPU through TensorFlow.js. Browser-safe entry; Node helpers are in `hephaestus-web/node`.
 * @module
 */
export { initBackend, backendInfo } from './runtime/backend.js';
export type { BackendInfo, BackendName, BackendOptions } from './runtime/backend.js';

export { PRESETS, resolveConfig, validateConfig, headDim } from './model/config.js';
export type { ModelConfig, PresetName } from './model/config.js';
export { LlamaModel, disposeCache } from './model/model.js';
export type { CreateModelOptions, KvCache } from './model/model.js';
export { kernelsFor, tfjsOps, tfjsCpuOps, webgpuOps } from './kernels/index.js';
export type { Ops, AdamWHyper, KernelChoice } from './kernels/index.js';
export { autotuneMatmul, configureMatmul, matmul, MATMUL_VARIANTS } from './kernels/matmul/index.js';
export type { AutotuneOptions, MatmulProblem, MatmulSettings, MatmulTuneResult, TuneStore } from './kernels/matmul/index.js';
export { paramSpecs, countParams } from './model/params.js';
export type { ParamSpec } from './model/params.js';
export { generate, pickToken } from './model/generate.js';
export type { GenerateOptions, GenerateResult } from './model/generate.js';
export { toHfConfig, fromHfConfig, exportSafetensors, importSafetensors, readWeights } from './model/hf-format.js';
export { encodeSafetensors, decodeSafetensors } from './model/safetensors.js';
export type { NamedTensor, DecodedTensor } from './model/safetensors.js';

export * from './tokenizer/index.js';

export { RandomWindowSampler, sequentialBatches } from './data/batch.js';
export type { Batch, BatchSource, BatchSourceState, WindowSamplerOptions } from './data/batch.js';
export {
  toolDocText, toolDocFromFunction, toolDocFromApiRecord, toolsSystemPrompt, callJson, trajectoryMessages,
  trajectoryText, trajectoryDocument, codeDocument, instructionPair, checkFunctionDefinition, isEmptyField, NO_CALL_ANSWER,
} from './data/formats.js';
export type {
  JsonValue, JsonObject, ParameterSchema, ObjectSchema, FunctionDefinition, ApiRecord, ToolCall, TrajectoryStep,
  ToolDocOptions, TrajectoryDocumentOptions, InstructionPairInput, FunctionDefinitionCheck,
} from './data/formats.js';
export {
  syntheticCorpus, SAMPLE_TOOLS, sampleValue, sampleArguments, validateCall, simulateEnvironment, syntheticTrajectories,
  syntheticTrajectorySteps, syntheticCode, syntheticInstruction, syntheticToolDoc, TRAJECTORY_VARIANTS,
} from './data/synthetic/index.js';
export type {
  SyntheticOptions, SampleArgumentsOptions, TrajectoryVariant, TrajectoryStepOptions, SyntheticTrajectoryOptions,
  SyntheticCodeOptions, SyntheticInstructionOptions,
} from './data/synthetic/index.js';
export * from './data/sources/index.js';
export type { CorpusDocument, DocumentKind, TokenizedCorpusDocument } from './data/document.js';
export { encodeDocuments, splitTokens } from './data/tokens.js';

export { Trainer, DEFAULT_TRAIN_OPTIONS } from './train/trainer.js';
export type { TrainOptions, StepResult } from './train/trainer.js';
export { AdamW } from './train/adamw.js';
export type { AdamWOptions, AdamWState } from './train/adamw.js';
export { learningRate } from './train/schedule.js';
export type { LrSchedule } from './train/schedule.js';
export { runTraining } from './train/loop.js';
export type { RunOptions, TrainProgress } from './train/loop.js';

export { checkpointFiles, parseCheckpoint } from './store/checkpoint.js';
export type { Checkpoint, CheckpointFiles, TrainerState } from './store/checkpoint.js';

export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export {
  HephaestusError, ConfigError, InputError, CheckpointError, BackendError, NonFiniteError, AbortedError, TokenizerError,
  errorMessage,
} from './util/errors.js';
export type { ErrorCode } from './util/errors.js';

export { normalizeForHash, exactKey, hash64, shingleHashes, jaccard, MinHasher, Deduplicator, deduplicate } from './forge/dedup.js';
export type { DedupOptions, DedupDecision, DedupProgress, DedupResult, DuplicatePair } from './forge/dedup.js';
export { splitByFunction, checkLeakage, listFunctions, FunctionNameMatcher, GENERIC_NAMES } from './forge/heldout.js';
export type { SplitOptions, SplitResult, DroppedDocument, LeakageOptions, LeakageReport, NameHit, NgramHit } from './forge/heldout.js';
export { mixDocuments, DEFAULT_MIX, GROUP_OF_KIND } from './forge/mixing.js';
export type { MixGroup, MixRatio, MixOptions, MixResult, SizedDocument } from './forge/mixing.js';
export { PackedDataset } from './data/packing.js';
export type { PackOptions, PackStats, TokenizedDocument } from './data/packing.js';
export { compositionReport, formatComposition } from './forge/report.js';
export type { CompositionEntry, CompositionReport } from './forge/report.js';
export { corpusJsonl, llmcShards } from './data/export.js';
export { searchMixRatio, fitOptimum } from './recipe/mix-search.js';
export type { MixSearchOptions, MixSearchPoint, MixSearchResult } from './recipe/mix-search.js';
export { AgentClassifier, splitExamples } from './forge/classifier.js';
export type {
  AgentLabel, LabeledText, ClassifierTrainOptions, ClassifierProgress, AgentPrediction, ClassifierMetrics, Confusion,
  ClassifierConfig, SplitOptions as ExampleSplitOptions,
} from './forge/classifier.js';
export { HashedEmbedder, TransformersEmbedder, resolveModelLocation } from './forge/embedders.js';
export type { Embedder, HashedEmbedderOptions, TransformersEmbedderOptions, ModelLocation } from './forge/embedders.js';
export { retrieveAgentLike } from './forge/retrieval.js';
export type { RetrievalOptions, RetrievalResult, RetrievedDocument, RetrievalProgress, SimilarityScoring } from './forge/retrieval.js';
export type { FeatureOptions } from './text/features.js';
export { buildForge, packStage, isSeedAgentDocument, tokenizeDocuments } from './forge/builder.js';
export type { Stage, ForgeInput, ForgeOptions, ForgeCorpus } from './forge/builder.js';
