/**
 * BFCL's single-turn test categories, read from an item's id as BFCL does (the id up to its last `_`:
 * `parallel_multiple_12` -> `parallel_multiple`, `live_simple_3-2-0` -> `live_simple`), and the check
 * each one gets.
 *
 * Browser-safe.
 * @module
 */

/** The BFCL categories this evaluation scores: the Python single-turn ones, non-live and live. */
export const BFCL_CATEGORIES = [
  'simple_python', 'multiple', 'parallel', 'parallel_multiple', 'irrelevance',
  'live_simple', 'live_multiple', 'live_parallel', 'live_parallel_multiple', 'live_irrelevance', 'live_relevance',
] as const;

/** One of {@link BFCL_CATEGORIES}. */
export type BfclCategory = (typeof BFCL_CATEGORIES)[number];

/**
 * How a category is checked, as BFCL's runner decides it from the category name:
 * - `simple`: exactly one call, checked against the (one) offered function;
 * - `multiple`: exactly one call, checked against the expected one of several offered functions;
 * - `parallel`: the expected calls, matched one to one in any order (every category with `parallel`);
 * - `irrelevance`: passes when no call decodes; `relevance`: passes when one does.
 */
export type CheckKind = 'simple' | 'multiple' | 'parallel' | 'irrelevance' | 'relevance';

const KNOWN: ReadonlySet<string> = new Set(BFCL_CATEGORIES);

/** The category of a BFCL id, or `undefined` when the id is not of a category in {@link BFCL_CATEGORIES}. */
export function bfclCategory(id: string): BfclCategory | undefined {
  const cut = id.lastIndexOf('_');
  const prefix = cut < 0 ? '' : id.slice(0, cut);
  return KNOWN.has(prefix) ? (prefix as BfclCategory) : undefined;
}

/** The check of a category (see {@link CheckKind}). */
export function checkKind(category: BfclCategory): CheckKind {
  if (category.includes('irrelevance')) return 'irrelevance';
  if (category.includes('relevance')) return 'relevance';
  if (category.includes('parallel')) return 'parallel';
  if (category.includes('multiple')) return 'multiple';
  return 'simple';
}

/** Whether items of the category are scored against possible answers: all but (ir)relevance. */
export function hasPossibleAnswers(category: BfclCategory): boolean {
  const kind = checkKind(category);
  return kind !== 'irrelevance' && kind !== 'relevance';
}
