import type { Batch, BatchSource } from '../data/batch.js';
import { throwIfAborted } from '../util/errors.js';
import type { StepResult, Trainer } from './trainer.js';

/** Progress of a run, reported after every step. */
export interface TrainProgress extends StepResult {
  totalSteps: number;
  /** Tokens trained on since the start of this call. */
  tokensSeen: number;
  /** Throughput over this call so far. */
  tokensPerSecond: number;
  /** Estimated seconds left at the current pace. */
  etaSeconds: number;
  /** Steps skipped so far for non-finite values. */
  skippedSteps: number;
}

/** Options of {@link runTraining}. */
export interface RunOptions {
  onProgress?: (progress: TrainProgress) => void;
  /** Validation batches evaluated every `evalEvery` steps and after the last step. */
  evalBatches?: Batch[];
  evalEvery?: number;
  onEval?: (result: { step: number; loss: number }) => void;
  /** Called every `saveEvery` steps and after the last step (await it to save a checkpoint). */
  onSave?: (step: number) => Promise<void>;
  saveEvery?: number;
  signal?: AbortSignal;
}

/**
 * Runs the trainer until `trainer.options.steps` steps have been taken (continuing from
 * `trainer.stepCount` after a resume), with progress, periodic evaluation and saving.
 * Returns the validation losses measured.
 */
export async function runTraining(trainer: Trainer, source: BatchSource, options: RunOptions = {}): Promise<{ step: number; loss: number }[]> {
  const totalSteps = trainer.options.steps;
  const startStep = trainer.stepCount;
  const started = performance.now();
  const evaluations: { step: number; loss: number }[] = [];
  let tokensSeen = 0;
  while (trainer.stepCount < totalSteps) {
    throwIfAborted(options.signal, 'training');
    const result = await trainer.step(source);
    tokensSeen += result.tokens;
    const seconds = (performance.now() - started) / 1000;
    const stepsDone = trainer.stepCount - startStep;
    options.onProgress?.({
      ...result, totalSteps, tokensSeen, skippedSteps: trainer.skippedSteps,
      tokensPerSecond: tokensSeen / Math.max(seconds, 1e-9),
      etaSeconds: (seconds / stepsDone) * (totalSteps - trainer.stepCount),
    });
    const last = trainer.stepCount === totalSteps;
    if (options.evalBatches?.length && (last || (options.evalEvery && trainer.stepCount % options.evalEvery === 0))) {
      const evaluation = { step: trainer.stepCount, loss: await trainer.evaluate(options.evalBatches, options.signal) };
      evaluations.push(evaluation);
      options.onEval?.(evaluation);
    }
    if (options.onSave && (last || (options.saveEvery && trainer.stepCount % options.saveEvery === 0))) {
      await options.onSave(trainer.stepCount);
    }
  }
  return evaluations;
}
