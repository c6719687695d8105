/**
 * The leakage proof: the name check and the n-gram check of training documents against the
 * evaluation documents (rules in `forge/heldout.ts`), and its report as plain data.
 * @module
 */
import type { CorpusDocument } from '../../data/document.js';
import { ConfigError, throwIfAborted } from '../../util/errors.js';
import { FunctionNameMatcher, type MentionForm, type NameMatchOptions } from './names.js';
import { NgramIndex, type NgramEntry } from './ngrams.js';

/** Options of {@link checkLeakage} (and of the split's own filtering in {@link splitByFunction}). */
export interface LeakageOptions extends NameMatchOptions {
  /**
   * Words per n-gram. Default 8: shorter than the 13-gram of GPT-3's contamination study because tool
   * descriptions are short (BFCL v4: median 11 words, 10% have 8 or fewer), so a 13-gram would miss most
   * copied descriptions, while 8 running words are specific enough that the exclusions below remove the
   * remaining coincidences.
   */
  ngram?: number;
  /** A training document leaks when it shares at least this many distinct (counted) n-grams. Default 1. */
  maxOverlap?: number;
  /**
   * An evaluation n-gram found in the evaluation documents of at least this many distinct evaluation
   * functions is boilerplate (a formatter's template text) and not counted. Default
   * max(3, ceil(20% of the evaluation functions)).
   */
  boilerplate?: number;
  /**
   * An evaluation n-gram found in the training documents of at least this many distinct training
   * functions (by their `functions` fields) is common API-documentation language (`the city and state,
   * e.g. San Francisco, CA`), not evidence that one evaluation function leaked, and is not counted.
   * Documents without a `functions` field never make an n-gram common, so text copied into untagged
   * (e.g. retrieved web) documents is always caught. Default 3.
   */
  commonPhrase?: number;
  /** Checked between documents. */
  signal?: AbortSignal;
}

/** A training document that names an evaluation function. */
export interface NameHit {
  function: string;
  /** The training document's source and index. */
  source: string;
  index: number;
  form: MentionForm;
  match: string;
}

/** A training document that shares n-grams with the evaluation documents. */
export interface NgramHit {
  source: string;
  index: number;
  /** The evaluation document sharing the most counted n-grams with it. */
  evalSource: string;
  /** One shared n-gram (its words), as evidence. */
  ngram: string;
  /** Distinct counted n-grams shared with all evaluation documents together. */
  shared: number;
  /** Evaluation functions whose documents contain the counted n-grams. */
  functions: string[];
}

/** Result of {@link checkLeakage}. */
export interface LeakageReport {
  /** True when neither check found a leak. */
  ok: boolean;
  nameHits: NameHit[];
  ngramHits: NgramHit[];
  /** Training documents checked. */
  checkedDocuments: number;
  evalDocuments: number;
  evalFunctions: number;
  ngram: number;
  maxOverlap: number;
  /** Distinct evaluation n-grams indexed. */
  indexedNgrams: number;
  boilerplateLimit: number;
  commonPhraseLimit: number;
  /** Shared n-grams not counted, by reason (distinct n-grams). */
  ignored: {
    /** In the evaluation documents of >= `boilerplateLimit` evaluation functions. */
    boilerplate: number;
    /** In the training documents of >= `commonPhraseLimit` training functions. */
    commonPhrase: number;
    /**
     * Shared with a training document that lists a function every evaluation document containing the
     * n-gram also lists: documentation of that training function, shown in the evaluation documents as
     * context (e.g. a distractor tool in a multiple-choice prompt).
     */
    ownFunction: number;
  };
}

/** The evaluation functions a document belongs to (its field, else its text mentions). */
function groupsOf(document: CorpusDocument, index: number, matcher: FunctionNameMatcher): string[] {
  const mentions = matcher.findInDocument(document);
  const field = mentions.filter((m) => m.form === 'field').map((m) => m.function);
  if (field.length > 0) return field;
  if (mentions.length > 0) return mentions.map((m) => m.function);
  return [`#eval-document-${index}`];
}

function positiveInteger(value: number, field: string, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new ConfigError(field, `expected an integer >= ${min}, got ${value}`);
  return value;
}

/** The n-gram check's limits, resolved from {@link LeakageOptions}. */
export interface Limits { n: number; maxOverlap: number; boilerplate: number; common: number }

/** The limits of {@link LeakageOptions} with their defaults; `ConfigError` for a bad one. */
export function resolveLimits(options: LeakageOptions, evalFunctionCount: number): Limits {
  return {
    n: positiveInteger(options.ngram ?? 8, 'ngram'),
    maxOverlap: positiveInteger(options.maxOverlap ?? 1, 'maxOverlap'),
    boilerplate: positiveInteger(options.boilerplate ?? Math.max(3, Math.ceil(0.2 * evalFunctionCount)), 'boilerplate', 2),
    common: positiveInteger(options.commonPhrase ?? 3, 'commonPhrase', 2),
  };
}

/** The n-gram index of the evaluation documents, each grouped by the evaluation functions it is about. */
export function buildIndex(
  evalDocuments: readonly CorpusDocument[], matcher: FunctionNameMatcher, n: number, signal: AbortSignal | undefined,
): NgramIndex {
  const index = new NgramIndex(n);
  evalDocuments.forEach((doc, i) => {
    if ((i & 255) === 0) throwIfAborted(signal, 'leakage check');
    index.add(doc.text, groupsOf(doc, i, matcher), doc.functions ?? []);
  });
  return index;
}

/**
 * Judges the evaluation n-grams found in each training document (`found[i]` for `train[i]`): counts, per
 * n-gram, the distinct training functions whose documents contain it, then flags the documents with at
 * least `maxOverlap` counted n-grams.
 */
export function judgeNgrams(
  train: readonly CorpusDocument[], found: readonly NgramEntry[][], evalDocuments: readonly CorpusDocument[],
  index: NgramIndex, limits: Limits,
): { hits: NgramHit[]; ignored: LeakageReport['ignored'] } {
  const trainFunctions = new Map<NgramEntry, Set<string>>();
  found.forEach((entries, i) => {
    for (const entry of entries) {
      let fns = trainFunctions.get(entry);
      if (fns === undefined) trainFunctions.set(entry, (fns = new Set()));
      for (const fn of train[i].functions ?? []) if (fns.size < limits.common) fns.add(fn);
    }
  });
  const ignored = { boilerplate: new Set<NgramEntry>(), commonPhrase: new Set<NgramEntry>(), ownFunction: new Set<NgramEntry>() };
  const hits: NgramHit[] = [];
  found.forEach((entries, i) => {
    if (entries.length === 0) return;
    const own = train[i].functions ?? [];
    const counted: NgramEntry[] = [];
    for (const entry of entries) {
      if (entry.groups.length >= limits.boilerplate) ignored.boilerplate.add(entry);
      else if ((trainFunctions.get(entry)?.size ?? 0) >= limits.common) ignored.commonPhrase.add(entry);
      else if (own.some((fn) => entry.common.has(fn))) ignored.ownFunction.add(entry);
      else counted.push(entry);
    }
    if (counted.length < limits.maxOverlap) return;
    const perDoc = new Map<number, NgramEntry[]>();
    for (const entry of counted) {
      const list = perDoc.get(entry.doc);
      if (list === undefined) perDoc.set(entry.doc, [entry]);
      else list.push(entry);
    }
    let best: NgramEntry[] = [];
    for (const list of perDoc.values()) if (list.length > best.length || (list.length === best.length && list[0].doc < best[0].doc)) best = list;
    const groups = new Set(counted.flatMap((e) => e.groups));
    hits.push({
      source: train[i].source,
      index: i,
      evalSource: evalDocuments[best[0].doc].source,
      ngram: index.text(best[0]),
      shared: counted.length,
      functions: [...groups].map((g) => index.groupNames[g]).sort(),
    });
  });
  return { hits, ignored: { boilerplate: ignored.boilerplate.size, commonPhrase: ignored.commonPhrase.size, ownFunction: ignored.ownFunction.size } };
}

/**
 * Checks that no training document leaks an evaluation function, by name (in any form; see the module
 * documentation) and by word n-gram overlap with the evaluation documents. `ok` is true only when both
 * checks find nothing; {@link formatLeakage} explains every hit. The report is plain data (JSON-safe).
 */
export function checkLeakage(
  train: readonly CorpusDocument[],
  evalDocuments: readonly CorpusDocument[],
  evalFunctions: readonly string[],
  options: LeakageOptions = {},
): LeakageReport {
  const matcher = new FunctionNameMatcher(evalFunctions, options);
  const limits = resolveLimits(options, matcher.names.length);
  const index = buildIndex(evalDocuments, matcher, limits.n, options.signal);
  const nameHits: NameHit[] = [];
  const found = train.map((doc, i) => {
    if ((i & 255) === 0) throwIfAborted(options.signal, 'leakage check');
    for (const mention of matcher.findInDocument(doc)) {
      nameHits.push({ function: mention.function, source: doc.source, index: i, form: mention.form, match: mention.match });
    }
    return index.find(doc.text);
  });
  const { hits: ngramHits, ignored } = judgeNgrams(train, found, evalDocuments, index, limits);
  return {
    ok: nameHits.length === 0 && ngramHits.length === 0,
    nameHits,
    ngramHits,
    checkedDocuments: train.length,
    evalDocuments: evalDocuments.length,
    evalFunctions: matcher.names.length,
    ngram: limits.n,
    maxOverlap: limits.maxOverlap,
    indexedNgrams: index.size,
    boilerplateLimit: limits.boilerplate,
    commonPhraseLimit: limits.common,
    ignored,
  };
}

/** A human-readable summary of a leakage report, listing the hits (up to 20 per check). */
export function formatLeakage(r: LeakageReport): string {
  const leakedDocs = new Set([...r.nameHits.map((h) => h.index), ...r.ngramHits.map((h) => h.index)]).size;
  const leakedFns = new Set([...r.nameHits.map((h) => h.function), ...r.ngramHits.flatMap((h) => h.functions)]).size;
  const lines = [
    r.ok
      ? 'Leakage check: PASSED (no evaluation function found in the training data)'
      : `Leakage check: FAILED (${leakedDocs} training document(s) leak ${leakedFns} evaluation function(s))`,
    `  checked ${r.checkedDocuments} training documents against ${r.evalFunctions} evaluation functions`
      + ` (${r.evalDocuments} evaluation documents)`,
    `  name check (functions field; identifier in any case/separator style; dotted tail; call/quoted/attribute`
      + ` for single words): ${r.nameHits.length} hit(s)`,
  ];
  const quote = (s: string): string => JSON.stringify(s.length > 120 ? `${s.slice(0, 117)}...` : s);
  for (const h of r.nameHits.slice(0, 20)) {
    lines.push(`    ${quote(h.source)} names ${quote(h.function)} (${h.form}: ${quote(h.match)})`);
  }
  if (r.nameHits.length > 20) lines.push(`    ... and ${r.nameHits.length - 20} more`);
  lines.push(`  n-gram check (${r.ngram}-word n-grams, leak at >= ${r.maxOverlap} shared; ${r.indexedNgrams} evaluation n-grams;`
    + ` shared but not counted: ${r.ignored.boilerplate} boilerplate of >= ${r.boilerplateLimit} evaluation functions,`
    + ` ${r.ignored.commonPhrase} common phrases of >= ${r.commonPhraseLimit} training functions,`
    + ` ${r.ignored.ownFunction} documentation of the training document's own function): ${r.ngramHits.length} hit(s)`);
  for (const h of r.ngramHits.slice(0, 20)) {
    lines.push(`    ${quote(h.source)} shares ${h.shared} n-gram(s) with ${quote(h.evalSource)}`
      + ` (functions: ${h.functions.join(', ')}), e.g. ${quote(h.ngram)}`);
  }
  if (r.ngramHits.length > 20) lines.push(`    ... and ${r.ngramHits.length - 20} more`);
  return lines.join('\n');
}
