import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  InputError, corpusJsonl, errorMessage, formatComposition, llmcShards, packStage, saveTokenizerToDir, TOKENIZER_CONFIG_JSON, TOKENIZER_JSON,
  type Tokenizer,
} from '../node.js';
import { defineCommand } from './command.js';
import {
  TOKENIZER_OPTIONS, checkOutputFile, checkOutputFolder, log, requireTokenizerFolder, tokenizerFor, tokenizerSample, writeFileAtomic,
} from './common.js';
import { FORGE_CORPUS_OPTIONS, buildForgeCorpus, checkForgeCorpusOptions } from './forge-corpus.js';

/** Names of the files an `--export-shards` folder holds: ours to replace on the next export. */
const SHARD_FILE = /^forge_train_\d{6}\.bin$/;
const isShardExport = (name: string) => SHARD_FILE.test(name) || name === TOKENIZER_JSON || name === TOKENIZER_CONFIG_JSON;

/** `hephaestus-web forge`: builds the corpus, prints its composition, optionally exports it. */
export const forgeCommand = defineCommand({
  name: 'forge',
  summary: 'build the agent pre-training corpus (Hephaestus-Forge): dedup, held-out split, mixing, exports',
  options: {
    ...FORGE_CORPUS_OPTIONS,
    'vocab-size': { ...TOKENIZER_OPTIONS['vocab-size'], default: 2048, defaultText: undefined },
    tokenizer: TOKENIZER_OPTIONS.tokenizer,
    report: { type: 'boolean', default: true, help: 'print the composition of the stages (--no-report: only the log)' },
    'export-jsonl': { type: 'string', arg: 'file', help: 'write Stage I as JSON Lines (text, kind, source); replaces the file' },
    'export-shards': { type: 'string', arg: 'folder', help: 'write Stage I as llm.c token shards plus tokenizer.json (a new, empty or earlier export folder)' },
    'seq-len': { type: 'integer', min: 1, default: 256, help: 'packing length of the exported token stream' },
  },
  async run(values) {
    await checkForgeCorpusOptions(values);
    if (values.tokenizer !== undefined) await requireTokenizerFolder('--tokenizer', values.tokenizer);
    if (values.exportJsonl !== undefined) await checkOutputFile('--export-jsonl', values.exportJsonl);
    if (values.exportShards !== undefined) await checkOutputFolder('--export-shards', values.exportShards, isShardExport);

    const { corpus, tokenizer } = await buildForgeCorpus(values, (documents) => tokenizerFor(values.tokenizer, tokenizerSample(documents), values.vocabSize));
    const stage1 = corpus.stages.stage1;
    if (stage1.length === 0) throw new InputError('--data-dir', 'the corpus has no Stage I documents: give more data');
    if (values.report) {
      const shares = corpus.mix.targets;
      const total = shares.agent + shares.code + shares.text;
      process.stdout.write(`${formatComposition(corpus.report, { agent: shares.agent / total, code: shares.code / total, text: shares.text / total })}\n`);
      for (const stage of ['stage2', 'stage3'] as const) {
        const tokens = corpus.stages[stage].reduce((sum, item) => sum + item.tokens, 0);
        process.stdout.write(`${stage}: ${corpus.stages[stage].length} documents, ${tokens} tokens\n`);
      }
    }
    if (values.exportJsonl !== undefined) {
      await writeFileAtomic('--export-jsonl', values.exportJsonl, corpusJsonl(stage1.map((item) => item.document)));
      log(`wrote ${stage1.length} documents to ${values.exportJsonl}`);
    }
    if (values.exportShards !== undefined) {
      const tokens = packStage(corpus, 'stage1', { seqLen: values.seqLen, batchSize: 1, seed: values.seed, tokenizer }).tokenStream();
      await exportShards(values.exportShards, tokens, tokenizer);
    }
  },
});

/** llm.c token shards plus the tokenizer; an earlier export's shards are replaced, never mixed in. */
async function exportShards(folder: string, tokens: Int32Array, tokenizer: Tokenizer): Promise<void> {
  try {
    await mkdir(folder, { recursive: true });
    for (const name of await readdir(folder)) if (SHARD_FILE.test(name)) await rm(join(folder, name));
    let index = 0;
    for (const shard of llmcShards(tokens, tokenizer.vocabSize)) {
      await writeFile(join(folder, `forge_train_${String(index++).padStart(6, '0')}.bin`), shard);
    }
    await saveTokenizerToDir(tokenizer, folder);
    log(`wrote ${index} llm.c token shard(s) and the tokenizer to ${folder}`);
  } catch (error) {
    throw new InputError('--export-shards', `cannot write ${folder} (${errorMessage(error)})`);
  }
}
