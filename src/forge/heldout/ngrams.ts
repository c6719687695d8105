/**
 * The n-gram check's index: every distinct word n-gram of the evaluation documents, keyed by a 53-bit
 * hash of its word hashes and verified word by word (so a hash collision never counts as shared).
 * @module
 */
import { hash32, sequenceKey, words } from '../../text/index.js';

/** One distinct word n-gram of the evaluation documents. */
export interface NgramEntry {
  /** First evaluation document and word position where it occurs. */
  doc: number;
  pos: number;
  /** Distinct evaluation functions (groups) whose documents contain it, capped at 64. */
  groups: number[];
  /** Functions listed by *every* evaluation document that contains it. */
  common: Set<string>;
}

/** The word n-grams of the evaluation documents, with what is needed to judge a shared one. */
export class NgramIndex {
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
      const key = sequenceKey(hashes, i, this.n);
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
      const entry = this.entries.get(sequenceKey(hashes, i, this.n));
      if (entry !== undefined && !found.has(entry) && this.sameWords(this.evalWords[entry.doc], entry.pos, ws, i)) found.add(entry);
    }
    return [...found];
  }

  /** The words of an entry. */
  text(entry: NgramEntry): string {
    return this.evalWords[entry.doc].slice(entry.pos, entry.pos + this.n).join(' ');
  }
}
