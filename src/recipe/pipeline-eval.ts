/**
 * What a pipeline's checkpoint is evaluated on: BFCL-style items (real BFCL files, or items rendered
 * from the synthetic tools of the embedded sample), a seeded selection spread evenly over categories,
 * and the functions the corpus trained on (for the held-out vs seen split).
 *
 * Browser-safe.
 * @module
 */
import type { BfclGroundTruth } from '../data/sources/bfcl.js';
import { upperFirst, pairsText, task, userRequest } from '../data/synthetic/phrasing.js';
import { sampleArguments, variedArguments } from '../data/synthetic/values.js';
import type { BfclItem } from '../eval/bfcl/items.js';
import type { BfclCategory } from '../eval/bfcl/categories.js';
import { itemFunctions } from '../eval/bfcl/summary.js';
import type { ForgeCorpus } from '../forge/builder.js';
import type { FunctionDefinition, JsonObject } from '../tools/index.js';
import { ConfigError } from '../util/errors.js';
import { Rng } from '../util/rng.js';

/** The categories {@link syntheticBfclItems} renders, in turn. */
const SYNTHETIC_CATEGORIES: readonly BfclCategory[] = ['simple_python', 'multiple', 'parallel', 'irrelevance'];

/**
 * BFCL-style items about `functions` (e.g. the held-out synthetic tools), `perFunction` each, cycling
 * through simple, multiple (with distractors from `tools`), parallel (two calls) and irrelevance (the
 * function not offered: no call is right). Requests are phrased as the synthetic instruction pairs
 * phrase them; every expected argument has its sampled value as the one acceptable value.
 */
export function syntheticBfclItems(
  functions: readonly FunctionDefinition[], tools: readonly FunctionDefinition[], options: { perFunction: number; seed: number },
): BfclItem[] {
  const rng = new Rng(options.seed);
  const items: BfclItem[] = [];
  for (const fn of functions) {
    const others = tools.filter((tool) => tool.name !== fn.name);
    for (let i = 0; i < options.perFunction; i++) {
      let category = SYNTHETIC_CATEGORIES[i % SYNTHETIC_CATEGORIES.length];
      if ((category === 'multiple' || category === 'irrelevance') && others.length === 0) category = 'simple_python';
      const args = sampleArguments(fn, rng);
      let user = userRequest(fn, args, rng);
      const calls: JsonObject[] = [args];
      if (category === 'parallel') {
        const second = variedArguments(fn, args, rng);
        if (second.changed === undefined) category = 'simple_python';
        else {
          calls.push(second.args);
          user = `${upperFirst(task(fn))}: first with ${pairsText(args)}, then with ${pairsText(second.args)}.`;
        }
      }
      const distractors = rng.shuffle([...others]).slice(0, 1 + rng.int(Math.min(2, others.length)));
      const offered = category === 'irrelevance' ? distractors : category === 'multiple' ? rng.shuffle([fn, ...distractors]) : [fn];
      const id = `${category}_${items.length}`;
      items.push({
        id, category,
        question: { id, turns: [[{ role: 'user', content: user }]], functions: offered, source: `synthetic:${id}` },
        groundTruth: category === 'irrelevance' ? [] : calls.map((call) => groundTruth(fn.name, call)),
      });
    }
  }
  return items;
}

function groundTruth(name: string, args: JsonObject): BfclGroundTruth {
  return { [name]: Object.fromEntries(Object.entries(args).map(([key, value]) => [key, [value]])) };
}

/**
 * At most `count` items, seeded, spread evenly (round robin) across categories and, given the functions
 * seen in training, across held-out and seen items alike, so that a small selection has both sides.
 */
export function selectItems(items: readonly BfclItem[], count: number, seed: number, seen?: ReadonlySet<string>): BfclItem[] {
  if (!Number.isInteger(count) || count < 0) throw new ConfigError('evaluation.items', `must be a non-negative integer, got ${count}`);
  const rng = new Rng(seed);
  const groups = new Map<string, BfclItem[]>();
  for (const item of items) {
    const heldOut = seen !== undefined && itemFunctions(item).some((name) => !seen.has(name));
    const key = `${heldOut ? 'held-out' : 'seen'} ${item.category}`;
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  const queues = [...groups.values()].map((group) => rng.shuffle([...group]));
  const chosen: BfclItem[] = [];
  for (let round = 0; chosen.length < Math.min(count, items.length); round++) {
    for (const queue of queues) if (round < queue.length && chosen.length < count) chosen.push(queue[round]);
  }
  return chosen;
}

/** Every function some training document of the corpus is about (the evaluation's "seen" side). */
export function trainedFunctions(corpus: ForgeCorpus): Set<string> {
  return new Set(corpus.training.flatMap((item) => item.document.functions ?? []));
}
