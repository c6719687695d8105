/**
 * A seeded, label-stratified train/test split of classifier examples, optionally grouped so that no
 * key (an API, a source file) lands on both sides.
 * @module
 */
import { ConfigError, InputError } from '../../util/errors.js';
import { Rng } from '../../util/rng.js';
import { LABELS, type AgentLabel } from './model.js';

/** Options of {@link splitExamples}. */
export interface SplitOptions<T> {
  /** Share of each label that goes to the test side, in (0, 1). Default 0.2. */
  testFraction?: number;
  /** Shuffle seed. Default 0. */
  seed?: number;
  /**
   * Optional group keys (e.g. the API or function names a document is about, or its source file):
   * examples that share any key, directly or through others, land on the same side, so no key appears on
   * both sides. An example with no keys is a group of its own. A group counts toward the label of its
   * first example.
   */
  groupBy?: (example: T) => string | readonly string[];
}

/**
 * Seeded split stratified by label: each label's examples (or groups, with `groupBy`) are shuffled and
 * about `testFraction` of that label's examples go to `test` (at least one group when a label has two or
 * more). Order within each side is shuffled. Same seed and input, same split.
 */
export function splitExamples<T extends { label: AgentLabel }>(
  examples: readonly T[],
  options: SplitOptions<T> = {},
): { train: T[]; test: T[] } {
  const testFraction = options.testFraction ?? 0.2;
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ConfigError('split.testFraction', `must be in (0, 1), got ${testFraction}`);
  }
  examples.forEach((example, i) => {
    if (example?.label !== 'agent' && example?.label !== 'general') {
      throw new InputError('split examples', `example ${i} has label ${JSON.stringify(example?.label)}; expected "agent" or "general"`);
    }
  });
  const rng = new Rng(options.seed ?? 0);
  const groupBy = options.groupBy;
  // Union-find over examples joined by shared keys; groups in order of first appearance (deterministic).
  const parent = Int32Array.from(examples, (_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i]];
      i = parent[i];
    }
    return i;
  };
  if (groupBy) {
    const owner = new Map<string, number>();
    examples.forEach((example, i) => {
      const keys = groupBy(example);
      for (const key of typeof keys === 'string' ? [keys] : keys) {
        const other = owner.get(key);
        if (other === undefined) owner.set(key, i);
        else {
          const [a, b] = [find(other), find(i)];
          if (a !== b) parent[Math.max(a, b)] = Math.min(a, b);
        }
      }
    });
  }
  const groups = new Map<number, T[]>();
  examples.forEach((example, i) => {
    const root = find(i);
    const group = groups.get(root);
    if (group) group.push(example);
    else groups.set(root, [example]);
  });
  const train: T[] = [];
  const test: T[] = [];
  for (const label of LABELS) {
    const labelGroups = rng.shuffle([...groups.values()].filter((group) => group[0].label === label));
    const size = labelGroups.reduce((sum, group) => sum + group.length, 0);
    const target = Math.round(size * testFraction);
    let inTest = 0;
    let inTrain = 0;
    labelGroups.forEach((group, g) => {
      const several = labelGroups.length >= 2;
      const wantTest = inTest < target || (several && g === 0);
      const mustTrain = several && g === labelGroups.length - 1 && inTrain === 0;
      if (wantTest && !mustTrain) {
        test.push(...group);
        inTest += group.length;
      } else {
        train.push(...group);
        inTrain += group.length;
      }
    });
  }
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}
