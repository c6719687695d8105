/**
 * Kinds of document in the agent corpus (Hephaestus-Forge):
 * - `tool_doc`: documentation of a tool / API (from a JSON-schema function or an API record);
 * - `trajectory`: a function-calling trajectory (need -> reasoning -> call -> environment feedback -> answer);
 * - `code`: code that uses an API;
 * - `text`: general text;
 * - `instruction`: an instruction pair for Stage III (system with tools, user, assistant with the call).
 */
export type DocumentKind = 'tool_doc' | 'trajectory' | 'code' | 'text' | 'instruction';

/** One document with its kind and where it came from. */
export interface CorpusDocument {
  kind: DocumentKind;
  /** Where it came from, e.g. `bfcl/BFCL_v4_simple_python.json:12` or `synthetic`. */
  source: string;
  text: string;
  /** Names of the functions / APIs the document is about (for the held-out split and leakage checks). */
  functions?: string[];
  /** True for general-pool documents kept by retrieval: they count as agent data, but are not seed data. */
  retrieved?: boolean;
}

/** A document with its token ids, ready to mix and pack. */
export interface TokenizedCorpusDocument {
  document: CorpusDocument;
  ids: Int32Array;
  /** Equals `ids.length` (what the mixer counts). */
  tokens: number;
}
