/**
 * The Playground: function docs (the sample tools or pasted JSON), a question, the generated call, its
 * parse and its BFCL-style verdict against an expected answer; and plain text completion.
 */
import type { Remote } from 'comlink';
import { loadBfclAnswers, readBfclQuestions } from '../../../src/index.js';
import type { DemoWorkerApi } from '../worker/api.js';
import { byId, el, numberField, showError } from './dom.js';

/** A choice of the function-docs list: docs, and for BFCL items their question and possible answer. */
interface Sample {
  name: string;
  json: string;
  question?: string;
  answer?: string;
}

/** BFCL items offered in the playground when the data folder is chosen. */
const BFCL_SAMPLES = 12;
const BFCL_QUESTIONS = 'bfcl/BFCL_v4_simple_python.json';
const BFCL_ANSWERS = 'bfcl/possible_answer/BFCL_v4_simple_python.json';

/** The playground's list of function docs; BFCL items join it when the data folder is chosen. */
export interface PlaygroundView {
  offerBfcl(folder: { path: string; file: File }[]): Promise<void>;
}

/** Wires the Playground section. */
export async function setupPlayground(worker: Remote<DemoWorkerApi>): Promise<PlaygroundView> {
  const pick = byId<HTMLSelectElement>('function-pick');
  const docs = byId<HTMLTextAreaElement>('functions-json');
  const samples: Sample[] = await worker.sampleFunctions();
  for (const sample of samples) pick.append(el('option', sample.name, { value: sample.name }));
  const choose = () => {
    const sample = samples.find((s) => s.name === pick.value);
    if (!sample) return;
    docs.value = sample.json;
    if (sample.question !== undefined) byId<HTMLInputElement>('question').value = sample.question;
    if (sample.answer !== undefined) byId<HTMLTextAreaElement>('answer-json').value = sample.answer;
  };
  pick.addEventListener('change', choose);
  pick.value = samples[0]?.name ?? '';
  choose();

  const ask = byId<HTMLButtonElement>('ask');
  ask.addEventListener('click', async () => {
    showError('playground-error', undefined);
    ask.disabled = true;
    byId('verdict').textContent = 'generating…';
    try {
      const result = await worker.playground({
        functionsJson: docs.value, question: byId<HTMLInputElement>('question').value,
        answerJson: byId<HTMLTextAreaElement>('answer-json').value, maxNewTokens: 48,
      });
      byId('generated').textContent = result.response || '(nothing: the model ended its turn at once)';
      byId('parsed').textContent = result.parse;
      const verdict = byId('verdict');
      verdict.textContent = result.verdict ?? 'no expected answer given';
      verdict.className = result.verdict === 'valid' ? 'valid' : result.verdict ? 'invalid' : '';
    } catch (error) {
      byId('verdict').textContent = '';
      showError('playground-error', error);
    } finally {
      ask.disabled = false;
    }
  });

  const complete = byId<HTMLButtonElement>('complete');
  complete.addEventListener('click', async () => {
    showError('playground-error', undefined);
    complete.disabled = true;
    try {
      const prompt = byId<HTMLInputElement>('completion-prompt').value;
      byId('completion').textContent = prompt + (await worker.complete(prompt, numberField('seq-len', 'Sequence')));
    } catch (error) {
      showError('playground-error', error);
    } finally {
      complete.disabled = false;
    }
  });

  return {
    offerBfcl: async (folder) => {
      const questions = folder.find((entry) => entry.path === BFCL_QUESTIONS)?.file;
      const answersFile = folder.find((entry) => entry.path === BFCL_ANSWERS)?.file;
      if (!questions || !answersFile) return;
      try {
        const answers = await loadBfclAnswers(answersFile, { name: BFCL_ANSWERS });
        let added = 0;
        for await (const question of readBfclQuestions(questions, { name: BFCL_QUESTIONS })) {
          if (added++ >= BFCL_SAMPLES) break;
          const sample: Sample = {
            name: `BFCL ${question.id}`, json: JSON.stringify(question.functions, null, 2),
            question: question.turns[0]?.find((message) => message.role === 'user')?.content ?? '',
            answer: JSON.stringify(answers.get(question.id)?.groundTruth ?? []),
          };
          samples.push(sample);
          pick.append(el('option', sample.name, { value: sample.name }));
        }
      } catch (error) {
        showError('playground-error', error);
      }
    },
  };
}
