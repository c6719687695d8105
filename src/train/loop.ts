import type { Batch, BatchSource } from '../data/batch.js';
import { AbortedError, NonFiniteError, throwIfAborted } from '../util/errors.js';
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

/** What {@link RunOptions.onSave} is told. */
export interface SaveRequest {
  step: number;
  /** The last validation loss if one was measured at this step, else the step's training loss. */
  loss: number;
  /** Why now: the `saveEvery` cadence, the last step, or an abort. */
  reason: 'periodic' | 'final' | 'abort';
}

/** Options of {@link runTraining}. */
export interface RunOptions {
  onProgress?: (progress: TrainProgress) => void;
  /** Validation batches evaluated every `evalEvery` steps and after the last step. */
  evalBatches?: Batch[];
  evalEvery?: number;
  onEval?: (result: { step: number; loss: number }) => void;
  /**
   * Called every `saveEvery` steps, after the last step, and when the run is aborted (await it to save
   * a checkpoint). Never called for a diverged state: see {@link runTraining}.
   */
  onSave?: (request: SaveRequest) => Promise<void>;
  saveEvery?: number;
  /** Stops the run after the step in progress; the state is saved first when `onSave` is given. */
  signal?: AbortSignal;
}

/**
 * Runs the trainer until `trainer.options.steps` steps have been taken (continuing from
 * `trainer.stepCount` after a resume), with progress, periodic evaluation and saving.
 * Returns the validation losses measured.
 *
 * Divergence stops the run with a {@link NonFiniteError} and nothing is saved for it: a non-finite
 * validation loss, a non-finite weight found before a save, or a last step whose loss was not finite.
 * A periodic save right after a skipped (non-finite) step waits for the next cadence.
 * @throws AbortedError when `signal` fires (after saving the state reached, if not saved yet)
 */
export async function runTraining(trainer: Trainer, source: BatchSource, options: RunOptions = {}): Promise<{ step: number; loss: number }[]> {
  const totalSteps = trainer.options.steps;
  const startStep = trainer.stepCount;
  const started = performance.now();
  const evaluations: { step: number; loss: number }[] = [];
  let tokensSeen = 0;
  let savedStep = startStep;
  let last: { step: number; loss: number; skipped: boolean } | undefined;
  const save = async (reason: SaveRequest['reason']) => {
    if (!options.onSave || !last || last.skipped || savedStep === trainer.stepCount) return;
    const bad = await trainer.nonFiniteParameter();
    if (bad !== undefined) throw new NonFiniteError(`training diverged by step ${trainer.stepCount}: weight "${bad}" is not finite`);
    await options.onSave({ step: trainer.stepCount, loss: last.loss, reason });
    savedStep = trainer.stepCount;
  };
  try {
    while (trainer.stepCount < totalSteps) {
      await yieldToEventLoop();
      throwIfAborted(options.signal, 'training');
      const result = await trainer.step(source);
      last = { step: result.step, loss: result.loss, skipped: result.skipped };
      tokensSeen += result.tokens;
      const seconds = (performance.now() - started) / 1000;
      const stepsDone = trainer.stepCount - startStep;
      options.onProgress?.({
        ...result, totalSteps, tokensSeen, skippedSteps: trainer.skippedSteps,
        tokensPerSecond: tokensSeen / Math.max(seconds, 1e-9),
        etaSeconds: (seconds / stepsDone) * (totalSteps - trainer.stepCount),
      });
      const final = trainer.stepCount === totalSteps;
      if (final && result.skipped) {
        throw new NonFiniteError(`training diverged: the last step (${result.step}) had loss ${result.loss} and gradient norm ${result.gradNorm}`);
      }
      if (options.evalBatches?.length && (final || (options.evalEvery && trainer.stepCount % options.evalEvery === 0))) {
        const evaluation = { step: trainer.stepCount, loss: await trainer.evaluate(options.evalBatches, options.signal) };
        if (!Number.isFinite(evaluation.loss)) {
          throw new NonFiniteError(`training diverged: validation loss ${evaluation.loss} at step ${evaluation.step}`);
        }
        evaluations.push(evaluation);
        last.loss = evaluation.loss;
        options.onEval?.(evaluation);
      }
      if (final || (options.saveEvery && trainer.stepCount % options.saveEvery === 0)) await save(final ? 'final' : 'periodic');
    }
  } catch (error) {
    if (error instanceof AbortedError) await save('abort');
    throw error;
  }
  return evaluations;
}

/**
 * Lets timers, signals and messages run between steps: on the CPU backend a step's reads resolve as
 * microtasks, so without this a run never gives the event loop a turn (Ctrl-C, a worker's stop message).
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
