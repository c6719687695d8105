/** The Evaluation view: per-category BFCL-style accuracy of the current model on held-out functions. */
import { proxy, type Remote } from 'comlink';
import type { DemoWorkerApi } from '../worker/api.js';
import { byId, el, numberField, showError } from './dom.js';

const percent = (x: number) => `${(x * 100).toFixed(0)}%`;

/** Wires the Evaluation section. */
export function setupEvaluation(worker: Remote<DemoWorkerApi>): void {
  const button = byId<HTMLButtonElement>('evaluate');
  const bar = byId<HTMLProgressElement>('eval-progress');
  button.addEventListener('click', async () => {
    showError('eval-error', undefined);
    button.disabled = true;
    try {
      const view = await worker.evaluate(numberField('eval-items', 'Items'), proxy((done: number, total: number) => {
        bar.value = done / total;
      }));
      const table = el('table');
      table.append(el('caption', `${view.items} items, ${view.source}`));
      const head = el('tr');
      for (const name of ['Category', 'Correct', 'Accuracy', '95% interval']) head.append(el('th', name, { scope: 'col' }));
      table.append(head);
      for (const c of view.categories) {
        const row = el('tr');
        row.append(el('td', c.category), el('td', `${c.correct} / ${c.total}`), el('td', percent(c.total ? c.correct / c.total : 0)),
          el('td', `${percent(c.low)} – ${percent(c.high)}`));
        table.append(row);
      }
      const examples = el('ul');
      for (const example of view.examples) {
        examples.append(el('li', `${example.id}: ${example.valid ? 'valid' : `invalid (${example.error ?? ''})`}; response ${JSON.stringify(example.response.slice(0, 160))}`));
      }
      byId('eval-view').replaceChildren(table, el('h3', 'First responses'), examples);
    } catch (error) {
      showError('eval-error', error);
    } finally {
      button.disabled = false;
    }
  });
}
