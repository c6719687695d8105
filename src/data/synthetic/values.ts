import type { Rng } from '../../util/rng.js';
import { jsonEqual, typeProblem, type FunctionDefinition, type JsonObject, type JsonValue, type ParameterSchema } from '../../tools/index.js';

/**
 * Argument values sampled from a parameter schema: enums, defaults, examples quoted in the description,
 * and type-appropriate values guided by keywords in the parameter's name and description.
 * @module
 */

const CITIES = ['Paris', 'Lagos', 'Osaka', 'Lima', 'Oslo', 'Denver', 'Hanoi', 'Cairo', 'Toronto', 'Nairobi'];
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
const PHRASES = ['good morning', 'where is the station', 'thank you very much', 'the meeting moved to Friday', 'how much does it cost'];

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function between(rng: Rng, low: number, high: number): number {
  return low + rng.int(high - low + 1);
}

export function round(value: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(value * scale) / scale;
}

export function phrase(rng: Rng): string {
  return `${rng.pick(ADJECTIVES)} ${rng.pick(NOUNS)}`;
}

/** Quoted examples in a description: `e.g. "Paris"`, `such as 'x'`. */
function describedExamples(description: string): string[] {
  const out: string[] = [];
  const pattern = /(?:e\.g\.?|for example|such as|like)[,:]?\s*["'“]([^"'”]{1,40})["'”]/gi;
  for (let match = pattern.exec(description); match !== null; match = pattern.exec(description)) out.push(match[1]);
  return out;
}

export function sampleString(hint: string, rng: Rng): string {
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
        if (!out.some((existing) => jsonEqual(existing, value))) out.push(value);
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

/** `args` with one value resampled (different when possible); `changed` names it. */
export function variedArguments(fn: FunctionDefinition, args: JsonObject, rng: Rng): { args: JsonObject; changed?: string } {
  const names = Object.keys(args).filter((name) => fn.parameters.properties[name] !== undefined);
  if (names.length === 0) return { args: { ...args } };
  const name = rng.pick(names);
  const schema = fn.parameters.properties[name];
  let value = args[name];
  for (let attempt = 0; attempt < 6 && jsonEqual(value, args[name]); attempt++) value = sampleValue(schema, name, rng);
  return { args: { ...args, [name]: value }, changed: name };
}
