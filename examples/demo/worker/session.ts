/**
 * The demo worker's training session: one model, the stages of the plan run one after the other (a
 * fresh optimizer and learning-rate schedule per stage, as the recipe does), benchmark loss on the
 * held-out data, checkpoints in IndexedDB after every `saveEvery` steps, at each stage end and at every
 * pause or stop. A checkpoint records the plan, the stage and the corpus it was trained on, so that a
 * reloaded page resumes it at the same step with the same data order.
 */
import {
  AbortedError, CheckpointError, InputError, CheckpointStore, LlamaModel, Trainer, benchmarkBatches, checkpointFiles, errorMessage,
  isObject, loadTokenizer, packStage, parseCheckpoint, resolveConfig, runTraining,
  type Batch, type CheckpointInfo, type PackedDataset, type Tokenizer,
} from '../../../src/index.js';
import type { CorpusSpec, TrainOutcome, TrainPlan, TrainUpdate } from './api.js';
import type { BuiltCorpus } from './corpus.js';

/** What a demo checkpoint records about its run (trainer_state.json `extra.demo`). */
export interface RunRecord {
  plan: TrainPlan;
  stageIndex: number;
  /** The corpus spec without its files (those cannot be stored; the page must load them again). */
  corpus: Omit<CorpusSpec, 'source'> & { source: 'sample' | 'folder' | 'files'; documents?: number; label: string };
}

/** A stage being trained: its trainer and packed data. */
interface StageRun {
  index: number;
  trainer: Trainer;
  source: PackedDataset;
}

/** Loss history between two updates. */
type Pending = TrainUpdate['losses'];

const UPDATE_MS = 100;

/** The model, the corpus it trains on, and the run in progress (kept across a pause). */
export class Session {
  model: LlamaModel | undefined;
  tokenizer: Tokenizer | undefined;
  built: BuiltCorpus | undefined;
  private plan: TrainPlan | undefined;
  private stage: StageRun | undefined;
  private halt: AbortController | undefined;
  private haltKind: 'paused' | 'stopped' = 'stopped';
  private lastSaved: CheckpointInfo | undefined;

  constructor(readonly store: CheckpointStore) {}

  /** Uses a freshly built corpus (and its tokenizer); a run in memory is dropped. */
  useCorpus(built: BuiltCorpus): void {
    this.dropRun();
    this.built = built;
    this.tokenizer = built.tokenizer;
  }

  /** Asks the run to stop after the step in progress (it saves first). */
  requestHalt(kind: 'paused' | 'stopped'): void {
    this.haltKind = kind;
    this.halt?.abort();
  }

  /** A fresh run of `plan` from new weights. */
  start(plan: TrainPlan): void {
    const built = this.requireCorpus();
    this.dropRun();
    this.model?.dispose();
    this.model = LlamaModel.create(resolveConfig(plan.preset, { vocabSize: built.tokenizer.vocabSize, contextLength: plan.contextLength }), { seed: built.spec.seed });
    this.plan = plan;
    this.stage = this.openStage(0);
  }

  /**
   * Loads checkpoint `id` and positions the run where it stopped. `rebuild` builds the recorded corpus
   * with the checkpoint's tokenizer (the page's own data for folder and file sources).
   */
  async resume(id: string, fallbackPlan: TrainPlan | null, rebuild: (record: RunRecord | undefined, tokenizer: Tokenizer) => Promise<BuiltCorpus>): Promise<void> {
    const { info, files } = await this.store.load(id);
    const checkpoint = parseCheckpoint(files, this.store.backend.describe(id));
    const tokenizer = await loadTokenizer(checkpoint.tokenizer);
    const record = readRecord(checkpoint.trainer?.extra);
    const plan = record?.plan ?? fallbackPlan;
    if (!plan) throw new CheckpointError(`${info.id} has no demo run record: choose a plan and build a corpus first`);
    const built = await rebuild(record, tokenizer);
    this.dropRun();
    this.model?.dispose();
    this.model = LlamaModel.create(checkpoint.config, { weights: checkpoint.weights });
    this.built = built;
    this.tokenizer = tokenizer;
    this.plan = plan;
    this.lastSaved = info;
    const index = record?.stageIndex ?? 0;
    const stageStep = record ? (checkpoint.trainer?.step ?? 0) : 0;
    if (record && stageStep >= plan.stages[index].steps) {
      this.stage = index + 1 < plan.stages.length ? this.openStage(index + 1) : undefined;
      return;
    }
    this.stage = this.openStage(index);
    if (record && checkpoint.trainer && checkpoint.optimizer) {
      this.stage.trainer.restore(checkpoint.trainer, checkpoint.optimizer);
      this.stage.source.restore(checkpoint.trainer.batchSource);
    }
  }

  /** The global step of the run's position (steps of earlier stages plus this stage's). */
  globalStep(): number {
    if (!this.plan) return 0;
    const index = this.stage?.index ?? this.plan.stages.length;
    const before = this.plan.stages.slice(0, index).reduce((sum, stage) => sum + stage.steps, 0);
    return before + (this.stage?.trainer.stepCount ?? 0);
  }

  /** Where the run stands, as an update (after a resume, before any step). */
  position(loss: number | null): TrainUpdate | undefined {
    const plan = this.plan;
    if (!plan) return undefined;
    const index = Math.min(this.stage?.index ?? plan.stages.length - 1, plan.stages.length - 1);
    const totalSteps = plan.stages.reduce((sum, s) => sum + s.steps, 0);
    return {
      stageIndex: index, stage: plan.stages[index].stage, step: this.stage?.trainer.stepCount ?? plan.stages[index].steps,
      stageSteps: plan.stages[index].steps, globalStep: this.globalStep(), totalSteps, stages: plan.stages,
      loss: loss ?? Number.NaN, tokensPerSecond: 0, etaSeconds: Number.NaN, losses: [], resumed: true,
    };
  }

  /** The checkpoint the run last saved or resumed from. */
  get saved(): CheckpointInfo | undefined {
    return this.lastSaved;
  }

  /** Trains the remaining stages; returns when done, paused or stopped (saving in each case). */
  async run(onUpdate: (update: TrainUpdate) => void): Promise<TrainOutcome> {
    const plan = this.plan;
    if (!plan || !this.model) throw new CheckpointError('nothing to train: start a run or resume a checkpoint');
    this.halt = new AbortController();
    try {
      while (this.stage) {
        await this.runStage(this.stage, plan, onUpdate, this.halt.signal);
        const next = this.stage.index + 1;
        this.stage.trainer.dispose();
        this.stage = next < plan.stages.length ? this.openStage(next) : undefined;
      }
      return { status: 'done', globalStep: this.globalStep(), checkpoint: this.lastSaved };
    } catch (error) {
      if (!(error instanceof AbortedError)) throw error;
      const status = this.haltKind;
      const globalStep = this.globalStep();
      if (status === 'stopped') this.dropRun();
      return { status, globalStep, checkpoint: this.lastSaved };
    } finally {
      this.halt = undefined;
    }
  }

  private async runStage(stage: StageRun, plan: TrainPlan, onUpdate: (update: TrainUpdate) => void, signal: AbortSignal): Promise<void> {
    const built = this.requireCorpus();
    const model = this.model!;
    const tokenizer = this.tokenizer!;
    const { stage: name, steps } = plan.stages[stage.index];
    const before = plan.stages.slice(0, stage.index).reduce((sum, s) => sum + s.steps, 0);
    const totalSteps = plan.stages.reduce((sum, s) => sum + s.steps, 0);
    const evalBatches = benchmark(built, tokenizer, plan);
    let pending: Pending = [];
    let sentAt = 0;
    let latest: TrainUpdate | undefined;
    const flush = () => {
      if (latest && pending.length > 0) onUpdate({ ...latest, losses: pending });
      pending = [];
    };
    await runTraining(stage.trainer, stage.source, {
      evalBatches, evalEvery: plan.evalEvery, saveEvery: plan.saveEvery, signal,
      onEval: ({ loss }) => {
        if (latest) onUpdate({ ...latest, benchmarkLoss: loss, losses: [] });
      },
      onProgress: (p) => {
        pending.push({ globalStep: before + p.step, loss: p.loss });
        latest = {
          stageIndex: stage.index, stage: name, step: p.step, stageSteps: steps, globalStep: before + p.step, totalSteps, stages: plan.stages,
          loss: p.loss, tokensPerSecond: p.tokensPerSecond, etaSeconds: p.etaSeconds + etaOfLaterStages(plan, stage.index, p),
          losses: pending,
        };
        const now = performance.now();
        const last = p.step === steps || (plan.evalEvery > 0 && p.step % plan.evalEvery === 0);
        if (!last && now - sentAt < UPDATE_MS) return;
        sentAt = now;
        flush();
      },
      onSave: async ({ step, loss }) => {
        const record: RunRecord = { plan, stageIndex: stage.index, corpus: recordOf(built) };
        const files = await checkpointFiles(model, tokenizer.toFiles(), {
          trainer: { step, skippedSteps: stage.trainer.skippedSteps, batchSource: stage.source.state(), extra: { demo: { ...record } } },
          optimizer: await stage.trainer.optimizer.saveState(),
        });
        this.lastSaved = await this.store.save(files, { step: before + step, stage: name, loss });
      },
    }).finally(flush);
  }

  private openStage(index: number): StageRun {
    const plan = this.plan!;
    const built = this.requireCorpus();
    const { stage, steps } = plan.stages[index];
    const source = packStage(built.corpus, stage, { seqLen: plan.seqLen, batchSize: plan.batchSize, seed: built.spec.seed + index, tokenizer: this.tokenizer! });
    const trainer = new Trainer(this.model!, {
      steps, lr: plan.lr, minLr: plan.lr / 10, warmupSteps: Math.max(1, Math.min(10, Math.floor(steps / 5))),
    });
    return { index, trainer, source };
  }

  private requireCorpus(): BuiltCorpus {
    if (!this.built) throw new CheckpointError('no corpus: build one in the Data section first');
    return this.built;
  }

  private dropRun(): void {
    this.stage?.trainer.dispose();
    this.stage = undefined;
    this.plan = undefined;
  }
}

/** Held-out benchmark batches (at most 2), or none when the evaluation data is shorter than a batch. */
function benchmark(built: BuiltCorpus, tokenizer: Tokenizer, plan: TrainPlan): Batch[] {
  if (built.corpus.evaluation.length === 0) return [];
  try {
    return benchmarkBatches(built.corpus, tokenizer, { batchSize: plan.batchSize, seqLen: plan.seqLen, batches: 2, seed: built.spec.seed });
  } catch (error) {
    if (error instanceof InputError) return [];
    throw error;
  }
}

/** Seconds the later stages will take at this stage's pace. */
function etaOfLaterStages(plan: TrainPlan, index: number, progress: { etaSeconds: number; step: number; totalSteps: number }): number {
  const left = progress.totalSteps - progress.step;
  const perStep = left > 0 ? progress.etaSeconds / left : 0;
  return plan.stages.slice(index + 1).reduce((sum, stage) => sum + stage.steps, 0) * perStep;
}

function recordOf(built: BuiltCorpus): RunRecord['corpus'] {
  const { source, ...rest } = built.spec;
  return { ...rest, source: source.kind, documents: source.kind === 'sample' ? source.documents : undefined, label: built.summary.label };
}

/** The run record of a checkpoint's `extra`, or undefined for a checkpoint made elsewhere. */
export function readRecord(extra: Record<string, unknown> | undefined): RunRecord | undefined {
  const demo = extra?.demo;
  if (!isObject(demo)) return undefined;
  try {
    const record = demo as unknown as RunRecord;
    if (!Array.isArray(record.plan.stages) || !Number.isInteger(record.stageIndex) || typeof record.corpus.seed !== 'number') throw new Error('fields missing');
    return record;
  } catch (error) {
    throw new CheckpointError(`trainer_state.json: field "extra.demo" is not a demo run record (${errorMessage(error)})`);
  }
}
