import type { Batch, BatchSource, ResumableBatchSource } from '../data/batch.js';
import { AbortedError, NonFiniteError, throwIfAborted } from '../util/errors.js';
import type { PreparedStep, StepResult, Trainer } from './trainer.js';

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
 *
 * With a resumable source, step k + 1's forward and backward passes are enqueued while step k's loss
 * and gradient norm are read back, so the device never waits for the CPU; its update waits for step
 * k's result. Before an evaluation, a save or the last step nothing is prepared ahead, and on any early
 * exit (an error, `NonFiniteError`, an abort) a step prepared ahead is dropped and the source rewound:
 * what the caller sees is exactly what one step at a time would give.
 * @throws AbortedError when `signal` fires (after saving the state reached, if not saved yet)
 */
export async function runTraining(trainer: Trainer, source: BatchSource, options: RunOptions = {}): Promise<{ step: number; loss: number }[]> {
  const totalSteps = trainer.options.steps;
  const startStep = trainer.stepCount;
  const started = performance.now();
  const evaluations: { step: number; loss: number }[] = [];
  const evaluates = (step: number) => !!options.evalBatches?.length && (step === totalSteps || (!!options.evalEvery && step % options.evalEvery === 0));
  const saves = (step: number) => !!options.onSave && (step === totalSteps || (!!options.saveEvery && step % options.saveEvery === 0));
  let tokensSeen = 0;
  let savedStep = startStep;
  let last: { loss: number; skipped: boolean } | undefined;
  let ahead: Ahead | undefined;
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
      const prepared = ahead ? ahead.take() : trainer.prepare(source);
      ahead = undefined;
      const pending = trainer.apply(prepared);
      const step = trainer.stepCount;
      if (step < totalSteps && !evaluates(step) && !saves(step) && isResumable(source)) ahead = prepareAhead(trainer, source);
      const result = await pending;
      last = { loss: result.loss, skipped: result.skipped };
      tokensSeen += result.tokens;
      const seconds = (performance.now() - started) / 1000;
      options.onProgress?.({
        ...result, totalSteps, tokensSeen, skippedSteps: trainer.skippedSteps,
        tokensPerSecond: tokensSeen / Math.max(seconds, 1e-9),
        etaSeconds: (seconds / (step - startStep)) * (totalSteps - step),
      });
      const final = step === totalSteps;
      if (final && result.skipped) {
        throw new NonFiniteError(`training diverged: the last step (${result.step}) had loss ${result.loss} and gradient norm ${result.gradNorm}`);
      }
      if (evaluates(step)) {
        const evaluation = { step, loss: await trainer.evaluate(options.evalBatches!, options.signal) };
        if (!Number.isFinite(evaluation.loss)) {
          throw new NonFiniteError(`training diverged: validation loss ${evaluation.loss} at step ${evaluation.step}`);
        }
        evaluations.push(evaluation);
        last.loss = evaluation.loss;
        options.onEval?.(evaluation);
      }
      if (saves(step)) await save(final ? 'final' : 'periodic');
    }
  } catch (error) {
    ahead?.drop();
    ahead = undefined;
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

function isResumable(source: BatchSource): source is ResumableBatchSource {
  return 'state' in source && 'restore' in source;
}

/** A step prepared ahead of its turn: its error (e.g. a bad batch) waits for that turn too. */
interface Ahead {
  take(): PreparedStep;
  /** Frees the step and rewinds the source to before it. */
  drop(): void;
}

function prepareAhead(trainer: Trainer, source: ResumableBatchSource): Ahead {
  const position = source.state();
  try {
    const prepared = trainer.prepare(source);
    return { take: () => prepared, drop: () => { trainer.discard(prepared); source.restore(position); } };
  } catch (error) {
    return { take: () => { throw error; }, drop: () => source.restore(position) };
  }
}
