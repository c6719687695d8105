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
import { AbortedError } from '../util/errors.js';
import type { PipelineRunEvent, TrainerState } from './protocol.js';
import type { PipelineOutcome, PipelineStepEvent } from './recipe-protocol.js';
import { RunControl } from './run-control.js';
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

/** Drives one pipeline run; see the module comment. */
export class PipelineSession {
  private readonly parts: PipelineParts;
  private readonly control: RunControl;
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
    this.control = new RunControl('the pipeline', (state) => parts.emit({ kind: 'state', state }));
  }

  get state(): TrainerState {
    return this.control.state;
  }

  /** Runs the plan to its end or to a stop. */
  async run(): Promise<PipelineOutcome> {
    let resume = this.parts.resumeFrom !== undefined;
    this.control.setState('training');
    try {
      for (;;) {
        const signal = this.control.restart();
        try {
          await runPipeline({ ...this.parts.input, resume, signal, onProgress: (event) => this.onEvent(event) });
          return await this.end('done');
        } catch (error) {
          this.throttle.flush();
          const why = this.control.take();
          if (!(error instanceof AbortedError) || why === undefined) throw error;
          // What was trained is saved (or was saved before): later calls continue from the store, once it holds a checkpoint.
          resume = this.lastSaved !== undefined;
          if (why === 'stop' || (why === 'pause' && await this.hold())) return await this.end('stopped');
          this.control.settle(this.lastSaved);
        }
      }
    } catch (error) {
      this.control.fail(error);
      throw error;
    } finally {
      this.control.setState('idle');
    }
  }

  /** Holds after the step in progress, its state saved; resolves once held. */
  pause(): Promise<void> {
    return this.control.pause();
  }

  resume(): void {
    this.control.resume();
  }

  /** Ends after the step in progress, saving it; resolves with the checkpoint saved last. */
  stop(): Promise<CheckpointInfo | undefined> {
    return this.control.stop();
  }

  /** Saves after the step in progress and carries on from that checkpoint (a paused run is saved already). */
  async save(): Promise<CheckpointInfo | undefined> {
    if (this.state === 'paused') return this.lastSaved;
    return this.control.request('request');
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
    this.control.settle(this.lastSaved);
    const steps = [...this.losses.keys()].sort((a, b) => a - b);
    return {
      reason, globalStep: this.globalStep, totalSteps: this.totalSteps, losses: steps.map((step) => this.losses.get(step)!),
      stages: this.finished, benchmarks: this.benchmarks, checkpoint: this.lastSaved,
    };
  }

  /** The hand-over to the held model first, then the hold (see {@link RunControl.hold}). */
  private async hold(): Promise<boolean> {
    if (this.lastSaved) await this.parts.onHold(this.lastSaved);
    return this.control.hold();
  }
}
