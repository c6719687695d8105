import { isObject, type JsonObject, type JsonValue } from './json.js';
import type { ToolCall } from './calls.js';

/**
 * Calls in Python syntax, both ways: {@link parsePythonCall} reads a keyword-argument call with literal
 * values (as Gorilla's `api_call` fields hold them), and {@link renderPythonCall} writes one (as the
 * synthetic code documents hold them). A rendered call parses back to the same call.
 * @module
 */

/** Python's single-character escapes (`\n`, `\t`, ...); `\x`, `\u`, `\U` and octal are read apart. */
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '\\': '\\', "'": "'", '"': '"', a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\n': '',
};
const HEX_DIGITS: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };
const NUMBER = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/;
/** A dotted Python identifier (letters of any script, digits, `_`). */
const IDENTIFIER = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}.]*/u;

/** Reads one Python literal at a time from `text`, from `position` on; throws where the text is not one. */
class PythonLiteralReader {
  position = 0;
  constructor(private readonly text: string) {}

  private skipSpace(): void {
    while (this.position < this.text.length && /\s/.test(this.text[this.position])) this.position += 1;
  }

  peek(): string {
    this.skipSpace();
    return this.text[this.position] ?? '';
  }

  expect(char: string): void {
    if (this.peek() !== char) throw new Error(`expected ${char} at ${this.position}`);
    this.position += 1;
  }

  /** Skips a `,` and says whether there was one. */
  comma(): boolean {
    if (this.peek() !== ',') return false;
    this.position += 1;
    return true;
  }

  identifier(): string | undefined {
    this.skipSpace();
    const match = IDENTIFIER.exec(this.text.slice(this.position));
    if (match === null) return undefined;
    this.position += match[0].length;
    return match[0];
  }

  literal(): JsonValue {
    const char = this.peek();
    if (char === "'" || char === '"') return this.string(char);
    if (char === '[' || char === '(') return this.sequence(char === '[' ? ']' : ')');
    if (char === '{') return this.dict();
    const number = NUMBER.exec(this.text.slice(this.position));
    if (number !== null) {
      this.position += number[0].length;
      return Number(number[0]);
    }
    const word = this.identifier();
    if (word === 'True') return true;
    if (word === 'False') return false;
    if (word === 'None') return null;
    throw new Error(`not a literal at ${this.position}`);
  }

  private string(quote: string): string {
    this.position += 1;
    let out = '';
    while (this.position < this.text.length) {
      const char = this.text[this.position];
      this.position += 1;
      if (char === quote) return out;
      out += char === '\\' ? this.escape() : char;
    }
    throw new Error('unterminated string');
  }

  /** The character(s) an escape after a backslash stands for; an unknown escape keeps its backslash, as in Python. */
  private escape(): string {
    const char = this.text[this.position] ?? '';
    this.position += 1;
    const simple = SIMPLE_ESCAPES[char];
    if (simple !== undefined) return simple;
    const digits = HEX_DIGITS[char];
    if (digits !== undefined) {
      const hex = this.text.slice(this.position, this.position + digits);
      if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(hex)) throw new Error(`bad \\${char} escape at ${this.position}`);
      this.position += digits;
      return String.fromCodePoint(Number.parseInt(hex, 16));
    }
    if (char === 'N') throw new Error(`named escape \\N{...} at ${this.position} is not supported`);
    const octal = /^[0-7]{1,3}/.exec(this.text.slice(this.position - 1));
    if (octal !== null) {
      this.position += octal[0].length - 1;
      return String.fromCharCode(Number.parseInt(octal[0], 8));
    }
    return `\\${char}`;
  }

  private sequence(close: string): JsonValue[] {
    this.position += 1;
    const items: JsonValue[] = [];
    while (this.peek() !== close) {
      items.push(this.literal());
      if (!this.comma()) break;
    }
    this.expect(close);
    return items;
  }

  private dict(): JsonObject {
    this.position += 1;
    const out: JsonObject = {};
    while (this.peek() !== '}') {
      const key = this.literal();
      this.expect(':');
      out[String(key)] = this.literal();
      if (!this.comma()) break;
    }
    this.expect('}');
    return out;
  }
}

/** An assignment in front of a call (`model = ...`, `a, b = ...`), which {@link parsePythonCall} drops. */
const ASSIGNMENT = /^\s*[A-Za-z_][\w, ]*=(?!=)\s*(?=[A-Za-z_][\w.]*\s*\()/;

/**
 * Reads a Python call with keyword arguments and literal values, e.g.
 * `torch.hub.load(repo_or_dir='pytorch/vision', model='resnet50', pretrained=True)` ->
 * `{"name": "torch.hub.load", "arguments": {"repo_or_dir": "pytorch/vision", "model": "resnet50", "pretrained": true}}`.
 * Literals are strings (either quote, Python's escapes), numbers, `True` / `False` / `None`, lists,
 * tuples (as lists) and dicts. An assignment in front (`model = ...`) is dropped and `**{...}` literal
 * dicts are unpacked. Returns `undefined` for anything else (positional arguments, variables,
 * expressions), whose arguments have no JSON form.
 */
export function parsePythonCall(expression: string): ToolCall | undefined {
  const reader = new PythonLiteralReader(expression.replace(ASSIGNMENT, ''));
  try {
    const name = reader.identifier();
    if (name === undefined) return undefined;
    reader.expect('(');
    const args: JsonObject = {};
    while (reader.peek() !== ')') {
      if (reader.peek() === '*') {
        // `**{'k': v}`: literal keyword arguments unpacked from a dict.
        reader.expect('*');
        reader.expect('*');
        const unpacked = reader.literal();
        if (!isObject(unpacked)) return undefined;
        Object.assign(args, unpacked);
      } else {
        const key = reader.identifier();
        if (key === undefined || key.includes('.')) return undefined;
        reader.expect('=');
        args[key] = reader.literal();
      }
      if (!reader.comma()) break;
    }
    reader.expect(')');
    if (reader.peek() !== '') return undefined;
    return { name, arguments: args };
  } catch {
    return undefined;
  }
}

/**
 * A JSON value as a Python literal: `None`, `True`, `False`, numbers and strings as JSON writes them
 * (a JSON string is a valid Python string), lists, and dicts with string keys.
 */
export function renderPythonLiteral(value: JsonValue): string {
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => renderPythonLiteral(item)).join(', ')}]`;
  return `{${Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${renderPythonLiteral(item)}`).join(', ')}}`;
}

/**
 * A call in Python syntax with keyword arguments, e.g. `get_weather(city="Paris", days=3)`. When the
 * argument names are Python identifiers, {@link parsePythonCall} reads it back to an equal call.
 */
export function renderPythonCall(call: ToolCall): string {
  const args = Object.entries(call.arguments).map(([key, value]) => `${key}=${renderPythonLiteral(value)}`);
  return `${call.name}(${args.join(', ')})`;
}
