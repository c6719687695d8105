/**
 * Held-out split by API (Hephaestus-Forge): the functions chosen for evaluation never appear, in any
 * form, in the training data. {@link splitByFunction} makes the split (this file) and {@link checkLeakage} proves
 * it with two independent tests:
 *
 * 1. **Name check** ({@link FunctionNameMatcher}): a training document must not list an evaluation
 *    function in its `functions` field nor mention its name in its text, in any of these forms:
 *    - *identifier*: the full name in any case or separator style, as a whole identifier. Names are cut
 *      into path segments at `.`, `/`, `::` and `-`, and segments into words at `_`, camelCase humps and
 *      letter/digit boundaries; a text identifier matches when a run of its segments has the same
 *      lower-cased words. So `math.factorial` is found as `math.factorial`, `math_factorial`,
 *      `scipy.math.factorial`, `"math.factorial"`; `calculate_triangle_area` as `calculateTriangleArea`,
 *      `CALCULATE_TRIANGLE_AREA`, `calculate-triangle-area`; but not inside a longer identifier
 *      (`calculate_triangle_area_v2`, `my_math.factorial`) and never as plain words
 *      (`calculate triangle area` is prose, and the n-gram check's business).
 *    - *tail*: the last segment of a dotted name, when it has two or more words, unqualified
 *      (`triangle_area_heron` or `triangleAreaHeron` for `math.triangle_area_heron`;
 *      `geometry.triangle_area_heron` or `triangle.area_heron` name other APIs and are not flagged).
 *    - single-word names (`gcd`, `translate`) and single-word tails (`factorial` of `math.factorial`) are
 *      ordinary English or common method names, so they count only in code positions, case-sensitive:
 *      a *call* `gcd(`, a *quoted* string `"gcd"` / `'gcd'` / `` `gcd` `` (JSON, tool calls), or, for full
 *      names, an *attribute* `x.gcd`. Single-word tails listed in {@link GENERIC_NAMES} (`get`, `find`,
 *      `sum`, ...) are not searched at all.
 * 2. **N-gram check**: training documents must not share `maxOverlap` (default 1) or more distinct word
 *    n-grams (default 8 words, see {@link LeakageOptions.ngram}) with the evaluation documents, so a
 *    copied description is caught even when the name was removed. Three kinds of shared n-gram are not
 *    evidence of a leak and are not counted (each is counted in the report):
 *    - *boilerplate*: in the evaluation documents of many evaluation functions (template text);
 *    - *common phrase*: in the training documents of several (default 3) distinct training functions,
 *      by their `functions` fields (`the city and state, e.g. San Francisco, CA`);
 *    - *own function*: every evaluation document containing it also lists a function that the training
 *      document lists, i.e. it is that training function's documentation, shown next to an evaluation
 *      function (BFCL's multiple-choice prompts list distractor tools).
 *
 * Browser-safe.
 * @module
 */
import type { CorpusDocument } from '../data/document.js';
import { ConfigError, throwIfAborted } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import {
  buildIndex, checkLeakage, judgeNgrams, resolveLimits, type LeakageOptions, type LeakageReport,
} from './heldout/leakage.js';
import { FunctionNameMatcher } from './heldout/names.js';

export { FunctionNameMatcher, GENERIC_NAMES } from './heldout/names.js';
export type { MentionForm, FunctionMention, NameMatchOptions } from './heldout/names.js';
export { checkLeakage, formatLeakage } from './heldout/leakage.js';
export type { LeakageOptions, LeakageReport, NameHit, NgramHit } from './heldout/leakage.js';

/** The sorted distinct names of the `functions` fields of the documents. */
export function listFunctions(documents: readonly CorpusDocument[]): string[] {
  const names = new Set<string>();
  for (const doc of documents) for (const fn of doc.functions ?? []) names.add(fn);
  return [...names].sort();
}

/** Options of {@link splitByFunction}. */
export interface SplitOptions extends LeakageOptions {
  /** Fraction of the distinct functions (of the `functions` fields) to hold out, in (0, 1). Default 0.1. */
  evalFraction?: number;
  /** The evaluation functions, instead of a seeded draw. */
  evalFunctions?: readonly string[];
  /** Seed of the draw. Default 0. */
  seed?: number;
  /**
   * Where a document goes when its text mentions an evaluation function that its `functions` field does
   * not list: `drop` (default: it is about another function, so it is neither training nor evaluation
   * data) or `eval`.
   */
  mentions?: 'drop' | 'eval';
}

/** A document the split removed from training without making it evaluation data. */
export interface DroppedDocument {
  document: CorpusDocument;
  reason: 'name' | 'ngram';
  /** What leaked: the mention, or the shared n-grams. */
  detail: string;
}

/** Result of {@link splitByFunction}. */
export interface SplitResult {
  train: CorpusDocument[];
  eval: CorpusDocument[];
  dropped: DroppedDocument[];
  /** The held-out functions, sorted. */
  evalFunctions: string[];
  /** The final {@link checkLeakage} of `train` against `eval` (`ok` by construction; it is the proof). */
  leakage: LeakageReport;
  /** N-gram rounds run (the split drops the n-gram hits and judges again until none is left). */
  rounds: number;
}

/**
 * Holds out whole functions: draws the evaluation functions (seeded; the draw depends only on the set
 * of names, not on document order), sends every document whose `functions` field lists one to
 * evaluation, removes from training every document whose text mentions one (see
 * {@link SplitOptions.mentions}), drops the training documents that the n-gram check flags, again until
 * none is flagged (dropping documents can make a common phrase uncommon, so one round may not be
 * enough; the training set only shrinks, so this ends), and finally runs the full {@link checkLeakage}
 * on the result. Input order is kept within each part. Same documents and options give the same split.
 */
export function splitByFunction(documents: readonly CorpusDocument[], options: SplitOptions = {}): SplitResult {
  let evalFunctions: string[];
  if (options.evalFunctions !== undefined) {
    evalFunctions = [...new Set(options.evalFunctions)].sort();
    if (evalFunctions.length === 0) throw new ConfigError('evalFunctions', 'expected at least one function name');
  } else {
    const fraction = options.evalFraction ?? 0.1;
    if (!(fraction > 0 && fraction < 1)) throw new ConfigError('evalFraction', `expected a number in (0, 1), got ${fraction}`);
    const names = listFunctions(documents);
    if (names.length === 0) throw new ConfigError('evalFraction', 'no document has a `functions` field to draw evaluation functions from');
    const count = Math.min(names.length, Math.max(1, Math.round(fraction * names.length)));
    evalFunctions = new Rng(options.seed ?? 0).shuffle(names).slice(0, count).sort();
  }
  const matcher = new FunctionNameMatcher(evalFunctions, options);
  const evalDocs: CorpusDocument[] = [];
  let train: CorpusDocument[] = [];
  const dropped: DroppedDocument[] = [];
  documents.forEach((doc, i) => {
    if ((i & 255) === 0) throwIfAborted(options.signal, 'splitByFunction');
    const mention = matcher.findInDocument(doc, 1)[0];
    if (mention === undefined) train.push(doc);
    else if (mention.form === 'field' || options.mentions === 'eval') evalDocs.push(doc);
    else dropped.push({ document: doc, reason: 'name', detail: `${mention.function} (${mention.form}: ${mention.match})` });
  });
  // Drop the n-gram hits until none is left. The evaluation side and each document's shared n-grams do
  // not change between rounds; only which n-grams are common phrases can (the training set shrinks).
  const limits = resolveLimits(options, matcher.names.length);
  const index = buildIndex(evalDocs, matcher, limits.n, options.signal);
  let found = train.map((doc, i) => {
    if ((i & 255) === 0) throwIfAborted(options.signal, 'splitByFunction');
    return index.find(doc.text);
  });
  let rounds = 0;
  for (;;) {
    rounds++;
    const { hits } = judgeNgrams(train, found, evalDocs, index, limits);
    if (hits.length === 0) break;
    const flagged = new Set(hits.map((h) => h.index));
    for (const h of hits) {
      dropped.push({ document: train[h.index], reason: 'ngram', detail: `${h.shared} n-gram(s) shared with ${h.evalSource}, e.g. "${h.ngram}"` });
    }
    train = train.filter((_, i) => !flagged.has(i));
    found = found.filter((_, i) => !flagged.has(i));
  }
  // The proof: the full, independent check of the result.
  const leakage = checkLeakage(train, evalDocs, evalFunctions, options);
  return { train, eval: evalDocs, dropped, evalFunctions, leakage, rounds };
}
