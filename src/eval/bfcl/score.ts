import { findTool, type ToolCall } from '../../tools/index.js';
import { checkKind, hasPossibleAnswers, type BfclCategory } from './categories.js';
import { checkCalls, expectedCall, type MatchAttempt } from './checker.js';
import { decodeResponse } from './decode.js';
import type { BfclItem } from './items.js';

/**
 * The verdict on one response: decode it ({@link decodeResponse}), check the calls by the category's
 * rule, and count the partial measures that show progress before whole answers are right.
 *
 * Browser-safe.
 * @module
 */

/** Partial measures of one response to an item that expects calls. */
export interface PartialCounts {
  /** The response decoded to at least one call. */
  validSyntax: boolean;
  /** The called functions are the expected ones, as many times each (in any order). */
  functionNames: boolean;
  /** Required parameters (by the schema) of the expected calls that the output call of the same function gives. */
  requiredPresent: number;
  /** Required parameters of the expected calls. */
  requiredTotal: number;
}

/** The verdict on one item. */
export interface BfclVerdict {
  id: string;
  category: BfclCategory;
  valid: boolean;
  /** BFCL's error type (e.g. `simple_function_checker:missing_required`) when not valid. */
  errorType?: string;
  /** Why not valid. */
  error?: string;
  /** The decoded calls, when the response decoded. */
  calls?: ToolCall[];
  /** For a failed parallel match: the output calls tried and why each failed. */
  attempts?: MatchAttempt[];
  /** For items with possible answers. */
  partial?: PartialCounts;
}

/** A verdict on an item that got no usable response (e.g. a prompt too long for the model). */
export function failedVerdict(item: BfclItem, errorType: string, error: string): BfclVerdict {
  return {
    id: item.id, category: item.category, valid: false, errorType, error,
    partial: hasPossibleAnswers(item.category) ? partialCounts(item, undefined) : undefined,
  };
}

/**
 * Scores a raw response (the model's text after the prompt): (ir)relevance items pass when a call
 * does (not) decode, as BFCL decides it; other items fail when the response does not decode
 * (`ast_decoder:decoder_failed`) and are otherwise checked by {@link checkCalls}.
 */
export function scoreResponse(item: BfclItem, response: string): BfclVerdict {
  const decoded = decodeResponse(response);
  const calls = decoded.ok ? decoded.calls : undefined;
  const base = { id: item.id, category: item.category, ...(calls === undefined ? {} : { calls }) };
  const kind = checkKind(item.category);
  const hasCall = calls !== undefined && calls.length > 0;
  if (kind === 'irrelevance') {
    return hasCall ? { ...base, valid: false, errorType: 'irrelevance_error:decoder_success', error: 'Valid syntax: decoded a call where no call should be made' } : { ...base, valid: true };
  }
  if (kind === 'relevance') {
    return hasCall ? { ...base, valid: true } : { ...base, valid: false, errorType: 'relevance_error:decoder_failed', error: `No call decoded where one should be made${decoded.ok ? '' : `: ${decoded.problem}`}` };
  }
  const partial = partialCounts(item, calls);
  if (!decoded.ok) return { ...base, valid: false, errorType: 'ast_decoder:decoder_failed', error: `Invalid syntax, failed to decode: ${decoded.problem}`, partial };
  const check = checkCalls(kind, item.question.functions, decoded.calls, item.groundTruth);
  return check.valid ? { ...base, valid: true, partial } : { ...base, valid: false, errorType: check.errorType, error: check.error, attempts: check.attempts, partial };
}

function partialCounts(item: BfclItem, calls: readonly ToolCall[] | undefined): PartialCounts {
  const given = calls ?? [];
  const expected = item.groundTruth.map((entry) => expectedCall(entry).name);
  const sorted = (names: string[]) => [...names].sort().join('\n');
  const used = new Set<number>();
  let requiredPresent = 0;
  let requiredTotal = 0;
  for (const name of expected) {
    const required = findTool(item.question.functions, name)?.parameters.required ?? [];
    requiredTotal += required.length;
    const index = given.findIndex((call, i) => !used.has(i) && call.name === name);
    if (index < 0) continue;
    used.add(index);
    requiredPresent += required.filter((param) => Object.hasOwn(given[index].arguments, param)).length;
  }
  return {
    validSyntax: given.length > 0,
    functionNames: given.length === expected.length && sorted(given.map((call) => call.name)) === sorted(expected),
    requiredPresent,
    requiredTotal,
  };
}
