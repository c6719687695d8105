/**
 * The checker of result files (what `hephaestus-web bfcl-check` runs): BFCL's own question and
 * possible-answer files with a result file of raw responses, verdict lines, the summary, and malformed
 * input named by file and line. Slices of ../shared/data/bfcl are written to a temporary folder at run
 * time.
 */
import { describe, expect, it } from 'vitest';
import { fileSource } from '../../src/data/sources/node-lines.js';
import { checkOutputFiles } from '../../src/eval/bfcl/check-outputs.js';
import { formatCheckReport, verdictJsonLine } from '../../src/eval/bfcl/report.js';
import { InputError } from '../../src/util/errors.js';
import {
  BFCL_FILE_CATEGORIES as CATEGORIES, answerFile, fileLines as lines, groundTruthResultLines, pythonAnswer, questionFile, useTempFolder,
} from '../setup/bfcl-files.js';

const folder = useTempFolder('hephaestus-bfcl-check-');
const write = folder.write;

describe('bfcl-check on BFCL\'s files', () => {
  it('accepts the ground truths of all 1,240 questions written as BFCL result lines', async () => {
    const outputs = await write('all-results.jsonl', await groundTruthResultLines());
    const checked = await checkOutputFiles({ questions: CATEGORIES.map(questionFile), answers: CATEGORIES.slice(0, 4).map(answerFile), outputs }, { openPath: fileSource });
    expect(checked.verdicts).toHaveLength(1240);
    expect(checked.verdicts.filter((verdict) => !verdict.valid).map(verdictJsonLine)).toEqual([]);
    expect(checked.summary.categories.map((entry) => [entry.category, entry.total, entry.rate])).toEqual([
      ['simple_python', 400, 1], ['multiple', 200, 1], ['parallel', 200, 1], ['parallel_multiple', 200, 1], ['irrelevance', 240, 1],
    ]);
    const report = formatCheckReport(checked.summary);
    expect(report).toMatch(/^simple_python\s+400\s+400\s+100\.0%\s+\[99\.0%, 100\.0%\]$/m);
    expect(report).toContain('overall (unweighted mean of 5 categories): 100.0%');
  });

  it('prints one verdict line per item, in question order, with BFCL\'s error types and missing results', async () => {
    const questions = await write('questions.json', [...(await lines(questionFile('simple_python'))).slice(0, 3), ...(await lines(questionFile('irrelevance'))).slice(0, 2)]);
    const answers = await write('answers.json', (await lines(answerFile('simple_python'))).slice(0, 3));
    const [first, second] = (await lines(answerFile('simple_python'))).slice(0, 2).map(pythonAnswer);
    const outputs = await write('results.jsonl', [
      JSON.stringify({ id: 'irrelevance_1', result: '[calculate_triangle_area(base=10, height=5)]' }),
      JSON.stringify(first),
      JSON.stringify({ id: second.id, result: second.result.replace(/\(/, '(wrong=1, ') }),
      '',
      JSON.stringify({ id: 'irrelevance_0', result: 'No function applies.' }),
    ]);
    const checked = await checkOutputFiles({ questions, answers, outputs }, { openPath: fileSource });
    expect(checked.verdicts.map(verdictJsonLine).map((line) => JSON.parse(line))).toEqual([
      { id: 'simple_python_0', category: 'simple_python', valid: true, error_type: null, error: null },
      { id: 'simple_python_1', category: 'simple_python', valid: false, error_type: 'simple_function_checker:unexpected_param', error: 'Unexpected parameter: "wrong"' },
      { id: 'simple_python_2', category: 'simple_python', valid: false, error_type: 'bfcl_check:missing_result', error: 'no result for this item' },
      { id: 'irrelevance_0', category: 'irrelevance', valid: true, error_type: null, error: null },
      { id: 'irrelevance_1', category: 'irrelevance', valid: false, error_type: 'irrelevance_error:decoder_success', error: expect.any(String) },
    ]);
    expect(checked.summary.unanswered).toEqual({ 'bfcl_check:missing_result': 1 });
    expect(checked.summary.overall).toBeCloseTo((1 / 3 + 1 / 2) / 2, 12);
  });
});

describe('bad input is named by file and line', () => {
  async function failure(files: { questions: string[]; answers?: string[]; outputs: string[] }): Promise<string> {
    const paths = {
      questions: await write('q.json', files.questions),
      answers: await write('a.json', files.answers ?? []),
      outputs: await write('o.jsonl', files.outputs),
    };
    const error = await checkOutputFiles(paths, { openPath: fileSource }).then(() => undefined, (reason: unknown) => reason);
    expect(error).toBeInstanceOf(InputError);
    return (error as Error).message.replaceAll(`${folder.path()}/`, '');
  }

  it('malformed result lines, unknown and repeated ids', async () => {
    const questions = (await lines(questionFile('simple_python'))).slice(0, 2);
    const answers = (await lines(answerFile('simple_python'))).slice(0, 2);
    const good = JSON.stringify({ id: 'simple_python_0', result: '[]' });
    expect(await failure({ questions, answers, outputs: [good, '{"id": "simple_python_1", "result": '] })).toMatch(/^o\.jsonl:2: invalid JSON/);
    expect(await failure({ questions, answers, outputs: ['{"id": "simple_python_1", "result": ["x"]}'] })).toBe('o.jsonl:1: "result" of "simple_python_1" must be a string (the raw model text)');
    expect(await failure({ questions, answers, outputs: [good, '["simple_python_1"]'] })).toBe('o.jsonl:2: expected a JSON object');
    expect(await failure({ questions, answers, outputs: [good, '{"result": "x"}'] })).toBe('o.jsonl:2: expected an object with a string "id"');
    expect(await failure({ questions, answers, outputs: [good, '', JSON.stringify({ id: 'simple_python_7', result: '' })] })).toBe('o.jsonl:3: no question with id "simple_python_7"');
    expect(await failure({ questions, answers, outputs: [good, good] })).toBe('o.jsonl:2: second result for "simple_python_0" (first at o.jsonl:1)');
  });

  it('malformed question and answer lines, unknown categories, questions without answers', async () => {
    const [q0, q1] = (await lines(questionFile('simple_python'))).slice(0, 2);
    const answers = (await lines(answerFile('simple_python'))).slice(0, 2);
    const outputs = [JSON.stringify({ id: 'simple_python_0', result: '[]' })];
    expect(await failure({ questions: [q0, q1.replace('"function"', '"functions"')], answers, outputs })).toBe('q.json:2: "function" must be a list of function definitions');
    expect(await failure({ questions: [q0, q1.replace('simple_python_1', 'simple_java_1')], answers, outputs }))
      .toMatch(/^q\.json:2: id "simple_java_1" is not of a BFCL category this evaluation scores \(simple_python, multiple, /);
    expect(await failure({ questions: [q0, q1], answers: answers.slice(0, 1), outputs })).toBe('q.json:2: no possible answer for "simple_python_1"');
    expect(await failure({ questions: [q0, q0], answers, outputs })).toBe('q.json:2: duplicate id "simple_python_0" (first at q.json:1)');
    expect(await failure({ questions: [q0], answers: [answers[0].replace('"ground_truth"', '"answer"')], outputs })).toBe('a.json:1: "ground_truth" must be a list of calls');
    expect(await failure({ questions: [q0], answers: [answers[0].replace('calculate_triangle_area', 'other_function')], outputs }))
      .toBe('a.json:1: possible answer of "simple_python_0" calls "other_function", which the question does not offer');
  });
});
