/**
 * BFCL-style items made on the spot: from a Forge corpus's held-out instruction documents (their
 * tools, request and calls, read back from the chat rendering), and from a question typed into a page
 * (function docs as JSON, the question, and optionally a BFCL possible answer).
 *
 * Browser-safe.
 * @module
 */
import type { BfclGroundTruth } from '../../data/sources/bfcl.js';
import type { CorpusDocument } from '../../data/document.js';
import { CHAT_ROLE_TOKENS } from '../../tokenizer/chat-template.js';
import { SPECIAL_TOKENS } from '../../tokenizer/types.js';
import { checkFunctionDefinition, isObject, parseCallJson, type FunctionDefinition, type JsonValue, type ToolCall } from '../../tools/index.js';
import { InputError } from '../../util/errors.js';
import type { BfclCategory } from './categories.js';
import type { BfclItem } from './items.js';

const ROLE_OF_TOKEN = new Map(Object.entries(CHAT_ROLE_TOKENS).map(([role, token]) => [token, role]));

/** Items of the held-out instruction documents, one per document that reads back cleanly (others are skipped). */
export function heldOutItems(evaluation: readonly CorpusDocument[]): BfclItem[] {
  const items: BfclItem[] = [];
  for (const document of evaluation) {
    if (document.kind !== 'instruction') continue;
    const item = itemOfInstruction(document, items.length);
    if (item) items.push(item);
  }
  return items;
}

/** What a page asks: function docs (one definition or a list, JSON), a question, an optional possible answer (JSON). */
export interface QuestionInput {
  functionsJson: string;
  question: string;
  /** BFCL possible answer, `[{"fn": {"param": [values]}}]`; empty or absent: no call expected (irrelevance). */
  answerJson?: string;
}

/**
 * One item of a typed question; its category follows from the counts of functions and expected calls.
 * @throws InputError naming `function docs` or `expected answer` and the entry that is wrong
 */
export function questionItem(input: QuestionInput, id = 'playground'): BfclItem {
  const functions = parseFunctions(input.functionsJson);
  const answer = input.answerJson?.trim() ?? '';
  const groundTruth = answer === '' ? [] : parseAnswer(answer);
  const category = categoryOf(functions.length, groundTruth.length);
  const itemId = `${category}_${id}`;
  return {
    id: itemId, category, groundTruth,
    question: { id: itemId, turns: [[{ role: 'user', content: input.question }]], functions, source: id },
  };
}

function itemOfInstruction(document: CorpusDocument, index: number): BfclItem | undefined {
  const turns = chatTurns(document.text);
  const system = turns.find((turn) => turn.role === 'system');
  const user = turns.find((turn) => turn.role === 'user');
  const calls = turns.filter((turn) => turn.role === 'tool_call').map((turn) => parseCallJson(turn.content));
  if (!system || !user || calls.length === 0 || calls.some((call) => !call.ok)) return undefined;
  let functions: ReturnType<typeof checkFunctionDefinition>[];
  try {
    functions = system.content.split('\n').filter((line) => line.startsWith('{')).map((line) => checkFunctionDefinition(JSON.parse(line)));
  } catch {
    return undefined;
  }
  if (functions.some((check) => !check.ok)) return undefined;
  const tools = functions.flatMap((check) => (check.ok ? [check.definition] : []));
  const expected = calls.flatMap((call) => (call.ok ? [call.call] : []));
  const category: BfclCategory = expected.length > 1
    ? (tools.length > 1 ? 'parallel_multiple' : 'parallel')
    : (tools.length > 1 ? 'multiple' : 'simple_python');
  const id = `${category}_${index}`;
  return {
    id, category, groundTruth: expected.map((call) => groundTruthOf(call, tools)),
    question: { id, turns: [[{ role: 'user', content: user.content }]], functions: tools, source: document.source },
  };
}

/** A call as a BFCL possible answer: its values, and `""` (may be omitted) for each parameter it leaves out. */
function groundTruthOf(call: ToolCall, tools: readonly FunctionDefinition[]): BfclGroundTruth {
  const fn = tools.find((tool) => tool.name === call.name);
  const values: Record<string, JsonValue[]> = {};
  for (const name of Object.keys(fn?.parameters.properties ?? {})) values[name] = name in call.arguments ? [call.arguments[name]] : [''];
  return { [call.name]: values };
}

/** The turns of a rendered chat: role and content. */
function chatTurns(text: string): { role: string; content: string }[] {
  const turns: { role: string; content: string }[] = [];
  for (const part of text.split(SPECIAL_TOKENS.endOfTurn)) {
    const token = [...ROLE_OF_TOKEN.keys()].find((candidate) => part.startsWith(candidate));
    if (token) turns.push({ role: ROLE_OF_TOKEN.get(token)!, content: part.slice(token.length) });
  }
  return turns;
}

function parseFunctions(json: string): FunctionDefinition[] {
  const value = parseJson(json, 'function docs');
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry, i) => {
    const check = checkFunctionDefinition(entry);
    if (!check.ok) throw new InputError('function docs', `entry ${i + 1}: ${check.problem}`);
    return check.definition;
  });
}

function parseAnswer(json: string): BfclGroundTruth[] {
  const value = parseJson(json, 'expected answer');
  const list = Array.isArray(value) ? value : [value];
  return list.map((entry, i) => {
    const where = `entry ${i + 1}`;
    if (!isObject(entry) || Object.keys(entry).length !== 1) throw new InputError('expected answer', `${where}: must be {"function name": {"parameter": [acceptable values]}}`);
    const [name, params] = Object.entries(entry)[0];
    if (!isObject(params)) throw new InputError('expected answer', `${where}: the parameters of "${name}" must be an object`);
    const truth: Record<string, JsonValue[]> = {};
    for (const [param, values] of Object.entries(params)) {
      if (!Array.isArray(values)) throw new InputError('expected answer', `${where}: "${name}.${param}" must be a list of acceptable values`);
      truth[param] = values;
    }
    return { [name]: truth };
  });
}

function categoryOf(functions: number, calls: number): BfclCategory {
  if (calls === 0) return 'irrelevance';
  if (calls > 1) return functions > 1 ? 'parallel_multiple' : 'parallel';
  return functions > 1 ? 'multiple' : 'simple_python';
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(what, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
}
