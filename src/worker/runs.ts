/**
 * Where pipeline runs keep their checkpoints: one store per run name, apart from the single-stage
 * store, so the two never collide and a reloaded page can list the runs and resume one. Each run's
 * store also holds its record (`run.json`: plan, seed, the corpus it trains on), written before the
 * first step. In the worker a run is the IndexedDB database `<storeName>-run-<name>`; an in-process
 * service (Node, tests) is given any {@link RunStores}, e.g. one folder per run.
 * @module
 */
import { openIndexedDbStore } from '../store/indexeddb.js';
import type { CheckpointStore, CheckpointStoreOptions } from '../store/store.js';
import { CheckpointError, InputError, errorMessage } from '../util/errors.js';
import type { PipelinePlan } from '../recipe/pipeline-plan.js';
import { stageTrainOptions } from '../recipe/run-plan.js';
import type { CorpusRecord, PipelineRunInfo } from './recipe-protocol.js';

/** The stores of pipeline runs, by name. */
export interface RunStores {
  /** The store of run `name` (empty until its first save). */
  open(name: string): CheckpointStore;
  /** Names of the run stores that exist (one emptied by {@link removeRun} may still be listed: it has no record). */
  names(): Promise<string[]>;
}

/** The stores of a service's runs, each opened once. */
export class RunStoreCache {
  private readonly runs: RunStores | undefined;
  private readonly opened = new Map<string, CheckpointStore>();

  /** @param runs absent: a service without pipeline runs (every use is refused) */
  constructor(runs: RunStores | undefined) {
    this.runs = runs;
  }

  store(name: string): CheckpointStore {
    let store = this.opened.get(name);
    if (!store) {
      store = this.require().open(checkRunName(name));
      this.opened.set(name, store);
    }
    return store;
  }

  names(): Promise<string[]> {
    return this.require().names();
  }

  private require(): RunStores {
    if (!this.runs) throw new InputError('pipeline', 'this trainer service was made without pipeline run stores');
    return this.runs;
  }
}

/** What a run's store records about it, besides its checkpoints. */
export interface RunRecord {
  name: string;
  createdAt: string;
  plan: PipelinePlan;
  seed: number;
  corpus: CorpusRecord;
}

/** Key of the record in a run's store (no `/`: never taken for a checkpoint file). */
const RECORD_KEY = 'run.json';
const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Refuses a run name that is not letters, digits, `_`, `.` and `-` (at most 64). */
export function checkRunName(name: unknown): string {
  if (typeof name !== 'string' || !RUN_NAME.test(name)) {
    throw new InputError('pipeline name', `must be 1-64 letters, digits, "_", "." or "-" (starting with a letter or digit), got ${JSON.stringify(name)}`);
  }
  return name;
}

/** The record of a run's store, or undefined when it has none (nothing was started there). */
export async function readRunRecord(store: CheckpointStore): Promise<RunRecord | undefined> {
  const bytes = await store.backend.get(RECORD_KEY);
  if (!bytes) return undefined;
  const where = store.backend.describe(RECORD_KEY);
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new CheckpointError(`${where}: invalid JSON (${errorMessage(error)})`, { problem: 'corrupt' });
  }
  const record = value as Partial<RunRecord> | null;
  if (!record || typeof record.name !== 'string' || !Array.isArray(record.plan?.stages) || typeof record.seed !== 'number' || typeof record.corpus?.label !== 'string') {
    throw new CheckpointError(`${where}: is not a pipeline run record (name, plan, seed, corpus)`, { problem: 'corrupt' });
  }
  return record as RunRecord;
}

/** The runs among `names` that have a record, each with its checkpoints. */
export async function listRuns(names: string[], open: (name: string) => CheckpointStore): Promise<PipelineRunInfo[]> {
  const infos: PipelineRunInfo[] = [];
  for (const name of names) {
    const store = open(name);
    const record = await readRunRecord(store);
    if (!record) continue;
    const totalSteps = record.plan.stages.reduce((sum, stage, i) => sum + stageTrainOptions(stage, `stages[${i}]`).steps, 0);
    infos.push({ ...record, totalSteps, checkpoints: await store.list() });
  }
  return infos;
}

/** Empties a run's store: its checkpoints, then its record. */
export async function removeRun(store: CheckpointStore): Promise<void> {
  for (const info of await store.list()) await store.delete(info.id);
  await store.backend.delete(RECORD_KEY);
}

/** Writes (replaces) the record of a run's store. */
export async function writeRunRecord(store: CheckpointStore, record: RunRecord): Promise<void> {
  await store.backend.put(RECORD_KEY, new TextEncoder().encode(JSON.stringify(record)));
}

/** Run stores in IndexedDB: the database `<storeName>-run-<name>` per run. */
export function indexedDbRunStores(storeName: string, options: CheckpointStoreOptions = {}): RunStores {
  const prefix = `${storeName}-run-`;
  return {
    open: (name) => openIndexedDbStore(`${prefix}${checkRunName(name)}`, options),
    async names() {
      if (typeof indexedDB.databases !== 'function') throw new CheckpointError('this browser cannot list IndexedDB databases (indexedDB.databases()): pipeline runs cannot be listed');
      const databases = await indexedDB.databases();
      return databases.flatMap(({ name }) => (name?.startsWith(prefix) ? [name.slice(prefix.length)] : [])).sort();
    },
  };
}
