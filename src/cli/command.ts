/**
 * A command of the `hephaestus-web` CLI: a name, a summary, an option table and a handler that gets
 * the table's typed values. Adding a command is one {@link defineCommand} call and one line in cli.ts.
 * @module
 */
import { formatOptions, parseOptions, type GivenOptions, type OptionTable, type OptionValues } from './options.js';

/** What {@link defineCommand} takes. */
export interface CommandSpec<T extends OptionTable> {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** Paragraphs printed under the usage line of its help (examples, notes). */
  details?: string;
  options: T;
  /** Runs the command; `given` says which options were on the command line (not defaulted). */
  run(values: OptionValues<T>, given: GivenOptions<T>): Promise<void>;
}

/** A command ready to run. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Its help text: usage, details, every option with type, range and default. */
  help(): string;
  /** Parses `args` (printing the help for `--help` / `-h`) and runs the handler. */
  execute(args: readonly string[]): Promise<void>;
}

/** Pairs an option table with its handler; the handler's values are typed from the table. */
export function defineCommand<const T extends OptionTable>(spec: CommandSpec<T>): Command {
  const help = () => [
    `hephaestus-web ${spec.name}: ${spec.summary}`,
    '',
    `Usage: hephaestus-web ${spec.name} [options]`,
    ...(spec.details ? ['', spec.details.trimEnd()] : []),
    '',
    'Options:',
    formatOptions(spec.options, [['-h, --help', 'show this help']]),
    '',
  ].join('\n');
  return {
    name: spec.name,
    summary: spec.summary,
    help,
    async execute(args) {
      if (args.includes('--help') || args.includes('-h')) {
        process.stdout.write(help());
        return;
      }
      const { values, given } = parseOptions(spec.name, spec.options, args);
      await spec.run(values, given);
    },
  };
}
