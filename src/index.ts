/**
 * hephaestus-web: continual pre-training of language-model agents in the browser (the Hephaestus
 * recipe) on WebGPU through TensorFlow.js: the workflow (backend, model, tokenizer, trainer, Forge builder,
 * store, evaluation, run export). Browser-safe; Node helpers are in `hephaestus-web/node`, and the parts
 * also live under `hephaestus-web/forge`, `/tokenizer`, `/kernels` and `/eval`.
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
export {
  toHfConfig, fromHfConfig, toGenerationConfig, hfTokenIds, exportSafetensors, importSafetensors, importHfWeights, weightsForConfig, readWeights,
  SAFETENSORS_INDEX,
} from './model/hf-format.js';
export type { HfTokenIds } from './model/hf-format.js';
export { encodeSafetensors, decodeSafetensors } from './model/safetensors.js';
export type { NamedTensor, DecodedTensor } from './model/safetensors.js';

export * from './entries/tokenizer.js';

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
export type { TrainOptions, StepResult, PreparedStep } from './train/trainer.js';
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
export { IndexedDbBackend, openIndexedDbStore, idbKeyValueStorage, INDEXEDDB_MANIFEST_KEY } from './store/indexeddb.js';
export type { KeyValueStorage } from './store/indexeddb.js';
export { exportFiles, exportZip, EXPORT_FILES } from './store/export.js';
export { zipFiles, unzipFiles } from './util/zip.js';
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
export * from './entries/forge.js';
export { PackedDataset } from './data/packing.js';
export type { PackOptions, PackStats, TokenizedDocument } from './data/packing.js';
export { corpusJsonl, llmcShards } from './data/export.js';
export { searchMixRatio, fitOptimum, chooseTradeOff } from './recipe/mix-search.js';
export type { MixSearchOptions, MixSearchPoint, MixSearchResult, QuadraticFit } from './recipe/mix-search.js';
export type { FeatureOptions, ResolvedFeatureOptions } from './text/index.js';

export * from './entries/eval.js';
// The worker client (createTrainer) is the `hephaestus-web/worker` entry: here it would make Node bundles
// carry the whole worker. The service it drives runs in-process too (Node, tests); its types are there.
export { TrainerService } from './worker/service.js';
export type { RunStores, RunRecord } from './worker/runs.js';
export { buildCorpusFromSpec, describeCorpusSource, isReproducible } from './recipe/corpus-spec.js';
export type { BuildCorpusOptions, BuiltCorpus, CorpusProgress, CorpusSource, CorpusSpec, CorpusSummary } from './recipe/corpus-spec.js';
export { exportRun, benchmarkBatches, checkRunTokenizer } from './recipe/export-run.js';
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
