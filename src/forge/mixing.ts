import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import type { CorpusDocument, DocumentKind } from '../data/document.js';

/** The three groups whose token shares the Hephaestus recipe mixes. */
export type MixGroup = 'agent' | 'code' | 'text';

/** Which group each document kind counts toward. */
export const GROUP_OF_KIND: Readonly<Record<DocumentKind, MixGroup>> = {
  tool_doc: 'agent', trajectory: 'agent', instruction: 'agent', code: 'code', text: 'text',
};

/** The group a document counts toward: retrieved agent-like documents are agent data whatever their kind. */
export function mixGroupOf(document: CorpusDocument): MixGroup {
  return document.retrieved ? 'agent' : GROUP_OF_KIND[document.kind];
}

/** Target token shares by group; they are normalised, so `{agent: 1, code: 1, text: 1}` means thirds. */
export type MixRatio = Record<MixGroup, number>;

/** The paper's optimum, roughly agent : code : text = 1 : 1 : 1 (about 36% agent data). */
export const DEFAULT_MIX: MixRatio = { agent: 1, code: 1, text: 1 };

/** A document with its token count, as the mixer needs it. */
export interface SizedDocument {
  document: CorpusDocument;
  tokens: number;
}

/** Options of {@link mixDocuments}. */
export interface MixOptions {
  ratio: MixRatio;
  seed: number;
  /**
   * Total tokens wanted. Default: the largest corpus the ratio allows without repeating any document
   * (the scarcest group sets it).
   */
  totalTokens?: number;
}

/** Result of {@link mixDocuments}. */
export interface MixResult<T extends SizedDocument = SizedDocument> {
  documents: T[];
  /** Tokens per group that were aimed at. */
  targets: Record<MixGroup, number>;
  /** Tokens per group actually taken. */
  taken: Record<MixGroup, number>;
}

/**
 * Selects documents so that each group's token share matches `ratio`: each group's documents are
 * shuffled with the seed and taken until the group's target is met, choosing at the end the
 * document that lands closest to the target. A group with fewer tokens than its target is repeated
 * (another shuffled pass), so scarce groups are upsampled rather than the ratio being missed.
 * The output order is group by group; shuffle it before packing.
 */
export function mixDocuments<T extends SizedDocument>(documents: T[], options: MixOptions): MixResult<T> {
  const shares = normaliseRatio(options.ratio);
  const byGroup = groupDocuments(documents);
  for (const group of GROUPS) {
    if (shares[group] > 0 && byGroup[group].length === 0) {
      throw new ConfigError(`ratio.${group}`, `asks for ${group} tokens but the corpus has no ${group} documents`);
    }
  }
  const available = mapGroups((group) => byGroup[group].reduce((sum, item) => sum + item.tokens, 0));
  const total = options.totalTokens ?? largestTotal(shares, available);
  const targets = mapGroups((group) => Math.round(total * shares[group]));
  const rng = new Rng(options.seed);
  const taken = mapGroups(() => 0);
  const selected: T[] = [];
  for (const group of GROUPS) {
    if (targets[group] === 0) continue;
    const picked = fillGroup(byGroup[group], targets[group], rng);
    selected.push(...picked);
    taken[group] = picked.reduce((sum, item) => sum + item.tokens, 0);
  }
  return { documents: selected, targets, taken };
}

const GROUPS: readonly MixGroup[] = ['agent', 'code', 'text'];

function mapGroups(value: (group: MixGroup) => number): Record<MixGroup, number> {
  return { agent: value('agent'), code: value('code'), text: value('text') };
}

function normaliseRatio(ratio: MixRatio): Record<MixGroup, number> {
  for (const group of GROUPS) {
    if (!(ratio[group] >= 0) || !Number.isFinite(ratio[group])) {
      throw new ConfigError(`ratio.${group}`, `must be a finite number >= 0, got ${ratio[group]}`);
    }
  }
  const sum = ratio.agent + ratio.code + ratio.text;
  if (sum <= 0) throw new ConfigError('ratio', 'at least one share must be positive');
  return mapGroups((group) => ratio[group] / sum);
}

function groupDocuments<T extends SizedDocument>(documents: T[]): Record<MixGroup, T[]> {
  const groups: Record<MixGroup, T[]> = { agent: [], code: [], text: [] };
  for (const item of documents) {
    if (item.tokens > 0) groups[mixGroupOf(item.document)].push(item);
  }
  return groups;
}

/** The largest total for which no group with a positive share needs repeating. */
function largestTotal(shares: Record<MixGroup, number>, available: Record<MixGroup, number>): number {
  const limits = GROUPS.filter((group) => shares[group] > 0).map((group) => available[group] / shares[group]);
  return Math.floor(Math.min(...limits));
}

function fillGroup<T extends SizedDocument>(items: T[], target: number, rng: Rng): T[] {
  const picked: T[] = [];
  let tokens = 0;
  while (tokens < target) {
    const order = rng.shuffle([...items]);
    for (const item of order) {
      const missing = target - tokens;
      if (missing <= 0) break;
      // Take a document that overshoots only if that lands closer to the target than stopping short.
      if (item.tokens > missing && item.tokens - missing > missing) continue;
      picked.push(item);
      tokens += item.tokens;
    }
    if (order.every((item) => item.tokens > target - tokens)) break;
  }
  return picked;
}
