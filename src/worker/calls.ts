/**
 * Function calling on the worker's model: a typed question answered and judged as BFCL would (the
 * page's playground), and the BFCL-style evaluation on items (by default the built corpus's held-out
 * functions).
 * @module
 */
import { heldOutItems, questionItem } from '../eval/bfcl/corpus-items.js';
import { decodeResponse } from '../eval/bfcl/decode.js';
import type { BfclItem } from '../eval/bfcl/items.js';
import { bfclPrompt, responseStopTokens } from '../eval/bfcl/prompt.js';
import { evaluateFunctionCalling } from '../eval/bfcl/runner.js';
import { scoreResponse } from '../eval/bfcl/score.js';
import type { ForgeCorpus } from '../forge/builder.js';
import { generate } from '../model/generate.js';
import type { LlamaModel } from '../model/model.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { InputError } from '../util/errors.js';
import type { CallEvaluation, CallEvaluationProgress, CallEvaluationRequest, CallReply, CallRequest } from './recipe-protocol.js';

/** The model's greedy answer to a typed question, decoded, and judged against the expected answer when one is given. */
export async function answerQuestion(model: LlamaModel, tokenizer: Tokenizer, request: CallRequest): Promise<CallReply> {
  const expected = (request.answerJson ?? '').trim() !== '';
  const item = questionItem(request);
  const prompt = bfclPrompt(item.question);
  const ids = tokenizer.encode(prompt);
  const room = model.config.contextLength - ids.length;
  if (room < 1) {
    throw new InputError('function docs', `the prompt takes ${ids.length} tokens, the model's context is ${model.config.contextLength}: offer fewer or shorter functions`);
  }
  const result = await generate(model, ids, { maxNewTokens: Math.min(request.maxNewTokens ?? 48, room), stopTokens: responseStopTokens(tokenizer.special) });
  const kept = result.stopReason === 'stop-token' ? result.tokens.slice(0, -1) : result.tokens;
  const response = tokenizer.decode(kept);
  const decoded = decodeResponse(response);
  if (!expected) return { prompt, response, decoded, verdict: null };
  const { valid, errorType, error } = scoreResponse(item, response);
  return { prompt, response, decoded, verdict: { valid, errorType, error } };
}

/**
 * Per-category accuracy on the request's items (default: the corpus's held-out instruction documents),
 * the first `limit`, greedy responses of at most `maxNewTokens`.
 */
export async function evaluateCalls(
  model: LlamaModel, tokenizer: Tokenizer, request: CallEvaluationRequest, corpus: ForgeCorpus | undefined,
  onProgress: (progress: CallEvaluationProgress) => void,
): Promise<CallEvaluation> {
  let items: BfclItem[];
  let source: string;
  if (request.items) {
    items = request.items;
    source = `${items.length} given items`;
  } else {
    if (!corpus) throw new InputError('corpus', 'build a corpus first: its held-out functions are evaluated (or pass items)');
    items = heldOutItems(corpus.evaluation);
    source = `held-out functions ${corpus.evalFunctions.join(', ')}`;
  }
  const chosen = items.slice(0, request.limit ?? items.length);
  if (chosen.length === 0) throw new InputError('items', `${source}: no items to evaluate`);
  const result = await evaluateFunctionCalling(model, tokenizer, chosen, {
    maxNewTokens: request.maxNewTokens ?? 64, onProgress: (p) => onProgress({ done: p.done, total: p.total }),
  });
  return { items: chosen.length, source, categories: result.summary.categories, overall: result.summary.overall, verdicts: result.verdicts };
}
