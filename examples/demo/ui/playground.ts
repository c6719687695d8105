/**
 * The Playground: function docs (the sample tools or pasted JSON), a question, the generated call, its
 * parse and its BFCL-style verdict against an expected answer; and plain text completion.
 */
import type { Remote } from 'comlink';
import type { DemoWorkerApi } from '../worker/api.js';
import { byId, el, numberField, showError } from './dom.js';

/** Wires the Playground section. */
export async function setupPlayground(worker: Remote<DemoWorkerApi>): Promise<void> {
  const pick = byId<HTMLSelectElement>('function-pick');
  const docs = byId<HTMLTextAreaElement>('functions-json');
  const samples = await worker.sampleFunctions();
  for (const sample of samples) pick.append(el('option', sample.name, { value: sample.name }));
  const choose = () => {
    const sample = samples.find((s) => s.name === pick.value);
    if (sample) docs.value = sample.json;
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
}
