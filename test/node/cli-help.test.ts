import { describe, expect, it } from 'vitest';
import { runCli, STACK_LINE } from '../setup/cli.js';

/** Options each command's help must show, with the type and default it must print for them. */
const EXPECTED: Record<string, [option: string, type: string, default_: string | undefined][]> = {
  train: [
    ['--data', '<file>', 'the embedded synthetic agent sample'], ['--preset', '<nano|tiny|small>', 'nano'],
    ['--steps', '<integer>', '150'], ['--batch-size', '<integer>', '8'], ['--seq-len', '<integer>', '64'],
    ['--lr', '<number>', '0.003'], ['--vocab-size', '<integer>', 'the preset\'s'], ['--save-every', '<integer>', '50'],
    ['--eval-every', '<integer>', '50'], ['--keep', '<integer>', '3'], ['--out', '<folder>', 'checkpoints/run'],
    ['--resume', '', 'off'], ['--resume-from', '<checkpoint>', undefined], ['--backend', '<auto|webgpu|cpu>', 'auto'],
  ],
  generate: [
    ['--checkpoint', '<folder>', undefined], ['--prompt', '<text>', undefined], ['--max-tokens', '<integer>', '64'],
    ['--temperature', '<number>', '0'], ['--top-k', '<integer>', '0'], ['--backend', '<auto|webgpu|cpu>', 'auto'],
  ],
  forge: [
    ['--data-dir', '<folder>', 'the embedded synthetic sample'], ['--ratio', '<A:C:T>', '1:1:1'], ['--total-tokens', '<integer>', 'the largest without repeats'],
    ['--eval-fraction', '<number>', '0.1'], ['--pool', '<file>...', undefined], ['--vocab-size', '<integer>', '2048'],
    ['--[no-]report', '', 'on'], ['--export-jsonl', '<file>', undefined], ['--export-shards', '<folder>', undefined],
  ],
  'mix-search': [
    ['--shares', '<list>', '0.1,0.25,0.4,0.55,0.7'], ['--preset', '<nano|tiny|small>', 'nano'], ['--steps', '<integer>', '150'],
    ['--total-tokens', '<integer>', '600000'], ['--vocab-size', '<integer>', '1024'], ['--out', '<file>', undefined],
  ],
  'bfcl-check': [
    ['--questions', '<file>...', undefined], ['--answers', '<file>...', undefined], ['--outputs', '<file>...', undefined],
    ['--seen-functions', '<file>', undefined],
  ],
  'export-run': [
    ['--checkpoint', '<folder>', undefined], ['--out', '<folder>', undefined], ['--data-dir', '<folder>', 'the embedded synthetic sample'],
    ['--tokenizer', '<folder>', 'the checkpoint\'s'], ['--plan', '<file>', undefined], ['--stage', '<stage1|stage2|stage3>', 'stage1'],
    ['--tokens', '<integer>', 'one pass over the stage'], ['--seq-len', '<integer>', '64'], ['--lr', '<number>', '0.003'],
    ['--benchmark-batches', '<integer>', '4'],
  ],
};

/** The help line(s) of one option: from its `--name` to the next option. */
function entryOf(help: string, option: string): string {
  const lines = help.split('\n');
  const start = lines.findIndex((line) => line.trimStart().startsWith(`${option} `) || line.trim() === option);
  expect(start, `${option} in:\n${help}`).toBeGreaterThanOrEqual(0);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => /^\s{2}-/.test(line) || line.trim() === '');
  return [lines[start], ...rest.slice(0, end < 0 ? rest.length : end)].join(' ').replace(/\s+/g, ' ');
}

function checkHelp(help: string, command: string): void {
  for (const [option, type, fallback] of EXPECTED[command]) {
    const entry = entryOf(help, option);
    if (type) expect(entry).toContain(`${option} ${type}`);
    if (fallback !== undefined) expect(entry).toContain(`default: ${fallback}`);
    else expect(entry).not.toContain('default:');
  }
}

describe('help', () => {
  it('hephaestus-web --help lists every command with its options, types and defaults', async () => {
    const { code, stdout, stderr } = await runCli(['--help']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    for (const command of Object.keys(EXPECTED)) {
      expect(stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
      const section = stdout.slice(stdout.indexOf(`hephaestus-web ${command}:`));
      checkHelp(section.slice(0, section.indexOf('-h, --help')), command);
    }
  });

  it.each(Object.keys(EXPECTED))('hephaestus-web %s --help prints its options with types and defaults', async (command) => {
    const { code, stdout } = await runCli([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(new RegExp(`^Usage: hephaestus-web ${command} \\[options\\]`, 'm'));
    checkHelp(stdout, command);
  });
});

describe('bad options exit with 2 and a message naming the option, before anything is read', () => {
  it.each([
    [['train', '--stpes', '5'], /--stpes: unknown option for train \(did you mean --steps\?\)/],
    [['train', '--steps', 'many'], /--steps: expects an integer, got "many"/],
    [['train', '--steps', '0'], /--steps: expects an integer >= 1, got 0/],
    [['train', '--save-every=-5'], /--save-every: expects an integer >= 0, got -5/],
    [['train', '--eval-every=-1'], /--eval-every: expects an integer >= 0, got -1/],
    [['train', '--lr', '0'], /--lr: expects a number > 0, got 0/],
    [['train', '--preset', 'huge'], /--preset: expects one of nano, tiny, small, got "huge"/],
    [['train', '--seq-len', '4096'], /--seq-len: 4096 exceeds the context of preset nano \(128 tokens\)/],
    [['train', '--data', '/nonexistent/corpus.txt'], /--data: no such file: \/nonexistent\/corpus.txt/],
    [['train', 'extra'], /extra: unexpected argument/],
    [['generate', '--backend', 'gpu', '--checkpoint', 'x', '--prompt', 'y'], /--backend: expects one of auto, webgpu, cpu, got "gpu"/],
    [['generate', '--prompt', 'hello'], /--checkpoint: is required/],
    [['forge', '--total-tokens', '0'], /--total-tokens: expects an integer >= 1, got 0/],
    [['forge', '--eval-fraction', '1'], /--eval-fraction: expects a number > 0 and < 1, got 1/],
    [['forge', '--ratio', '1:x:1'], /--ratio: expects agent:code:text shares/],
    [['forge', '--data-dir', '/nonexistent'], /--data-dir: no such folder: \/nonexistent/],
    [['mix-search', '--shares', '0.1,2'], /--shares: expects numbers in \[0, 1\]/],
    [['bfcl-check', '--outputs', 'results.jsonl'], /--questions: is required/],
    [['export-run', '--out', 'run'], /--checkpoint: is required/],
    [['export-run', '--checkpoint', 'x', '--out', 'run', '--stage', 'stage4'], /--stage: expects one of stage1, stage2, stage3, got "stage4"/],
    [['trian'], /trian: unknown command/],
  ])('%j', async (args, message) => {
    const { code, stdout, stderr } = await runCli(args);
    expect(stderr).toMatch(message);
    expect(code).toBe(2);
    expect(stderr).not.toMatch(STACK_LINE);
    // Nothing was read or computed: no backend, data or tokenizer line before the error.
    expect(stderr).not.toMatch(/^(backend|data|tokenizer|read)\b/m);
    expect(stdout).toBe('');
  });
});
