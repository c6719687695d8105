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
export { kernelsFor, tfjsOps, tfjsCpuOps, webgpuOps, STEP_STATS } from './kernels/index.js';
export type { Ops, AdamWHyper, AdamWSlot, StepStatsOptions, KernelChoice } from './kernels/index.js';
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
export type {
  Batch, BatchSource, ResumableBatchSource, BatchSourceState, WindowSamplerState, PackedDatasetState, WindowSamplerOptions,
} from './data/batch.js';
export * from './tools/index.js';
export {
  toolDocText, toolDocFromFunction, toolDocFromApiRecord, trajectoryMessages,
  trajectoryText, trajectoryDocument, codeDocument, instructionPair, isEmptyField, NO_CALL_ANSWER,
} from './data/formats.js';
export type {
  ApiRecord, TrajectoryStep, ToolDocOptions, TrajectoryDocumentOptions, InstructionPairInput,
} from './data/formats.js';
export {
  syntheticCorpus, SAMPLE_TOOLS, sampleValue, sampleArguments, simulateEnvironment, syntheticTrajectories,
  syntheticTrajectorySteps, syntheticCode, syntheticInstruction, syntheticToolDoc, TRAJECTORY_VARIANTS,
} from './data/synthetic/index.js';
export type {
  SyntheticOptions, SampleArgumentsOptions, TrajectoryVariant, TrajectoryStepOptions, SyntheticTrajectoryOptions,
  SyntheticCodeOptions, SyntheticInstructionOptions,
} from './data/synthetic/index.js';
export * from './data/sources/index.js';
export type { CorpusDocument, DocumentKind, TokenizedCorpusDocument } from './data/document.js';
export { encodeDocuments, splitTokens } from './data/tokens.js';

export { Trainer, DEFAULT_TRAIN_OPTIONS, validateTrainOptions } from './train/trainer.js';
export type { TrainOptions, StepResult } from './train/trainer.js';
export { AdamW } from './train/adamw.js';
export type { AdamWOptions, AdamWState } from './train/adamw.js';
export { learningRate } from './train/schedule.js';
export type { LrSchedule } from './train/schedule.js';
export { runTraining } from './train/loop.js';
export type { RunOptions, TrainProgress, SaveRequest } from './train/loop.js';

export { checkpointFiles, parseCheckpoint, HF_FILES } from './store/checkpoint.js';
export type { Checkpoint, CheckpointFiles, TrainerState } from './store/checkpoint.js';
export { parseTrainerState } from './store/trainer-state.js';
export type { SavedTrainerState } from './store/trainer-state.js';
export { CheckpointStore } from './store/store.js';
export type { BlobBackend, CheckpointInfo, CheckpointStoreOptions, LoadedCheckpoint, SaveMeta, SavePoint } from './store/store.js';
export { MANIFEST_FORMAT, MANIFEST_VERSION, CHECKPOINT_ID, emptyManifest, encodeManifest, parseManifest } from './store/manifest.js';
export { sha256Hex } from './util/sha256.js';
export type { Manifest, ManifestEntry, ManifestFile } from './store/manifest.js';

export { Rng } from './util/rng.js';
export type { RngState } from './util/rng.js';
export {
  HephaestusError, ConfigError, InputError, CheckpointError, BackendError, NonFiniteError, AbortedError, TokenizerError,
  errorMessage,
} from './util/errors.js';
export type { ErrorCode, CheckpointProblem, CheckpointErrorOptions } from './util/errors.js';

export { normalizeForHash, exactKey, hash64 } from './text/index.js';
export { shingleHashes, jaccard, MinHasher, Deduplicator, deduplicate } from './forge/dedup.js';
export type { DedupOptions, DedupDecision, DedupProgress, DedupResult, DuplicatePair } from './forge/dedup.js';
export { splitByFunction, checkLeakage, formatLeakage, listFunctions, FunctionNameMatcher, GENERIC_NAMES } from './forge/heldout.js';
export type {
  SplitOptions, SplitResult, DroppedDocument, LeakageOptions, LeakageReport, NameHit, NgramHit, MentionForm, FunctionMention, NameMatchOptions,
} from './forge/heldout.js';
export { mixDocuments, DEFAULT_MIX, GROUP_OF_KIND } from './forge/mixing.js';
export type { MixGroup, MixRatio, MixOptions, MixResult, SizedDocument } from './forge/mixing.js';
export { PackedDataset } from './data/packing.js';
export type { PackOptions, PackStats, TokenizedDocument } from './data/packing.js';
export { compositionReport, formatComposition } from './forge/report.js';
export type { CompositionEntry, CompositionReport } from './forge/report.js';
export { corpusJsonl, llmcShards } from './data/export.js';
export { benchmarkRows, holdOutGeneralText, measureBenchmarkLoss } from './eval/benchmark-loss.js';
export type { BenchmarkShape, BenchmarkSets, BenchmarkLoss, LossEvaluator } from './eval/benchmark-loss.js';
export { searchMixRatio, fitOptimum, chooseTradeOff } from './recipe/mix-search.js';
export type { MixSearchOptions, MixSearchPoint, MixSearchResult, QuadraticFit } from './recipe/mix-search.js';
export { AgentClassifier, splitExamples } from './forge/classifier.js';
export type {
  AgentLabel, LabeledText, ClassifierTrainOptions, ClassifierProgress, AgentPrediction, ClassifierMetrics, Confusion,
  ClassifierConfig, SplitOptions as ExampleSplitOptions,
} from './forge/classifier.js';
export { HashedEmbedder, TransformersEmbedder, resolveModelLocation } from './forge/embedders.js';
export type { Embedder, HashedEmbedderOptions, TransformersEmbedderOptions, ModelLocation } from './forge/embedders.js';
export { retrieveAgentLike } from './forge/retrieval.js';
export type { RetrievalOptions, RetrievalResult, RetrievedDocument, RetrievalProgress, SimilarityScoring } from './forge/retrieval.js';
export type { FeatureOptions } from './text/index.js';
export { buildForge, packStage, isSeedAgentDocument, isGeneralDocument, tokenizeDocuments } from './forge/builder.js';
export type { Stage, ForgeInput, ForgeOptions, ForgeCorpus, PackStageOptions } from './forge/builder.js';

export * from './eval/bfcl/index.js';
export { exportRun, benchmarkBatches } from './recipe/export-run.js';
export type { ExportRunInput, RunFile, BenchmarkOptions } from './recipe/export-run.js';
export { runPipeline } from './recipe/pipeline.js';
export type { PipelineInput, PipelineEvent, PipelineResult, PipelineBase, BenchmarkPoint, StageOutcome } from './recipe/pipeline.js';
export { parsePipelinePlan, parsePipelinePlanFile, checkContext, DEFAULT_PIPELINE_PLAN } from './recipe/pipeline-plan.js';
export type { PipelinePlan, PipelineBenchmark, PipelinePlanFile, PipelineBaseSpec, PipelineEvaluation } from './recipe/pipeline-plan.js';
export { syntheticBfclItems, selectItems, trainedFunctions } from './recipe/pipeline-eval.js';
export { RUN_FORMAT, RUN_FORMAT_VERSION, STAGES, stageSteps, stageTrainOptions, parseStagePlans } from './recipe/run-plan.js';
export type { StageSchedule, StagePlan, StageTrainSettings, RunPlan, RunStage, RunPosition, RunBenchmark, ShardFile } from './recipe/run-plan.js';
export {
  encodeShardPair, decodeShard, SHARD_HEADER_BYTES, RUN_SHARD_MARK, MASK_SHARD_MAGIC, MASK_SHARD_VERSION,
} from './recipe/run-shards.js';
export type { ShardMeta, ShardRows } from './recipe/run-shards.js';
