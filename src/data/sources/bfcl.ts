import type { CorpusDocument } from '../document.js';
import {
  checkFunctionDefinition, isObject, type FunctionDefinition, type JsonObject, type JsonValue, type ToolCall,
} from '../../tools/index.js';
import { instructionPair, NO_CALL_ANSWER, toolDocFromFunction } from '../formats.js';
import { errorMessage } from '../../util/errors.js';
import type { SourceInput } from './lines.js';
import {
  jsonValue, lineBatches, SKIP, readAll, recordStream,
  type DocumentStream, type ReadContext, type ReadOptions, type RecordStream,
} from './stream.js';

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

function questionProblem(value: unknown): string | BfclQuestion {
  if (!isObject(value)) return 'expected a JSON object';
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
  return { id: value.id, turns: question as BfclMessage[][], functions, source: '' };
}

async function* questionRecords(
  context: ReadContext, input: SourceInput, name?: string,
): AsyncGenerator<{ file: string; line: number; question: BfclQuestion }> {
  for await (const { file, lines } of lineBatches(context, input, name)) {
    for (const sourceLine of lines) {
      const value = jsonValue(context, file, sourceLine);
      if (value === SKIP) continue;
      const line = sourceLine.line;
      const parsed = questionProblem(value);
      if (typeof parsed === 'string') {
        context.reject(file, line, parsed);
        continue;
      }
      yield { file, line, question: { ...parsed, source: `${file}:${line}` } };
    }
  }
}

/**
 * Reads a BFCL question file, streaming: one {@link BfclQuestion} per line (id, chat turns, function
 * definitions checked with {@link checkFunctionDefinition}). Malformed lines are thrown or skipped per
 * `onError`, with file and line.
 */
export function readBfclQuestions(input: SourceInput, options: ReadOptions = {}): RecordStream<BfclQuestion> {
  return recordStream(async function* (context) {
    for await (const { file, question } of questionRecords(context, input)) {
      context.accept(file);
      yield { item: question, file };
    }
  }, options);
}

function answerProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'expected a JSON object';
  if (typeof value.id !== 'string') return 'missing string field "id"';
  if (!Array.isArray(value.ground_truth)) return '"ground_truth" must be a list of calls';
  for (const [index, call] of value.ground_truth.entries()) {
    if (!isObject(call) || Object.keys(call).length !== 1) return `ground_truth[${index}] must be an object with one function name`;
    const [[name, parameters]] = Object.entries(call);
    if (!isObject(parameters)) return `ground_truth[${index}].${name} must be an object of parameters`;
    for (const [parameter, acceptable] of Object.entries(parameters)) {
      if (!Array.isArray(acceptable)) return `ground_truth[${index}].${name}.${parameter} must be a list of acceptable values`;
    }
  }
  return undefined;
}

/** @internal The accepted answers of a file under `context` (each counted as read). */
export async function* bfclAnswerRecords(context: ReadContext, input: SourceInput, name?: string): AsyncGenerator<{ item: BfclAnswer; file: string }> {
  for await (const { file, lines } of lineBatches(context, input, name)) {
    for (const sourceLine of lines) {
      const value = jsonValue(context, file, sourceLine);
      if (value === SKIP) continue;
      const line = sourceLine.line;
      const problem = answerProblem(value);
      if (problem !== undefined) {
        context.reject(file, line, problem);
        continue;
      }
      const record = value as { id: string; ground_truth: BfclGroundTruth[] };
      context.accept(file);
      yield { item: { id: record.id, groundTruth: record.ground_truth, source: `${file}:${line}` }, file };
    }
  }
}

/** Reads a BFCL possible-answer file, streaming: one {@link BfclAnswer} per line. */
export function readBfclAnswers(input: SourceInput, options: ReadOptions = {}): RecordStream<BfclAnswer> {
  return recordStream((context) => bfclAnswerRecords(context, input), options);
}

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
export function readBfclDocuments(input: SourceInput, options: BfclDocumentOptions = {}): DocumentStream {
  return recordStream((context) => bfclDocumentRecords(context, input, options), options);
}

/** @internal The documents of a question file under `context`. */
export async function* bfclDocumentRecords(
  context: ReadContext, input: SourceInput, options: BfclDocumentOptions, name?: string,
): AsyncGenerator<{ item: CorpusDocument; file: string }> {
  const instructions = options.instructions ?? true;
  const toolDocs = options.toolDocs ?? true;
  for await (const { file, line, question } of questionRecords(context, input, name)) {
    const documents: CorpusDocument[] = [];
    try {
      const answer = options.answers?.get(question.id);
      if (instructions && (answer !== undefined || isIrrelevanceId(question.id))) {
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
      if (toolDocs) for (const fn of question.functions) documents.push(toolDocFromFunction(fn, question.source));
    } catch (error) {
      // E.g. a text holding a special-token string, which the chat template refuses.
      context.reject(file, line, errorMessage(error));
      continue;
    }
    context.accept(file);
    for (const document of documents) yield { item: document, file };
  }
}
