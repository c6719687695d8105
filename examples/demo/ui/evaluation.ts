/** The Evaluation view: per-category BFCL-style accuracy of the current model on the held-out functions. */
import { byId, el, numberField, perFrame, showError, type TrainerHolder } from './dom.js';

const percent = (x: number) => `${(x * 100).toFixed(0)}%`;

/** Wires the Evaluation section. */
export function setupEvaluation(holder: TrainerHolder): void {
  const button = byId<HTMLButtonElement>('evaluate');
  const bar = byId<HTMLProgressElement>('eval-progress');
  const showProgress = perFrame(({ done, total }: { done: number; total: number }) => (bar.value = done / total));
  button.addEventListener('click', async () => {
    showError('eval-error', undefined);
    button.disabled = true;
    try {
      const view = await holder.trainer.evaluateCalls({ limit: numberField('eval-items', 'Items'), maxNewTokens: 64 }, showProgress);
      const table = el('table');
      table.append(el('caption', `${view.items} items, ${view.source}`));
      const head = el('tr');
      for (const name of ['Category', 'Correct', 'Accuracy', '95% interval']) head.append(el('th', name, { scope: 'col' }));
      table.append(head);
      for (const c of view.categories) {
        const row = el('tr');
        row.append(el('td', c.category), el('td', `${c.count} / ${c.total}`), el('td', percent(c.rate)), el('td', `${percent(c.low)} – ${percent(c.high)}`));
        table.append(row);
      }
      const examples = el('ul');
      for (const verdict of view.verdicts.slice(0, 5)) {
        examples.append(el('li', `${verdict.id}: ${verdict.valid ? 'valid' : `invalid (${verdict.error ?? ''})`}; response ${JSON.stringify(verdict.response.slice(0, 160))}`));
      }
      byId('eval-view').replaceChildren(table, el('h3', 'First responses'), examples);
    } catch (error) {
      showError('eval-error', error);
    } finally {
      button.disabled = false;
    }
  });
}
