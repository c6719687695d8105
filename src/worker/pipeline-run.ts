/**
 * One pipeline run of the worker: `runPipeline` driven with pause, resume, stop and save-now. The
 * recipe's pipeline stops only through its AbortSignal, saving the state reached first, and resumes
 * exactly from its store; so each of those requests aborts it after the step in progress, and a
 * resume (or the save-now's "carry on") runs it again from the checkpoint it just saved. A pause
 * holds the call open until `resume()` or `stop()`.
 * @module
 */
import * as tf from '../runtime/tfjs.js';
import { runPipeline, type PipelineEvent, type PipelineInput } from '../recipe/pipeline.js';
import { stageTrainOptions } from '../recipe/run-plan.js';
import type { CheckpointInfo } from '../store/store.js';
import { AbortedError, InputError } from '../util/errors.js';
import type { PipelineRunEvent, TrainerState } from './protocol.js';
import type { PipelineOutcome, PipelineStepEvent } from './recipe-protocol.js';
import { ProgressThrottle } from './run.js';

/** What a {@link PipelineSession} runs. */
export interface PipelineParts {
  /** The pipeline's input but for what the session drives (resume, signal, progress). */
  input: Omit<PipelineInput, 'resume' | 'signal' | 'onProgress'>;
  /** The store's current checkpoint when the run continues it (absent: a fresh run). */
  resumeFrom?: CheckpointInfo;
  emit(event: PipelineRunEvent): void;
  progressIntervalMs: number;
  /** Called with the checkpoint saved last when the run pauses and when it ends (before the call resolves). */
  onHold(checkpoint: CheckpointInfo): Promise<void>;
}

type Interrupt = 'pause' | 'stop' | 'request';

interface Waiter {
  resolve(info: CheckpointInfo | undefined): void;
  reject(error: unknown): void;
}

/** Drives one pipeline run; see the module comment. */
export class PipelineSession {
  state: TrainerState = 'idle';
  private readonly parts: PipelineParts;
  private controller = new AbortController();
  private interrupt: Interrupt | undefined;
  private waiters: Waiter[] = [];
  private resumeGate: (() => void) | undefined;
  /** The checkpoint saved last, or resumed from: where a later call continues. */
  private lastSaved: CheckpointInfo | undefined;
  private readonly throttle: ProgressThrottle<PipelineStepEvent>;
  /** Losses by global step: a step trained again after a resume replaces its first try. */
  private readonly losses = new Map<number, number>();
  private unsent: [number, number][] = [];
  /** Steps of the stages before each one, and of the whole plan. */
  private readonly offsets: number[];
  private readonly totalSteps: number;
  private globalStep = 0;
  private stageSteps = 0;
  private readonly finished: PipelineOutcome['stages'] = [];
  private readonly benchmarks: PipelineOutcome['benchmarks'] = [];

  constructor(parts: PipelineParts) {
    this.parts = parts;
    const steps = parts.input.plan.stages.map((stage, i) => stageTrainOptions(stage, `stages[${i}]`).steps);
    this.offsets = steps.map((_, i) => steps.slice(0, i).reduce((a, b) => a + b, 0));
    this.totalSteps = steps.reduce((a, b) => a + b, 0);
    this.lastSaved = parts.resumeFrom;
    this.globalStep = parts.resumeFrom?.step ?? 0;
    this.throttle = new ProgressThrottle(parts.progressIntervalMs, (event) => {
      this.unsent = [];
      parts.emit(event);
    });
  }

  /** Runs the plan to its end or to a stop. */
  async run(): Promise<PipelineOutcome> {
    let resume = this.parts.resumeFrom !== undefined;
    this.setState('training');
    try {
      for (;;) {
        this.controller = new AbortController();
        try {
          await runPipeline({ ...this.parts.input, resume, signal: this.controller.signal, onProgress: (event) => this.onEvent(event) });
          return await this.end('done');
        } catch (error) {
          this.throttle.flush();
          const why = this.interrupt;
          if (!(error instanceof AbortedError) || why === undefined) throw error;
          this.interrupt = undefined;
          // What was trained is saved (or was saved before): later calls continue from the store, once it holds a checkpoint.
          resume = this.lastSaved !== undefined;
          if (why === 'stop' || (why === 'pause' && await this.hold())) return await this.end('stopped');
          this.settle(this.lastSaved);
        }
      }
    } catch (error) {
      for (const waiter of this.waiters.splice(0)) waiter.reject(error);
      throw error;
    } finally {
      this.setState('idle');
    }
  }

  /** Holds after the step in progress, its state saved; resolves once held. */
  async pause(): Promise<void> {
    if (this.state === 'paused') return;
    await this.request('pause');
  }

  resume(): void {
    if (this.state !== 'paused') throw new InputError('trainer', `cannot resume: the pipeline is ${this.state}, not paused`);
    this.resumeGate?.();
  }

  /** Ends after the step in progress, saving it; resolves with the checkpoint saved last. */
  stop(): Promise<CheckpointInfo | undefined> {
    const stopped = this.request('stop');
    if (this.state === 'paused') this.resumeGate?.();
    return stopped;
  }

  /** Saves after the step in progress and carries on from that checkpoint (a paused run is saved already). */
  async save(): Promise<CheckpointInfo | undefined> {
    if (this.state === 'paused') return this.lastSaved;
    return this.request('request');
  }

  private onEvent(event: PipelineEvent): void {
    if (event.kind === 'step') {
      this.globalStep = event.globalStep;
      this.losses.set(event.globalStep, event.progress.loss);
      this.unsent.push([event.globalStep, event.progress.loss]);
      const memory = tf.memory();
      this.throttle.push({ ...event, losses: [...this.unsent], memory: { tensors: memory.numTensors, bytes: memory.numBytes } });
      return;
    }
    // The step events of a stage all arrive before what follows them (its last one included).
    this.throttle.flush();
    if (event.kind === 'checkpoint') this.lastSaved = event.checkpoint;
    if (event.kind === 'benchmark') this.benchmarks.push(event.point);
    if (event.kind === 'stage-start') {
      this.globalStep = this.offsets[event.index] + event.fromStep;
      this.stageSteps = event.steps;
    }
    if (event.kind === 'stage-end') {
      this.finished.push({ stage: event.stage, steps: this.stageSteps, checkpoint: event.checkpoint.id, loss: this.losses.get(this.globalStep) ?? Number.NaN });
    }
    this.parts.emit(event);
  }

  private async end(reason: PipelineOutcome['reason']): Promise<PipelineOutcome> {
    this.throttle.flush();
    if (this.lastSaved) await this.parts.onHold(this.lastSaved);
    this.settle(this.lastSaved);
    const steps = [...this.losses.keys()].sort((a, b) => a - b);
    return {
      reason, globalStep: this.globalStep, totalSteps: this.totalSteps, losses: steps.map((step) => this.losses.get(step)!),
      stages: this.finished, benchmarks: this.benchmarks, checkpoint: this.lastSaved,
    };
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
    if (this.lastSaved) await this.parts.onHold(this.lastSaved);
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
    this.parts.emit({ kind: 'state', state });
  }
}
