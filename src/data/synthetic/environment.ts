import type { Rng } from '../../util/rng.js';
import { findTool, validateCall, type FunctionDefinition, type JsonObject, type JsonValue, type ToolCall } from '../../tools/index.js';
import { between, phrase, round, sampleString } from './values.js';

/**
 * The simulated environment: an error for an invalid call, otherwise an output of a plausible shape
 * named after the function.
 * @module
 */

const SKIES = ['sunny', 'cloudy', 'light rain', 'snow', 'windy'];

const VERBS = new Set([
  'get', 'calculate', 'calc', 'compute', 'find', 'search', 'fetch', 'create', 'add', 'convert', 'translate', 'set',
  'update', 'check', 'estimate', 'predict', 'analyze', 'analyse', 'list', 'retrieve', 'determine', 'count',
  'generate', 'book', 'send', 'lookup', 'look', 'query', 'make', 'play', 'run', 'solve', 'evaluate', 'identify',
]);

/** The name of what a function returns, from its name: `calculate_triangle_area` -> `triangle_area`. */
function resultKey(fn: FunctionDefinition): string {
  const last = fn.name.split('.').pop() ?? fn.name;
  const words = last.replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/).filter((word) => word !== '');
  while (words.length > 1 && VERBS.has(words[0])) words.shift();
  const key = words.length === 1 && VERBS.has(words[0]) ? 'result' : words.join('_');
  return key === '' ? 'result' : key;
}

function resultValue(key: string, rng: Rng): JsonValue {
  if (/weather|sky|condition|forecast/.test(key)) return { sky: rng.pick(SKIES), temperature: between(rng, -5, 35) };
  if (/(?:^|_)(?:name|title|text|translation|description|summary|address|status|message|city|country|language)$/.test(key)) return sampleString(key, rng);
  if (/s$/.test(key) && !/(?:status|ss|us|is)$/.test(key)) {
    return Array.from({ length: between(rng, 1, 3) }, () => ({ id: `${key.slice(0, 2).toUpperCase()}${between(rng, 100, 999)}`, value: round(rng.next() * 500, 2) }));
  }
  if (key === 'result' && rng.next() < 0.3) return phrase(rng);
  return round(rng.next() * 1000, rng.pick([0, 1, 2]));
}

/**
 * The simulated environment's answer to a call: `{"error": problem}` when {@link validateCall} finds
 * one, otherwise an output named after the function (`calculate_triangle_area` -> `{"triangle_area": 12.5}`)
 * with a value of a plausible shape.
 */
export function simulateEnvironment(tools: FunctionDefinition | readonly FunctionDefinition[], call: ToolCall, rng: Rng): JsonObject {
  const problem = validateCall(tools, call);
  const fn = findTool(tools, call.name);
  if (problem !== undefined || fn === undefined) return { error: problem ?? `unknown function "${call.name}"` };
  const key = resultKey(fn);
  return { [key]: resultValue(key, rng) };
}
