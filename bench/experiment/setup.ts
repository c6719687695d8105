/**
 * What every arm shares, rebuilt identically in each sitting: the documents of ../shared/data plus
 * Python standard-library code, the held-out general text, the tokenizer (trained once, then read back
 * from the base model's checkpoint), the Forge corpus, and the BFCL items the arms are evaluated on.
 */
import { loadCorpusSources, loadSharedBfclItems } from '../../src/cli/corpus-sources.js';
import { tokenizerSample } from '../../src/cli/common.js';
import {
  bfclPrompt, buildForge, holdOutGeneralText, selectItems, trainBpeTokenizer, trainedFunctions,
  type BfclItem, type CorpusDocument, type ForgeCorpus, type Tokenizer,
} from '../../src/node.js';
import { itemFunctions } from '../../src/eval/bfcl/summary.js';
import type { ExperimentSettings } from './settings.js';

/** The shared inputs of the arms. */
export interface ExperimentData {
  corpus: ForgeCorpus;
  generalText: CorpusDocument[];
  tokenizer: Tokenizer;
  /** Evaluation items on functions never trained on, and on trained ones. */
  items: { heldOut: BfclItem[]; seen: BfclItem[] };
  seenFunctions: Set<string>;
  /** What was left out, for the report. */
  notes: { stage3TooLong: number; stage3Kept: number; heldOutTooLong: number; heldOutAvailable: number; seenTooLong: number; seenAvailable: number };
}

/** Builds the shared inputs; `tokenizer` is the base model's when it exists already. */
export async function prepareData(settings: ExperimentSettings, log: (line: string) => void, tokenizer?: Tokenizer): Promise<ExperimentData> {
  const documents = await loadCorpusSources({ dataDir: settings.dataDir, codeFiles: settings.codeFiles, textFiles: [], seed: 0 }, log);
  const { training, heldOut: generalText } = holdOutGeneralText(documents, { fraction: settings.generalFraction, seed: 0 });
  if (!tokenizer) {
    log(`tokenizer: training byte-level BPE, vocabulary ${settings.vocabSize}`);
    tokenizer = await trainBpeTokenizer(tokenizerSample(training), { vocabSize: settings.vocabSize });
  }
  const built = await buildForge({ documents: training }, { tokenizer, seed: 0, onPhase: (phase, detail) => log(`forge ${phase}: ${detail}`) });
  if (!built.leakage.ok) throw new Error('the Forge leakage check failed: held-out functions leak into training');
  const { corpus, tooLong, kept } = fitStage3(built, settings.recipe.stage3.seqLen);
  const seenFunctions = trainedFunctions(corpus);
  const items = await loadItems(settings, tokenizer, seenFunctions);
  log(`corpus: ${corpus.training.length} training documents, ${corpus.evalFunctions.length} held-out functions; Stage III keeps ${kept} instruction pairs (${tooLong} longer than a row left out)`);
  return { corpus, generalText, tokenizer, items: items.chosen, seenFunctions, notes: { stage3TooLong: tooLong, stage3Kept: kept, ...items.notes } };
}

/**
 * Stage III packs whole documents and cuts a longer one at the row's end, which would cut the
 * answer (the only trained tokens) away: such pairs are left out of Stage III instead.
 */
function fitStage3(corpus: ForgeCorpus, seqLen: number): { corpus: ForgeCorpus; tooLong: number; kept: number } {
  const fits = corpus.stages.stage3.filter((item) => item.ids.length <= seqLen + 1);
  return { corpus: { ...corpus, stages: { ...corpus.stages, stage3: fits } }, tooLong: corpus.stages.stage3.length - fits.length, kept: fits.length };
}

/** BFCL items whose prompt leaves room for the answer, split into held-out and seen, a seeded even selection of each. */
async function loadItems(settings: ExperimentSettings, tokenizer: Tokenizer, seen: Set<string>) {
  const all = await loadSharedBfclItems(settings.dataDir);
  const room = settings.contextLength - settings.evaluation.maxNewTokens;
  const fits = (item: BfclItem) => tokenizer.encode(bfclPrompt(item.question)).length <= room;
  const isHeldOut = (item: BfclItem) => itemFunctions(item).some((name) => !seen.has(name));
  const heldOut = all.filter(isHeldOut);
  const seenItems = all.filter((item) => !isHeldOut(item));
  const heldOutFit = heldOut.filter(fits);
  const seenFit = seenItems.filter(fits);
  const { seed } = settings.evaluation;
  return {
    chosen: { heldOut: selectItems(heldOutFit, settings.evaluation.heldOutItems, seed), seen: selectItems(seenFit, settings.evaluation.seenItems, seed) },
    notes: {
      heldOutAvailable: heldOut.length, heldOutTooLong: heldOut.length - heldOutFit.length,
      seenAvailable: seenItems.length, seenTooLong: seenItems.length - seenFit.length,
    },
  };
}
