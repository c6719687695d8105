/**
 * BFCL's files in ../shared/data/bfcl for the result-checker tests (library and CLI): their paths, and
 * the ground truths written as BFCL result lines, built at run time (nothing of the data is committed).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { bfclCalls } from '../../src/data/sources/bfcl.js';
import { renderPythonCall } from '../../src/tools/index.js';

export const BFCL_DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'bfcl');
/** The categories in ../shared/data/bfcl; all but the last (irrelevance) have possible answers. */
export const BFCL_FILE_CATEGORIES = ['simple_python', 'multiple', 'parallel', 'parallel_multiple', 'irrelevance'];
export const questionFile = (category: string): string => join(BFCL_DIR, `BFCL_v4_${category}.json`);
export const answerFile = (category: string): string => join(BFCL_DIR, 'possible_answer', `BFCL_v4_${category}.json`);

/** The non-blank lines of a file. */
export async function fileLines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').filter((line) => line.trim() !== '');
}

/** The ground truth of an answer line as BFCL's Python result text (first acceptable values). */
export function pythonAnswer(answerLine: string): { id: string; result: string } {
  const answer = JSON.parse(answerLine) as { id: string; ground_truth: Parameters<typeof bfclCalls>[0] };
  return { id: answer.id, result: `[${bfclCalls(answer.ground_truth).map(renderPythonCall).join(', ')}]` };
}

/**
 * Result lines answering all 1,240 questions correctly: each ground truth as Python calls, and a refusal
 * for each irrelevance question.
 */
export async function groundTruthResultLines(): Promise<string[]> {
  const results: string[] = [];
  for (const category of BFCL_FILE_CATEGORIES.slice(0, 4)) {
    for (const line of await fileLines(answerFile(category))) {
      const { id, result } = pythonAnswer(line);
      // The two answers that list a parameter outside the function's schema, without it (BFCL rejects it given).
      results.push(JSON.stringify({ id, result: result.replace(', permeability=0.1', '').replace(', type="credit"', ''), latency: 0.5 }));
    }
  }
  for (const line of await fileLines(questionFile('irrelevance'))) {
    results.push(JSON.stringify({ id: (JSON.parse(line) as { id: string }).id, result: 'I cannot answer that with these functions.' }));
  }
  return results;
}

/**
 * A temporary folder for one test file (made before its tests, removed after): `path` of a name in it,
 * and `write`, which puts lines there as a file and gives its path.
 */
export function useTempFolder(prefix: string): { path(name?: string): string; write(name: string, content: readonly string[]): Promise<string> } {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const path = (name = '') => join(dir, name);
  return {
    path,
    async write(name, content) {
      await writeFile(path(name), `${content.join('\n')}\n`);
      return path(name);
    },
  };
}
