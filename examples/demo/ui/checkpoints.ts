/**
 * The Checkpoints section: the checkpoints of every pipeline run in this browser (each run has its
 * own IndexedDB store) and the imported ones (stage, step, loss, size, time), the origin's storage
 * used and available; per checkpoint resume (a run's) or load (an import's), delete and export (a
 * Hugging Face zip); import of a zip by drag and drop. A wrong import names what is wrong and stores
 * nothing.
 */
import type { CheckpointInfo } from 'hephaestus-web/worker';
import { byId, dropZone, el, formatBytes, messageOf, showError, type TrainerHolder } from './dom.js';

/** The section's refresh, for the others (after a save). */
export interface CheckpointsView {
  refresh(): Promise<void>;
}

/** What a row offers besides export and delete: resume a run's checkpoint; load an import for the playground. */
export interface CheckpointHooks {
  resume(run: string, id: string): Promise<void>;
  onLoaded(): void;
}

/** A listed checkpoint and the run it belongs to (none: an imported one, in the page's own store). */
interface Row {
  info: CheckpointInfo;
  run?: string;
}

/** Wires the Checkpoints section. */
export function setupCheckpoints(holder: TrainerHolder, hooks: CheckpointHooks): CheckpointsView {
  const status = byId('checkpoint-status');
  const act = async (what: string, action: () => Promise<void>) => {
    showError('checkpoint-error', undefined);
    status.textContent = `${what}…`;
    try {
      await action();
      status.textContent = `${what}: done.`;
    } catch (error) {
      showError('checkpoint-error', `${what}: ${messageOf(error)}`);
      status.textContent = '';
    }
    await refresh();
  };

  const rowOf = ({ info, run }: Row) => {
    const row = el('tr', '', { 'data-id': info.id, 'data-step': String(info.step), ...(run ? { 'data-run': run } : {}) });
    const name = el('td', run ? `${run} / ${info.id}` : info.id);
    if (info.current) name.className = 'current';
    row.append(
      name, el('td', info.stage), el('td', String(info.step)), el('td', info.loss === null ? '–' : info.loss.toFixed(3)),
      el('td', formatBytes(info.bytes)), el('td', new Date(info.createdAt).toLocaleString()),
    );
    const actions = el('td');
    const button = (label: string, onClick: () => void) => {
      const b = el('button', label, { class: 'small', 'aria-label': `${label} ${run ? `${run} ` : ''}${info.id}` });
      b.addEventListener('click', onClick);
      actions.append(b, ' ');
    };
    if (run) button('Resume', () => void act(`Resume ${info.id}`, () => hooks.resume(run, info.id)));
    else button('Load', () => void act(`Load ${info.id}`, async () => {
      await holder.trainer.loadCheckpoint(info.id);
      holder.base = info.id;
      status.textContent = `${info.id} is loaded: the playground uses it, and the next run starts from it (build the corpus again: it is built with this model's tokenizer).`;
      hooks.onLoaded();
    }));
    button('Export zip', () => void act(`Export ${info.id}`, async () => download(await holder.trainer.exportCheckpoint(info.id, run), `${run ? `${run}-` : ''}${info.id}.zip`)));
    button('Delete', () => {
      if (confirm(`Delete checkpoint ${info.id}?`)) void act(`Delete ${info.id}`, () => holder.trainer.deleteCheckpoint(info.id, run));
    });
    row.append(actions);
    return row;
  };

  const refresh = async () => {
    try {
      const [runs, imported, estimate] = await Promise.all([
        holder.trainer.listPipelines(), holder.trainer.listCheckpoints(), navigator.storage?.estimate?.().catch(() => undefined),
      ]);
      // Newest run first, each run's newest checkpoint first; then the imported ones.
      const rows: Row[] = [
        ...[...runs].reverse().flatMap((run) => [...run.checkpoints].reverse().map((info) => ({ info, run: run.name }))),
        ...[...imported].reverse().map((info) => ({ info })),
      ];
      const storage = estimate?.usage === undefined ? 'Storage use unknown' : `Storage: ${formatBytes(estimate.usage)} used of ${formatBytes(estimate.quota ?? 0)} available to this page`;
      byId('storage').textContent = `${storage}; ${rows.length} checkpoint(s) in ${runs.length} run(s) and imports.`;
      byId('checkpoint-rows').replaceChildren(...rows.map(rowOf));
    } catch (error) {
      showError('checkpoint-error', error);
    }
  };

  dropZone(byId('import-zone'), byId<HTMLInputElement>('import-input'), (files) => {
    void act(`Import ${files[0].name}`, async () => {
      const info = await holder.trainer.importCheckpoint(files[0]);
      status.textContent = `Imported as ${info.id}.`;
    });
  });
  void refresh();
  return { refresh };
}

function download(zip: Blob, name: string): void {
  const url = URL.createObjectURL(zip);
  const link = el('a', '', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
