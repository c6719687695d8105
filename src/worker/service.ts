/**
 * The trainer the worker exposes, written once over a {@link CheckpointStore}: in the worker over
 * IndexedDB, in Node (tests, tools) over a folder. It holds one model with its tokenizer (and training
 * state), the attached data, and at most one run.
 * @module
 */
import { PRESETS, resolveConfig, type ModelConfig } from '../model/config.js';
import { fromHfConfig } from '../model/hf-format.js';
import { generate } from '../model/generate.js';
import { LlamaModel } from '../model/model.js';
import { countParams } from '../model/params.js';
import type { BackendInfo } from '../runtime/backend.js';
import { checkpointFiles, parseCheckpoint, type Checkpoint, type CheckpointFiles } from '../store/checkpoint.js';
import { exportZip } from '../store/export.js';
import type { CheckpointInfo, CheckpointStore } from '../store/store.js';
import { trainBpeTokenizer } from '../tokenizer/bpe-trainer.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import type { AdamWState } from '../train/adamw.js';
import { Trainer } from '../train/trainer.js';
import { CheckpointError, ConfigError, InputError, errorMessage, throwIfAborted } from '../util/errors.js';
import { unzipFiles } from '../util/zip.js';
import { AttachedData } from './data.js';
import { fitVocabulary, hfSourceFiles } from './hf-load.js';
import type {
  DataSummary, GenerateReply, GenerateRequest, HfSource, LoadOptions, ModelSpec, ModelSummary, ServiceOptions, TrainerApi,
  TrainerEvent, TrainerStatus, TrainingData, TrainOutcome, TrainRequest,
} from './protocol.js';
import { readRecordedRun, recordFor, type TrainingState } from './record.js';
import { TrainingRun } from './run.js';

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
  private held: Held | undefined;
  private attached: AttachedData | undefined;
  private run: TrainingRun | undefined;

  constructor(store: CheckpointStore, backend: BackendInfo, options: ServiceOptions = {}) {
    this.store = store;
    this.backend = backend;
    this.options = options;
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
    const given = spec.tokenizer && 'tokenizerJson' in spec.tokenizer ? spec.tokenizer : undefined;
    let tokenizer: Tokenizer;
    if (given) {
      tokenizer = await loadTokenizer(given);
    } else {
      if (!this.attached) throw new InputError('tokenizer', 'attach data first (the tokenizer is trained on it), or give tokenizer files');
      const vocabSize = (spec.tokenizer && 'vocabSize' in spec.tokenizer ? spec.tokenizer.vocabSize : undefined) ?? PRESETS[spec.preset].vocabSize;
      tokenizer = await trainBpeTokenizer(this.attached.texts, { vocabSize });
    }
    const config = { ...base, vocabSize: tokenizer.vocabSize };
    const model = LlamaModel.create(config, { seed: spec.seed ?? 0 });
    return this.hold({ model, tokenizer, summary: summaryOf(config, { kind: 'preset', preset: spec.preset }, 0, false) });
  }

  async loadCheckpoint(id?: string, expect: Partial<ModelConfig> = {}): Promise<ModelSummary> {
    this.checkIdle('load a checkpoint');
    const { info, files } = await this.store.load(id);
    const source = this.store.backend.describe(info.id);
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
    return this.hold({
      model, tokenizer, training, summary: summaryOf(checkpoint.config, { kind: 'checkpoint', id: info.id }, checkpoint.trainer?.step ?? 0, !!training),
    });
  }

  async loadHuggingFace(source: HfSource, options: LoadOptions = {}): Promise<ModelSummary> {
    this.checkIdle('load a model');
    const signal = options.signal ?? new AbortController().signal;
    const { files, name } = await hfSourceFiles(source, options.onProgress, signal);
    throwIfAborted(signal, `loading ${name}`);
    if (!files.has('tokenizer_config.json')) files.set('tokenizer_config.json', new TextEncoder().encode('{}'));
    if (!files.has('config.json')) throw new CheckpointError(`${name}: missing config.json`);
    fromHfConfig(parseJson(files.get('config.json')!, `${name}/config.json`), `${name}/config.json`);
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
    // Deliveries are awaited before the call returns, so the page sees every event before the outcome.
    const deliveries = new Set<Promise<unknown>>();
    const emit = (event: TrainerEvent) => {
      const delivery = Promise.resolve(onEvent?.(event)).catch(() => undefined);
      deliveries.add(delivery);
      void delivery.then(() => deliveries.delete(delivery));
    };
    const save = async (step: number, loss: number) => {
      const files = await checkpointFiles(held.model, held.tokenizer.toFiles(), {
        trainer: { step, skippedSteps: trainer.skippedSteps, batchSource: source.state(), extra: { run: { ...record }, history } },
        optimizer: await trainer.optimizer.saveState(),
      });
      return this.store.save(files, { step, loss, stage: record.stage });
    };
    this.run = new TrainingRun({
      trainer, source, evalBatches, evalEvery: record.evalEvery, stage: record.stage, autosave: request.autosave ?? {}, save, emit,
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
      await Promise.all(deliveries);
    }
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

  async save(): Promise<CheckpointInfo> {
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

  listCheckpoints(): Promise<CheckpointInfo[]> {
    return this.store.list();
  }

  deleteCheckpoint(id: string): Promise<void> {
    return this.store.delete(id);
  }

  async exportCheckpoint(id?: string): Promise<Blob> {
    const { info, files } = await this.store.load(id);
    const zip = exportZip(files, this.store.backend.describe(info.id), `hephaestus-${info.id}`);
    return new Blob([zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' });
  }

  async importCheckpoint(zip: Blob): Promise<CheckpointInfo> {
    const name = zip instanceof File ? zip.name : 'the imported zip';
    const files = withoutTraining(unzipFiles(new Uint8Array(await zip.arrayBuffer()), name), true);
    const checkpoint = parseCheckpoint(files, name);
    await loadTokenizer(checkpoint.tokenizer, { missingSpecialTokens: 'error' });
    trainingStateOf(checkpoint, name);
    return this.store.save(files, { step: checkpoint.trainer?.step ?? 0, stage: 'import' });
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

  private requireRun(what: string): TrainingRun {
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

/** The training state of a checkpoint with its recorded run, or undefined when it has none. */
function trainingStateOf(checkpoint: Checkpoint, source: string): TrainingState | undefined {
  if (!checkpoint.trainer || !checkpoint.optimizer) return undefined;
  const { run, history } = readRecordedRun(checkpoint.trainer.extra, `${source}/trainer_state.json`);
  return { trainer: checkpoint.trainer, optimizer: checkpoint.optimizer as AdamWState, run, history };
}

function checkTokenizerFits(tokenizer: Tokenizer, config: ModelConfig, source: string): void {
  if (tokenizer.vocabSize > config.vocabSize) {
    throw new CheckpointError(`${source}/config.json: field "vocab_size" is ${config.vocabSize}, but tokenizer.json has ${tokenizer.vocabSize} tokens`);
  }
}

/** Plain top-level files only, without our training state unless `keepTraining`. */
function withoutTraining(files: Map<string, Uint8Array>, keepTraining = false): CheckpointFiles {
  const training = new Set(['trainer_state.json', 'optimizer.safetensors']);
  return new Map([...files].filter(([name]) => /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/.test(name) && (keepTraining || !training.has(name))));
}

function parseJson(bytes: Uint8Array, source: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch (error) {
    throw new CheckpointError(`${source}: invalid JSON (${errorMessage(error)})`);
  }
  throw new CheckpointError(`${source}: must be a JSON object`);
}
