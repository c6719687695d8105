import { generate, type GenerateResult } from '../../model/generate.js';
import type { LlamaModel } from '../../model/model.js';
import type { Tokenizer } from '../../tokenizer/types.js';
import { ConfigError, errorMessage, throwIfAborted } from '../../util/errors.js';
import type { BfclItem } from './items.js';
import { bfclPrompt, responseStopTokens } from './prompt.js';
import { failedVerdict, scoreResponse, type BfclVerdict } from './score.js';
import { splitByFunctions, summarizeVerdicts, type BfclSummary, type HeldOutSplit } from './summary.js';

/**
 * The function-calling evaluation of a model: for each item, the prompt as training renders it, a
 * greedy response up to the end of the model's turns, and BFCL's verdict on it; then the summary
 * (per-category accuracy with 95% intervals, the partial measures, held-out vs seen functions).
 *
 * Browser-safe.
 * @module
 */

/** Limits of one response. */
export interface RespondOptions {
  /** Most tokens to produce (the runner keeps prompt + response within the context length). */
  maxNewTokens: number;
  /** Tokens that end the response (included as the last token when one is produced). */
  stopTokens: number[];
  signal?: AbortSignal;
}

/** What answers prompts: a model behind greedy decoding, or anything else (a scripted model, a remote one). */
export interface ResponseModel {
  /** Longest prompt + response, in tokens. */
  readonly contextLength: number;
  respond(prompt: number[], options: RespondOptions): Promise<GenerateResult>;
}

/** A {@link ResponseModel} that decodes `model` greedily with its KV cache. */
export function greedyResponder(model: LlamaModel): ResponseModel {
  return {
    contextLength: model.config.contextLength,
    respond: (prompt, options) => generate(model, prompt, { ...options, temperature: 0 }),
  };
}

/** Progress after each item. */
export interface EvaluationProgress {
  done: number;
  total: number;
  id: string;
  valid: boolean;
  /** Items valid so far. */
  correct: number;
}

/** Options of {@link evaluateFunctionCalling}. */
export interface EvaluateOptions {
  /** Most tokens of a response (default 256); a response also ends at the context length. */
  maxNewTokens?: number;
  /** Functions seen in training: with it the result has the held-out vs seen split. */
  seenFunctions?: Iterable<string>;
  signal?: AbortSignal;
  onProgress?: (progress: EvaluationProgress) => void;
}

/** The verdict on one item with what the model produced. */
export interface RunVerdict extends BfclVerdict {
  /** The response text after the prompt (the stop token left out); empty when none was generated. */
  response: string;
  promptTokens: number;
  responseTokens: number;
  /** Why the response ended; absent when none was generated. */
  stopReason?: GenerateResult['stopReason'];
}

/** Result of {@link evaluateFunctionCalling}. */
export interface FunctionCallingEvaluation {
  verdicts: RunVerdict[];
  summary: BfclSummary;
  /** With {@link EvaluateOptions.seenFunctions}. */
  split?: HeldOutSplit;
  contextLength: number;
  maxNewTokens: number;
}

/**
 * Evaluates function calling on BFCL items. Each prompt is {@link bfclPrompt} (the training rendering
 * of the item without its answer); the response is generated greedily until a token of
 * {@link responseStopTokens}, `maxNewTokens` or the context length, and scored by
 * {@link scoreResponse}. A prompt that does not leave room for one token in the context is not
 * generated for: its verdict is `runner:prompt_too_long` (a failure, counted in the summary's
 * `unanswered`), as is `runner:prompt_error` for one the chat template refuses.
 *
 * @throws AbortedError when `signal` fires; ConfigError for a bad `maxNewTokens`
 */
export async function evaluateFunctionCalling(
  model: LlamaModel | ResponseModel, tokenizer: Tokenizer, items: readonly BfclItem[], options: EvaluateOptions = {},
): Promise<FunctionCallingEvaluation> {
  const maxNewTokens = options.maxNewTokens ?? 256;
  if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) throw new ConfigError('maxNewTokens', `must be a positive integer, got ${maxNewTokens}`);
  const responder = 'respond' in model ? model : greedyResponder(model);
  const stopTokens = responseStopTokens(tokenizer.special);
  const verdicts: RunVerdict[] = [];
  let correct = 0;
  for (const item of items) {
    throwIfAborted(options.signal, 'function-calling evaluation');
    const verdict = await evaluateItem(responder, tokenizer, item, { maxNewTokens, stopTokens, signal: options.signal });
    verdicts.push(verdict);
    if (verdict.valid) correct += 1;
    options.onProgress?.({ done: verdicts.length, total: items.length, id: item.id, valid: verdict.valid, correct });
  }
  return {
    verdicts,
    summary: summarizeVerdicts(verdicts),
    split: options.seenFunctions === undefined ? undefined : splitByFunctions(items, verdicts, options.seenFunctions),
    contextLength: responder.contextLength,
    maxNewTokens,
  };
}

async function evaluateItem(responder: ResponseModel, tokenizer: Tokenizer, item: BfclItem, limits: RespondOptions): Promise<RunVerdict> {
  let prompt: number[];
  try {
    prompt = tokenizer.encode(bfclPrompt(item.question));
  } catch (error) {
    return { ...failedVerdict(item, 'runner:prompt_error', `cannot render the prompt: ${errorMessage(error)}`), response: '', promptTokens: 0, responseTokens: 0 };
  }
  const room = responder.contextLength - prompt.length;
  if (room < 1) {
    const error = `prompt of ${prompt.length} tokens leaves no room in the context length ${responder.contextLength}`;
    return { ...failedVerdict(item, 'runner:prompt_too_long', error), response: '', promptTokens: prompt.length, responseTokens: 0 };
  }
  const result = await responder.respond(prompt, { ...limits, maxNewTokens: Math.min(limits.maxNewTokens, room) });
  const kept = result.stopReason === 'stop-token' ? result.tokens.slice(0, -1) : result.tokens;
  const response = tokenizer.decode(kept);
  return { ...scoreResponse(item, response), response, promptTokens: prompt.length, responseTokens: result.tokens.length, stopReason: result.stopReason };
}
