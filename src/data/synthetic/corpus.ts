import { Rng } from '../../util/rng.js';
import type { CorpusDocument, DocumentKind } from '../document.js';
import type { FunctionDefinition } from '../../tools/index.js';
import { trajectoryDocument } from '../formats.js';
import { syntheticCode, syntheticInstruction, syntheticToolDoc } from './documents.js';
import { SAMPLE_TOOLS } from './tools.js';
import { syntheticTrajectorySteps, TRAJECTORY_VARIANTS } from './trajectories.js';

/**
 * The embedded default sample: every kind of document, taking turns, generated from a seed.
 * @module
 */

const PROSE_SUBJECTS = ['The river', 'A small town', 'The old library', 'Every spring the farmers', 'The night train', 'Her grandmother'];
const PROSE_VERBS = ['remembers', 'carries', 'waits for', 'watches', 'forgets', 'celebrates'];
const PROSE_OBJECTS = ['the long summer evenings', 'a quiet song', 'the first snow', 'letters from abroad', 'the market crowds', 'the sound of bells'];

function prose(rng: Rng): string {
  const sentences = Array.from({ length: 2 + rng.int(3) }, () =>
    `${rng.pick(PROSE_SUBJECTS)} ${rng.pick(PROSE_VERBS)} ${rng.pick(PROSE_OBJECTS)}.`);
  return sentences.join(' ');
}

/** Options of {@link syntheticCorpus}. */
export interface SyntheticOptions {
  /** Number of documents (default 600). */
  documents?: number;
  seed?: number;
  /** The functions to generate agent data for (default {@link SAMPLE_TOOLS}). */
  tools?: readonly FunctionDefinition[];
}

/** The kinds of {@link syntheticCorpus}, in the order they take turns. */
const CORPUS_KINDS: readonly DocumentKind[] = ['tool_doc', 'trajectory', 'code', 'text', 'instruction'];

/**
 * The embedded default sample: tool documentation (with example calls), function-calling trajectories
 * with simulated environment feedback (every {@link TRAJECTORY_VARIANTS variant}, failed calls and their
 * retry included), code that uses the tools, general prose, and instruction pairs, taking turns in that
 * order. Generated from a seed by the same generator as for any schema; needs no file and no network.
 * Same options, same documents, byte for byte.
 */
export function syntheticCorpus(options: SyntheticOptions = {}): CorpusDocument[] {
  const rng = new Rng(options.seed ?? 0);
  const count = options.documents ?? 600;
  const tools = options.tools ?? SAMPLE_TOOLS;
  return Array.from({ length: count }, (_, i) => {
    const kind = CORPUS_KINDS[i % CORPUS_KINDS.length];
    const tool = rng.pick(tools);
    switch (kind) {
      case 'tool_doc':
        return syntheticToolDoc(tool, rng);
      case 'trajectory':
        return trajectoryDocument(syntheticTrajectorySteps(tool, rng, rng.pick(TRAJECTORY_VARIANTS)), { source: 'synthetic', tools: [tool] });
      case 'code':
        return syntheticCode(tool, rng);
      case 'instruction':
        return syntheticInstruction(tool, rng, { distractors: tools });
      default:
        return { kind: 'text', source: 'synthetic', text: prose(rng) };
    }
  });
}
