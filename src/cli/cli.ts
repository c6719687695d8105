#!/usr/bin/env node
/**
 * The `hephaestus-web` command line. `hephaestus-web --help` lists every command with its options;
 * `hephaestus-web <command> --help` shows one. Exit codes: 0 done, 1 internal error (a bug: the stack
 * is printed), 2 bad input (an option, file, checkpoint or config; the message names it), 3 training
 * diverged, 130 interrupted.
 */
import { HephaestusError, InputError, type ErrorCode } from '../node.js';
import { bfclCheckCommand } from './bfcl-check.js';
import type { Command } from './command.js';
import { exportRunCommand } from './export-run.js';
import { exportCommand } from './export.js';
import { forgeCommand } from './forge.js';
import { generateCommand } from './generate.js';
import { mixSearchCommand } from './mix-search.js';
import { pipelineCommand } from './pipeline.js';
import { trainCommand } from './train.js';

/** Every command; a new one is one entry here. */
const COMMANDS: readonly Command[] = [pipelineCommand, trainCommand, generateCommand, exportCommand, forgeCommand, mixSearchCommand, bfclCheckCommand, exportRunCommand];

/** Exit status of each kind of error: every bad input is 2, and 1 is left for bugs. */
const EXIT_CODES: Record<ErrorCode, number> = {
  INPUT: 2, CONFIG: 2, CHECKPOINT: 2, TOKENIZER: 2, BACKEND: 2, NON_FINITE: 3, ABORTED: 130,
};

function overview(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length)) + 2;
  return [
    'hephaestus-web: train small Llama-style agent models (Hephaestus recipe) on WebGPU or the CPU',
    '',
    'Usage: hephaestus-web <command> [options]      hephaestus-web <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}${command.summary}`),
    '',
    'Exit codes: 0 done, 1 internal error, 2 bad input (option, file, checkpoint), 3 training diverged, 130 interrupted.',
    '',
    ...COMMANDS.map((command) => command.help()),
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = COMMANDS.find((command) => command.name === rest[0]);
    process.stdout.write(topic ? topic.help() : overview());
    return;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    throw new InputError(name, `unknown command (commands: ${COMMANDS.map((candidate) => candidate.name).join(', ')}; see "hephaestus-web --help")`);
  }
  await command.execute(rest);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (error: unknown) => {
    if (error instanceof HephaestusError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(EXIT_CODES[error.code]);
    }
    process.stderr.write(`internal error (please report it): ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
