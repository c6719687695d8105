import { Rng } from '../util/rng.js';
import type { CorpusDocument, DocumentKind } from './document.js';
import {
  codeDocument, instructionPair, toolDocFromFunction, trajectoryDocument,
  type FunctionDefinition, type JsonObject, type JsonValue, type ParameterSchema, type ToolCall, type TrajectoryStep,
} from './formats.js';

/**
 * Seeded synthetic agent data from any function definition: argument values sampled from the schema
 * (enums, defaults, examples and keywords in the parameter descriptions, type-appropriate values),
 * a simulated environment that checks each call against the schema and answers with an output or an
 * error, trajectories with failed calls and their retry, multi-turn and parallel variants, code that
 * uses the function, and Stage III instruction pairs. The embedded default sample
 * ({@link syntheticCorpus}) is this generator run over {@link SAMPLE_TOOLS}.
 *
 * Everything is a pure function of the {@link Rng} passed in: same seed, same bytes.
 * Browser-safe.
 * @module
 */

const CITIES = ['Paris', 'Lagos', 'Osaka', 'Lima', 'Oslo', 'Denver', 'Hanoi', 'Cairo', 'Toronto', 'Nairobi'];

/** The fictional tools of the embedded sample (made up here; no external data). */
export const SAMPLE_TOOLS: readonly FunctionDefinition[] = [
  {
    name: 'get_weather',
    description: 'Get the current weather for a city.',
    parameters: {
      type: 'dict',
      properties: {
        city: { type: 'string', description: 'The city, e.g. "Paris".' },
        unit: { type: 'string', description: 'The temperature unit.', enum: ['celsius', 'fahrenheit'], default: 'celsius' },
      },
      required: ['city'],
    },
  },
  {
    name: 'convert_currency',
    description: 'Convert an amount of money from one currency to another.',
    parameters: {
      type: 'dict',
      properties: {
        amount: { type: 'float', description: 'The amount to convert.' },
        from_currency: { type: 'string', description: 'ISO code of the source currency.', enum: ['USD', 'EUR', 'JPY', 'NGN', 'GBP'] },
        to_currency: { type: 'string', description: 'ISO code of the target currency.', enum: ['USD', 'EUR', 'JPY', 'NGN', 'GBP'] },
      },
      required: ['amount', 'from_currency', 'to_currency'],
    },
  },
  {
    name: 'search_flights',
    description: 'Find flights between two cities on a date.',
    parameters: {
      type: 'dict',
      properties: {
        origin: { type: 'string', description: 'The departure city.' },
        destination: { type: 'string', description: 'The arrival city.' },
        date: { type: 'string', description: 'The departure date as YYYY-MM-DD.' },
        max_price: { type: 'integer', description: 'The highest ticket price in US dollars.', minimum: 50, maximum: 2000 },
        cabin: { type: 'string', description: 'The cabin class.', enum: ['economy', 'business'], default: 'economy' },
      },
      required: ['origin', 'destination', 'date'],
    },
  },
  {
    name: 'calendar.add_event',
    description: 'Create an event in the user calendar.',
    parameters: {
      type: 'dict',
      properties: {
        title: { type: 'string', description: 'The event title, e.g. "dentist".' },
        date: { type: 'string', description: 'The event date as YYYY-MM-DD.' },
        duration_minutes: { type: 'integer', description: 'The length of the event in minutes.', minimum: 15, maximum: 240 },
        attendees: { type: 'array', items: { type: 'string' }, description: 'Names of the people invited.' },
      },
      required: ['title', 'date'],
    },
  },
  {
    name: 'translate_text',
    description: 'Translate text into another language.',
    parameters: {
      type: 'dict',
      properties: {
        text: { type: 'string', description: 'The text to translate, e.g. "good morning".' },
        target_language: { type: 'string', description: 'The language code of the translation.', enum: ['fr', 'es', 'ja', 'yo', 'de'] },
      },
      required: ['text', 'target_language'],
    },
  },
];

// ---------------------------------------------------------------------------------------------------
// Argument values

const COUNTRIES = ['France', 'Nigeria', 'Japan', 'Peru', 'Norway', 'Canada', 'Vietnam', 'Egypt', 'Kenya', 'Brazil'];
const PEOPLE = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Chinua Achebe', 'Frida Kahlo', 'Katherine Johnson', 'Wangari Maathai'];
const COMPANIES = ['Acme Corp', 'Globex', 'Initech', 'Umbrella Labs', 'Northwind Traders'];
const LANGUAGES = ['English', 'French', 'Spanish', 'Japanese', 'Yoruba', 'German'];
const LANGUAGE_CODES = ['en', 'fr', 'es', 'ja', 'yo', 'de'];
const CURRENCIES = ['USD', 'EUR', 'JPY', 'GBP', 'NGN', 'INR'];
const COLORS = ['red', 'blue', 'green', 'yellow', 'black', 'white'];
const GENRES = ['jazz', 'rock', 'classical', 'drama', 'comedy', 'science fiction'];
const UNITS = ['meters', 'kilograms', 'celsius', 'miles', 'liters', 'seconds'];
const TICKERS = ['AAPL', 'MSFT', 'GOOG', 'TSLA', 'AMZN'];
const MONTHS = ['January', 'March', 'May', 'July', 'September', 'November'];
const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const EXPRESSIONS = ['x**2', '3*x + 2', 'sin(x)', 'x**3 - 2*x', 'exp(-x)'];
const NOUNS = ['report', 'garden', 'river', 'market', 'project', 'invoice', 'concert', 'recipe', 'station', 'library', 'bridge', 'museum'];
const ADJECTIVES = ['quarterly', 'small', 'green', 'annual', 'old', 'local', 'quiet', 'northern'];
const SKIES = ['sunny', 'cloudy', 'light rain', 'snow', 'windy'];
const PHRASES = ['good morning', 'where is the station', 'thank you very much', 'the meeting moved to Friday', 'how much does it cost'];

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

function between(rng: Rng, low: number, high: number): number {
  return low + rng.int(high - low + 1);
}

function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

function phrase(rng: Rng): string {
  return `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
}

/** Quoted examples in a description: `e.g. "Paris"`, `such as 'x'`. */
function describedExamples(description: string): string[] {
  const out: string[] = [];
  const pattern = /(?:e\.g\.?|for example|such as|like)[,:]?\s*["'“]([^"'”]{1,40})["'”]/gi;
  for (let match = pattern.exec(description); match !== null; match = pattern.exec(description)) out.push(match[1]);
  return out;
}

function sampleString(hint: string, rng: Rng): string {
  if (/e-?mail/.test(hint)) return `${rng.pick(PEOPLE).toLowerCase().replace(' ', '.')}@example.com`;
  if (/\burl\b|website|link|endpoint/.test(hint)) return `https://example.com/${rng.pick(NOUNS)}/${rng.int(100)}`;
  if (/\bdate\b|_date|date_|birthday|deadline/.test(hint)) return `${between(rng, 2020, 2027)}-${pad2(between(rng, 1, 12))}-${pad2(between(rng, 1, 28))}`;
  if (/\btime\b|_time|hour/.test(hint)) return `${pad2(between(rng, 6, 22))}:${rng.pick(['00', '15', '30', '45'])}`;
  if (/address/.test(hint)) return `${between(rng, 1, 250)} ${rng.pick(NOUNS)} street, ${rng.pick(CITIES)}`;
  if (/city|location|place|destination|origin|town/.test(hint)) return rng.pick(CITIES);
  if (/country|nation/.test(hint)) return rng.pick(COUNTRIES);
  if (/language/.test(hint)) return /code|iso/.test(hint) ? rng.pick(LANGUAGE_CODES) : rng.pick(LANGUAGES);
  if (/currency/.test(hint)) return rng.pick(CURRENCIES);
  if (/company|brand|organi[sz]ation|business|employer/.test(hint)) return rng.pick(COMPANIES);
  if (/file|path/.test(hint)) return `data/${rng.pick(NOUNS)}_${rng.int(10)}.csv`;
  if (/colou?r/.test(hint)) return rng.pick(COLORS);
  if (/genre/.test(hint)) return rng.pick(GENRES);
  if (/\bunits?\b/.test(hint)) return rng.pick(UNITS);
  if (/symbol|ticker|stock/.test(hint)) return rng.pick(TICKERS);
  if (/\bid\b|_id\b|identifier/.test(hint)) return `${rng.pick(NOUNS)}-${between(rng, 1000, 9999)}`;
  if (/year/.test(hint)) return String(between(rng, 1990, 2026));
  if (/month/.test(hint)) return rng.pick(MONTHS);
  if (/weekday|day of the week/.test(hint)) return rng.pick(WEEKDAYS);
  if (/function|equation|expression|formula/.test(hint)) return rng.pick(EXPRESSIONS);
  if (/name|person|author|artist|player|actor|director|singer|customer|patient/.test(hint)) return rng.pick(PEOPLE);
  if (/text|sentence|message|phrase/.test(hint)) return rng.pick(PHRASES);
  return phrase(rng);
}

function sampleInteger(hint: string, schema: ParameterSchema, rng: Rng): number {
  let value: number;
  if (/year/.test(hint)) value = between(rng, 1990, 2026);
  else if (/\bage\b/.test(hint)) value = between(rng, 18, 80);
  else if (/month/.test(hint)) value = between(rng, 1, 12);
  else if (/\bday/.test(hint)) value = between(rng, 1, 28);
  else if (/hour/.test(hint)) value = between(rng, 0, 23);
  else if (/minute|duration/.test(hint)) value = 5 * between(rng, 1, 24);
  else if (/percent/.test(hint)) value = between(rng, 0, 100);
  else if (/count|number of|\bnum|limit|\btop\b|\bmax|size|quantity/.test(hint)) value = between(rng, 1, 20);
  else value = rng.next() < 0.2 ? between(rng, 100, 10000) : between(rng, 1, 100);
  return withinBounds(value, schema, rng, (low, high) => between(rng, Math.ceil(low), Math.floor(high)));
}

/** `value` when within the schema's `minimum` / `maximum`, else a draw between them. */
function withinBounds(value: number, schema: ParameterSchema, rng: Rng, draw: (low: number, high: number) => number): number {
  const { minimum, maximum } = schema;
  if ((minimum === undefined || value >= minimum) && (maximum === undefined || value <= maximum)) return value;
  const low = minimum ?? (maximum as number) - 100;
  const high = maximum ?? low + 100;
  return high < low ? low : draw(low, high);
}

function sampleFloat(hint: string, schema: ParameterSchema, rng: Rng): number {
  let value: number;
  if (/latitude|\blat\b/.test(hint)) value = round(rng.next() * 180 - 90, 4);
  else if (/longitude|\blon\b|\blng\b/.test(hint)) value = round(rng.next() * 360 - 180, 4);
  else if (/percent/.test(hint)) value = round(rng.next() * 100, 1);
  else if (/rate|ratio|probability|fraction/.test(hint)) value = round(rng.next(), 2);
  else if (/price|amount|cost|salary|budget|income|money/.test(hint)) value = round(1 + rng.next() * 4999, 2);
  else value = round(0.1 + rng.next() * 999.9, rng.pick([1, 2]));
  return withinBounds(value, schema, rng, (low, high) => Math.min(high, Math.max(low, round(low + rng.next() * (high - low), 2))));
}

/**
 * Samples a value for one parameter: one of its `enum` values; its `default` (a quarter of the time);
 * a quoted example from its description (half the time); otherwise a value of its type guided by
 * keywords in its name and description (city, date, email, year, price, latitude, ...) and its
 * `minimum` / `maximum`. Arrays get 1-3 items (a tuple 2), dicts their properties.
 */
export function sampleValue(schema: ParameterSchema, name: string, rng: Rng): JsonValue {
  const type = schema.type ?? 'string';
  if (schema.enum !== undefined && schema.enum.length > 0) return rng.pick(schema.enum);
  if (schema.default !== undefined && schema.default !== null && rng.next() < 0.25 && typeProblem(schema, schema.default) === undefined) {
    return schema.default;
  }
  const hint = `${name.replace(/([a-z])([A-Z])/g, '$1_$2')} ${schema.description ?? ''}`.toLowerCase();
  switch (type) {
    case 'integer':
      return sampleInteger(hint, schema, rng);
    case 'float':
    case 'number':
    case 'double':
      return sampleFloat(hint, schema, rng);
    case 'boolean':
      return rng.next() < 0.5;
    case 'array':
    case 'tuple': {
      const items = schema.items ?? { type: 'string', description: schema.description };
      const count = type === 'tuple' ? 2 : between(rng, 1, 3);
      const out: JsonValue[] = [];
      const itemName = name.replace(/s$/, '');
      for (let i = 0; i < count; i++) {
        const value = sampleValue(items, itemName, rng);
        if (!out.some((existing) => JSON.stringify(existing) === JSON.stringify(value))) out.push(value);
      }
      return out;
    }
    case 'dict':
    case 'object': {
      if (schema.properties !== undefined && Object.keys(schema.properties).length > 0) {
        return sampleObject(schema.properties, schema.required ?? [], rng, 0.5);
      }
      return { [rng.pick(NOUNS)]: phrase(rng) };
    }
    case 'any':
      return rng.next() < 0.5 ? phrase(rng) : between(rng, 1, 100);
    default: {
      const examples = describedExamples(schema.description ?? '');
      if (examples.length > 0 && rng.next() < 0.5) return rng.pick(examples);
      return sampleString(hint, rng);
    }
  }
}

function sampleObject(
  properties: Record<string, ParameterSchema>, required: readonly string[], rng: Rng, optionalRate: number,
): JsonObject {
  const out: JsonObject = {};
  for (const [name, schema] of Object.entries(properties)) {
    if (required.includes(name) || rng.next() < optionalRate) out[name] = sampleValue(schema, name, rng);
  }
  for (const name of required) if (!(name in out)) out[name] = sampleValue({ type: 'string' }, name, rng);
  return out;
}

/** Options of {@link sampleArguments}. */
export interface SampleArgumentsOptions {
  /** Chance that each optional parameter is given (default 0.4). */
  optionalRate?: number;
}

/** Arguments for a valid call of `fn`: every required parameter, and each optional one by chance. */
export function sampleArguments(fn: FunctionDefinition, rng: Rng, options: SampleArgumentsOptions = {}): JsonObject {
  return sampleObject(fn.parameters.properties, fn.parameters.required ?? [], rng, options.optionalRate ?? 0.4);
}

// ---------------------------------------------------------------------------------------------------
// The simulated environment

function jsonType(value: JsonValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'float';
  if (typeof value === 'object') return 'dict';
  return typeof value;
}

function sameJson(a: JsonValue, b: JsonValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Why `value` does not fit `schema` (type, enum, items, fields), or `undefined`. `path` names it. */
function typeProblem(schema: ParameterSchema, value: JsonValue, path = 'value'): string | undefined {
  const type = schema.type ?? 'any';
  const actual = jsonType(value);
  let ok: boolean;
  switch (type) {
    case 'string': ok = typeof value === 'string'; break;
    case 'integer': ok = actual === 'integer'; break;
    // BFCL's rule: an integer is accepted where a float is expected.
    case 'float': case 'number': case 'double': ok = typeof value === 'number'; break;
    case 'boolean': ok = typeof value === 'boolean'; break;
    case 'array': case 'tuple': ok = Array.isArray(value); break;
    case 'dict': case 'object': ok = actual === 'dict'; break;
    default: ok = true;
  }
  if (!ok) return `parameter "${path}" must be of type ${type}, got ${actual}`;
  if (schema.enum !== undefined && schema.enum.length > 0 && !schema.enum.some((allowed) => sameJson(allowed, value))) {
    return `parameter "${path}" must be one of ${schema.enum.map((allowed) => JSON.stringify(allowed)).join(', ')}`;
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    for (const [index, item] of value.entries()) {
      const problem = typeProblem(schema.items, item, `${path}[${index}]`);
      if (problem !== undefined) return problem;
    }
  }
  if (actual === 'dict' && schema.properties !== undefined) {
    const object = value as JsonObject;
    for (const [key, item] of Object.entries(object)) {
      const field = schema.properties[key];
      if (field === undefined) continue;
      const problem = typeProblem(field, item, `${path}.${key}`);
      if (problem !== undefined) return problem;
    }
  }
  return undefined;
}

/**
 * Checks a call against the offered functions as an environment would: the function exists, no
 * parameter outside the schema, every required parameter present, every value of its parameter's type
 * (an integer is accepted for a float) and within its `enum`. Returns the first problem, e.g.
 * `missing required parameter "city"`, or `undefined` for a valid call.
 */
export function validateCall(tools: FunctionDefinition | readonly FunctionDefinition[], call: ToolCall): string | undefined {
  const list: readonly FunctionDefinition[] = Array.isArray(tools) ? tools : [tools as FunctionDefinition];
  const fn = list.find((tool) => tool.name === call.name);
  if (fn === undefined) return `unknown function "${call.name}"`;
  const properties = fn.parameters.properties;
  const required = fn.parameters.required ?? [];
  for (const name of Object.keys(call.arguments)) {
    if (!(name in properties) && !required.includes(name)) return `unexpected parameter "${name}"`;
  }
  for (const name of required) {
    if (!(name in call.arguments)) return `missing required parameter "${name}"`;
  }
  for (const [name, value] of Object.entries(call.arguments)) {
    const schema = properties[name];
    if (schema === undefined) continue;
    const problem = typeProblem(schema, value, name);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

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
  if (problem !== undefined) return { error: problem };
  const list: readonly FunctionDefinition[] = Array.isArray(tools) ? tools : [tools as FunctionDefinition];
  const fn = list.find((tool) => tool.name === call.name) as FunctionDefinition;
  const key = resultKey(fn);
  return { [key]: resultValue(key, rng) };
}

// ---------------------------------------------------------------------------------------------------
// Text of the turns

function humanize(name: string): string {
  return name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/[_.]+/g, ' ').toLowerCase().trim();
}

function valueText(value: JsonValue): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value) && value.every((item) => typeof item !== 'object' || item === null)) return value.map((item) => valueText(item)).join(', ');
  return JSON.stringify(value);
}

function listText(parts: string[]): string {
  if (parts.length <= 1) return parts.join('');
  return `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

function pairsText(args: JsonObject): string {
  return listText(Object.entries(args).map(([name, value]) => `${humanize(name)} ${valueText(value)}`));
}

function argsText(args: JsonObject): string {
  const parts = Object.entries(args).map(([name, value]) => `${name} = ${JSON.stringify(value)}`);
  return parts.length === 0 ? 'no arguments' : parts.join(', ');
}

/** The description's first sentence without its final period. */
function task(fn: FunctionDefinition): string {
  const first = (fn.description.trim().split(/(?<=\.)\s/)[0] ?? '').replace(/\.$/, '').trim();
  return first === '' ? `use ${fn.name}` : first;
}

function lowerFirst(text: string): string {
  return /^[A-Z][a-z]/.test(text) ? text[0].toLowerCase() + text.slice(1) : text;
}

function upperFirst(text: string): string {
  return text === '' ? text : text[0].toUpperCase() + text.slice(1);
}

function userRequest(fn: FunctionDefinition, args: JsonObject, rng: Rng): string {
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

function reasoningText(fn: FunctionDefinition, args: JsonObject, rng: Rng): string {
  return rng.pick([
    `The user wants to ${lowerFirst(task(fn))}. ${fn.name} does this, so I will call it with ${argsText(args)}.`,
    `I should use ${fn.name}. From the request: ${argsText(args)}.`,
    `To answer I need ${fn.name}; the values are ${argsText(args)}.`,
  ]);
}

function answerText(fn: FunctionDefinition, result: JsonObject, rng: Rng): string {
  const [[key, value]] = Object.entries(result);
  return rng.pick([
    `The ${humanize(key)} is ${valueText(value)}.`,
    `Here is the result from ${fn.name}: ${valueText(value)}.`,
    `Done. ${fn.name} returned ${JSON.stringify(result)}.`,
  ]);
}

// ---------------------------------------------------------------------------------------------------
// Trajectories

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

/** `args` with one value resampled (different when possible); `changed` names it. */
function variedArguments(fn: FunctionDefinition, args: JsonObject, rng: Rng): { args: JsonObject; changed?: string } {
  const names = Object.keys(args).filter((name) => fn.parameters.properties[name] !== undefined);
  if (names.length === 0) return { args: { ...args } };
  const name = rng.pick(names);
  const schema = fn.parameters.properties[name];
  let value = args[name];
  for (let attempt = 0; attempt < 6 && sameJson(value, args[name]); attempt++) value = sampleValue(schema, name, rng);
  return { args: { ...args, [name]: value }, changed: name };
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

// ---------------------------------------------------------------------------------------------------
// Code and instructions

function pythonLiteral(value: JsonValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => pythonLiteral(item)).join(', ')}]`;
  return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${pythonLiteral(item)}`).join(', ')}}`;
}

function pythonCall(name: string, args: JsonObject): string {
  return `${name}(${Object.entries(args).map(([key, value]) => `${key}=${pythonLiteral(value)}`).join(', ')})`;
}

/** Options of {@link syntheticCode}. */
export interface SyntheticCodeOptions {
  /** `source` of the document (default `synthetic`). */
  source?: string;
}

/**
 * A `code` document that uses `fn` (Python or JavaScript, with error handling or a loop over values),
 * its arguments sampled as for a valid call.
 */
export function syntheticCode(fn: FunctionDefinition, rng: Rng, options: SyntheticCodeOptions = {}): CorpusDocument {
  const args = sampleArguments(fn, rng);
  const root = fn.name.includes('.') ? fn.name.split('.')[0] : undefined;
  const imports = root === undefined ? `from tools import ${fn.name}` : `import ${root}`;
  const fnVar = `run_${between(rng, 1, 99)}`;
  const templates: (() => string)[] = [
    () => [
      imports,
      '',
      '',
      `def ${fnVar}():`,
      `    """${task(fn)}."""`,
      `    result = ${pythonCall(fn.name, args)}`,
      '    if "error" in result:',
      '        raise RuntimeError(result["error"])',
      '    return result',
      '',
      '',
      `print(${fnVar}())`,
    ].join('\n'),
    () => {
      const varied = variedArguments(fn, args, rng);
      if (varied.changed === undefined) return `${imports}\n\nresult = ${pythonCall(fn.name, args)}\nprint(result)`;
      const name = varied.changed;
      const rest = Object.fromEntries(Object.entries(args).filter(([key]) => key !== name));
      const restText = Object.entries(rest).map(([key, value]) => `, ${key}=${pythonLiteral(value)}`).join('');
      return [
        imports,
        '',
        `for ${name} in [${pythonLiteral(args[name])}, ${pythonLiteral(varied.args[name])}]:`,
        `    result = ${fn.name}(${name}=${name}${restText})`,
        `    print(${name}, result)`,
      ].join('\n');
    },
    () => [
      `// ${task(fn)}.`,
      `export async function ${fnVar.replace('_', '')}(tools) {`,
      `  const result = await tools.call(${JSON.stringify(fn.name)}, ${JSON.stringify(args)});`,
      '  if (result.error) throw new Error(result.error);',
      '  return result;',
      '}',
    ].join('\n'),
  ];
  return codeDocument({ code: rng.pick(templates)(), source: options.source ?? 'synthetic', functions: [fn.name] });
}

/** Options of {@link syntheticInstruction}. */
export interface SyntheticInstructionOptions {
  /** Functions that may be offered next to `fn` as distractors (0-2 of them, by chance). */
  distractors?: readonly FunctionDefinition[];
  /** Chance of a parallel request (two calls; default 0.2). */
  parallelRate?: number;
  /** `source` of the document (default `synthetic`). */
  source?: string;
}

/**
 * An `instruction` pair ({@link instructionPair}) for `fn`: `fn` and some distractors offered in the
 * system turn (shuffled), a request, and the valid call (or two parallel calls).
 */
export function syntheticInstruction(fn: FunctionDefinition, rng: Rng, options: SyntheticInstructionOptions = {}): CorpusDocument {
  const pool = (options.distractors ?? []).filter((tool) => tool.name !== fn.name);
  const tools = [fn];
  const extra = Math.min(pool.length, rng.int(3));
  const shuffled = rng.shuffle([...pool]);
  tools.push(...shuffled.slice(0, extra));
  rng.shuffle(tools);
  const args = sampleArguments(fn, rng);
  const calls: ToolCall[] = [{ name: fn.name, arguments: args }];
  let user = userRequest(fn, args, rng);
  if (rng.next() < (options.parallelRate ?? 0.2)) {
    const second = variedArguments(fn, args, rng);
    if (second.changed !== undefined) {
      calls.push({ name: fn.name, arguments: second.args });
      user = `${upperFirst(task(fn))}: first with ${pairsText(args)}, then with ${pairsText(second.args)}.`;
    }
  }
  return instructionPair({ tools, user, calls, source: options.source ?? 'synthetic' });
}

/** A tool doc for `fn` with one or two example calls sampled from its schema. */
export function syntheticToolDoc(fn: FunctionDefinition, rng: Rng, options: { source?: string } = {}): CorpusDocument {
  const examples = Array.from({ length: between(rng, 1, 2) }, () => ({ name: fn.name, arguments: sampleArguments(fn, rng) }));
  return toolDocFromFunction(fn, options.source ?? 'synthetic', { examples });
}

// ---------------------------------------------------------------------------------------------------
// The embedded sample

const PROSE_SUBJECTS = ['The river', 'A small town', 'The old library', 'Every spring the farmers', 'The night train', 'Her grandmother'];
const PROSE_VERBS = ['remembers', 'carries', 'waits for', 'watches', 'forgets', 'celebrates'];
const PROSE_OBJECTS = ['the long summer evenings', 'a quiet song', 'the first snow', 'letters from abroad', 'the market crowds', 'the sound of bells'];

function prose(rng: Rng): string {
  const sentences = Array.from({ length: 2 + rng.int(3) }, () =>
    `${rng.pick(PROSE_SUBJECTS)} ${rng.pick(PROSE_VERBS)} ${rng.pick(PROSE_OBJECTS)}.`);
  return sentences.join(' ');
}

/** Options of {@link syntheticCorpus}. */
export interface SyntheticOptions {
  /** Number of documents (default 600). */
  documents?: number;
  seed?: number;
  /** The functions to generate agent data for (default {@link SAMPLE_TOOLS}). */
  tools?: readonly FunctionDefinition[];
}

/** The kinds of {@link syntheticCorpus}, in the order they take turns. */
const CORPUS_KINDS: readonly DocumentKind[] = ['tool_doc', 'trajectory', 'code', 'text', 'instruction'];

/**
 * The embedded default sample: tool documentation (with example calls), function-calling trajectories
 * with simulated environment feedback (every {@link TRAJECTORY_VARIANTS variant}, failed calls and their
 * retry included), code that uses the tools, general prose, and instruction pairs, taking turns in that
 * order. Generated from a seed by the same generator as for any schema; needs no file and no network.
 * Same options, same documents, byte for byte.
 */
export function syntheticCorpus(options: SyntheticOptions = {}): CorpusDocument[] {
  const rng = new Rng(options.seed ?? 0);
  const count = options.documents ?? 600;
  const tools = options.tools ?? SAMPLE_TOOLS;
  return Array.from({ length: count }, (_, i) => {
    const kind = CORPUS_KINDS[i % CORPUS_KINDS.length];
    const tool = rng.pick(tools);
    switch (kind) {
      case 'tool_doc':
        return syntheticToolDoc(tool, rng);
      case 'trajectory':
        return trajectoryDocument(syntheticTrajectorySteps(tool, rng, rng.pick(TRAJECTORY_VARIANTS)), { source: 'synthetic', tools: [tool] });
      case 'code':
        return syntheticCode(tool, rng);
      case 'instruction':
        return syntheticInstruction(tool, rng, { distractors: tools });
      default:
        return { kind: 'text', source: 'synthetic', text: prose(rng) };
    }
  });
}
