import type { DocumentKind } from '../data/document.js';
import { mixGroupOf, type MixGroup, type SizedDocument } from './mixing.js';

/** Documents, tokens and token share of one slice of the corpus. */
export interface CompositionEntry {
  name: string;
  documents: number;
  tokens: number;
  /** Fraction of all tokens (0..1). */
  share: number;
}

/** What a corpus is made of, by mixing group, by document kind and by source file. */
export interface CompositionReport {
  documents: number;
  tokens: number;
  byGroup: CompositionEntry[];
  byKind: CompositionEntry[];
  bySource: CompositionEntry[];
}

/** Counts tokens and documents per group, kind and source (a source's `:line` suffix is dropped). */
export function compositionReport(items: SizedDocument[]): CompositionReport {
  const total = items.reduce((sum, item) => sum + item.tokens, 0);
  const tally = (key: (item: SizedDocument) => string): CompositionEntry[] => {
    const entries = new Map<string, CompositionEntry>();
    for (const item of items) {
      const name = key(item);
      const entry = entries.get(name) ?? { name, documents: 0, tokens: 0, share: 0 };
      entry.documents += 1;
      entry.tokens += item.tokens;
      entries.set(name, entry);
    }
    for (const entry of entries.values()) entry.share = entry.tokens / Math.max(total, 1);
    return [...entries.values()].sort((a, b) => b.tokens - a.tokens || a.name.localeCompare(b.name));
  };
  return {
    documents: items.length,
    tokens: total,
    byGroup: tally((item) => mixGroupOf(item.document) satisfies MixGroup),
    byKind: tally((item) => item.document.kind satisfies DocumentKind),
    bySource: tally((item) => item.document.source.replace(/:\d+$/, '')),
  };
}

/** The report as a plain-text table for terminals and logs. */
export function formatComposition(report: CompositionReport, targets?: Partial<Record<MixGroup, number>>, maxSources = 15): string {
  const lines = [`corpus: ${report.documents.toLocaleString('en')} documents, ${report.tokens.toLocaleString('en')} tokens`];
  const section = (title: string, entries: CompositionEntry[], withTarget: boolean) => {
    lines.push('', `${title.padEnd(44)} ${'documents'.padStart(10)} ${'tokens'.padStart(12)} ${'share'.padStart(7)}${withTarget ? '  target' : ''}`);
    for (const entry of entries) {
      const share = withTarget ? targets?.[entry.name as MixGroup] : undefined;
      const target = share === undefined ? '' : `  ${(100 * share).toFixed(1).padStart(5)}%`;
      lines.push(`${entry.name.padEnd(44)} ${String(entry.documents).padStart(10)} ${String(entry.tokens).padStart(12)} ${(100 * entry.share).toFixed(1).padStart(6)}%${target}`);
    }
  };
  section('group', report.byGroup, targets !== undefined);
  section('kind', report.byKind, false);
  section('source', report.bySource.slice(0, maxSources), false);
  const others = report.bySource.slice(maxSources);
  if (others.length > 0) {
    const tokens = others.reduce((sum, entry) => sum + entry.tokens, 0);
    lines.push(`(${others.length} more sources: ${tokens} tokens, ${(100 * tokens / Math.max(report.tokens, 1)).toFixed(1)}%)`);
  }
  return lines.join('\n');
}
