/**
 * The pause / resume / stop / save-now handshake that the worker's runs share (a single-stage
 * {@link TrainingRun} and a {@link PipelineSession}): a request aborts the loop through `controller`
 * after the step in progress and waits until the loop settles it; a pause holds the loop until a
 * resume or a stop.
 * @module
 */
import type { CheckpointInfo } from '../store/store.js';
import { InputError } from '../util/errors.js';
import type { TrainerState } from './protocol.js';

/** What a caller can ask a run for; a run may add its own (the single-stage run's timed autosave). */
export type RunRequest = 'pause' | 'stop' | 'request';

/** A pending request that the loop settles once it has acted on it. */
interface Waiter {
  resolve(info: CheckpointInfo | undefined): void;
  reject(error: unknown): void;
}

/** See the module comment; `onState` reports every change of state. */
export class RunControl<Interrupt extends string = RunRequest> {
  state: TrainerState = 'idle';
  /** The signal of the loop's current attempt; {@link restart} makes a fresh one. */
  controller = new AbortController();
  /** What the last abort was for, until the loop takes it ({@link take}). */
  interrupt: Interrupt | RunRequest | undefined;
  private waiters: Waiter[] = [];
  private resumeGate: (() => void) | undefined;

  /** `what` names the run in errors (`training`, `the pipeline`). */
  constructor(private readonly what: string, private readonly onState: (state: TrainerState) => void) {}

  /** A fresh signal for the next attempt of the loop. */
  restart(): AbortSignal {
    this.controller = new AbortController();
    return this.controller.signal;
  }

  /** Why the loop was aborted (cleared): undefined when nobody asked, i.e. the abort is an error. */
  take(): Interrupt | RunRequest | undefined {
    const why = this.interrupt;
    this.interrupt = undefined;
    return why;
  }

  /** Aborts the loop after the step in progress and resolves once the loop settles the request. */
  request(why: Interrupt | RunRequest): Promise<CheckpointInfo | undefined> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      // A stop outranks a pause or a save asked for in the same step.
      if (this.interrupt === undefined || why === 'stop') this.interrupt = why;
      if (why === 'pause') this.setState('pausing');
      if (why === 'stop') this.setState('stopping');
      this.controller.abort();
    });
  }

  /** Holds after the step in progress; resolves once held. */
  async pause(): Promise<void> {
    if (this.state === 'paused') return;
    await this.request('pause');
  }

  resume(): void {
    if (this.state !== 'paused') throw new InputError('trainer', `cannot resume: ${this.what} is ${this.state}, not paused`);
    this.resumeGate?.();
  }

  /** Ends after the step in progress (a paused run at once); resolves with what the loop settles. */
  stop(): Promise<CheckpointInfo | undefined> {
    const stopped = this.request('stop');
    if (this.state === 'paused') this.resumeGate?.();
    return stopped;
  }

  /** Waits for a resume or a stop; true for a stop. */
  async hold(): Promise<boolean> {
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

  /** Resolves every pending request with `info`. */
  settle(info: CheckpointInfo | undefined): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve(info);
  }

  /** Rejects every pending request (the loop failed). */
  fail(error: unknown): void {
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }

  setState(state: TrainerState): void {
    if (this.state === state) return;
    this.state = state;
    this.onState(state);
  }
}
