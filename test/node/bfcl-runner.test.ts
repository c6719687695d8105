/**
 * The function-calling evaluation end to end: a scripted model that answers with the ground truth
 * (through the same tokenizer, decoding, parsing and checking as a real one), a real tiny model on the
 * tfjs CPU backend (stop tokens, context length, tensors, abort), the summary's Wilson intervals against
 * their defining equation, and the text report.
 */
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bfclCalls } from '../../src/data/sources/bfcl.js';
import { fileSource } from '../../src/data/sources/node-lines.js';
import { NO_CALL_ANSWER } from '../../src/data/formats.js';
import {
  evaluateFunctionCalling, formatEvaluationReport, loadBfclItems, bfclCategory, bfclPrompt, hasPossibleAnswers, itemFunctions, wilsonInterval,
  type BfclItem, type ResponseModel,
} from '../../src/eval/bfcl/index.js';
import { resolveConfig } from '../../src/model/config.js';
import { generate } from '../../src/model/generate.js';
import { LlamaModel } from '../../src/model/model.js';
import { initBackend } from '../../src/runtime/backend.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { callJson } from '../../src/tools/index.js';
import { AbortedError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';

const BFCL = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'bfcl');
const CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'irrelevance'];

let items: BfclItem[];
let tokenizer: Tokenizer;

/** The training answer of an item: its ground-truth call turns, or the no-call reply. */
function answerText(item: BfclItem): string {
  if (!hasPossibleAnswers(item.category)) return `<|assistant|>${NO_CALL_ANSWER}<|end|>`;
  return bfclCalls(item.groundTruth).map((call) => `<|tool_call|>${callJson(call)}<|end|>`).join('');
}

beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  const all = await loadBfclItems(
    CATEGORIES.map((category) => join(BFCL, `BFCL_v4_${category}.json`)),
    CATEGORIES.filter((category) => category !== 'irrelevance').map((category) => join(BFCL, 'possible_answer', `BFCL_v4_${category}.json`)),
    { openPath: fileSource },
  );
  // Eight items of each category, avoiding the few whose first acceptable values BFCL's rules reject
  // as rendered (a parameter outside the schema: parallel_multiple_12 and _26).
  items = CATEGORIES.flatMap((category) => all.filter((item) => item.category === category).filter((_, i) => i % 20 === 3).slice(0, 8));
  tokenizer = await trainBpeTokenizer(items.map((item) => bfclPrompt(item.question) + answerText(item)), { vocabSize: 400 });
});

/** A model that answers each prompt with the ground truth, as a perfectly trained model would. */
function scriptedModel(contextLength: number, calls: number[][] = []): ResponseModel {
  const answers = new Map(items.map((item) => [tokenizer.encode(bfclPrompt(item.question)).join(','), answerText(item)]));
  return {
    contextLength,
    async respond(prompt, options) {
      calls.push(prompt);
      const answer = answers.get(prompt.join(','));
      if (answer === undefined) throw new Error('unknown prompt');
      const tokens = [...tokenizer.encode(answer), tokenizer.special.endOfText];
      const kept = tokens.slice(0, options.maxNewTokens);
      return { tokens: kept, stopReason: kept.length === tokens.length ? 'stop-token' : 'max-tokens' };
    },
  };
}

describe('the evaluation with a scripted model that answers with the ground truth', () => {
  it('scores every item right, through prompt, tokens, decoding and the checker', async () => {
    const progress: number[] = [];
    const seen = items.filter((_, i) => i % 2 === 0).flatMap(itemFunctions);
    const result = await evaluateFunctionCalling(scriptedModel(4096), tokenizer, items, {
      maxNewTokens: 1000, seenFunctions: seen, onProgress: (p) => progress.push(p.done),
    });
    expect(progress).toEqual(items.map((_, i) => i + 1));
    expect(result.verdicts.filter((verdict) => !verdict.valid)).toEqual([]);
    expect(result.verdicts.map((verdict) => verdict.response)).toEqual(items.map(answerText));
    expect(result.verdicts.every((verdict) => verdict.stopReason === 'stop-token')).toBe(true);
    expect(result.summary.categories.map((entry) => [entry.category, entry.count, entry.total])).toEqual(CATEGORIES.map((category) => [category, 8, 8]));
    expect(result.summary.overall).toBe(1);
    const { validSyntax, functionNames, requiredArguments } = result.summary.partial;
    expect([validSyntax.count, validSyntax.total, functionNames.count]).toEqual([32, 32, 32]);
    expect(requiredArguments.count).toBe(requiredArguments.total);
    expect(requiredArguments.total).toBeGreaterThan(32);
    // Items whose functions were all seen; the rest are held out (functions that also appear in seen items count as seen).
    const seenSet = new Set(seen);
    const heldOut = items.filter((item) => itemFunctions(item).some((name) => !seenSet.has(name))).length;
    expect(result.split?.heldOut.items).toBe(heldOut);
    expect(result.split?.seen.items).toBe(items.length - heldOut);
    expect(heldOut).toBeGreaterThan(10);
    expect(result.split?.seen.overall).toBe(1);
  });

  it('a response cut by the token limit fails to decode; a prompt that does not fit is reported, not generated for', async () => {
    const cut = await evaluateFunctionCalling(scriptedModel(4096), tokenizer, items.slice(0, 8), { maxNewTokens: 6 });
    expect(cut.verdicts.map((verdict) => [verdict.stopReason, verdict.errorType, verdict.responseTokens])).toEqual(items.slice(0, 8).map(() => ['max-tokens', 'ast_decoder:decoder_failed', 6]));
    const lengths = items.map((item) => tokenizer.encode(bfclPrompt(item.question)).length).sort((a, b) => a - b);
    const context = lengths[Math.floor(lengths.length / 2)];
    const asked: number[][] = [];
    const result = await evaluateFunctionCalling(scriptedModel(context, asked), tokenizer, items, { maxNewTokens: 1000 });
    const tooLong = result.verdicts.filter((verdict) => verdict.errorType === 'runner:prompt_too_long');
    expect(tooLong.length).toBe(lengths.filter((length) => length >= context).length);
    expect(tooLong.every((verdict) => verdict.promptTokens >= context && verdict.responseTokens === 0 && verdict.response === '')).toBe(true);
    expect(asked).toHaveLength(items.length - tooLong.length);
    expect(asked.every((prompt) => prompt.length < context)).toBe(true);
    expect(result.summary.unanswered).toEqual({ 'runner:prompt_too_long': tooLong.length });
    for (const verdict of result.verdicts.filter((entry) => entry.stopReason !== undefined)) {
      expect(verdict.promptTokens + verdict.responseTokens).toBeLessThanOrEqual(context);
    }
  });
});

/** Weights of a tiny model: random, or with the final norm at zero (all logits 0: greedy picks id 0, `<|endoftext|>`). */
function weights(model: LlamaModel, seed: number, silent = false): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const out = new Map<string, Float32Array>();
  for (const spec of model.specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    const zero = silent && spec.name === 'model.norm.weight';
    out.set(spec.name, Float32Array.from({ length: size }, () => (zero ? 0 : spec.kind === 'norm' ? 1 : 0.5 * rng.normal())));
  }
  return out;
}

/** Short items (BFCL's prompts run to hundreds of tokens), one of them too long for a 160-token context. */
function shortItems(): BfclItem[] {
  const weather = { name: 'get_weather', description: 'Weather in a city.', parameters: { type: 'dict' as const, properties: { city: { type: 'string' } }, required: ['city'] } };
  const make = (id: string, user: string, groundTruth: BfclItem['groundTruth']): BfclItem => ({
    id, category: bfclCategory(id) as BfclItem['category'], groundTruth,
    question: { id, turns: [[{ role: 'user', content: user }]], functions: [weather], source: `short:${id}` },
  });
  return [
    make('simple_python_0', 'Weather in Paris?', [{ get_weather: { city: ['Paris'] } }]),
    make('parallel_0', 'Weather in Paris and Rome?', [{ get_weather: { city: ['Paris'] } }, { get_weather: { city: ['Rome'] } }]),
    make('irrelevance_0', 'Who wrote Hamlet?', []),
    make('simple_python_1', `Weather in ${'a very long city name '.repeat(40)}?`, [{ get_weather: { city: ['X'] } }]),
  ];
}

describe('the evaluation with a real tiny model (tfjs CPU)', () => {
  const config = () => resolveConfig('nano', { vocabSize: tokenizer.vocabSize, dModel: 16, nHeads: 2, nKvHeads: 2, nLayers: 1, ffnHidden: 24, contextLength: 160 });

  it('responds greedily as generate() does, within the limits, with a flat tensor count and a report', async () => {
    const seedModel = LlamaModel.create(config());
    const model = LlamaModel.create(config(), { weights: weights(seedModel, 3) });
    seedModel.dispose();
    const short = shortItems();
    const before = tf.memory().numTensors;
    const result = await evaluateFunctionCalling(model, tokenizer, short, { maxNewTokens: 10 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.verdicts[3]).toMatchObject({ valid: false, errorType: 'runner:prompt_too_long', responseTokens: 0 });
    expect(result.verdicts[3].promptTokens).toBeGreaterThan(160);
    for (const [i, verdict] of result.verdicts.slice(0, 3).entries()) {
      const prompt = tokenizer.encode(bfclPrompt(short[i].question));
      expect(prompt.length).toBeLessThan(150);
      const direct = await generate(model, prompt, { maxNewTokens: Math.min(10, 160 - prompt.length), stopTokens: [tokenizer.special.endOfText, tokenizer.special.pad, tokenizer.special.system, tokenizer.special.user, tokenizer.special.toolResult] });
      const kept = direct.stopReason === 'stop-token' ? direct.tokens.slice(0, -1) : direct.tokens;
      expect(verdict.response).toBe(tokenizer.decode(kept));
      expect(verdict.stopReason).toBe(direct.stopReason);
      expect(verdict.responseTokens).toBeLessThanOrEqual(10);
    }
    expect(result.summary.items).toBe(4);
    expect(result.summary.unanswered).toEqual({ 'runner:prompt_too_long': 1 });
    const report = formatEvaluationReport(result);
    expect(report).toContain('simple_python');
    expect(report).toContain('95% Wilson intervals');
    expect(report).toMatch(/valid call syntax\s+\d+\/\d+ items/);
    model.dispose();
  });

  it('stops at the end of the response (a stop token) and honours the abort signal', async () => {
    const seedModel = LlamaModel.create(config());
    const model = LlamaModel.create(config(), { weights: weights(seedModel, 4, true) });
    seedModel.dispose();
    expect(tokenizer.special.endOfText).toBe(0);
    const two = shortItems().slice(0, 2);
    const result = await evaluateFunctionCalling(model, tokenizer, two, { maxNewTokens: 50 });
    expect(result.verdicts.map((verdict) => [verdict.stopReason, verdict.responseTokens, verdict.response])).toEqual([['stop-token', 1, ''], ['stop-token', 1, '']]);
    const controller = new AbortController();
    await expect(evaluateFunctionCalling(model, tokenizer, two, { onProgress: () => controller.abort(), signal: controller.signal })).rejects.toThrow(AbortedError);
    model.dispose();
  });
});

describe('95% Wilson score intervals', () => {
  it('solve the Wilson equation (p - rate)^2 = z^2 p (1 - p) / n at both ends, inside [0, 1]', () => {
    const z = 1.959963984540054;
    const rng = new Rng(11);
    for (let trial = 0; trial < 200; trial++) {
      const total = 1 + rng.int(500);
      const count = trial < 10 ? 0 : trial < 20 ? total : rng.int(total + 1);
      const { rate, low, high } = wilsonInterval(count, total);
      expect(rate).toBe(count / total);
      expect(low).toBeLessThanOrEqual(rate);
      expect(high).toBeGreaterThanOrEqual(rate);
      for (const p of [low, high]) expect(Math.abs((p - rate) ** 2 - (z * z * p * (1 - p)) / total)).toBeLessThan(1e-12);
      expect(low).toBeGreaterThanOrEqual(0);
      expect(high).toBeLessThanOrEqual(1);
    }
    // Published values (Newcombe 1998, table I): 0/10 -> [0, 0.2775]; 81/263 -> [0.2553, 0.3662].
    expect(wilsonInterval(0, 10).high).toBeCloseTo(0.2775, 4);
    expect(wilsonInterval(81, 263).low).toBeCloseTo(0.2553, 4);
    expect(wilsonInterval(81, 263).high).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 0)).toEqual({ count: 0, total: 0, rate: 0, low: 0, high: 1 });
  });
});
