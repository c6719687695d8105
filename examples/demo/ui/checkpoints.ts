/**
 * The Checkpoints section: the list from IndexedDB (stage, step, loss, size, time), the origin's
 * storage used and available, and per checkpoint resume, delete and export (a Hugging Face zip);
 * import of a zip by drag and drop. A wrong import names what is wrong and stores nothing.
 */
import { transfer, type Remote } from 'comlink';
import type { DemoWorkerApi } from '../worker/api.js';
import { byId, dropZone, el, formatBytes, messageOf, showError } from './dom.js';

/** The section's refresh, for the others (after a save). */
export interface CheckpointsView {
  refresh(): Promise<void>;
}

/** Wires the Checkpoints section; `resume` starts training from a checkpoint. */
export function setupCheckpoints(worker: Remote<DemoWorkerApi>, resume: (id: string) => Promise<void>): CheckpointsView {
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

  const refresh = async () => {
    try {
      const listing = await worker.list();
      const storage = listing.usageBytes === null ? 'Storage use unknown' : `Storage: ${formatBytes(listing.usageBytes)} used of ${formatBytes(listing.quotaBytes ?? 0)} available to this page`;
      byId('storage').textContent = `${storage}; ${listing.checkpoints.length} checkpoint(s).`;
      byId('checkpoint-rows').replaceChildren(...[...listing.checkpoints].reverse().map((info) => {
        const row = el('tr', '', { 'data-id': info.id, 'data-step': String(info.step) });
        const name = el('td', info.id);
        if (info.current) name.className = 'current';
        row.append(
          name, el('td', info.stage), el('td', String(info.step)), el('td', info.loss === null ? '–' : info.loss.toFixed(3)),
          el('td', formatBytes(info.bytes)), el('td', new Date(info.createdAt).toLocaleString()),
        );
        const actions = el('td');
        const button = (label: string, onClick: () => void) => {
          const b = el('button', label, { class: 'small', 'aria-label': `${label} ${info.id}` });
          b.addEventListener('click', onClick);
          actions.append(b, ' ');
        };
        button('Resume', () => void act(`Resume ${info.id}`, () => resume(info.id)));
        button('Export zip', () => void act(`Export ${info.id}`, async () => download(await worker.exportZip(info.id), `${info.id}.zip`)));
        button('Delete', () => {
          if (confirm(`Delete checkpoint ${info.id}?`)) void act(`Delete ${info.id}`, () => worker.remove(info.id));
        });
        row.append(actions);
        return row;
      }));
    } catch (error) {
      showError('checkpoint-error', error);
    }
  };

  dropZone(byId('import-zone'), byId<HTMLInputElement>('import-input'), (files) => {
    void act(`Import ${files[0].name}`, async () => {
      const bytes = new Uint8Array(await files[0].arrayBuffer());
      const info = await worker.importZip(transfer(bytes, [bytes.buffer]), files[0].name);
      status.textContent = `Imported as ${info.id}.`;
    });
  });
  // Best effort: ask the browser not to evict the checkpoints under storage pressure.
  void navigator.storage?.persist?.().catch(() => false);
  void refresh();
  return { refresh };
}

function download(bytes: Uint8Array, name: string): void {
  const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: 'application/zip' }));
  const link = el('a', '', { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
