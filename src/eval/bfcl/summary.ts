import { BFCL_CATEGORIES, type BfclCategory } from './categories.js';
import { expectedCall } from './checker.js';
import type { BfclItem } from './items.js';
import type { BfclVerdict } from './score.js';

/**
 * Summaries of verdicts: accuracy per category with 95% Wilson score intervals, the overall accuracy
 * (the unweighted mean of the categories, as BFCL's non-live summary), the partial measures, and the
 * split into items on held-out and on seen functions.
 *
 * Browser-safe.
 * @module
 */

/** z of a two-sided 95% interval. */
const Z95 = 1.959963984540054;

/** A proportion `count / total` with its 95% Wilson score interval `[low, high]`. */
export interface Proportion {
  count: number;
  total: number;
  /** `count / total` (0 when `total` is 0). */
  rate: number;
  low: number;
  high: number;
}

/**
 * `count / total` with its 95% Wilson score interval: the p for which the observed rate is within
 * 1.96 standard errors, sqrt(p (1 - p) / n), of p. It stays inside [0, 1] and is not degenerate at 0 or n
 * successes (unlike the normal approximation), so it suits the small and lopsided counts of a toy
 * model. `total` 0 gives the interval [0, 1].
 */
export function wilsonInterval(count: number, total: number): Proportion {
  if (total === 0) return { count, total, rate: 0, low: 0, high: 1 };
  const rate = count / total;
  const z2 = Z95 * Z95;
  const scale = 1 + z2 / total;
  const center = (rate + z2 / (2 * total)) / scale;
  const half = (Z95 / scale) * Math.sqrt((rate * (1 - rate)) / total + z2 / (4 * total * total));
  // Exact at the ends, where rounding would leave the bound a hair inside.
  return { count, total, rate, low: count === 0 ? 0 : Math.max(0, center - half), high: count === total ? 1 : Math.min(1, center + half) };
}

/** Accuracy of one category. */
export interface CategoryAccuracy extends Proportion {
  category: BfclCategory;
}

/** The partial measures over the items that expect calls. */
export interface PartialMeasures {
  /** Responses that decode to at least one call. */
  validSyntax: Proportion;
  /** Responses that call exactly the expected functions. */
  functionNames: Proportion;
  /**
   * Required parameters of the expected calls given by the output call of the same function, counted
   * over parameters (not independent trials, so its interval is indicative only).
   */
  requiredArguments: Proportion;
}

/** A summary of verdicts. */
export interface BfclSummary {
  items: number;
  /** Accuracy per category present, in {@link BFCL_CATEGORIES} order. */
  categories: CategoryAccuracy[];
  /** The unweighted mean of the categories' accuracies (0 without items). */
  overall: number;
  partial: PartialMeasures;
  /** Items whose response was never generated or given (prompt too long, no result), by error type. */
  unanswered: Record<string, number>;
}

/** Error types of items that got no response at all. */
export const UNANSWERED_ERRORS: ReadonlySet<string> = new Set(['runner:prompt_too_long', 'runner:prompt_error', 'bfcl_check:missing_result']);

/** Summarises verdicts (see {@link BfclSummary}). */
export function summarizeVerdicts(verdicts: readonly BfclVerdict[]): BfclSummary {
  const categories = BFCL_CATEGORIES.flatMap((category) => {
    const own = verdicts.filter((verdict) => verdict.category === category);
    return own.length === 0 ? [] : [{ category, ...wilsonInterval(own.filter((verdict) => verdict.valid).length, own.length) }];
  });
  const partial = verdicts.flatMap((verdict) => (verdict.partial === undefined ? [] : [verdict.partial]));
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  const unanswered: Record<string, number> = {};
  for (const verdict of verdicts) {
    if (verdict.errorType !== undefined && UNANSWERED_ERRORS.has(verdict.errorType)) unanswered[verdict.errorType] = (unanswered[verdict.errorType] ?? 0) + 1;
  }
  return {
    items: verdicts.length,
    categories,
    overall: categories.length === 0 ? 0 : sum(categories.map((entry) => entry.rate)) / categories.length,
    partial: {
      validSyntax: wilsonInterval(partial.filter((counts) => counts.validSyntax).length, partial.length),
      functionNames: wilsonInterval(partial.filter((counts) => counts.functionNames).length, partial.length),
      requiredArguments: wilsonInterval(sum(partial.map((counts) => counts.requiredPresent)), sum(partial.map((counts) => counts.requiredTotal))),
    },
    unanswered,
  };
}

/** The split of a summary by whether the functions of an item were seen in training. */
export interface HeldOutSplit {
  /** Items with at least one function never seen in training: the generalisation the paper claims. */
  heldOut: BfclSummary;
  /** Items whose functions were all seen in training. */
  seen: BfclSummary;
}

/**
 * The functions an item is about: those of its expected calls, or, for (ir)relevance items (which
 * expect none), the offered ones.
 */
export function itemFunctions(item: BfclItem): string[] {
  return item.groundTruth.length > 0 ? item.groundTruth.map((entry) => expectedCall(entry).name) : item.question.functions.map((fn) => fn.name);
}

/** Splits the verdicts of `items` (matched by id) into held-out and seen ones (see {@link HeldOutSplit}). */
export function splitByFunctions(items: readonly BfclItem[], verdicts: readonly BfclVerdict[], seenFunctions: Iterable<string>): HeldOutSplit {
  const seen = new Set(seenFunctions);
  const heldOutIds = new Set(items.filter((item) => itemFunctions(item).some((name) => !seen.has(name))).map((item) => item.id));
  return {
    heldOut: summarizeVerdicts(verdicts.filter((verdict) => heldOutIds.has(verdict.id))),
    seen: summarizeVerdicts(verdicts.filter((verdict) => !heldOutIds.has(verdict.id))),
  };
}
