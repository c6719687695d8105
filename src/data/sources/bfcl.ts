import type { CorpusDocument } from '../document.js';
import {
  checkFunctionDefinition, isObject, type FunctionDefinition, type JsonObject, type JsonValue, type ToolCall,
} from '../../tools/index.js';
import { instructionPair, NO_CALL_ANSWER, toolDocFromFunction } from '../formats.js';
import type { SourceInput } from './lines.js';
import { jsonLineReader, readAll, reader, type ReadOptions } from './stream.js';

/**
 * Readers of the Berkeley Function Calling Leaderboard files (`bfcl/BFCL_v4_<category>.json` and
 * `bfcl/possible_answer/BFCL_v4_<category>.json`; one JSON object per line despite the extension).
 *
 * Browser-safe.
 * @module
 */

/** One chat message of a BFCL question. */
export interface BfclMessage {
  role: string;
  content: string;
}

/** One BFCL question record. */
export interface BfclQuestion {
  id: string;
  /** The conversation's turns, each a list of messages (one turn with one user message in the v4 single-turn categories). */
  turns: BfclMessage[][];
  /** The functions offered. */
  functions: FunctionDefinition[];
  /** `file:line`. */
  source: string;
}

/** One expected call of a BFCL answer: `{function name: {parameter: acceptable values}}`; `""` = may be omitted. */
export type BfclGroundTruth = Record<string, Record<string, JsonValue[]>>;

/** One BFCL possible-answer record. */
export interface BfclAnswer {
  id: string;
  /** The expected calls (several: parallel calls, matched in any order). */
  groundTruth: BfclGroundTruth[];
  /** `file:line`. */
  source: string;
}

function parseQuestion(value: Record<string, unknown>, source: string): BfclQuestion | string {
  if (typeof value.id !== 'string') return 'missing string field "id"';
  const question = value.question;
  if (!Array.isArray(question) || !question.every((turn) => Array.isArray(turn))) return '"question" must be a list of turns (lists of messages)';
  for (const turn of question as unknown[][]) {
    for (const message of turn) {
      if (!isObject(message) || typeof message.role !== 'string' || typeof message.content !== 'string') {
        return '"question" messages must be objects with string "role" and "content"';
      }
    }
  }
  if (!Array.isArray(value.function)) return '"function" must be a list of function definitions';
  const functions: FunctionDefinition[] = [];
  for (const [index, definition] of value.function.entries()) {
    const check = checkFunctionDefinition(definition);
    if (!check.ok) return `function[${index}]: ${check.problem}`;
    functions.push(check.definition);
  }
  return { id: value.id, turns: question as BfclMessage[][], functions, source };
}

/**
 * Reads a BFCL question file, streaming: one {@link BfclQuestion} per line (id, chat turns, function
 * definitions checked with {@link checkFunctionDefinition}). Malformed lines are thrown or skipped per
 * `onError`, with file and line.
 */
export const readBfclQuestions = reader(jsonLineReader(parseQuestion, (question) => [question]), {});

function groundTruthProblem(value: unknown): string | undefined {
  if (!Array.isArray(value)) return '"ground_truth" must be a list of calls';
  for (const [index, call] of value.entries()) {
    if (!isObject(call) || Object.keys(call).length !== 1) return `ground_truth[${index}] must be an object with one function name`;
    const [[name, parameters]] = Object.entries(call);
    if (!isObject(parameters)) return `ground_truth[${index}].${name} must be an object of parameters`;
    for (const [parameter, acceptable] of Object.entries(parameters)) {
      if (!Array.isArray(acceptable)) return `ground_truth[${index}].${name}.${parameter} must be a list of acceptable values`;
    }
  }
  return undefined;
}

function parseAnswer(value: Record<string, unknown>, source: string): BfclAnswer | string {
  if (typeof value.id !== 'string') return 'missing string field "id"';
  const problem = groundTruthProblem(value.ground_truth);
  // Checked just above; parsed JSON holds JSON values only.
  return problem ?? { id: value.id, groundTruth: value.ground_truth as BfclGroundTruth[], source };
}

/** The body of {@link readBfclAnswers} (also read by `readSharedData`). */
export const bfclAnswerRecords = jsonLineReader(parseAnswer, (answer) => [answer]);

/** Reads a BFCL possible-answer file, streaming: one {@link BfclAnswer} per line. */
export const readBfclAnswers = reader(bfclAnswerRecords, {});

/** Reads a possible-answer file into a map from question id to answer (the files are small). */
export async function loadBfclAnswers(input: SourceInput, options: ReadOptions = {}): Promise<Map<string, BfclAnswer>> {
  const { items } = await readAll(readBfclAnswers(input, options));
  return new Map(items.map((answer) => [answer.id, answer]));
}

function resolveValue(value: JsonValue): JsonValue {
  // Inside a dict (also one in a list), each field is again a list of acceptable values.
  if (Array.isArray(value)) return value.map((item) => (isObject(item) ? resolveValue(item) : item));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, acceptable] of Object.entries(value)) {
      if (!Array.isArray(acceptable)) {
        out[key] = acceptable;
        continue;
      }
      const chosen = firstAcceptable(acceptable);
      if (chosen !== undefined) out[key] = chosen;
    }
    return out;
  }
  return value;
}

/** The first acceptable value that is neither `""` nor null; null only when it is the sole choice; else none. */
function firstAcceptable(acceptable: readonly JsonValue[]): JsonValue | undefined {
  const value = acceptable.find((candidate) => candidate !== '' && candidate !== null);
  if (value !== undefined) return resolveValue(value);
  return acceptable.includes(null) && !acceptable.includes('') ? null : undefined;
}

/**
 * One concrete call per ground-truth entry: each parameter gets its first acceptable value that is not
 * `""` or null; a parameter whose acceptable values are only `""` (and null) is left out (optional, no
 * preferred value). Dicts, also inside lists, are resolved the same way (their fields are lists of
 * acceptable values too).
 */
export function bfclCalls(groundTruth: readonly BfclGroundTruth[]): ToolCall[] {
  return groundTruth.map((entry) => {
    const [[name, parameters]] = Object.entries(entry);
    const args: JsonObject = {};
    for (const [parameter, acceptable] of Object.entries(parameters)) {
      const value = firstAcceptable(acceptable);
      if (value !== undefined) args[parameter] = value;
    }
    return { name, arguments: args };
  });
}

/** Options of {@link readBfclDocuments}. */
export interface BfclDocumentOptions extends ReadOptions {
  /** Expected answers by question id ({@link loadBfclAnswers}); questions without one get no instruction pair. */
  answers?: ReadonlyMap<string, BfclAnswer>;
  /** Emit an instruction pair per question (default true). */
  instructions?: boolean;
  /** Emit a tool doc per offered function (default true). */
  toolDocs?: boolean;
  /** The assistant reply for questions no function serves (ids starting `irrelevance`); default {@link NO_CALL_ANSWER}. */
  noCallAnswer?: string;
}

/** Whether a BFCL id belongs to the irrelevance category (the right response is no call). */
export function isIrrelevanceId(id: string): boolean {
  return id.startsWith('irrelevance');
}

/**
 * The documents of one question: its instruction pair (when it has an answer or is an irrelevance
 * question) and the tool docs of its functions.
 * @throws TokenizerError when a text holds a special-token string, which the chat template refuses.
 */
function questionDocuments(question: BfclQuestion, options: BfclDocumentOptions): CorpusDocument[] {
  const documents: CorpusDocument[] = [];
  const answer = options.answers?.get(question.id);
  if ((options.instructions ?? true) && (answer !== undefined || isIrrelevanceId(question.id))) {
    const messages = question.turns.flat();
    const system = messages.filter((message) => message.role === 'system').map((message) => message.content).join('\n\n');
    const user = messages.filter((message) => message.role === 'user').map((message) => message.content).join('\n\n');
    documents.push(instructionPair({
      tools: question.functions,
      system: system === '' ? undefined : system,
      user,
      calls: answer === undefined ? [] : bfclCalls(answer.groundTruth),
      answer: options.noCallAnswer,
      source: question.source,
    }));
  }
  if (options.toolDocs ?? true) for (const fn of question.functions) documents.push(toolDocFromFunction(fn, question.source));
  return documents;
}

/** The body of {@link readBfclDocuments} (also read by `readSharedData`). */
export const bfclDocumentRecords = jsonLineReader(parseQuestion, questionDocuments);

/**
 * Corpus documents from a BFCL question file, streaming: per question, an `instruction` pair
 * ({@link instructionPair}: its functions in the system turn, the user message, the ground-truth call(s)
 * from `answers` via {@link bfclCalls}; for irrelevance questions the no-call reply) and one `tool_doc`
 * per offered function ({@link toolDocFromFunction}). A question without an answer (and not irrelevance)
 * gets only its tool docs. System messages of the question go before the tool listing; several user
 * messages are joined by a blank line. `source` is `file:line`.
 *
 * Note that BFCL is an evaluation set: keep these documents out of training where BFCL scores are reported
 * (every document's `functions` lets the Forge builder hold them out).
 */
export const readBfclDocuments = reader(bfclDocumentRecords, {});
