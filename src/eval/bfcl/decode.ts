import { CHAT_ROLE_TOKENS, type ChatRole } from '../../tokenizer/chat-template.js';
import { SPECIAL_TOKENS } from '../../tokenizer/types.js';
import { parseCallJson, parsePythonCall, type ToolCall } from '../../tools/index.js';

/**
 * Reading the calls out of a model's response, in the two syntaxes a model may answer with:
 *
 * - the chat template's call turns, as our models are trained to answer (one `<|tool_call|>` turn per
 *   call, holding the call's JSON): `<|tool_call|>{"name":"f","arguments":{"a":1}}<|end|>`;
 * - raw text as BFCL's result files hold it: a Python list of keyword calls `[f(a=1), g(b="x")]` (BFCL's
 *   prompt format; the brackets may be left out), or JSON: one call object or a list of them.
 *
 * Browser-safe.
 * @module
 */

/** Result of {@link decodeResponse}: the calls (possibly none), or why the text is not a list of calls. */
export type DecodedResponse = { ok: true; calls: ToolCall[] } | { ok: false; problem: string };

const ROLE_OF_TOKEN = new Map<string, ChatRole>(
  (Object.entries(CHAT_ROLE_TOKENS) as [ChatRole, string][]).map(([role, token]) => [token, role]),
);
const SPECIAL: readonly string[] = Object.values(SPECIAL_TOKENS);
const SPECIAL_PATTERN = new RegExp(`(${SPECIAL.map((token) => token.replace(/[|]/g, '\\|')).join('|')})`);

interface Turn {
  /** `undefined` for text outside any turn. */
  role: ChatRole | undefined;
  content: string;
}

/** The text split into turns at the template's special tokens (an unclosed last turn runs to the end). */
function splitTurns(text: string): Turn[] {
  const turns: Turn[] = [{ role: undefined, content: '' }];
  for (const piece of text.split(SPECIAL_PATTERN)) {
    const role = ROLE_OF_TOKEN.get(piece);
    if (role !== undefined) turns.push({ role, content: '' });
    else if (SPECIAL.includes(piece)) turns.push({ role: undefined, content: '' });
    else turns[turns.length - 1].content += piece;
  }
  return turns;
}

/**
 * The calls of a model's response (the generated text after the prompt, special tokens included):
 * with `<|tool_call|>` turns, the calls they hold in order (each turn one call, or a list, in either
 * syntax of {@link decodeCallText}); otherwise the text of the assistant turns and of text outside any
 * turn, read by {@link decodeCallText} (so prose, such as the answer that no function applies, is no
 * call). A response without special tokens is read whole by {@link decodeCallText}.
 */
export function decodeResponse(text: string): DecodedResponse {
  if (!SPECIAL_PATTERN.test(text)) return decodeCallText(text);
  const turns = splitTurns(text);
  const callTurns = turns.filter((turn) => turn.role === 'tool_call');
  if (callTurns.length === 0) {
    return decodeCallText(turns.filter((turn) => turn.role === undefined || turn.role === 'assistant').map((turn) => turn.content).join('\n'));
  }
  const calls: ToolCall[] = [];
  for (const [index, turn] of callTurns.entries()) {
    const decoded = decodeCallText(turn.content);
    if (!decoded.ok) return { ok: false, problem: `tool_call turn ${index + 1}: ${decoded.problem}` };
    if (decoded.calls.length === 0) return { ok: false, problem: `tool_call turn ${index + 1} holds no call` };
    calls.push(...decoded.calls);
  }
  return { ok: true, calls };
}

/** The characters BFCL strips from both ends of a response before decoding it. */
const TRIM = /^[`\n ]+|[`\n ]+$/g;

/**
 * The calls of one text: JSON when it starts with `{` or `[{` (a call `{"name": ..., "arguments": {...}}`
 * as {@link parseCallJson} reads it, or a list of them), else a Python list of calls as BFCL decodes it:
 * backticks, newlines and spaces stripped from both ends, brackets added where missing, each element a
 * keyword call with literal arguments ({@link parsePythonCall}). `[]` decodes to no call.
 */
export function decodeCallText(text: string): DecodedResponse {
  const trimmed = text.replace(TRIM, '');
  return /^\[?\s*\{/.test(trimmed) ? decodeJsonCalls(trimmed) : decodePythonCalls(trimmed);
}

function decodeJsonCalls(text: string): DecodedResponse {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: `not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
  const calls: ToolCall[] = [];
  for (const [index, item] of (Array.isArray(value) ? value : [value]).entries()) {
    // One shape check for calls: the one of the tool_call turns.
    const parsed = parseCallJson(JSON.stringify(item));
    if (!parsed.ok) return { ok: false, problem: Array.isArray(value) ? `call ${index + 1}: ${parsed.problem}` : parsed.problem };
    calls.push(parsed.call);
  }
  return { ok: true, calls };
}

/** A call's start: a (dotted) name and an opening parenthesis, nothing in front (no assignment). */
const CALL_START = /^\s*[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}.]*\s*\(/u;

function decodePythonCalls(text: string): DecodedResponse {
  const listed = `${text.startsWith('[') ? '' : '['}${text}${text.endsWith(']') ? '' : ']'}`;
  const elements = listElements(listed);
  if (typeof elements === 'string') return { ok: false, problem: elements };
  const calls: ToolCall[] = [];
  for (const [index, element] of elements.entries()) {
    const call = CALL_START.test(element) ? parsePythonCall(element) : undefined;
    if (call === undefined) return { ok: false, problem: `element ${index + 1} is not a call with keyword arguments and literal values: ${element.trim().slice(0, 80)}` };
    calls.push(call);
  }
  return { ok: true, calls };
}

const CLOSERS: Readonly<Record<string, string>> = { '[': ']', '(': ')', '{': '}' };

/**
 * The top-level elements of a Python list `[a, b, ...]` (a trailing comma allowed), cut at the commas
 * outside brackets and string literals; or why the text is not one list.
 */
function listElements(text: string): string[] | string {
  const open: string[] = [];
  const elements: string[] = [];
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"' || char === "'") {
      i = stringEnd(text, i);
      if (i < 0) return 'unterminated string';
    } else if (char in CLOSERS) {
      open.push(CLOSERS[char]);
    } else if (char === ']' || char === ')' || char === '}') {
      if (open.pop() !== char) return `unbalanced ${char} at ${i}`;
      if (open.length === 0) {
        if (i !== text.length - 1) return `text after the list at ${i + 1}`;
        elements.push(text.slice(start, i));
      }
    } else if (char === ',' && open.length === 1) {
      elements.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (open.length > 0) return 'unclosed bracket';
  const last = elements[elements.length - 1];
  if (last !== undefined && last.trim() === '') elements.pop();
  return elements.some((element) => element.trim() === '') ? 'empty list element' : elements;
}

/** Index of the closing quote of the Python string literal opening at `start`, or -1 (none on its line). */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length && text[i] !== '\n'; i++) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === text[start]) return i;
  }
  return -1;
}
