import {
  loadBfclAnswers, readBfclQuestions, type BfclAnswer, type BfclGroundTruth, type BfclQuestion,
} from '../../data/sources/bfcl.js';
import type { SourceInput } from '../../data/sources/lines.js';
import { jsonLineReader, readAll, reader, type ReadOptions, type RecordStream } from '../../data/sources/stream.js';
import { findTool } from '../../tools/index.js';
import { InputError, throwIfAborted } from '../../util/errors.js';
import { BFCL_CATEGORIES, bfclCategory, hasPossibleAnswers, type BfclCategory } from './categories.js';
import { expectedCall } from './checker.js';

/**
 * Evaluation items (a BFCL question with its category and expected calls) and the files they come
 * from: BFCL's question and possible-answer files, and result files of model outputs.
 *
 * Browser-safe (file paths need the Node entry, as every reader).
 * @module
 */

/** One evaluation item: a question, its category (from its id) and its expected calls. */
export interface BfclItem {
  id: string;
  category: BfclCategory;
  question: BfclQuestion;
  /** The expected calls, each with its acceptable argument values; empty for (ir)relevance items. */
  groundTruth: BfclGroundTruth[];
}

/**
 * Pairs questions with their possible answers into items. Every question needs an id of a known
 * category ({@link BFCL_CATEGORIES}), an id not seen before, and, unless its category is (ir)relevance,
 * a possible answer whose functions are all offered by the question. Answers without a question are
 * ignored (one answer file may serve a subset of its questions).
 *
 * @throws InputError naming the question's (or answer's) file and line
 */
export function pairBfclItems(questions: Iterable<BfclQuestion>, answers: ReadonlyMap<string, BfclAnswer>): BfclItem[] {
  const items: BfclItem[] = [];
  const seen = new Map<string, string>();
  for (const question of questions) {
    const category = bfclCategory(question.id);
    if (category === undefined) {
      throw new InputError(question.source, `id "${question.id}" is not of a BFCL category this evaluation scores (${BFCL_CATEGORIES.join(', ')})`);
    }
    const first = seen.get(question.id);
    if (first !== undefined) throw new InputError(question.source, `duplicate id "${question.id}" (first at ${first})`);
    seen.set(question.id, question.source);
    items.push({ id: question.id, category, question, groundTruth: hasPossibleAnswers(category) ? groundTruthOf(question, answers) : [] });
  }
  return items;
}

function groundTruthOf(question: BfclQuestion, answers: ReadonlyMap<string, BfclAnswer>): BfclGroundTruth[] {
  const answer = answers.get(question.id);
  if (answer === undefined) throw new InputError(question.source, `no possible answer for "${question.id}"`);
  if (answer.groundTruth.length === 0) throw new InputError(answer.source, `possible answer of "${question.id}" expects no call`);
  for (const entry of answer.groundTruth) {
    const { name } = expectedCall(entry);
    if (findTool(question.functions, name) === undefined) {
      throw new InputError(answer.source, `possible answer of "${question.id}" calls "${name}", which the question does not offer`);
    }
  }
  return answer.groundTruth;
}

/** Options of {@link loadBfclItems}. */
export type LoadItemsOptions = Pick<ReadOptions, 'signal' | 'fetch' | 'openPath'>;

/** One input or several, as a list. */
export function sourceList(inputs: SourceInput | readonly SourceInput[]): readonly SourceInput[] {
  return Array.isArray(inputs) ? inputs : [inputs as SourceInput];
}

/**
 * Reads BFCL question files and possible-answer files (BFCL's own files, one JSON object per line) into
 * items ({@link pairBfclItems}). Any malformed line throws an {@link InputError} naming file and line.
 */
export async function loadBfclItems(
  questions: SourceInput | readonly SourceInput[], answers: SourceInput | readonly SourceInput[] = [], options: LoadItemsOptions = {},
): Promise<BfclItem[]> {
  const read: ReadOptions = { ...options, onError: 'throw' };
  const answerMap = new Map<string, BfclAnswer>();
  for (const input of sourceList(answers)) {
    for (const [id, answer] of await loadBfclAnswers(input, read)) {
      const first = answerMap.get(id);
      if (first !== undefined) throw new InputError(answer.source, `duplicate possible answer for "${id}" (first at ${first.source})`);
      answerMap.set(id, answer);
    }
  }
  const all: BfclQuestion[] = [];
  for (const input of sourceList(questions)) {
    throwIfAborted(options.signal, 'reading BFCL questions');
    all.push(...(await readAll(readBfclQuestions(input, read))).items);
  }
  return pairBfclItems(all, answerMap);
}

/** One line of a BFCL result file: the id of a question and the model's raw response text. */
export interface BfclResult {
  id: string;
  result: string;
  /** `file:line`. */
  source: string;
}

/**
 * Reads a result file, streaming: JSON lines `{"id": ..., "result": "raw model text"}` (BFCL's result
 * shape; other fields are ignored). Malformed lines are thrown or skipped per `onError`, with file and
 * line.
 */
export const readBfclResults: (input: SourceInput, options?: ReadOptions) => RecordStream<BfclResult> =
  reader(jsonLineReader(parseResult, (result) => [result]), {});

function parseResult(value: Record<string, unknown>, source: string): BfclResult | string {
  if (typeof value.id !== 'string') return 'expected an object with a string "id"';
  if (typeof value.result !== 'string') return `"result" of "${value.id}" must be a string (the raw model text)`;
  return { id: value.id, result: value.result, source };
}
