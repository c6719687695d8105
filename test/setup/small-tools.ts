/**
 * Five short fictional tools for pipeline tests: the embedded sample's tools render Stage III prompts
 * of hundreds of tokens, too long for the micro models a test can train on the CPU backend.
 */
import type { FunctionDefinition } from '../../src/tools/index.js';

const tool = (name: string, description: string, params: Record<string, 'integer' | 'string'>): FunctionDefinition => ({
  name, description,
  parameters: {
    type: 'dict',
    properties: Object.fromEntries(Object.entries(params).map(([key, type]) => [key, { type, description: `The ${key}.` }])),
    required: Object.keys(params),
  },
});

/** Tools with one or two required parameters and one-sentence descriptions. */
export const SMALL_TOOLS: readonly FunctionDefinition[] = [
  tool('add', 'Add two numbers.', { a: 'integer', b: 'integer' }),
  tool('weather', 'Get the weather.', { city: 'string' }),
  tool('translate', 'Translate a word.', { word: 'string', lang: 'string' }),
  tool('square', 'Square a number.', { n: 'integer' }),
  tool('greet', 'Greet a person.', { name: 'string' }),
];
