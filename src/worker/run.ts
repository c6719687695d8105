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
import { AbortedError, InputError } from '../util/errors.js';
import type { AutosaveOptions, TrainerEvent, TrainerState, TrainOutcome } from './protocol.js';

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

type Interrupt = 'pause' | 'stop' | 'request' | 'autosave';

/** A pending request that the loop settles once it has acted on it. */
interface Waiter {
  resolve(info: CheckpointInfo | undefined): void;
  reject(error: unknown): void;
}

/** Drives one run; see the module comment. */
export class TrainingRun {
  state: TrainerState = 'idle';
  private readonly parts: RunParts;
  private controller = new AbortController();
  private interrupt: Interrupt | undefined;
  private waiters: Waiter[] = [];
  private resumeGate: (() => void) | undefined;
  private lastSavedAt = performance.now();
  private lastSaved: CheckpointInfo | undefined;
  /** Step of the state last saved (or loaded): a stop saves only what is newer. */
  private lastSavedStep: number;
  private readonly throttle: ProgressThrottle<TrainerEvent>;

  constructor(parts: RunParts) {
    this.parts = parts;
    this.lastSavedStep = parts.trainer.stepCount;
    this.throttle = new ProgressThrottle(parts.progressIntervalMs, parts.emit);
  }

  /** Trains to the end or to a stop. */
  async run(): Promise<TrainOutcome> {
    const { trainer } = this.parts;
    const losses: number[] = [];
    const evaluations: { step: number; loss: number }[] = [];
    const end = async (reason: TrainOutcome['reason']): Promise<TrainOutcome> => {
      this.throttle.flush();
      if (reason === 'stopped' && this.lastSavedStep !== trainer.stepCount) await this.saveNow('stop');
      this.settle(this.lastSaved);
      return { reason, step: trainer.stepCount, losses, evaluations, checkpoint: this.lastSaved };
    };
    this.setState('training');
    try {
      while (trainer.stepCount < trainer.options.steps) {
        this.controller = new AbortController();
        try {
          evaluations.push(...await runTraining(trainer, this.parts.source, this.runOptions(losses)));
        } catch (error) {
          const why = this.interrupt;
          if (!(error instanceof AbortedError) || why === undefined) throw error;
          this.interrupt = undefined;
          this.throttle.flush();
          if (why === 'stop' || (why === 'pause' && await this.hold())) return await end('stopped');
          if (why === 'pause') continue;
          // runTraining saves on an abort only after a step of its own: a save asked for before one is made here.
          if (this.lastSavedStep !== trainer.stepCount) await this.saveNow(why);
          this.settle(this.lastSaved);
        }
      }
      return await end('done');
    } catch (error) {
      this.throttle.flush();
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
      throw error;
    } finally {
      this.setState('idle');
    }
  }

  /** Holds after the step in progress; resolves once held. */
  async pause(): Promise<void> {
    if (this.state === 'paused') return;
    await this.request('pause');
  }

  resume(): void {
    if (this.state !== 'paused') throw new InputError('trainer', `cannot resume: training is ${this.state}, not paused`);
    this.resumeGate?.();
  }

  /** Ends after the step in progress, saving it (a paused run saves as it is). */
  stop(): Promise<CheckpointInfo | undefined> {
    if (this.state === 'paused') {
      const saved = this.request('stop');
      this.resumeGate?.();
      return saved;
    }
    return this.request('stop');
  }

  /** Saves after the step in progress and carries on (a paused run saves at once). */
  save(): Promise<CheckpointInfo | undefined> {
    if (this.state === 'paused') return this.saveNow('request');
    return this.request('request');
  }

  private runOptions(losses: number[]): Parameters<typeof runTraining>[2] {
    const { evalBatches, evalEvery, autosave, stage } = this.parts;
    return {
      evalBatches, evalEvery, saveEvery: autosave.everySteps, signal: this.controller.signal,
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
    if (seconds && this.interrupt === undefined && performance.now() - this.lastSavedAt >= seconds * 1000) {
      this.interrupt = 'autosave';
      this.controller.abort();
    }
  }

  private async onSave(request: SaveRequest): Promise<void> {
    if (request.reason !== 'abort') {
      await this.saveNow(request.reason, request);
    } else if (this.interrupt !== 'pause') {
      await this.saveNow(this.interrupt ?? 'request', request);
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

  private request(why: Interrupt): Promise<CheckpointInfo | undefined> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // A stop outranks a pause or a save asked for in the same step.
      if (this.interrupt === undefined || why === 'stop') this.interrupt = why;
      if (why === 'pause') this.setState('pausing');
      if (why === 'stop') this.setState('stopping');
      this.controller.abort();
    });
  }

  /** Waits for a resume or a stop; true for a stop. */
  private async hold(): Promise<boolean> {
    this.setState('paused');
    const resumed = new Promise<void>((resolve) => { this.resumeGate = resolve; });
    this.settle(undefined);
    await resumed;
    this.resumeGate = undefined;
    const stop = this.interrupt === 'stop';
    this.interrupt = undefined;
    this.setState(stop ? 'stopping' : 'training');
    return stop;
  }

  private settle(info: CheckpointInfo | undefined): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve(info);
  }

  private setState(state: TrainerState): void {
    if (this.state === state) return;
    this.state = state;
    this.parts.emit({ type: 'state', state });
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
