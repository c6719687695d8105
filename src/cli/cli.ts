#!/usr/bin/env node
/**
 * The `hephaestus-web` command line: `train` a model on a text / JSONL file or the embedded sample,
 * and `generate` from a checkpoint folder. Run `hephaestus-web help` for the options.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { HephaestusError, InputError, errorMessage } from '../util/errors.js';
import { forgeCommand, FORGE_OPTIONS } from './forge.js';
import { generateCommand, GENERATE_OPTIONS } from './generate.js';
import { mixSearchCommand, MIX_SEARCH_OPTIONS } from './mix-search.js';
import { trainCommand, TRAIN_OPTIONS } from './train.js';

const USAGE = `hephaestus-web: train small Llama-style agent models (Hephaestus recipe) on WebGPU or CPU

Usage:
  hephaestus-web train [--data FILE] [--preset nano|tiny|small] [--steps N] [--out DIR] ...
  hephaestus-web generate --checkpoint DIR --prompt TEXT [--max-tokens N] ...
  hephaestus-web forge [--data-dir DIR] [--report] [--export-jsonl FILE] [--export-shards DIR] ...
  hephaestus-web mix-search [--data-dir DIR] [--shares 0.1,0.25,0.4,0.55,0.7] [--steps N] [--out FILE] ...

train options:
  --data FILE          .txt (one document) or .jsonl (objects with a "text" field);
                       default: the embedded synthetic agent sample (no file, no network)
  --preset NAME        model size: nano (~0.5M), tiny (~3M), small (~20M)      [nano]
  --steps N            optimizer steps                                          [150]
  --batch-size N       sequences per micro-batch                                [8]
  --seq-len N          tokens per sequence (<= the preset's context)            [64]
  --accumulation N     micro-batches per step                                   [1]
  --lr X               peak learning rate                                       [3e-3]
  --vocab-size N       BPE vocabulary to train (default: the preset's)
  --tokenizer DIR      use the tokenizer.json in DIR instead of training one
  --seed N             seed of weights and batch order                          [0]
  --eval-every N       validation loss every N steps                            [50]
  --save-every N       checkpoint every N steps (and at the end)                [50]
  --out DIR            checkpoint folder                                        [checkpoints/run]
  --resume             continue the run saved in --out
  --backend NAME       auto | webgpu | cpu                                      [auto]

forge options (builds the agent pre-training corpus and prints its composition):
  --data-dir DIR       the shared data folder (BFCL, Gorilla, text); default: the embedded sample
  --code-dir DIR       code files to mix in (default: Debian's Python standard library)
  --code-files N       most code files read                                     [600]
  --text FILE          more general text (repeatable)
  --ratio A:C:T        agent : code : text token shares for Stage I             [1:1:1]
  --total-tokens N     Stage I size (default: the largest without repeats)
  --eval-fraction X    share of functions held out for evaluation               [0.1]
  --pool FILE          general pool (.txt or .jsonl, repeatable) to retrieve agent-like documents
                       from; they must pass an agent classifier trained on the seed data
  --pool-top-k N       documents retrieved before the classifier         [10% of the pool]
  --vocab-size N       BPE vocabulary to train                                  [2048]
  --tokenizer DIR      use this tokenizer.json instead
  --export-jsonl FILE  write Stage I as JSON Lines (text, kind, source)
  --export-shards DIR  write Stage I as llm.c token shards (+ tokenizer.json)
  --seed N                                                                      [0]

mix-search options (proxy trainings at several agent-data shares, fitted curve, chosen optimum):
  --data-dir, --code-dir, --code-files, --vocab-size, --seed   as for forge (vocabulary default 1024)
  --shares LIST        agent-data token shares to try                 [0.1,0.25,0.4,0.55,0.7]
  --preset NAME        proxy model                                    [nano]
  --steps N            training steps per proxy run                   [150]
  --batch-size N, --seq-len N                                         [8, 64]
  --total-tokens N     tokens of each proxy corpus                    [600000]
  --out FILE           write points and fitted curve as JSON (for plotting)

generate options:
  --checkpoint DIR     folder written by train
  --prompt TEXT        text to continue
  --max-tokens N       [64]    --temperature X [0 = greedy]    --top-k N [0 = all]    --seed N [0]
`;

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === 'train') {
    await trainCommand(parse(rest, TRAIN_OPTIONS));
  } else if (command === 'generate') {
    await generateCommand(parse(rest, GENERATE_OPTIONS));
  } else if (command === 'forge') {
    await forgeCommand(parse(rest, FORGE_OPTIONS));
  } else if (command === 'mix-search') {
    await mixSearchCommand(parse(rest, MIX_SEARCH_OPTIONS));
  } else if (command === undefined || command === 'help' || command === '--help') {
    process.stdout.write(USAGE);
  } else {
    throw new InputError('command', `unknown command "${command}" (expected train, generate, forge or mix-search; see "hephaestus-web help")`);
  }
}

function parse(args: string[], options: NonNullable<ParseArgsConfig['options']>): Record<string, unknown> {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new InputError('arguments', `${errorMessage(error)} (see "hephaestus-web help")`);
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    // Our errors name the bad input: print the message alone. Anything else is a bug: show the stack.
    if (error instanceof HephaestusError) process.stderr.write(`error: ${error.message}\n`);
    else process.stderr.write(`unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(error instanceof HephaestusError && error.code === 'INPUT' ? 2 : 1);
  },
);
