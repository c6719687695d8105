import { Hash64, hashChars } from './hash.js';

/**
 * The one normalisation of the text layer, and the two ways text is cut on top of it: into tokens (the
 * exact-duplicate normal form, {@link normalizeForHash}) and into words ({@link words}: shingles of the
 * near-duplicate pass, n-grams of the leakage check). Both start with {@link foldText} and classify
 * characters with one table. Browser-safe.
 *
 * The agent classifier and the embedder cut text their own way (`features.ts`): their tokens are
 * their trained features, so changing them would change the classifier and retrieval.
 * @module
 */

/** Character classes of the table. */
const SPACE = 0;
const WORD_CHAR = 1;
const UNDERSCORE = 2;
const OTHER = 3;
/** Flag on a class: the character is a surrogate pair (two code units). */
const PAIR = 4;
const LETTER_OR_NUMBER = /[\p{L}\p{M}\p{N}]/u;
let classTable: Uint8Array | undefined;

/** Class of every UTF-16 code unit (BMP): space, letter/mark/number, `_`, or other (punctuation, symbols). */
function charClassTable(): Uint8Array {
  if (classTable !== undefined) return classTable;
  const table = new Uint8Array(65536);
  const space = /\s/u;
  for (let c = 0; c < 65536; c++) {
    if (c >= 0xd800 && c <= 0xdfff) { table[c] = OTHER; continue; }
    const ch = String.fromCharCode(c);
    table[c] = c === 95 ? UNDERSCORE : LETTER_OR_NUMBER.test(ch) ? WORD_CHAR : space.test(ch) ? SPACE : OTHER;
  }
  classTable = table;
  return table;
}

/** Class of the character at `i`, with {@link PAIR} set for a surrogate pair. */
function charClass(text: string, i: number, table: Uint8Array): number {
  const c = text.charCodeAt(i);
  if (c < 0xd800 || c > 0xdbff) return table[c];
  const next = text.charCodeAt(i + 1); // NaN past the end
  if (!(next >= 0xdc00 && next <= 0xdfff)) return table[c]; // a lone surrogate: OTHER, one unit
  const cp = text.codePointAt(i) ?? c;
  return LETTER_OR_NUMBER.test(String.fromCodePoint(cp)) ? WORD_CHAR | PAIR : OTHER | PAIR;
}

/** The normalisation every cut starts from: Unicode NFKC, then lower case. */
export function foldText(text: string): string {
  return text.normalize('NFKC').toLowerCase();
}

/**
 * Calls `visit(start, end)` for each token of an already folded text, in order: a maximal run of
 * letters (with combining marks), digits and `_`, or a single other non-space character.
 */
function forEachToken(s: string, visit: (start: number, end: number) => void): void {
  const table = charClassTable();
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    const cls = c < 0xd800 ? table[c] : charClass(s, i, table);
    const width = cls & PAIR ? 2 : 1;
    const kind = cls & 3;
    if (kind === SPACE) { i += width; continue; }
    let stop = i + width;
    if (kind !== OTHER) {
      while (stop < n) {
        const d = s.charCodeAt(stop);
        const next = d < 0xd800 ? table[d] : charClass(s, stop, table);
        if ((next & 3) !== WORD_CHAR && (next & 3) !== UNDERSCORE) break;
        stop += next & PAIR ? 2 : 1;
      }
    }
    visit(i, stop);
    i = stop;
  }
}

/**
 * The normal form used for exact deduplication:
 * 1. {@link foldText}: Unicode NFKC (full-width forms, ligatures and compatibility characters fold to
 *    their plain form), then lower case;
 * 2. the text is cut into tokens, each a maximal run of letters (with combining marks), digits and `_`,
 *    or a single other non-space character (punctuation, operators, brackets), and the tokens are
 *    joined by one space.
 *
 * So case and *all* whitespace differences between tokens vanish (`{"a":1}` = `{ "A" : 1 }`,
 * re-indented code = original), while punctuation is kept, because in code and JSON it carries
 * meaning (`f(x)` is not `f x`), and whitespace inside a word still counts (`ab` is not `a b`).
 * Edits beyond that are the near-duplicate pass's business.
 */
export function normalizeForHash(text: string): string {
  const s = foldText(text);
  const parts: string[] = [];
  forEachToken(s, (start, end) => parts.push(s.slice(start, end)));
  return parts.join(' ');
}

/** The exact-dedup key of a text: `hash64(normalizeForHash(text))`, streamed (no string is built). */
export function exactKey(text: string): string {
  const s = foldText(text);
  const hash = new Hash64();
  let first = true;
  forEachToken(s, (start, end) => {
    if (!first) hash.addRange(' ', 0, 1);
    first = false;
    hash.addRange(s, start, end);
  });
  return hash.hex();
}

/** Start and end offsets of the words of an already folded text. */
function wordBounds(s: string): { starts: Uint32Array; ends: Uint32Array; count: number } {
  const table = charClassTable();
  const capacity = (s.length >> 1) + 1;
  const starts = new Uint32Array(capacity);
  const ends = new Uint32Array(capacity);
  let count = 0;
  let i = 0;
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    const cls = c < 0xd800 ? table[c] : charClass(s, i, table);
    if ((cls & 3) !== WORD_CHAR) { i += cls & PAIR ? 2 : 1; continue; }
    starts[count] = i;
    i += cls & PAIR ? 2 : 1;
    while (i < n) {
      const d = s.charCodeAt(i);
      const next = d < 0xd800 ? table[d] : charClass(s, i, table);
      if ((next & 3) !== WORD_CHAR) break;
      i += next & PAIR ? 2 : 1;
    }
    ends[count++] = i;
  }
  return { starts, ends, count };
}

/**
 * The words of a text, as used by shingling and by the leakage check's n-grams: {@link foldText},
 * then maximal runs of letters (with their combining marks) and digits. Punctuation, whitespace and
 * `_` separate words, so an identifier such as `calculate_triangle_area` yields the words
 * `calculate`, `triangle`, `area`.
 */
export function words(text: string): string[] {
  const s = foldText(text);
  const { starts, ends, count } = wordBounds(s);
  const out: string[] = [];
  for (let w = 0; w < count; w++) out.push(s.slice(starts[w], ends[w]));
  return out;
}

/** {@link hashChars} of each of the text's {@link words}, without building the strings. */
export function wordHashes(text: string): Uint32Array {
  const s = foldText(text);
  const { starts, ends, count } = wordBounds(s);
  const out = new Uint32Array(count);
  for (let w = 0; w < count; w++) out[w] = hashChars(s, starts[w], ends[w]);
  return out;
}
