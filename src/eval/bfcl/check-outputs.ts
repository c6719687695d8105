import type { SourceInput } from '../../data/sources/lines.js';
import { readAll } from '../../data/sources/stream.js';
import { InputError, throwIfAborted } from '../../util/errors.js';
import { loadBfclItems, readBfclResults, sourceList, type BfclItem, type BfclResult, type LoadItemsOptions } from './items.js';
import { failedVerdict, scoreResponse, type BfclVerdict } from './score.js';
import { splitByFunctions, summarizeVerdicts, type BfclSummary, type HeldOutSplit } from './summary.js';

/**
 * The checker for any model's outputs (what `hephaestus-web bfcl-check` runs): BFCL questions,
 * possible answers and a result file of raw responses in, one verdict per item and a summary out.
 *
 * Browser-safe (file paths need the Node entry).
 * @module
 */

/** Options of {@link checkOutputs}. */
export interface CheckOutputsOptions {
  /** Functions seen in training: with it the result has the held-out vs seen split. */
  seenFunctions?: Iterable<string>;
}

/** Result of {@link checkOutputs}. */
export interface CheckedOutputs {
  /** One per item, in the items' order. */
  verdicts: BfclVerdict[];
  summary: BfclSummary;
  split?: HeldOutSplit;
}

/**
 * Scores the results of a model on items ({@link scoreResponse}). Every result must name an item and
 * no item may have two; an item without a result fails with `bfcl_check:missing_result` (so that
 * accuracies are over the whole set, as BFCL's).
 *
 * @throws InputError naming the result's file and line
 */
export function checkOutputs(items: readonly BfclItem[], results: Iterable<BfclResult>, options: CheckOutputsOptions = {}): CheckedOutputs {
  const byId = new Map(items.map((item) => [item.id, item]));
  const given = new Map<string, BfclResult>();
  for (const result of results) {
    if (!byId.has(result.id)) throw new InputError(result.source, `no question with id "${result.id}"`);
    const first = given.get(result.id);
    if (first !== undefined) throw new InputError(result.source, `second result for "${result.id}" (first at ${first.source})`);
    given.set(result.id, result);
  }
  const verdicts = items.map((item) => {
    const result = given.get(item.id);
    return result === undefined ? failedVerdict(item, 'bfcl_check:missing_result', 'no result for this item') : scoreResponse(item, result.result);
  });
  return {
    verdicts,
    summary: summarizeVerdicts(verdicts),
    split: options.seenFunctions === undefined ? undefined : splitByFunctions(items, verdicts, options.seenFunctions),
  };
}

/** The files of {@link checkOutputFiles}; each may be one file or several (e.g. one per category). */
export interface OutputFiles {
  /** BFCL question files (`BFCL_v4_<category>.json`). */
  questions: SourceInput | readonly SourceInput[];
  /** BFCL possible-answer files (none needed for irrelevance). */
  answers?: SourceInput | readonly SourceInput[];
  /** Result files: JSON lines `{"id", "result"}`. */
  outputs: SourceInput | readonly SourceInput[];
}

/**
 * Reads the files and checks the outputs ({@link checkOutputs}). Malformed lines, unknown or repeated
 * ids throw an {@link InputError} naming file and line.
 */
export async function checkOutputFiles(files: OutputFiles, options: CheckOutputsOptions & LoadItemsOptions = {}): Promise<CheckedOutputs> {
  const read = { signal: options.signal, fetch: options.fetch, openPath: options.openPath };
  const items = await loadBfclItems(files.questions, files.answers ?? [], read);
  const results: BfclResult[] = [];
  for (const input of sourceList(files.outputs)) {
    throwIfAborted(options.signal, 'reading results');
    results.push(...(await readAll(readBfclResults(input, { ...read, onError: 'throw' }))).items);
  }
  return checkOutputs(items, results, options);
}
