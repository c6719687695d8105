import { readFile } from 'node:fs/promises';
import { InputError, checkOutputFiles, errorMessage, fileSource, formatCheckReport, verdictJsonLine } from '../node.js';
import { defineCommand } from './command.js';
import { requireFile } from './common.js';

/** `hephaestus-web bfcl-check`: BFCL's AST checker on any model's result file. */
export const bfclCheckCommand = defineCommand({
  name: 'bfcl-check',
  summary: 'check any model\'s BFCL result file: one JSON verdict per item (stdout), accuracy per category (stderr)',
  details: [
    'Each --outputs line is BFCL\'s result shape {"id": ..., "result": "<raw model text>"}; the category comes',
    'from the id (simple_python_, multiple_, parallel_, parallel_multiple_, irrelevance_ and their live_',
    'variants). Every question needs exactly one result (a missing one fails as bfcl_check:missing_result).',
    'Prints {"id", "category", "valid", "error_type", "error"} per item, in question order, on stdout, and the',
    'summary (accuracy with 95% intervals, partial measures) on stderr. A malformed line stops with its file',
    'and line (exit 2). Example, in a BFCL data folder (question files, possible_answer/):',
    '  hephaestus-web bfcl-check --questions Q.json --answers possible_answer/Q.json --outputs results.jsonl',
  ].join('\n'),
  options: {
    questions: { type: 'list', arg: 'file', required: true, help: 'BFCL question files (BFCL_v4_<category>.json)' },
    answers: { type: 'list', arg: 'file', help: 'BFCL possible-answer files (none needed for irrelevance)' },
    outputs: { type: 'list', arg: 'file', required: true, help: 'result files: JSON lines {"id", "result"}' },
    'seen-functions': {
      type: 'string', arg: 'file',
      help: 'function names seen in training, one per line (# comments): adds the held-out vs seen split',
    },
  },
  async run(values) {
    for (const file of values.questions) await requireFile('--questions', file);
    for (const file of values.answers) await requireFile('--answers', file);
    for (const file of values.outputs) await requireFile('--outputs', file);
    const seenFunctions = values.seenFunctions === undefined ? undefined : await readNameList('--seen-functions', values.seenFunctions);
    const checked = await checkOutputFiles(
      { questions: values.questions, answers: values.answers, outputs: values.outputs },
      { openPath: fileSource, seenFunctions },
    );
    process.stdout.write(checked.verdicts.map((verdict) => `${verdictJsonLine(verdict)}\n`).join(''));
    process.stderr.write(`${formatCheckReport(checked.summary, checked.split)}\n`);
  },
});

/** One name per line; blank lines and `#` comments are ignored. */
async function readNameList(option: string, path: string): Promise<string[]> {
  await requireFile(option, path);
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new InputError(option, `cannot read ${path} (${errorMessage(error)})`);
  });
  return text.split('\n').map((line) => line.replace(/#.*/, '').trim()).filter((line) => line !== '');
}
