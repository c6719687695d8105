import type { Batch, BatchSource } from '../data/batch.js';
import { throwIfAborted } from '../util/errors.js';
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
 *
 * Step k + 1's forward and backward passes are enqueued while step k's loss and gradient norm are
 * read back, so the device never waits for the CPU; its update waits for step k's result. Before an
 * evaluation, a save or the last step nothing is prepared ahead, and on any early exit (an error,
 * `NonFiniteError`, an abort) a step prepared ahead is dropped and the source rewound: what the
 * caller sees is exactly what one step at a time would give.
 */
export async function runTraining(trainer: Trainer, source: BatchSource, options: RunOptions = {}): Promise<{ step: number; loss: number }[]> {
  const totalSteps = trainer.options.steps;
  const startStep = trainer.stepCount;
  const started = performance.now();
  const evaluations: { step: number; loss: number }[] = [];
  const evaluates = (step: number) => !!options.evalBatches?.length && (step === totalSteps || (!!options.evalEvery && step % options.evalEvery === 0));
  const saves = (step: number) => !!options.onSave && (step === totalSteps || (!!options.saveEvery && step % options.saveEvery === 0));
  let tokensSeen = 0;
  let ahead: Ahead | undefined;
  try {
    while (trainer.stepCount < totalSteps) {
      throwIfAborted(options.signal, 'training');
      const prepared = ahead ? ahead.take() : trainer.prepare(source);
      ahead = undefined;
      const pending = trainer.apply(prepared);
      const step = trainer.stepCount;
      if (step < totalSteps && !evaluates(step) && !saves(step)) ahead = prepareAhead(trainer, source);
      const result = await pending;
      tokensSeen += result.tokens;
      const seconds = (performance.now() - started) / 1000;
      options.onProgress?.({
        ...result, totalSteps, tokensSeen, skippedSteps: trainer.skippedSteps,
        tokensPerSecond: tokensSeen / Math.max(seconds, 1e-9),
        etaSeconds: (seconds / (step - startStep)) * (totalSteps - step),
      });
      if (evaluates(step)) {
        const evaluation = { step, loss: await trainer.evaluate(options.evalBatches!, options.signal) };
        evaluations.push(evaluation);
        options.onEval?.(evaluation);
      }
      if (saves(step)) await options.onSave!(step);
    }
  } finally {
    ahead?.drop();
  }
  return evaluations;
}

/** A step prepared ahead of its turn: its error (e.g. a bad batch) waits for that turn too. */
interface Ahead {
  take(): PreparedStep;
  /** Frees the step and rewinds the source to before it. */
  drop(): void;
}

function prepareAhead(trainer: Trainer, source: BatchSource): Ahead {
  const position = source.state();
  try {
    const prepared = trainer.prepare(source);
    return { take: () => prepared, drop: () => { trainer.discard(prepared); source.restore(position); } };
  } catch (error) {
    return { take: () => { throw error; }, drop: () => source.restore(position) };
  }
}
