/**
 * The Data section: the source (embedded sample, the shared data folder, or the user's own files by
 * drag and drop), the Forge options (vocabulary, seed, held-out fraction, Stage I ratio), the build
 * in the worker with its progress, and the composition charts. A bad file gives the reader's message
 * (file and line) and leaves the page as it was.
 */
import type { CorpusRequest, CorpusSource, CorpusSummary } from 'hephaestus-web/worker';
import { barChart } from './charts.js';
import { byId, dropZone, numberField, perFrame, showError, type TrainerHolder } from './dom.js';

/** Share of the general-text documents held out for the general-text benchmark. */
const GENERAL_FRACTION = 0.1;

/** The folder's files with their paths under it, as the Forge source and the playground's BFCL samples take them. */
export type FolderFiles = { path: string; file: File }[];

/** Wires the Data section; `onBuilt` runs after each successful build, `onFolder` when a data folder is chosen. */
export function setupData(holder: TrainerHolder, onBuilt: (summary: CorpusSummary) => void, onFolder: (folder: FolderFiles) => void): void {
  let folder: FolderFiles = [];
  let files: File[] = [];
  const chosen = byId('files-chosen');
  const pick = (value: string) => {
    const radio = document.querySelector<HTMLInputElement>(`input[name="source"][value="${value}"]`);
    if (radio) radio.checked = true;
  };

  byId<HTMLInputElement>('folder-input').addEventListener('change', (event) => {
    const list = [...((event.target as HTMLInputElement).files ?? [])];
    // webkitRelativePath is "<chosen folder>/<path>": the path under the folder is what the data layout names.
    folder = list.map((file) => ({ path: file.webkitRelativePath.split('/').slice(1).join('/'), file }));
    chosen.textContent = `Folder: ${folder.length} files`;
    pick('folder');
    onFolder(folder);
  });
  dropZone(byId('drop-zone'), byId<HTMLInputElement>('files-input'), (dropped) => {
    files = dropped;
    chosen.textContent = `Files: ${files.map((file) => `${file.name} (${file.size} bytes)`).join(', ')}`;
    pick('files');
    void build();
  });

  const ratioOut = byId<HTMLOutputElement>('ratio-out');
  const ratio = () => ({ agent: numberField('ratio-agent', 'agent', false), code: numberField('ratio-code', 'code', false), text: numberField('ratio-text', 'text', false) });
  for (const id of ['ratio-agent', 'ratio-code', 'ratio-text']) {
    byId(id).addEventListener('input', () => {
      const r = ratio();
      ratioOut.value = `${r.agent} : ${r.code} : ${r.text}`;
    });
  }

  const source = (): CorpusSource => {
    const kind = document.querySelector<HTMLInputElement>('input[name="source"]:checked')?.value ?? 'sample';
    if (kind === 'folder') {
      if (folder.length === 0) throw new Error('choose the data folder first (shared/data)');
      return { kind: 'folder', files: folder };
    }
    if (kind === 'files') {
      if (files.length === 0) throw new Error('drop or choose your files first');
      return { kind: 'files', files };
    }
    return { kind: 'sample', documents: numberField('sample-size', 'Documents') };
  };
  const request = (): CorpusRequest => ({
    source: source(), seed: numberField('seed', 'Seed'), tokenizer: holder.base ? 'model' : { vocabSize: numberField('vocab-size', 'Vocabulary') },
    ratio: ratio(), evalFraction: numberField('eval-fraction', 'Held-out fraction', false), generalFraction: GENERAL_FRACTION,
  });

  const button = byId<HTMLButtonElement>('build');
  const bar = byId<HTMLProgressElement>('build-progress');
  const status = byId('build-status');
  const showProgress = perFrame((p: { phase: string; detail: string; fraction: number }) => {
    bar.value = p.fraction;
    status.textContent = `${p.phase}: ${p.detail}`;
  });
  const build = async () => {
    showError('data-error', undefined);
    button.disabled = true;
    try {
      const summary = await holder.trainer.buildCorpus(request(), showProgress);
      showProgress.flush();
      drawCorpus(summary);
      status.textContent = `Built: ${summary.report.tokens.toLocaleString('en')} Stage I tokens.`;
      onBuilt(summary);
    } catch (error) {
      showProgress.flush();
      showError('data-error', error);
      status.textContent = 'The build stopped; nothing was changed.';
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', () => void build());
}

function drawCorpus(summary: CorpusSummary): void {
  byId('corpus-view').hidden = false;
  const { report, stageTokens } = summary;
  const share = (name: string) => {
    const group = report.byGroup.find((entry) => entry.name === name);
    return group ? `${(group.share * 100).toFixed(0)}%` : '0%';
  };
  byId('corpus-facts').textContent = `${summary.label}: ${summary.documents} documents, vocabulary ${summary.vocabSize}; ` +
    `dedup removed ${summary.dedup.removedExact} exact and ${summary.dedup.removedNear} near duplicates. ` +
    `Stage I ${stageTokens.stage1.toLocaleString('en')} tokens (agent ${share('agent')}, code ${share('code')}, text ${share('text')}), ` +
    `Stage II ${stageTokens.stage2.toLocaleString('en')}, Stage III ${stageTokens.stage3.toLocaleString('en')}; ` +
    `${summary.generalDocuments} general-text documents held out for the general benchmark. ` +
    `Leakage check: ${summary.leakageClean ? 'clean' : 'held-out data found in training'}. ${summary.notes.join('; ')}`;
  barChart(byId('chart-groups'), report.byGroup.map((entry) => entry.name), report.byGroup.map((entry) => entry.tokens), 'tokens');
  // One source (the sample) says little: then its document kinds are drawn instead.
  const bySource = report.bySource.length > 1;
  const entries = (bySource ? report.bySource : report.byKind).slice(0, 8);
  byId('chart-sources-caption').textContent = bySource ? 'Stage I tokens by source' : `Stage I tokens by kind (one source: ${report.bySource[0]?.name ?? 'none'})`;
  barChart(byId('chart-sources'), entries.map((entry) => entry.name.split('/').at(-1) ?? entry.name), entries.map((entry) => entry.tokens), 'tokens');
  byId('held-out').textContent = summary.evalFunctions.length > 0
    ? `${summary.evalFunctions.join(', ')} (${summary.evalDocuments} documents)` : 'none (too few functions)';
}
