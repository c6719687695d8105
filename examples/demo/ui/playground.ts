/**
 * The Playground: function docs (the sample tools, BFCL items of the data folder, or pasted JSON), a
 * question, the generated call, its parse and its BFCL-style verdict against an expected answer; and
 * plain text completion. The model answers in the worker.
 */
import { SAMPLE_TOOLS } from 'hephaestus-web';
import type { CallReply } from 'hephaestus-web/worker';
import type { FolderFiles } from './data.js';
import { byId, el, numberField, showError, type TrainerHolder } from './dom.js';

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
  offerBfcl(folder: FolderFiles): Promise<void>;
}

/** Wires the Playground section. */
export function setupPlayground(holder: TrainerHolder): PlaygroundView {
  const pick = byId<HTMLSelectElement>('function-pick');
  const docs = byId<HTMLTextAreaElement>('functions-json');
  const samples: Sample[] = SAMPLE_TOOLS.map((fn) => ({ name: fn.name, json: JSON.stringify(fn, null, 2) }));
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
      const reply = await holder.trainer.generateCall({
        functionsJson: docs.value, question: byId<HTMLInputElement>('question').value,
        answerJson: byId<HTMLTextAreaElement>('answer-json').value, maxNewTokens: 48,
      });
      byId('generated').textContent = reply.response || '(nothing: the model ended its turn at once)';
      byId('parsed').textContent = reply.decoded.ok ? JSON.stringify(reply.decoded.calls, null, 1) : `not a call: ${reply.decoded.problem}`;
      const verdict = byId('verdict');
      verdict.textContent = verdictText(reply);
      verdict.className = reply.verdict === null ? '' : reply.verdict.valid ? 'valid' : 'invalid';
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
      const reply = await holder.trainer.generate({ prompt, maxNewTokens: numberField('seq-len', 'Sequence'), stopAtEnd: true });
      byId('completion').textContent = prompt + reply.text;
    } catch (error) {
      showError('playground-error', error);
    } finally {
      complete.disabled = false;
    }
  });

  return {
    offerBfcl: async (folder) => {
      const questions = folder.find((entry) => entry.path === BFCL_QUESTIONS)?.file;
      const answers = folder.find((entry) => entry.path === BFCL_ANSWERS)?.file;
      if (!questions || !answers) return;
      try {
        for (const item of await holder.trainer.readBfclItems(questions, answers, BFCL_SAMPLES)) {
          const sample: Sample = {
            name: `BFCL ${item.id}`, json: JSON.stringify(item.question.functions, null, 2),
            question: item.question.turns[0]?.find((message) => message.role === 'user')?.content ?? '',
            answer: JSON.stringify(item.groundTruth),
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

function verdictText(reply: CallReply): string {
  if (reply.verdict === null) return 'no expected answer given';
  if (reply.verdict.valid) return 'valid';
  return `invalid: ${reply.verdict.errorType ?? ''} ${reply.verdict.error ?? ''}`.trim();
}
