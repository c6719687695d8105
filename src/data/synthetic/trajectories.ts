import type { Rng } from '../../util/rng.js';
import type { CorpusDocument } from '../document.js';
import type { FunctionDefinition, JsonObject, JsonValue, ParameterSchema, ToolCall } from '../../tools/index.js';
import { trajectoryDocument, type TrajectoryStep } from '../formats.js';
import { simulateEnvironment } from './environment.js';
import {
  answerText, argsText, lowerFirst, pairsText, reasoningText, task, upperFirst, userRequest, valueText,
} from './phrasing.js';
import { phrase, sampleArguments, variedArguments } from './values.js';

/**
 * Function-calling trajectories: valid calls, failed calls answered by the environment and retried,
 * multi-turn conversations and parallel calls.
 * @module
 */

/**
 * The trajectory variants: a valid call; a call missing a required parameter, a call with a value of
 * the wrong type, a call with a parameter the schema does not have (each answered by the environment
 * with an error, then retried correctly); a multi-turn conversation (a follow-up request changing one
 * value); parallel calls (the same function twice).
 */
export const TRAJECTORY_VARIANTS = ['valid', 'missing_required', 'wrong_type', 'unknown_parameter', 'multi_turn', 'parallel'] as const;

/** One of {@link TRAJECTORY_VARIANTS}. */
export type TrajectoryVariant = (typeof TRAJECTORY_VARIANTS)[number];

const EXTRA_PARAMETERS = ['verbose', 'format', 'mode', 'timeout', 'lang', 'debug'];

/** A value of another type than `schema`'s, for the wrong-type variant; `undefined` when any type fits. */
function wrongValue(schema: ParameterSchema, value: JsonValue): JsonValue | undefined {
  switch (schema.type) {
    case 'string': return typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : 42;
    case 'integer': return typeof value === 'number' ? String(value) : '7';
    case 'float': case 'number': case 'double': return typeof value === 'number' ? String(value) : '2.5';
    case 'boolean': return value === true ? 'yes' : 'no';
    case 'array': case 'tuple': return Array.isArray(value) ? value.map((item) => valueText(item)).join(', ') : 'a, b';
    case 'dict': case 'object': return JSON.stringify(value);
    default: return undefined;
  }
}

/** A name for a parameter the schema lacks: a near-miss of a real one, or a common extra option. */
function unknownParameter(fn: FunctionDefinition, rng: Rng): string {
  const names = Object.keys(fn.parameters.properties);
  const taken = (name: string): boolean => name in fn.parameters.properties || (fn.parameters.required ?? []).includes(name);
  const candidates = [
    ...names.map((name) => (name.endsWith('s') ? name.slice(0, -1) : `${name}s`)),
    ...names.map((name) => name.replace(/_/g, '')),
    ...EXTRA_PARAMETERS,
  ].filter((name) => name !== '' && !taken(name));
  return candidates.length > 0 ? rng.pick(candidates) : `extra_${rng.int(1000)}`;
}

/** Options of {@link syntheticTrajectorySteps}. */
export interface TrajectoryStepOptions {
  /** Functions offered besides `fn` (for the environment's check; default none). */
  tools?: readonly FunctionDefinition[];
}

function callSteps(
  fn: FunctionDefinition, tools: readonly FunctionDefinition[], args: JsonObject, rng: Rng, steps: TrajectoryStep[],
): JsonObject {
  const call: ToolCall = { name: fn.name, arguments: args };
  const result = simulateEnvironment(tools, call, rng);
  steps.push({ type: 'call', call }, { type: 'feedback', result });
  return result;
}

/**
 * The steps of one synthetic trajectory of `variant` for `fn`. A failure variant that `fn` cannot show
 * (missing_required without required parameters, wrong_type without typed parameters) falls back to
 * unknown_parameter, which every function can show. Every call's feedback comes from
 * {@link simulateEnvironment}, so an error message always matches what is wrong with the call.
 */
export function syntheticTrajectorySteps(
  fn: FunctionDefinition, rng: Rng, variant: TrajectoryVariant, options: TrajectoryStepOptions = {},
): TrajectoryStep[] {
  const tools = [fn, ...(options.tools ?? []).filter((tool) => tool.name !== fn.name)];
  const args = sampleArguments(fn, rng);
  const steps: TrajectoryStep[] = [{ type: 'user', text: userRequest(fn, args, rng) }, { type: 'reasoning', text: reasoningText(fn, args, rng) }];
  const required = (fn.parameters.required ?? []).filter((name) => name in args);
  const typed = Object.keys(args).filter((name) => {
    const schema = fn.parameters.properties[name];
    return schema !== undefined && wrongValue(schema, args[name]) !== undefined;
  });
  let kind: TrajectoryVariant = variant;
  if (kind === 'missing_required' && required.length === 0) kind = 'unknown_parameter';
  if (kind === 'wrong_type' && typed.length === 0) kind = 'unknown_parameter';

  if (kind === 'missing_required' || kind === 'wrong_type' || kind === 'unknown_parameter') {
    const bad: JsonObject = { ...args };
    let fix: string;
    if (kind === 'missing_required') {
      const name = rng.pick(required);
      delete bad[name];
      fix = rng.pick([
        `The call failed because the required parameter "${name}" was missing. I will add ${name} = ${JSON.stringify(args[name])} and try again.`,
        `I forgot "${name}", which is required. Retrying with it.`,
      ]);
    } else if (kind === 'wrong_type') {
      const name = rng.pick(typed);
      bad[name] = wrongValue(fn.parameters.properties[name], args[name]) as JsonValue;
      fix = rng.pick([
        `The call was rejected: "${name}" must be of type ${fn.parameters.properties[name].type}. I will pass ${JSON.stringify(args[name])} instead.`,
        `Wrong type for "${name}". Calling again with ${JSON.stringify(args[name])}.`,
      ]);
    } else {
      const name = unknownParameter(fn, rng);
      bad[name] = rng.next() < 0.5 ? true : phrase(rng);
      fix = rng.pick([
        `"${name}" is not a parameter of ${fn.name}. I will call it again without it.`,
        `The function does not accept "${name}". Retrying with only its own parameters.`,
      ]);
    }
    callSteps(fn, tools, bad, rng, steps);
    steps.push({ type: 'reasoning', text: fix });
    const result = callSteps(fn, tools, args, rng, steps);
    steps.push({ type: 'answer', text: answerText(fn, result, rng) });
    return steps;
  }

  if (kind === 'parallel') {
    const second = variedArguments(fn, args, rng);
    // The user turn asks for both.
    steps[0] = {
      type: 'user',
      text: rng.pick([
        `${upperFirst(task(fn))}: first with ${pairsText(args)}, then with ${pairsText(second.args)}.`,
        `Do this twice (${lowerFirst(task(fn))}): ${pairsText(args)}; and ${pairsText(second.args)}.`,
      ]),
    };
    steps[1] = { type: 'reasoning', text: `These are two independent calls of ${fn.name}; I will make both.` };
    const calls = [{ name: fn.name, arguments: args }, { name: fn.name, arguments: second.args }];
    const results = calls.map((call) => simulateEnvironment(tools, call, rng));
    for (const call of calls) steps.push({ type: 'call', call });
    for (const result of results) steps.push({ type: 'feedback', result });
    const [first, second2] = results.map((result) => valueText(Object.values(result)[0]));
    steps.push({ type: 'answer', text: rng.pick([`The first gives ${first}; the second gives ${second2}.`, `Results: ${first} and ${second2}.`]) });
    return steps;
  }

  const result = callSteps(fn, tools, args, rng, steps);
  steps.push({ type: 'answer', text: answerText(fn, result, rng) });
  if (kind === 'multi_turn') {
    const next = variedArguments(fn, args, rng);
    const changed: JsonObject = next.changed === undefined ? {} : { [next.changed]: next.args[next.changed] };
    steps.push({
      type: 'user',
      text: next.changed === undefined
        ? rng.pick(['Please do that again.', 'Once more, please.'])
        : rng.pick([`Now the same with ${pairsText(changed)}.`, `And what about ${pairsText(changed)}?`, `Thanks. Can you redo it for ${pairsText(changed)}?`]),
    });
    steps.push({ type: 'reasoning', text: `Same call as before, with ${argsText(next.changed === undefined ? next.args : changed)}.` });
    const again = callSteps(fn, tools, next.args, rng, steps);
    steps.push({ type: 'answer', text: answerText(fn, again, rng) });
  }
  return steps;
}

/** Options of {@link syntheticTrajectories}. */
export interface SyntheticTrajectoryOptions extends TrajectoryStepOptions {
  /** How many trajectories (default one per variant). */
  count?: number;
  /** Variants to cycle through (default {@link TRAJECTORY_VARIANTS}); the cycle starts at a random one. */
  variants?: readonly TrajectoryVariant[];
  /** List the offered tools in a system turn (default true). */
  listTools?: boolean;
  /** `source` of the documents (default `synthetic`). */
  source?: string;
}

/**
 * Varied function-calling trajectories for any function definition, as `trajectory` documents
 * ({@link trajectoryDocument}): the variants are cycled from a random start, so `count` >= the number
 * of variants shows each of them (each failure type with its retry, multi-turn, parallel).
 */
export function syntheticTrajectories(schema: FunctionDefinition, rng: Rng, options: SyntheticTrajectoryOptions = {}): CorpusDocument[] {
  const variants = options.variants ?? TRAJECTORY_VARIANTS;
  const count = options.count ?? variants.length;
  const start = rng.int(variants.length);
  const tools = [schema, ...(options.tools ?? []).filter((tool) => tool.name !== schema.name)];
  return Array.from({ length: count }, (_, i) => {
    const steps = syntheticTrajectorySteps(schema, rng, variants[(start + i) % variants.length], options);
    return trajectoryDocument(steps, {
      source: options.source ?? 'synthetic',
      tools: options.listTools === false ? [] : tools,
    });
  });
}
