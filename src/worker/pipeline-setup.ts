/**
 * What a pipeline run starts from. Fresh: the held model's weights and tokenizer, the built corpus
 * (built with that tokenizer), the plan checked, an empty run store, and the run's record written
 * before the first step. Resumed: the run's record and checkpoint (the one asked for made current),
 * its tokenizer, and its corpus: the one built, when it is the recorded one with that tokenizer, or
 * built again from the record when its source can be read again.
 * @module
 */
import type { LlamaModel } from '../model/model.js';
import { paramSpecs } from '../model/params.js';
import { buildCorpusFromSpec, isReproducible, type BuiltCorpus, type CorpusProgress, type CorpusSpec } from '../recipe/corpus-spec.js';
import { parsePipelinePlan, type PipelinePlan } from '../recipe/pipeline-plan.js';
import type { PipelineBase } from '../recipe/pipeline.js';
import { parseCheckpoint } from '../store/checkpoint.js';
import type { CheckpointInfo, CheckpointStore } from '../store/store.js';
import { loadTokenizer } from '../tokenizer/hf-tokenizer.js';
import type { Tokenizer } from '../tokenizer/types.js';
import { CheckpointError, InputError } from '../util/errors.js';
import type { CorpusRecord, PipelineRequest } from './recipe-protocol.js';
import { readRunRecord, writeRunRecord, type RunRecord } from './runs.js';

/** A run ready to start: what `runPipeline` is given, and the corpus it trains on. */
export interface PreparedRun {
  base: PipelineBase;
  built: BuiltCorpus;
  plan: PipelinePlan;
  record: RunRecord;
  /** The checkpoint a resumed run continues. */
  resumeFrom?: CheckpointInfo;
}

/** A fresh run of the held model on the built corpus; writes the run's record. */
export async function prepareFreshRun(
  request: PipelineRequest, store: CheckpointStore, held: { model: LlamaModel; tokenizer: Tokenizer } | undefined, built: BuiltCorpus | undefined,
): Promise<PreparedRun> {
  if (!held) throw new InputError('model', 'no model yet: create one (tokenizer "corpus"), or load a checkpoint or a Hugging Face model');
  if (!built) throw new InputError('corpus', 'build a corpus first (buildCorpus)');
  if (!sameTokenizer(held.tokenizer, built.tokenizer)) {
    throw new InputError('corpus', "the corpus was built with another tokenizer than the model's: build it with tokenizer 'model', or create the model with tokenizer 'corpus'");
  }
  if (!request.plan) throw new InputError('plan', `a fresh pipeline run needs a plan (run "${request.name}")`);
  const plan = parsePipelinePlan(request.plan, 'plan');
  if ((await store.list()).length > 0) {
    throw new CheckpointError(`pipeline run "${request.name}" (${store.backend.describe()}) already holds checkpoints: resume it, or choose another name`, { problem: 'refused' });
  }
  const record: RunRecord = { name: request.name, createdAt: new Date().toISOString(), plan, seed: request.seed ?? 0, corpus: corpusRecord(built) };
  await writeRunRecord(store, record);
  return { base: { config: held.model.config, tokenizer: held.tokenizer, weights: await weightsOf(held.model) }, built, plan, record };
}

/**
 * A resumed run. `current` is the corpus built in the worker, if any; `onProgress` sees a rebuild.
 * @throws CheckpointError when the run has no record or checkpoint; InputError when its corpus must be built from files again
 */
export async function prepareResumedRun(
  request: PipelineRequest, store: CheckpointStore, current: BuiltCorpus | undefined, onProgress: (progress: CorpusProgress) => void,
): Promise<PreparedRun> {
  const record = await readRunRecord(store);
  if (!record) throw new CheckpointError(`pipeline run "${request.name}" (${store.backend.describe()}) has no record: start it fresh`, { problem: 'missing' });
  if (request.from !== undefined) await store.makeCurrent(request.from);
  const tokenizer = await runTokenizer(store);
  const plan = request.plan ? parsePipelinePlan(request.plan, 'plan') : record.plan;
  let built = current;
  if (!built || !sameTokenizer(built.tokenizer, tokenizer) || !sameCorpus(corpusRecord(built), record.corpus)) {
    const spec = specOf(record.corpus);
    if (!spec) {
      throw new InputError('corpus', `pipeline run "${request.name}" trained on ${record.corpus.label}: build that corpus again ` +
        `(buildCorpus with the same options and tokenizer { run: "${request.name}" }), then resume`);
    }
    built = await buildCorpusFromSpec(spec, { tokenizer, onProgress });
  }
  const { info, files } = await store.load();
  const config = parseCheckpoint(files, store.backend.describe(info.id)).config;
  return { base: { config, tokenizer }, built, plan, record, resumeFrom: info };
}

/** The tokenizer of a run's current checkpoint. */
export async function runTokenizer(store: CheckpointStore): Promise<Tokenizer> {
  const { info, files } = await store.load();
  const checkpoint = parseCheckpoint(files, store.backend.describe(info.id));
  return loadTokenizer(checkpoint.tokenizer, { missingSpecialTokens: 'error' });
}

/** What a run records of its corpus: the spec without files, and the source in words. */
export function corpusRecord(built: BuiltCorpus): CorpusRecord {
  const { source, ...options } = built.spec;
  const recorded: CorpusRecord['source'] = source.kind === 'sample' ? { kind: 'sample', documents: source.documents }
    : source.kind === 'url' ? { kind: 'url', url: source.url } : { kind: source.kind };
  return { ...options, source: recorded, label: built.summary.label };
}

/** The tokenizer files (`tokenizer.json`) are the same. */
export function sameTokenizer(a: Tokenizer, b: Tokenizer): boolean {
  return a === b || JSON.stringify(a.toFiles().tokenizerJson) === JSON.stringify(b.toFiles().tokenizerJson);
}

/** Same source and options (for files, also the same label: the same file names). */
function sameCorpus(a: CorpusRecord, b: CorpusRecord): boolean {
  const key = ({ label: _label, ...rest }: CorpusRecord) => JSON.stringify(rest, (_name, value: unknown) => (
    value && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([x], [y]) => x.localeCompare(y))) : value));
  return key(a) === key(b) && (isReproducible(a.source) || a.label === b.label);
}

/** The spec to read a recorded corpus again, or undefined when it came from files. */
function specOf(record: CorpusRecord): CorpusSpec | undefined {
  const { source, label: _label, ...options } = record;
  if (source.kind === 'sample' || source.kind === 'url') return { ...options, source };
  return undefined;
}

async function weightsOf(model: LlamaModel): Promise<Map<string, Float32Array>> {
  const entries = await Promise.all(paramSpecs(model.config).map(async ({ name }) => [name, await model.param(name).data() as Float32Array] as const));
  return new Map(entries);
}
