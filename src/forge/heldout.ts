/**
 * Held-out split by API (Hephaestus-Forge): the functions chosen for evaluation never appear, in any
 * form, in the training data. {@link splitByFunction} makes the split and {@link checkLeakage} proves
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
import { hash32, words } from './dedup.js';
import { ConfigError, throwIfAborted } from '../util/errors.js';
import { Rng } from '../util/rng.js';

// ---------------------------------------------------------------------------------------------
// Name matching
// ---------------------------------------------------------------------------------------------

/** How a function name was found in a document. */
export type MentionForm = 'field' | 'identifier' | 'tail' | 'call' | 'quoted' | 'attribute';

/** One mention of a function in a document. */
export interface FunctionMention {
  /** The function (as given to the matcher). */
  function: string;
  form: MentionForm;
  /** The text that matched (the field value for `field`). */
  match: string;
  /** Offset of the match in the text (-1 for `field`). */
  offset: number;
}

/**
 * Single-word method names too common to search as the tail of a dotted name: `triangle_properties.get`
 * is not leaked by every `get(` in the training code. They are still searched when they are a whole
 * function name (`sum` as an evaluation function is found as `sum(` or `"sum"`).
 */
export const GENERIC_NAMES: readonly string[] = [
  'abs', 'add', 'analyse', 'analyze', 'apply', 'area', 'book', 'buy', 'calc', 'calculate', 'call', 'check',
  'clear', 'close', 'compare', 'compute', 'convert', 'count', 'create', 'data', 'delete', 'describe',
  'design', 'details', 'estimate', 'evaluate', 'execute', 'fetch', 'filter', 'find', 'format', 'generate',
  'get', 'info', 'init', 'insert', 'len', 'list', 'load', 'lookup', 'main', 'map', 'max', 'mean', 'min',
  'new', 'open', 'order', 'parse', 'play', 'post', 'predict', 'price', 'print', 'process', 'put', 'query',
  'range', 'read', 'recommend', 'remove', 'reset', 'round', 'run', 'save', 'schedule', 'search', 'select',
  'send', 'set', 'sort', 'start', 'status', 'stop', 'sum', 'update', 'validate', 'write',
];

/** Options of {@link FunctionNameMatcher}. */
export interface NameMatchOptions {
  /** Single-word tails not to search (default {@link GENERIC_NAMES}). */
  genericNames?: readonly string[];
}

const SEGMENT_WORD = /\p{Lu}+(?!\p{Ll})|\p{Lu}?[\p{Ll}\p{Lo}\p{Lm}\p{M}]+|\p{N}+/gu;
/** An opening parenthesis after optional whitespace: a call. */
const CALL_OPEN = /^\s*\(/;

/** Splits an identifier segment into lower-case words at `_`, camelCase humps and letter/digit boundaries. */
function segmentWords(segment: string): string[] {
  return (segment.match(SEGMENT_WORD) ?? []).map((w) => w.toLowerCase());
}

const SEGMENT_SEPARATOR = /::|[./-]/g;
/** An identifier path in text: segments of letters, digits, `_`, `$` joined by `.`, `/`, `::` or `-`. */
const SPAN = /[\p{L}\p{N}_$]+(?:(?:::|[./-])[\p{L}\p{N}_$]+)*/gu;

interface Segment { text: string; start: number; separator: string; words: string[] }

function splitSegments(path: string, offset: number): Segment[] {
  const segments: Segment[] = [];
  let last = 0;
  let separator = '';
  for (const m of path.matchAll(SEGMENT_SEPARATOR)) {
    const text = path.slice(last, m.index);
    segments.push({ text, start: offset + last, separator, words: segmentWords(text) });
    separator = m[0];
    last = m.index + m[0].length;
  }
  const text = path.slice(last);
  segments.push({ text, start: offset + last, separator, words: segmentWords(text) });
  return segments.filter((s) => s.text !== '');
}

type Rule = { function: string; form: 'identifier' | 'tail' };
type SingleRule = { function: string; tail: boolean };

/**
 * Finds mentions of a set of function names in texts, by the rules of this module's documentation:
 * whole identifiers in any case / separator style, unqualified multi-word tails of dotted names, and
 * single-word names or tails only as calls, quoted strings or (full names) attributes.
 */
export class FunctionNameMatcher {
  /** The names searched for. */
  readonly names: readonly string[];
  private readonly rules = new Map<string, Rule[]>();
  private readonly singles = new Map<string, SingleRule[]>();
  private readonly maxWords: number;
  private readonly nameSet: Set<string>;

  constructor(names: readonly string[], options: NameMatchOptions = {}) {
    this.names = [...new Set(names)];
    this.nameSet = new Set(this.names);
    const generic = new Set(options.genericNames ?? GENERIC_NAMES);
    let maxWords = 1;
    const addRule = (key: string, rule: Rule): void => {
      const list = this.rules.get(key) ?? [];
      if (!list.some((r) => r.function === rule.function)) list.push(rule);
      this.rules.set(key, list);
    };
    const addSingle = (word: string, rule: SingleRule): void => {
      const list = this.singles.get(word) ?? [];
      if (!list.some((r) => r.function === rule.function)) list.push(rule);
      this.singles.set(word, list);
    };
    for (const name of this.names) {
      const segments = splitSegments(name, 0);
      const all = segments.flatMap((s) => s.words);
      if (all.length === 0) continue;
      maxWords = Math.max(maxWords, all.length);
      if (all.length >= 2) addRule(all.join(' '), { function: name, form: 'identifier' });
      else addSingle(segments[0].text, { function: name, tail: false });
      if (segments.length >= 2) {
        const tail = segments[segments.length - 1];
        if (tail.words.length >= 2) addRule(tail.words.join(' '), { function: name, form: 'tail' });
        else if (tail.words.length === 1 && !generic.has(tail.text.toLowerCase())) addSingle(tail.text, { function: name, tail: true });
      }
    }
    this.maxWords = maxWords;
  }

  /**
   * Mentions in a text, at most one per function (the first found), in text order of discovery.
   * `limit` stops after that many functions.
   */
  find(text: string, limit = Infinity): FunctionMention[] {
    const found = new Map<string, FunctionMention>();
    const record = (fn: string, form: MentionForm, match: string, offset: number): boolean => {
      if (!found.has(fn)) found.set(fn, { function: fn, form, match, offset });
      return found.size >= limit;
    };
    for (const m of text.matchAll(SPAN)) {
      const span = m[0];
      const spanStart = m.index;
      const segments = splitSegments(span, spanStart);
      // Identifier and tail rules: runs of whole segments whose words equal a name's words.
      for (let a = 0; a < segments.length; a++) {
        const acc: string[] = [];
        let qualified = false; // the run crosses a `.`, `/` or `::` (a namespace), not only `-`
        for (let b = a; b < segments.length && acc.length < this.maxWords; b++) {
          acc.push(...segments[b].words);
          if (b > a && segments[b].separator !== '-') qualified = true;
          if (acc.length > this.maxWords) break;
          const rules = this.rules.get(acc.join(' '));
          if (rules === undefined) continue;
          for (const rule of rules) {
            // A tail is one identifier (any style, `-` included) with no namespace before it.
            if (rule.form === 'tail' && (a !== 0 || qualified)) continue;
            const match = text.slice(segments[a].start, segments[b].start + segments[b].text.length);
            if (record(rule.function, rule.form, match, segments[a].start)) return [...found.values()];
          }
        }
      }
      // Single-word rules: code positions only.
      for (let s = 0; s < segments.length; s++) {
        const rules = this.singles.get(segments[s].text);
        if (rules === undefined) continue;
        const spanEnd = spanStart + span.length;
        const isLast = s === segments.length - 1;
        const call = isLast && CALL_OPEN.test(text.slice(spanEnd, spanEnd + 64));
        const before = text[spanStart - 1];
        const quoted = segments.length === 1 && (before === '"' || before === "'" || before === '`') && text[spanEnd] === before;
        const attribute = s > 0 && segments[s].separator === '.';
        for (const rule of rules) {
          let form: MentionForm | undefined;
          if (rule.tail) {
            if (s === 0) form = call ? 'call' : quoted ? 'quoted' : undefined;
          } else {
            form = call ? 'call' : quoted ? 'quoted' : attribute ? 'attribute' : undefined;
          }
          if (form !== undefined && record(rule.function, form, segments[s].text, segments[s].start)) return [...found.values()];
        }
      }
    }
    return [...found.values()];
  }

  /** Mentions in a document: its `functions` field first (form `field`), then its text. */
  findInDocument(document: CorpusDocument, limit = Infinity): FunctionMention[] {
    const found: FunctionMention[] = [];
    const seen = new Set<string>();
    for (const fn of document.functions ?? []) {
      if (this.nameSet.has(fn) && !seen.has(fn)) {
        seen.add(fn);
        found.push({ function: fn, form: 'field', match: fn, offset: -1 });
        if (found.length >= limit) return found;
      }
    }
    for (const mention of this.find(document.text)) {
      if (seen.has(mention.function)) continue;
      seen.add(mention.function);
      found.push(mention);
      if (found.length >= limit) break;
    }
    return found;
  }
}

// ---------------------------------------------------------------------------------------------
// N-gram overlap
// ---------------------------------------------------------------------------------------------

/** Two independent 32-bit hashes of the n words starting at `start`, packed into one 53-bit number. */
function ngramKey(hashes: Uint32Array, start: number, n: number): number {
  let h1 = 0x2545f491 ^ n;
  let h2 = 0x9e3779b9 ^ n;
  for (let j = 0; j < n; j++) {
    const w = hashes[start + j];
    h1 = Math.imul(h1 ^ w, 0xcc9e2d51);
    h1 = (h1 << 15) | (h1 >>> 17);
    h2 = Math.imul(h2 ^ w, 0x85ebca77);
    h2 = (h2 << 13) | (h2 >>> 19);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  h1 ^= h1 >>> 13;
  h2 = Math.imul(h2 ^ (h2 >>> 16), 0xc2b2ae35);
  h2 ^= h2 >>> 16;
  return (h1 >>> 0) * 2097152 + (h2 >>> 11);
}

/** One distinct word n-gram of the evaluation documents. */
interface NgramEntry {
  /** First evaluation document and word position where it occurs. */
  doc: number;
  pos: number;
  /** Distinct evaluation functions (groups) whose documents contain it, capped at 64. */
  groups: number[];
  /** Functions listed by *every* evaluation document that contains it. */
  common: Set<string>;
}

/** The word n-grams of the evaluation documents, with what is needed to judge a shared one. */
class NgramIndex {
  private readonly entries = new Map<number, NgramEntry>();
  private readonly evalWords: string[][] = [];
  readonly groupNames: string[] = [];
  private readonly groupIds = new Map<string, number>();

  constructor(readonly n: number) {}

  get size(): number {
    return this.entries.size;
  }

  add(text: string, groups: readonly string[], functions: readonly string[]): void {
    const doc = this.evalWords.length;
    const ws = words(text);
    this.evalWords.push(ws);
    const ids = groups.map((g) => {
      let id = this.groupIds.get(g);
      if (id === undefined) {
        id = this.groupNames.length;
        this.groupIds.set(g, id);
        this.groupNames.push(g);
      }
      return id;
    });
    const listed = new Set(functions);
    const hashes = Uint32Array.from(ws, (w) => hash32(w));
    const seen = new Set<NgramEntry>();
    for (let i = 0; i + this.n <= ws.length; i++) {
      const key = ngramKey(hashes, i, this.n);
      let entry = this.entries.get(key);
      if (entry === undefined) {
        entry = { doc, pos: i, groups: [], common: new Set(listed) };
        this.entries.set(key, entry);
      } else if (!this.sameWords(this.evalWords[entry.doc], entry.pos, ws, i)) {
        continue; // a 53-bit hash collision: keep the first n-gram
      } else if (!seen.has(entry)) {
        for (const fn of entry.common) if (!listed.has(fn)) entry.common.delete(fn);
      }
      seen.add(entry);
      for (const id of ids) if (entry.groups.length < 64 && !entry.groups.includes(id)) entry.groups.push(id);
    }
  }

  private sameWords(a: string[], i: number, b: string[], j: number): boolean {
    for (let k = 0; k < this.n; k++) if (a[i + k] !== b[j + k]) return false;
    return true;
  }

  /** The distinct evaluation n-grams a text contains (verified word by word, so hash collisions never count). */
  find(text: string): NgramEntry[] {
    const ws = words(text);
    const found = new Set<NgramEntry>();
    if (ws.length < this.n) return [];
    const hashes = Uint32Array.from(ws, (w) => hash32(w));
    for (let i = 0; i + this.n <= ws.length; i++) {
      const entry = this.entries.get(ngramKey(hashes, i, this.n));
      if (entry !== undefined && !found.has(entry) && this.sameWords(this.evalWords[entry.doc], entry.pos, ws, i)) found.add(entry);
    }
    return [...found];
  }

  /** The words of an entry. */
  text(entry: NgramEntry): string {
    return this.evalWords[entry.doc].slice(entry.pos, entry.pos + this.n).join(' ');
  }
}

// ---------------------------------------------------------------------------------------------
// Leakage check
// ---------------------------------------------------------------------------------------------

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
  /** A human-readable summary listing the hits (up to 20 per check). */
  report(): string;
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

interface Limits { n: number; maxOverlap: number; boilerplate: number; common: number }

function resolveLimits(options: LeakageOptions, evalFunctionCount: number): Limits {
  return {
    n: positiveInteger(options.ngram ?? 8, 'ngram'),
    maxOverlap: positiveInteger(options.maxOverlap ?? 1, 'maxOverlap'),
    boilerplate: positiveInteger(options.boilerplate ?? Math.max(3, Math.ceil(0.2 * evalFunctionCount)), 'boilerplate', 2),
    common: positiveInteger(options.commonPhrase ?? 3, 'commonPhrase', 2),
  };
}

function buildIndex(
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
function judgeNgrams(
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
      else if (trainFunctions.get(entry)!.size >= limits.common) ignored.commonPhrase.add(entry);
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
 * checks find nothing; `report()` explains every hit.
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
  const result: Omit<LeakageReport, 'report'> = {
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
  return { ...result, report: () => formatReport(result) };
}

function formatReport(r: Omit<LeakageReport, 'report'>): string {
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

// ---------------------------------------------------------------------------------------------
// Split
// ---------------------------------------------------------------------------------------------

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
