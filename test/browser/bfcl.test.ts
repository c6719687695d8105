/**
 * The function-calling evaluation in Chromium, as the demo's evaluation view runs it: result files
 * checked from `File`s, and the runner with a scripted model and with a tiny model. The tiny model runs
 * on the tfjs CPU backend: the runner adds nothing backend-specific to `generate`, whose WebGPU path
 * train-smoke.test.ts covers, and SwiftShader's pipeline compilation would dominate the test. The
 * questions are made here in BFCL's format.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { checkOutputFiles } from '../../src/eval/bfcl/check-outputs.js';
import { loadBfclItems } from '../../src/eval/bfcl/items.js';
import { bfclPrompt } from '../../src/eval/bfcl/prompt.js';
import { evaluateFunctionCalling, type ResponseModel } from '../../src/eval/bfcl/runner.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { initBackend } from '../../src/runtime/backend.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import { InputError } from '../../src/util/errors.js';

const weather = {
  name: 'get_weather', description: 'Current weather in a city.',
  parameters: { type: 'dict', properties: { city: { type: 'string' }, unit: { type: 'string', enum: ['C', 'F'] } }, required: ['city'] },
};
const question = (id: string, content: string) => JSON.stringify({ id, question: [[{ role: 'user', content }]], function: [weather] });
const QUESTIONS = [
  question('simple_python_0', 'Weather in Paris?'),
  question('parallel_0', 'Weather in Paris and in Rome, in Fahrenheit?'),
  question('irrelevance_0', 'Who wrote Hamlet?'),
].join('\n');
const ANSWERS = [
  JSON.stringify({ id: 'simple_python_0', ground_truth: [{ get_weather: { city: ['Paris', 'Paris, France'], unit: ['', 'C'] } }] }),
  JSON.stringify({ id: 'parallel_0', ground_truth: [{ get_weather: { city: ['Paris'], unit: ['F'] } }, { get_weather: { city: ['Rome'], unit: ['F'] } }] }),
].join('\n');
const RESPONSES = [
  '<|tool_call|>{"name":"get_weather","arguments":{"city":"paris, france"}}<|end|>',
  '[get_weather(city="Rome", unit="F"), get_weather(city="Paris", unit="F")]',
  '<|assistant|>None of the available functions can do this, so I will not call any.<|end|>',
];

const file = (name: string, text: string) => new File([text], name);

describe('BFCL evaluation in the browser', () => {
  it('checks a result file given as a File and names a bad line', async () => {
    const outputs = ['simple_python_0', 'parallel_0', 'irrelevance_0'].map((id, i) => JSON.stringify({ id, result: RESPONSES[i] })).join('\n');
    const checked = await checkOutputFiles({ questions: file('questions.json', QUESTIONS), answers: file('answers.json', ANSWERS), outputs: file('results.jsonl', outputs) });
    expect(checked.verdicts.map((verdict) => verdict.valid)).toEqual([true, true, true]);
    expect(checked.summary.overall).toBe(1);
    const bad = await checkOutputFiles({
      questions: file('questions.json', QUESTIONS), answers: file('answers.json', ANSWERS), outputs: file('results.jsonl', `${outputs.split('\n')[0]}\n{"id": 3}`),
    }).then(() => undefined, (error: unknown) => error);
    expect(bad).toBeInstanceOf(InputError);
    expect((bad as Error).message).toBe('results.jsonl:2: expected an object with a string "id"');
  });

  it('runs the evaluation with a scripted model and with a tiny model', async () => {
    expect((await initBackend({ prefer: 'cpu' })).name).toBe('cpu');
    const items = await loadBfclItems(file('questions.json', QUESTIONS), file('answers.json', ANSWERS));
    const tokenizer = await trainBpeTokenizer(items.map((item, i) => bfclPrompt(item.question) + RESPONSES[i]), { vocabSize: 300 });
    const answers = new Map(items.map((item, i) => [tokenizer.encode(bfclPrompt(item.question)).join(','), RESPONSES[i]]));
    const scripted: ResponseModel = {
      contextLength: 512,
      respond: async (prompt) => ({ tokens: [...tokenizer.encode(answers.get(prompt.join(',')) ?? ''), tokenizer.special.endOfText], stopReason: 'stop-token' }),
    };
    const perfect = await evaluateFunctionCalling(scripted, tokenizer, items);
    expect(perfect.verdicts.map((verdict) => [verdict.id, verdict.valid])).toEqual([['simple_python_0', true], ['parallel_0', true], ['irrelevance_0', true]]);

    const model = LlamaModel.create(resolveConfig('nano', { vocabSize: tokenizer.vocabSize, dModel: 16, nHeads: 2, nKvHeads: 2, nLayers: 1, ffnHidden: 24, contextLength: 256 }), { seed: 1 });
    const before = tf.memory().numTensors;
    const result = await evaluateFunctionCalling(model, tokenizer, items, { maxNewTokens: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(result.verdicts).toHaveLength(3);
    for (const verdict of result.verdicts) expect(verdict.responseTokens).toBeLessThanOrEqual(4);
    model.dispose();
  });
});
