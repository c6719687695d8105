/**
 * The name check of the leakage proof: finds mentions of function names in texts, as whole
 * identifiers in any case / separator style, unqualified multi-word tails of dotted names, and
 * single-word names or tails only in code positions (the rules are listed in `forge/heldout.ts`).
 * @module
 */
import type { CorpusDocument } from '../../data/document.js';

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
