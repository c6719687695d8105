/**
 * Declarative command-line options: one table per command (name, type, default, help) gives the
 * `node:util` parseArgs config, the typed and range-checked values, and the help text. A bad value
 * is an {@link InputError} naming the option, raised before a command reads anything.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InputError, errorMessage } from '../index.js';

interface Described {
  /** One line (or a few) for the help. */
  help: string;
}

/** A text value; `arg` names its kind in the help (`file`, `folder`, `text`). */
export interface StringOption extends Described {
  type: 'string';
  arg: string;
  default?: string;
  /** Shown as the default when it depends on other options (e.g. `the embedded sample`). */
  defaultText?: string;
  required?: true;
}

/** One of a fixed set of words. */
export interface ChoiceOption extends Described {
  type: 'choice';
  choices: readonly string[];
  default?: string;
}

/** A text value that may be given several times. */
export interface ListOption extends Described {
  type: 'list';
  arg: string;
  /** At least one value must be given. */
  required?: true;
}

/** A whole number (written any way JavaScript reads numbers: `600000`, `6e5`), optionally bounded. */
export interface IntegerOption extends Described {
  type: 'integer';
  default?: number;
  defaultText?: string;
  min?: number;
  max?: number;
}

/** A finite number, optionally bounded (`above` / `below`: exclusive bounds). */
export interface NumberOption extends Described {
  type: 'number';
  default?: number;
  defaultText?: string;
  min?: number;
  above?: number;
  below?: number;
}

/** A switch; one that defaults to on is turned off with `--no-<name>`. */
export interface FlagOption extends Described {
  type: 'boolean';
  default?: boolean;
}

/** Any option. */
export type OptionSpec = StringOption | ChoiceOption | ListOption | IntegerOption | NumberOption | FlagOption;

/** A command's options by their `--name` (kebab-case). */
export type OptionTable = Readonly<Record<string, OptionSpec>>;

/** `save-every` -> `saveEvery`. */
export type CamelCase<S extends string> = S extends `${infer Head}-${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

type BaseValue<S> = S extends { type: 'boolean' } ? boolean
  : S extends { type: 'list' } ? string[]
  : S extends { type: 'integer' | 'number' } ? number
  : S extends { type: 'choice'; choices: readonly (infer C)[] } ? C
  : string;

/** The value of one option: undefined only when it has neither a default nor `required`. */
export type OptionValue<S> = S extends { type: 'boolean' | 'list' } ? BaseValue<S>
  : S extends { default: unknown } | { required: true } ? BaseValue<S>
  : BaseValue<S> | undefined;

/** Parsed values of a table, by camelCase name. */
export type OptionValues<T extends OptionTable> = { -readonly [K in keyof T & string as CamelCase<K>]: OptionValue<T[K]> };

/** Which options were given on the command line (not defaulted), by camelCase name. */
export interface GivenOptions<T extends OptionTable> {
  has(name: keyof OptionValues<T>): boolean;
}

/** Parsed values, and which of them were given. */
export interface ParsedOptions<T extends OptionTable> {
  values: OptionValues<T>;
  given: GivenOptions<T>;
}

/**
 * Parses `args` against `table`. `command` names the command in messages.
 * @throws InputError naming the option (unknown, missing value, wrong type, out of range, required)
 */
export function parseOptions<T extends OptionTable>(command: string, table: T, args: readonly string[]): ParsedOptions<T> {
  const config: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries(table)) {
    config[name] = spec.type === 'boolean' ? { type: 'boolean' } : { type: 'string', multiple: spec.type === 'list' };
  }
  let raw: Record<string, string | boolean | (string | boolean)[] | undefined>;
  try {
    raw = parseArgs({ args: [...args], options: config, strict: true, allowPositionals: false, allowNegative: true }).values;
  } catch (error) {
    throw argumentError(command, table, error);
  }
  const values: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const [name, spec] of Object.entries(table)) {
    const key = camelCase(name);
    const value = raw[name];
    if (value !== undefined) given.add(key);
    values[key] = convert(name, spec, value);
  }
  // The one place where the table's shape becomes its static type: `convert` follows OptionValue.
  return { values: values as OptionValues<T>, given };
}

function convert(name: string, spec: OptionSpec, value: string | boolean | (string | boolean)[] | undefined): unknown {
  const option = `--${name}`;
  if (spec.type === 'boolean') return typeof value === 'boolean' ? value : (spec.default ?? false);
  const missing = value === undefined || (Array.isArray(value) && value.length === 0);
  if (missing && 'required' in spec && spec.required) throw new InputError(option, `is required (${spec.help.split('\n')[0]})`);
  if (spec.type === 'list') return Array.isArray(value) ? value.map(String) : [];
  if (typeof value !== 'string') return spec.default;
  if (spec.type === 'string') {
    if (value === '') throw new InputError(option, 'expects a value, got an empty string');
    return value;
  }
  if (spec.type === 'choice') {
    if (!spec.choices.includes(value)) throw new InputError(option, `expects one of ${spec.choices.join(', ')}, got "${value}"`);
    return value;
  }
  const number = value.trim() === '' ? NaN : Number(value);
  if (spec.type === 'integer') {
    if (!Number.isSafeInteger(number)) throw new InputError(option, `expects an integer, got "${value}"`);
    if ((spec.min !== undefined && number < spec.min) || (spec.max !== undefined && number > spec.max)) {
      throw new InputError(option, `expects an integer ${rangeText(spec)}, got ${value}`);
    }
    return number;
  }
  if (!Number.isFinite(number)) throw new InputError(option, `expects a number, got "${value}"`);
  const outside = (spec.min !== undefined && number < spec.min) || (spec.above !== undefined && number <= spec.above) ||
    (spec.below !== undefined && number >= spec.below);
  if (outside) throw new InputError(option, `expects a number ${rangeText(spec)}, got ${value}`);
  return number;
}

/** `>= 1`, `> 0 and < 1`, ... */
function rangeText(spec: IntegerOption | NumberOption): string {
  const parts: string[] = [];
  if (spec.min !== undefined) parts.push(`>= ${spec.min}`);
  if ('above' in spec && spec.above !== undefined) parts.push(`> ${spec.above}`);
  if ('max' in spec && spec.max !== undefined) parts.push(`<= ${spec.max}`);
  if ('below' in spec && spec.below !== undefined) parts.push(`< ${spec.below}`);
  return parts.join(' and ');
}

/** parseArgs' own errors, reworded to name the option (and the closest known one for a typo). */
function argumentError(command: string, table: OptionTable, error: unknown): InputError {
  const message = errorMessage(error);
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? '';
  const hint = `see "hephaestus-web ${command} --help"`;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const option = quoted.split('=')[0];
    const closest = closestName(option.replace(/^-+/, ''), Object.keys(table));
    return new InputError(option, `unknown option for ${command}${closest ? ` (did you mean --${closest}?)` : ''}; ${hint}`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    return new InputError(quoted, `unexpected argument: ${command} takes only --options; ${hint}`);
  }
  const option = quoted.split(' ')[0] || 'arguments';
  return new InputError(option, `${message.replace(/\.$/, '')}; ${hint}`);
}

/** The table's option nearest to a typo (edit distance at most 2), if any. */
function closestName(typo: string, names: string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of names) {
    const distance = editDistance(typo, name);
    if (distance <= 2 && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row.push(Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)));
    }
    previous = row;
  }
  return previous[b.length];
}

function camelCase(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

/** Help lines are wrapped to this many columns. */
const HELP_COLUMNS = 100;

/**
 * The help lines of a table: `--name <type>`, then the help with its range and default, wrapped;
 * `extra` rows (e.g. `-h, --help`) are aligned with them.
 */
export function formatOptions(table: OptionTable, extra: readonly (readonly [string, string])[] = []): string {
  const rows = [...Object.entries(table).map(([name, spec]) => [usageOf(name, spec), describe(spec)] as const), ...extra];
  const width = Math.min(32, Math.max(...rows.map(([usage]) => usage.length)) + 2);
  const indent = ' '.repeat(2 + width);
  return rows.map(([usage, text]) => {
    const lines = wrap(text, HELP_COLUMNS - indent.length);
    const head = usage.length + 2 > width ? [`  ${usage}`, `${indent}${lines[0]}`] : [`  ${usage.padEnd(width)}${lines[0]}`];
    return [...head, ...lines.slice(1).map((line) => `${indent}${line}`)].join('\n').replaceAll('\u00a0', ' ');
  }).join('\n');
}

function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const word of paragraph.split(' ')) {
      if (line !== '' && line.length + 1 + word.length > columns) {
        lines.push(line);
        line = word;
      } else {
        line = line === '' ? word : `${line} ${word}`;
      }
    }
    lines.push(line);
  }
  return lines;
}

function usageOf(name: string, spec: OptionSpec): string {
  switch (spec.type) {
    case 'boolean': return spec.default ? `--[no-]${name}` : `--${name}`;
    case 'choice': return `--${name} <${spec.choices.join('|')}>`;
    case 'list': return `--${name} <${spec.arg}>...`;
    case 'string': return `--${name} <${spec.arg}>`;
    default: return `--${name} <${spec.type}>`;
  }
}

function describe(spec: OptionSpec): string {
  const notes: string[] = [];
  if ((spec.type === 'integer' || spec.type === 'number') && rangeText(spec)) notes.push(rangeText(spec));
  if (spec.type === 'list') notes.push('repeatable');
  if ('required' in spec && spec.required) notes.push('required');
  const fallback = 'defaultText' in spec && spec.defaultText !== undefined ? spec.defaultText : undefined;
  if (spec.type === 'boolean') notes.push(`default: ${spec.default ? 'on' : 'off'}`);
  else if ('default' in spec && spec.default !== undefined) notes.push(`default: ${String(spec.default)}`);
  else if (fallback) notes.push(`default: ${fallback}`);
  // No-break spaces keep the bracketed note on one line when the help is wrapped.
  return `${spec.help}${notes.length > 0 ? ` [${notes.join('; ')}]`.replace(/(?!^) /g, '\u00a0') : ''}`;
}
