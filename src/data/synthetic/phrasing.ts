import type { Rng } from '../../util/rng.js';
import type { FunctionDefinition, JsonObject, JsonValue } from '../../tools/index.js';

/**
 * Natural-language text of the turns: user requests, reasoning, answers, and values and arguments as text.
 * @module
 */

function humanize(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_.]+/g, ' ').toLowerCase().trim();
}

export function valueText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) return value.map((item) => valueText(item)).join(', ');
  return JSON.stringify(value);
}

function listText(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

export function pairsText(args: JsonObject): string {
  return listText(Object.entries(args).map(([name, value]) => `${humanize(name)} ${valueText(value)}`));
}

export function argsText(args: JsonObject): string {
  const parts = Object.entries(args).map(([name, value]) => `${name} = ${JSON.stringify(value)}`);
  return parts.length === 0 ? 'no arguments' : parts.join(', ');
}

/** The description's first sentence without its final period. */
export function task(fn: FunctionDefinition): string {
  const first = (fn.description.trim().split(/(?<=\.)\s/)[0] ?? '').replace(/\.$/, '').trim();
  return first === '' ? `use ${fn.name}` : first;
}

export function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

export function upperFirst(text: string): string {
  return text === '' ? text : text[0].toUpperCase() + text.slice(1);
}

export function userRequest(fn: FunctionDefinition, args: JsonObject, rng: Rng): string {
  const what = task(fn);
  const pairs = pairsText(args);
  if (pairs === '') return rng.pick([`${upperFirst(what)}, please.`, `Could you ${lowerFirst(what)}?`, `I need this: ${lowerFirst(what)}.`]);
  return rng.pick([
    `${upperFirst(what)}, with ${pairs}.`,
    `Could you help me? ${upperFirst(what)}. Use ${pairs}.`,
    `I need to ${lowerFirst(what)}: ${pairs}.`,
    `Please ${lowerFirst(what)} for ${pairs}.`,
    `My request (${lowerFirst(what)}): ${pairs}.`,
  ]);
}

export function reasoningText(fn: FunctionDefinition, args: JsonObject, rng: Rng): string {
  return rng.pick([
    `The user wants to ${lowerFirst(task(fn))}. ${fn.name} does this, so I will call it with ${argsText(args)}.`,
    `I should use ${fn.name}. From the request: ${argsText(args)}.`,
    `To answer I need ${fn.name}; the values are ${argsText(args)}.`,
  ]);
}

export function answerText(fn: FunctionDefinition, result: JsonObject, rng: Rng): string {
  const [[key, value]] = Object.entries(result);
  return rng.pick([
    `The ${humanize(key)} is ${valueText(value)}.`,
    `Here is the result from ${fn.name}: ${valueText(value)}.`,
    `Done. ${fn.name} returned ${JSON.stringify(result)}.`,
  ]);
}
