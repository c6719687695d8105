/**
 * `hephaestus-web bfcl-check` as users run it (the built CLI, spawned) on BFCL's own files in
 * ../shared/data/bfcl: verdict lines on stdout, the summary on stderr, bad input named with exit 2.
 * Slices and result files are written to a temporary folder at run time.
 */
import { describe, expect, it } from 'vitest';
import {
  BFCL_FILE_CATEGORIES, answerFile, fileLines, groundTruthResultLines, pythonAnswer, questionFile, useTempFolder,
} from '../setup/bfcl-files.js';
import { runCli, STACK_LINE } from '../setup/cli.js';

interface VerdictLine {
  id: string;
  category: string;
  valid: boolean;
  error_type: string | null;
  error: string | null;
}

const folder = useTempFolder('hephaestus-cli-bfcl-');
const write = folder.write;

const repeated = (option: string, files: readonly string[]) => files.flatMap((file) => [option, file]);

function verdicts(stdout: string): VerdictLine[] {
  return stdout.trim().split('\n').map((line) => JSON.parse(line) as VerdictLine);
}

describe('hephaestus-web bfcl-check', () => {
  it('accepts the ground truths of all 1,240 questions, given as several files of each kind', async () => {
    const all = await groundTruthResultLines();
    const half = Math.floor(all.length / 2);
    const outputs = [await write('first.jsonl', all.slice(0, half)), await write('second.jsonl', all.slice(half))];
    const { code, stdout, stderr } = await runCli([
      'bfcl-check', ...repeated('--questions', BFCL_FILE_CATEGORIES.map(questionFile)),
      ...repeated('--answers', BFCL_FILE_CATEGORIES.slice(0, 4).map(answerFile)),
      ...repeated('--outputs', outputs),
    ]);
    expect(code, stderr).toBe(0);
    const lines = verdicts(stdout);
    expect(lines).toHaveLength(1240);
    expect(lines.filter((line) => !line.valid)).toEqual([]);
    const questionIds = (await Promise.all(BFCL_FILE_CATEGORIES.map(async (category) => fileLines(questionFile(category)))))
      .flat().map((line) => (JSON.parse(line) as { id: string }).id);
    expect(lines.map((line) => line.id)).toEqual(questionIds);
    expect(stderr).toMatch(/^parallel_multiple\s+200\s+200\s+100\.0%\s+\[98\.1%, 100\.0%\]$/m);
    expect(stderr).toContain('overall (unweighted mean of 5 categories): 100.0%');
  });

  it('gives each mutated answer its BFCL error_type, and splits held-out from seen functions', async () => {
    const questions = [
      await write('q-simple.json', (await fileLines(questionFile('simple_python'))).slice(0, 3)),
      await write('q-parallel.json', (await fileLines(questionFile('parallel'))).slice(0, 1)),
      await write('q-irrelevance.json', (await fileLines(questionFile('irrelevance'))).slice(0, 1)),
    ];
    const answers = [
      await write('a-simple.json', (await fileLines(answerFile('simple_python'))).slice(0, 3)),
      await write('a-parallel.json', (await fileLines(answerFile('parallel'))).slice(0, 1)),
    ];
    const [simple0, simple1, simple2] = (await fileLines(answerFile('simple_python'))).slice(0, 3).map(pythonAnswer);
    const [parallel0] = (await fileLines(answerFile('parallel'))).slice(0, 1).map(pythonAnswer);
    const outputs = await write('mutated.jsonl', [
      JSON.stringify({ ...simple0, result: simple0.result.replace('calculate_triangle_area', 'triangle_area') }),
      JSON.stringify({ ...simple1, result: simple1.result.replace('number=5', 'number="five"') }),
      JSON.stringify(simple2),
      JSON.stringify({ ...parallel0, result: parallel0.result.replace(/, spotify\.play\([^)]*\)\]$/, ']') }),
      JSON.stringify({ id: 'irrelevance_0', result: '[calculate_triangle_area(base=10, height=5)]' }),
    ]);
    const seen = await write('seen.txt', ['# functions of the training corpus', 'calculate_triangle_area', '', 'math.factorial  # a comment']);
    const { code, stdout, stderr } = await runCli([
      'bfcl-check', ...repeated('--questions', questions), ...repeated('--answers', answers), '--outputs', outputs, '--seen-functions', seen,
    ]);
    expect(code, stderr).toBe(0);
    expect(verdicts(stdout).map((line) => [line.id, line.category, line.valid, line.error_type])).toEqual([
      ['simple_python_0', 'simple_python', false, 'simple_function_checker:wrong_func_name'],
      ['simple_python_1', 'simple_python', false, 'type_error:simple'],
      ['simple_python_2', 'simple_python', true, null],
      ['parallel_0', 'parallel', false, 'parallel_function_checker_no_order:wrong_count'],
      ['irrelevance_0', 'irrelevance', false, 'irrelevance_error:decoder_success'],
    ]);
    expect(verdicts(stdout).every((line) => line.valid === (line.error === null))).toBe(true);
    expect(stderr).toMatch(/^simple_python\s+3\s+1\s+33\.3%/m);
    // simple_python_0 and _1 use only seen functions; the other three items call held-out ones.
    expect(stderr).toContain('held-out functions (never seen in training): 3 items');
    expect(stderr).toContain('seen functions: 2 items');
  });

  it('names a malformed result line by file and line (exit 2, nothing on stdout)', async () => {
    const questions = await write('q2.json', (await fileLines(questionFile('simple_python'))).slice(0, 2));
    const answers = await write('a2.json', (await fileLines(answerFile('simple_python'))).slice(0, 2));
    const outputs = await write('broken.jsonl', [JSON.stringify({ id: 'simple_python_0', result: '[]' }), '{"id": "simple_python_1", "result": ']);
    const { code, stdout, stderr } = await runCli(['bfcl-check', '--questions', questions, '--answers', answers, '--outputs', outputs]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.startsWith(`error: ${outputs}:2: invalid JSON`), stderr).toBe(true);
    expect(stderr).not.toMatch(STACK_LINE);
  });

  it('names a missing file and a missing required option', async () => {
    const questions = questionFile('simple_python');
    const missing = await runCli(['bfcl-check', '--questions', questions, '--answers', answerFile('simple_python'), '--outputs', folder.path('none.jsonl')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`error: --outputs: no such file: ${folder.path('none.jsonl')}\n`);
    const noOutputs = await runCli(['bfcl-check', '--questions', questions]);
    expect(noOutputs.code).toBe(2);
    expect(noOutputs.stderr).toMatch(/^error: --outputs: is required/);
  });
});
