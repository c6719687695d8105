/**
 * One training run of the worker: `runTraining` driven with pause, resume, stop, save-now and timed
 * autosave. Each of those interrupts `runTraining` through its AbortSignal after the step in progress
 * (a step prepared ahead is dropped and the data source rewound, so nothing changes the sequence of
 * steps) and, except for a pause, lets it save; the loop then waits or carries on where it stopped.
 * @module
 */
import * as tf from '../runtime/tfjs.js';
import type { Batch, ResumableBatchSource } from '../data/batch.js';
import type { CheckpointInfo } from '../store/store.js';
import { runTraining, type SaveRequest, type TrainProgress } from '../train/loop.js';
import type { Trainer } from '../train/trainer.js';
import { AbortedError } from '../util/errors.js';
import type { AutosaveOptions, TrainerEvent, TrainerState, TrainOutcome } from './protocol.js';
import { RunControl } from './run-control.js';

/** Why a save happens, as the `saved` event tells it. */
export type SaveReason = Extract<TrainerEvent, { type: 'saved' }>['reason'];

/** What a {@link TrainingRun} works with. */
export interface RunParts {
  trainer: Trainer;
  source: ResumableBatchSource;
  evalBatches: Batch[];
  evalEvery: number;
  stage: string;
  autosave: AutosaveOptions;
  /** Saves the state reached (the source is at the position after the last step taken). */
  save(step: number, loss: number): Promise<CheckpointInfo>;
  emit(event: TrainerEvent): void;
  progressIntervalMs: number;
  /** Each step's result, as it comes (the service keeps the history). */
  onStep(step: number, loss: number): void;
}

/** Drives one run; see the module comment. */
export class TrainingRun {
  private readonly parts: RunParts;
  private readonly control: RunControl<'autosave'>;
  private lastSavedAt = performance.now();
  private lastSaved: CheckpointInfo | undefined;
  /** Step of the state last saved (or loaded): a stop saves only what is newer. */
  private lastSavedStep: number;
  private readonly throttle: ProgressThrottle<TrainerEvent>;

  constructor(parts: RunParts) {
    this.parts = parts;
    this.lastSavedStep = parts.trainer.stepCount;
    this.throttle = new ProgressThrottle(parts.progressIntervalMs, parts.emit);
    this.control = new RunControl('training', (state) => parts.emit({ type: 'state', state }));
  }

  get state(): TrainerState {
    return this.control.state;
  }

  /** Trains to the end or to a stop. */
  async run(): Promise<TrainOutcome> {
    const { trainer } = this.parts;
    const losses: number[] = [];
    const evaluations: { step: number; loss: number }[] = [];
    const end = async (reason: TrainOutcome['reason']): Promise<TrainOutcome> => {
      this.throttle.flush();
      if (reason === 'stopped' && this.lastSavedStep !== trainer.stepCount) await this.saveNow('stop');
      this.control.settle(this.lastSaved);
      return { reason, step: trainer.stepCount, losses, evaluations, checkpoint: this.lastSaved };
    };
    this.control.setState('training');
    try {
      while (trainer.stepCount < trainer.options.steps) {
        const signal = this.control.restart();
        try {
          evaluations.push(...await runTraining(trainer, this.parts.source, this.runOptions(losses, signal)));
        } catch (error) {
          const why = this.control.take();
          if (!(error instanceof AbortedError) || why === undefined) throw error;
          this.throttle.flush();
          if (why === 'stop' || (why === 'pause' && await this.control.hold())) return await end('stopped');
          if (why === 'pause') continue;
          // runTraining saves on an abort only after a step of its own: a save asked for before one is made here.
          if (this.lastSavedStep !== trainer.stepCount) await this.saveNow(why);
          this.control.settle(this.lastSaved);
        }
      }
      return await end('done');
    } catch (error) {
      this.throttle.flush();
      this.control.fail(error);
      throw error;
    } finally {
      this.control.setState('idle');
    }
  }

  /** Holds after the step in progress; resolves once held. */
  pause(): Promise<void> {
    return this.control.pause();
  }

  resume(): void {
    this.control.resume();
  }

  /** Ends after the step in progress, saving it (a paused run saves as it is). */
  stop(): Promise<CheckpointInfo | undefined> {
    return this.control.stop();
  }

  /** Saves after the step in progress and carries on (a paused run saves at once). */
  save(): Promise<CheckpointInfo | undefined> {
    if (this.state === 'paused') return this.saveNow('request');
    return this.control.request('request');
  }

  private runOptions(losses: number[], signal: AbortSignal): Parameters<typeof runTraining>[2] {
    const { evalBatches, evalEvery, autosave, stage } = this.parts;
    return {
      evalBatches, evalEvery, saveEvery: autosave.everySteps, signal,
      onProgress: (progress) => this.onProgress(progress, losses),
      onEval: ({ step, loss }) => this.parts.emit({ type: 'eval', stage, step, loss }),
      onSave: (request) => this.onSave(request),
    };
  }

  private onProgress(progress: TrainProgress, losses: number[]): void {
    losses.push(progress.loss);
    this.parts.onStep(progress.step, progress.loss);
    const memory = tf.memory();
    this.throttle.push({
      type: 'step', stage: this.parts.stage, step: progress.step, totalSteps: progress.totalSteps, loss: progress.loss, lr: progress.lr,
      gradNorm: progress.gradNorm, skipped: progress.skipped, tokensPerSecond: progress.tokensPerSecond, etaSeconds: progress.etaSeconds,
      memory: { tensors: memory.numTensors, bytes: memory.numBytes },
    });
    const seconds = this.parts.autosave.everySeconds;
    if (seconds && this.control.interrupt === undefined && performance.now() - this.lastSavedAt >= seconds * 1000) {
      this.control.interrupt = 'autosave';
      this.control.controller.abort();
    }
  }

  private async onSave(request: SaveRequest): Promise<void> {
    if (request.reason !== 'abort') {
      await this.saveNow(request.reason, request);
    } else if (this.control.interrupt !== 'pause') {
      await this.saveNow(this.control.interrupt ?? 'request', request);
    }
  }

  private async saveNow(reason: SaveReason, request?: SaveRequest): Promise<CheckpointInfo> {
    const { trainer } = this.parts;
    const info = await this.parts.save(request?.step ?? trainer.stepCount, request?.loss ?? Number.NaN);
    this.lastSaved = info;
    this.lastSavedStep = info.step;
    this.lastSavedAt = performance.now();
    this.parts.emit({ type: 'saved', checkpoint: info, reason });
    return info;
  }
}

/** Passes events on at most once per interval; the latest one held back is sent by {@link flush}. */
export class ProgressThrottle<E> {
  private readonly interval: number;
  private readonly emit: (event: E) => void;
  private lastSent = -Infinity;
  private pending: E | undefined;

  constructor(interval: number, emit: (event: E) => void) {
    this.interval = interval;
    this.emit = emit;
  }

  push(event: E): void {
    const now = performance.now();
    if (now - this.lastSent >= this.interval) {
      this.lastSent = now;
      this.pending = undefined;
      this.emit(event);
    } else {
      this.pending = event;
    }
  }

  flush(): void {
    if (this.pending === undefined) return;
    const event = this.pending;
    this.pending = undefined;
    this.lastSent = performance.now();
    this.emit(event);
  }
}

/**
 * Hands events to a page's callback without waiting for it; `settled` resolves once every delivery
 * did, so that a call returns only after the page has seen all its events.
 */
export function eventSink<E>(onEvent: ((event: E) => unknown) | undefined): { emit(event: E): void; settled(): Promise<unknown> } {
  const deliveries = new Set<Promise<unknown>>();
  return {
    emit(event) {
      const delivery = Promise.resolve(onEvent?.(event)).catch(() => undefined);
      deliveries.add(delivery);
      void delivery.then(() => deliveries.delete(delivery));
    },
    settled: () => Promise.all(deliveries),
  };
}
