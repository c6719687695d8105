/**
 * The trainer the worker exposes, written once over a {@link CheckpointStore} and the pipeline runs'
 * {@link RunStores}: in the worker over IndexedDB, in Node (tests, tools) over folders. It holds one
 * model with its tokenizer (and training state), the attached data, the built corpus, and at most one
 * run (single-stage or pipeline).
 * @module
 */
import { PRESETS, resolveConfig, type ModelConfig } from '../model/config.js';
import { fromHfConfig } from '../model/hf-format.js';
import { generate } from '../model/generate.js';
import { LlamaModel } from '../model/model.js';
import { countParams } from '../model/params.js';
import type { BackendInfo } from '../runtime/backend.js';
import { loadBfclItems, type BfclItem } from '../eval/bfcl/items.js';
import { buildCorpusFromSpec, type BuiltCorpus, type CorpusProgress, type CorpusSummary } from '../recipe/corpus-spec.js';
import { checkpointFiles, parseCheckpoint } from '../store/checkpoint.js';
import { exportZip } from '../store/export.js';
import type { CheckpointInfo, CheckpointStore } from '../store/store.js';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { Trainer } from '../train/trainer.js';
import { CheckpointError, ConfigError, InputError, errorMessage, throwIfAborted } from '../util/errors.js';
import { unzipFiles } from '../util/zip.js';
import { answerQuestion, evaluateCalls } from './calls.js';
import { AttachedData } from './data.js';
import { checkTokenizerFits, fitVocabulary, hfSourceFiles, parseJsonObject, withoutTraining } from './hf-load.js';
import { PipelineSession } from './pipeline-run.js';
import { prepareFreshRun, prepareResumedRun, runTokenizer, type PreparedRun } from './pipeline-setup.js';
import type {
  DataSummary, GenerateReply, GenerateRequest, HfSource, LoadOptions, ModelSpec, ModelSummary, PipelineRunEvent, ServiceOptions, TrainerApi,
  TrainerEvent, TrainerStatus, TrainingData, TrainOutcome, TrainRequest,
} from './protocol.js';
import type {
  CallEvaluation, CallEvaluationProgress, CallEvaluationRequest, CallReply, CallRequest, CorpusRequest, PipelineOutcome, PipelineRequest,
  PipelineRunInfo,
} from './recipe-protocol.js';
import { recordFor, trainingStateOf, type TrainingState } from './record.js';
import { ProgressThrottle, TrainingRun, eventSink } from './run.js';
import { RunStoreCache, checkRunName, listRuns, removeRun, type RunStores } from './runs.js';

/** The model the service holds. */
interface Held {
  model: LlamaModel;
  tokenizer: Tokenizer;
  summary: ModelSummary;
  /** The training state to continue from (a loaded checkpoint's, or the last run's). */
  training?: TrainingState;
}

/** See the module comment; every method of {@link TrainerApi}. */
export class TrainerService implements TrainerApi {
  readonly store: CheckpointStore;
  readonly backend: BackendInfo;
  private readonly options: ServiceOptions;
  private readonly runs: RunStoreCache;
  private held: Held | undefined;
  private attached: AttachedData | undefined;
  private built: BuiltCorpus | undefined;
  private run: TrainingRun | PipelineSession | undefined;

  /** @param runs where pipeline runs keep their checkpoints; without it `runPipeline` is refused */
  constructor(store: CheckpointStore, backend: BackendInfo, options: ServiceOptions = {}, runs?: RunStores) {
    this.store = store;
    this.backend = backend;
    this.options = options;
    this.runs = new RunStoreCache(runs);
  }

  async status(): Promise<TrainerStatus> {
    return {
      state: this.run?.state ?? 'idle', backend: this.backend, model: this.held?.summary ?? null,
      data: this.attached ? await this.attached.summary(this.held?.tokenizer) : null,
    };
  }

  async createModel(spec: ModelSpec): Promise<ModelSummary> {
    this.checkIdle('create a model');
    const base = resolveConfig(spec.preset, spec.overrides ?? {});
    const given = spec.tokenizer && typeof spec.tokenizer === 'object' && 'tokenizerJson' in spec.tokenizer ? spec.tokenizer : undefined;
    let tokenizer: Tokenizer;
    if (spec.tokenizer === 'corpus') {
      if (!this.built) throw new InputError('tokenizer', 'build a corpus first: its tokenizer is asked for');
      tokenizer = this.built.tokenizer;
    } else if (given) {
      tokenizer = await loadTokenizer(given);
    } else {
      if (!this.attached) throw new InputError('tokenizer', 'attach data first (the tokenizer is trained on it), or give tokenizer files');
      const vocabSize = (typeof spec.tokenizer === 'object' && 'vocabSize' in spec.tokenizer ? spec.tokenizer.vocabSize : undefined) ?? PRESETS[spec.preset].vocabSize;
      tokenizer = await trainBpeTokenizer(this.attached.texts, { vocabSize });
    }
    const config = { ...base, vocabSize: tokenizer.vocabSize };
    const model = LlamaModel.create(config, { seed: spec.seed ?? 0 });
    return this.hold({ model, tokenizer, summary: summaryOf(config, { kind: 'preset', preset: spec.preset }, 0, false) });
  }

  async loadCheckpoint(id?: string, expect: Partial<ModelConfig> = {}, run?: string): Promise<ModelSummary> {
    this.checkIdle('load a checkpoint');
    return this.holdCheckpoint(this.storeOf(run), id, expect, run);
  }

  /** Holds a checkpoint of `store` as the model (see {@link loadCheckpoint}); `run` names a pipeline run's store. */
  private async holdCheckpoint(store: CheckpointStore, id: string | undefined, expect: Partial<ModelConfig>, run: string | undefined): Promise<ModelSummary> {
    const { info, files } = await store.load(id);
    const source = store.backend.describe(info.id);
    const checkpoint = parseCheckpoint(files, source);
    for (const [field, value] of Object.entries(expect) as [keyof ModelConfig, unknown][]) {
      if (checkpoint.config[field] !== value) {
        throw new ConfigError(field, `the checkpoint ${info.id} has ${field} ${String(checkpoint.config[field])}, this page expects ${String(value)}; nothing was loaded`);
      }
    }
    const tokenizer = await loadTokenizer(checkpoint.tokenizer, { missingSpecialTokens: 'error' });
    checkTokenizerFits(tokenizer, checkpoint.config, source);
    const training = trainingStateOf(checkpoint, source);
    const model = LlamaModel.create(checkpoint.config, { weights: checkpoint.weights });
    const from = run === undefined ? { kind: 'checkpoint' as const, id: info.id } : { kind: 'checkpoint' as const, id: info.id, run };
    return this.hold({ model, tokenizer, training, summary: summaryOf(checkpoint.config, from, info.step, !!training) });
  }

  async loadHuggingFace(source: HfSource, options: LoadOptions = {}): Promise<ModelSummary> {
    this.checkIdle('load a model');
    const signal = options.signal ?? new AbortController().signal;
    const { files, name } = await hfSourceFiles(source, options.onProgress, signal);
    throwIfAborted(signal, `loading ${name}`);
    if (!files.has('tokenizer_config.json')) files.set('tokenizer_config.json', new TextEncoder().encode('{}'));
    if (!files.has('config.json')) throw new CheckpointError(`${name}: missing config.json`);
    fromHfConfig(parseJsonObject(files.get('config.json')!, `${name}/config.json`), `${name}/config.json`);
    const checkpoint = parseCheckpoint(withoutTraining(files), name);
    // A base model's tokenizer gets our special tokens appended; the embedding grows to fit.
    const tokenizer = await loadTokenizer(checkpoint.tokenizer, { missingSpecialTokens: 'add' });
    const config = fitVocabulary(checkpoint.config, checkpoint.weights, tokenizer.vocabSize);
    const model = LlamaModel.create(config, { weights: checkpoint.weights });
    return this.hold({ model, tokenizer, summary: summaryOf(config, { kind: 'huggingface', name }, 0, false) });
  }

  async attachData(data: TrainingData): Promise<DataSummary> {
    this.checkIdle('attach data');
    this.attached = await AttachedData.read(data);
    return this.attached.summary(this.held?.tokenizer);
  }

  async buildCorpus(request: CorpusRequest, onProgress?: (progress: CorpusProgress) => void): Promise<CorpusSummary> {
    this.checkIdle('build a corpus');
    const { tokenizer: choice = { vocabSize: 1024 }, ...spec } = request;
    const tokenizer = choice === 'model' ? this.requireModel().tokenizer : 'run' in choice ? await runTokenizer(this.runStore(choice.run)) : undefined;
    const sink = eventSink(onProgress);
    const throttle = new ProgressThrottle(this.options.progressIntervalMs ?? 100, sink.emit);
    try {
      const vocabSize = typeof choice === 'object' && 'vocabSize' in choice ? choice.vocabSize : undefined;
      this.built = await buildCorpusFromSpec(spec, { tokenizer, vocabSize, onProgress: (p) => throttle.push(p) });
      return this.built.summary;
    } finally {
      throttle.flush();
      await sink.settled();
    }
  }

  async train(request: TrainRequest, onEvent?: (event: TrainerEvent) => void): Promise<TrainOutcome> {
    this.checkIdle('start training');
    const held = this.requireModel();
    if (!this.attached) throw new InputError('data', 'attach training data first');
    const attached = this.attached;
    const { fingerprint } = await attached.tokens(held.tokenizer);
    const previous = request.resume ? held.training : undefined;
    if (request.resume && !previous) throw new InputError('resume', `the model (${describeSource(held.summary)}) holds no training state to resume`);
    const record = recordFor(request, held.model.config, fingerprint, previous?.run);
    if (previous && record.steps <= previous.trainer.step) {
      throw new InputError('steps', `the run is complete at step ${previous.trainer.step} of ${record.steps}: pass a larger steps to train further`);
    }
    const trainer = new Trainer(held.model, {
      steps: record.steps, lr: record.lr, minLr: record.minLr, warmupSteps: record.warmupSteps, weightDecay: record.weightDecay,
      clipNorm: record.clipNorm, accumulation: record.accumulation,
    });
    const { source, evalBatches } = await attached.batches(held.tokenizer, record);
    const history = [...(previous?.history ?? [])];
    if (previous) {
      trainer.restore(previous.trainer, previous.optimizer);
      try {
        source.restore(previous.trainer.batchSource);
      } catch (error) {
        trainer.dispose();
        throw new CheckpointError(`trainer_state.json: field "batchSource": ${errorMessage(error)}`);
      }
    }
    const sink = eventSink(onEvent);
    const save = async (step: number, loss: number) => {
      const files = await checkpointFiles(held.model, held.tokenizer.toFiles(), {
        trainer: { step, skippedSteps: trainer.skippedSteps, batchSource: source.state(), extra: { run: { ...record }, history } },
        optimizer: await trainer.optimizer.saveState(),
      });
      return this.store.save(files, { step, loss, stage: record.stage });
    };
    this.run = new TrainingRun({
      trainer, source, evalBatches, evalEvery: record.evalEvery, stage: record.stage, autosave: request.autosave ?? {}, save, emit: sink.emit,
      progressIntervalMs: this.options.progressIntervalMs ?? 100, onStep: (step, loss) => history.push([step, loss]),
    });
    try {
      const outcome = await this.run.run();
      held.training = {
        trainer: { step: trainer.stepCount, skippedSteps: trainer.skippedSteps, batchSource: source.state(), extra: {} },
        optimizer: await trainer.optimizer.saveState(), run: record, history,
      };
      held.summary = { ...held.summary, step: trainer.stepCount, resumable: true };
      return outcome;
    } catch (error) {
      // The weights may have moved past the last checkpoint; only a checkpoint resumes exactly now.
      held.training = undefined;
      held.summary = { ...held.summary, step: trainer.stepCount, resumable: false };
      throw error;
    } finally {
      this.run = undefined;
      trainer.dispose();
      await sink.settled();
    }
  }

  async runPipeline(request: PipelineRequest, onEvent?: (event: PipelineRunEvent) => void): Promise<PipelineOutcome> {
    this.checkIdle('start a pipeline');
    const name = checkRunName(request.name);
    const store = this.runStore(name);
    const sink = eventSink(onEvent);
    try {
      const prepared: PreparedRun = request.resume
        ? await prepareResumedRun(request, store, this.built, (progress) => sink.emit({ kind: 'corpus', progress }))
        : await prepareFreshRun(request, store, this.held, this.built);
      this.built = prepared.built;
      const session = new PipelineSession({
        input: { base: prepared.base, corpus: prepared.built.corpus, plan: prepared.plan, store, generalText: prepared.built.generalText, seed: request.seed ?? prepared.record.seed },
        resumeFrom: prepared.resumeFrom, emit: sink.emit, progressIntervalMs: this.options.progressIntervalMs ?? 100,
        // Paused or ended, the run's last checkpoint is the model (for generate, calls, export).
        onHold: async (checkpoint) => {
          await this.holdCheckpoint(store, checkpoint.id, {}, name);
        },
      });
      this.run = session;
      return await session.run().finally(() => { this.run = undefined; });
    } finally {
      await sink.settled();
    }
  }

  async listPipelines(): Promise<PipelineRunInfo[]> {
    return listRuns(await this.runs.names(), (name) => this.runStore(name));
  }

  async deletePipeline(name: string): Promise<void> {
    if (this.run instanceof PipelineSession) throw new InputError('trainer', `cannot delete pipeline run "${name}" while a pipeline runs: stop it first`);
    await removeRun(this.runStore(checkRunName(name)));
  }

  async pause(): Promise<void> {
    await this.requireRun('pause').pause();
  }

  async resume(): Promise<void> {
    this.requireRun('resume').resume();
  }

  async stop(): Promise<CheckpointInfo | undefined> {
    return this.requireRun('stop').stop();
  }

  async evaluate(): Promise<{ loss: number; batches: number }> {
    this.checkIdle('evaluate');
    const held = this.requireModel();
    if (!this.attached) throw new InputError('data', 'attach data first: the validation tail of it is evaluated');
    const record = recordFor({ resume: !!held.training }, held.model.config, '', held.training?.run);
    const { evalBatches } = await this.attached.batches(held.tokenizer, record);
    if (evalBatches.length === 0) throw new InputError('data', `the validation tail holds less than one sequence of ${record.seqLen + 1} tokens`);
    const trainer = new Trainer(held.model);
    try {
      return { loss: await trainer.evaluate(evalBatches), batches: evalBatches.length };
    } finally {
      trainer.dispose();
    }
  }

  async generate(request: GenerateRequest): Promise<GenerateReply> {
    this.checkIdle('generate', ['paused']);
    const { model, tokenizer } = this.requireModel();
    const stopTokens = request.stopAtEnd === false ? [] : [tokenizer.special.endOfTurn, tokenizer.special.endOfText];
    const result = await generate(model, tokenizer.encode(request.prompt), {
      maxNewTokens: request.maxNewTokens, temperature: request.temperature, topK: request.topK, seed: request.seed, stopTokens,
    });
    return { text: tokenizer.decode(result.tokens), tokens: result.tokens, stopReason: result.stopReason };
  }

  async generateCall(request: CallRequest): Promise<CallReply> {
    this.checkIdle('generate', ['paused']);
    const { model, tokenizer } = this.requireModel();
    return answerQuestion(model, tokenizer, request);
  }

  async evaluateCalls(request: CallEvaluationRequest = {}, onProgress?: (progress: CallEvaluationProgress) => void): Promise<CallEvaluation> {
    this.checkIdle('evaluate', ['paused']);
    const { model, tokenizer } = this.requireModel();
    const sink = eventSink(onProgress);
    try {
      return await evaluateCalls(model, tokenizer, request, this.built?.corpus, sink.emit);
    } finally {
      await sink.settled();
    }
  }

  async readBfclItems(questions: Blob, answers?: Blob, limit?: number): Promise<BfclItem[]> {
    const items = await loadBfclItems(questions, answers ?? []);
    return items.slice(0, limit ?? items.length);
  }

  async save(): Promise<CheckpointInfo> {
    if (this.run instanceof PipelineSession) {
      const info = await this.run.save();
      if (!info) throw new InputError('trainer', 'the pipeline run has trained no step to save yet');
      return info;
    }
    if (this.run) {
      const info = await this.run.save();
      if (info) return info;
    }
    const held = this.requireModel();
    const training = held.training;
    const files = await checkpointFiles(held.model, held.tokenizer.toFiles(), training && {
      trainer: { ...training.trainer, extra: { run: { ...training.run }, history: training.history } }, optimizer: training.optimizer,
    });
    return this.store.save(files, { step: held.summary.step, stage: training?.run.stage ?? 'train', loss: training?.history.at(-1)?.[1] });
  }

  listCheckpoints(run?: string): Promise<CheckpointInfo[]> {
    return this.storeOf(run).list();
  }

  deleteCheckpoint(id: string, run?: string): Promise<void> {
    return this.storeOf(run).delete(id);
  }

  async exportCheckpoint(id?: string, run?: string): Promise<Blob> {
    const store = this.storeOf(run);
    const { info, files } = await store.load(id);
    const zip = exportZip(files, store.backend.describe(info.id), `hephaestus-${run === undefined ? '' : `${run}-`}${info.id}`);
    return new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
  }

  async importCheckpoint(zip: Blob): Promise<CheckpointInfo> {
    const name = zip instanceof File ? zip.name : 'the imported zip';
    const files = withoutTraining(unzipFiles(new Uint8Array(await zip.arrayBuffer()), name), true);
    const checkpoint = parseCheckpoint(files, name);
    await loadTokenizer(checkpoint.tokenizer, { missingSpecialTokens: 'error' });
    trainingStateOf(checkpoint, name);
    return this.store.save(files, { step: checkpoint.trainer?.step ?? 0, stage: 'imported' });
  }

  /** Frees the model (the store and its data stay). */
  dispose(): void {
    this.held?.model.dispose();
    this.held = undefined;
  }

  private hold(held: Held): ModelSummary {
    this.held?.model.dispose();
    this.held = held;
    return held.summary;
  }

  private requireModel(): Held {
    if (!this.held) throw new InputError('model', 'no model yet: create one, or load a checkpoint or a Hugging Face model');
    return this.held;
  }

  /** The single-stage store, or the store of pipeline run `run`. */
  private storeOf(run: string | undefined): CheckpointStore {
    return run === undefined ? this.store : this.runStore(checkRunName(run));
  }

  private runStore(name: string): CheckpointStore {
    return this.runs.store(name);
  }

  private requireRun(what: string): TrainingRun | PipelineSession {
    if (!this.run) throw new InputError('trainer', `cannot ${what}: no training in progress`);
    return this.run;
  }

  private checkIdle(what: string, allowed: string[] = []): void {
    if (this.run && !allowed.includes(this.run.state)) throw new InputError('trainer', `cannot ${what} while training is ${this.run.state}: stop it first`);
  }
}

function summaryOf(config: ModelConfig, source: ModelSummary['source'], step: number, resumable: boolean): ModelSummary {
  return { config, parameters: countParams(config), source, step, resumable };
}

function describeSource(summary: ModelSummary): string {
  const { source } = summary;
  return source.kind === 'preset' ? `a fresh ${source.preset} model` : source.kind === 'checkpoint' ? `checkpoint ${source.id}` : source.name;
}

