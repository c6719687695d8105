/// <reference lib="webworker" />
/**
 * The demo's module worker: owns the WebGPU device, the corpus, the model and the checkpoint store, so
 * the page's main thread only draws. Exposed with comlink (see {@link DemoWorkerApi}).
 */
import { expose } from 'comlink';
import {
  CheckpointError, InputError, bfclPrompt, decodeResponse, errorMessage, evaluateFunctionCalling, exportZip, generate,
  initBackend, loadTokenizer, openIndexedDbStore, parseCheckpoint, responseStopTokens, scoreResponse, unzipFiles, SAMPLE_TOOLS,
  type BfclItem,
} from '../../../src/index.js';
import type { DemoWorkerApi, EvaluationView, PlaygroundResult } from './api.js';
import { categoryOf, heldOutItems, parseAnswer, parseFunctions } from './calls.js';
import { buildCorpus, type BuiltCorpus } from './corpus.js';
import { Session, type RunRecord } from './session.js';

const session = new Session(openIndexedDbStore('hephaestus-demo', { keepLast: 5 }));

/** Errors cross to the page as plain messages (comlink would keep only `message` anyway). */
async function guarded<T>(action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (error) {
    throw new Error(errorMessage(error));
  }
}

function requireModel() {
  if (!session.model || !session.tokenizer) throw new CheckpointError('no model yet: train one or resume a checkpoint');
  return { model: session.model, tokenizer: session.tokenizer };
}

const api: DemoWorkerApi = {
  init: (prefer) => guarded(() => initBackend({ prefer })),

  buildCorpus: (spec, onProgress) => guarded(async () => {
    const built = await buildCorpus(spec, onProgress, new AbortController().signal);
    session.useCorpus(built);
    return built.summary;
  }),

  train: (plan, onUpdate, resumeId) => guarded(async () => {
    if (resumeId !== undefined) {
      await session.resume(resumeId, plan, (record, tokenizer) => rebuildFor(record, tokenizer));
      const position = session.position(session.saved?.loss ?? null);
      if (position) onUpdate(position);
    } else if (plan) session.start(plan);
    return session.run(onUpdate);
  }),

  halt: async (kind) => session.requestHalt(kind),

  list: () => guarded(async () => {
    const estimate = await navigator.storage?.estimate?.();
    return { checkpoints: await session.store.list(), usageBytes: estimate?.usage ?? null, quotaBytes: estimate?.quota ?? null };
  }),

  remove: (id) => guarded(() => session.store.delete(id)),

  exportZip: (id) => guarded(async () => {
    const { files } = await session.store.load(id);
    return exportZip(files, session.store.backend.describe(id), id);
  }),

  importZip: (bytes, name) => guarded(async () => {
    const files = unzipFiles(bytes, name);
    // Everything is checked before anything is written: a wrong checkpoint changes nothing stored.
    const checkpoint = parseCheckpoint(files, name);
    const tokenizer = await loadTokenizer(checkpoint.tokenizer, { missingSpecialTokens: 'error' });
    if (tokenizer.vocabSize > checkpoint.config.vocabSize) {
      throw new CheckpointError(`${name}/tokenizer.json: ${tokenizer.vocabSize} tokens, more than config.json vocab_size ${checkpoint.config.vocabSize}`);
    }
    return session.store.save(files, { step: checkpoint.trainer?.step ?? 0, stage: 'imported', loss: null });
  }),

  complete: (prompt, maxNewTokens) => guarded(async () => {
    const { model, tokenizer } = requireModel();
    const ids = tokenizer.encode(prompt);
    const { tokens } = await generate(model, ids, { maxNewTokens: Math.min(maxNewTokens, model.config.contextLength - ids.length), stopTokens: [tokenizer.special.endOfText] });
    return tokenizer.decode(tokens);
  }),

  playground: (request) => guarded(async (): Promise<PlaygroundResult> => {
    const { model, tokenizer } = requireModel();
    const functions = parseFunctions(request.functionsJson);
    const groundTruth = request.answerJson.trim() === '' ? undefined : parseAnswer(request.answerJson);
    const category = categoryOf(functions.length, groundTruth?.length ?? 0);
    const item: BfclItem = {
      id: `${category}_playground`, category, groundTruth: groundTruth ?? [],
      question: { id: `${category}_playground`, turns: [[{ role: 'user', content: request.question }]], functions, source: 'playground' },
    };
    const prompt = bfclPrompt(item.question);
    const ids = tokenizer.encode(prompt);
    const room = model.config.contextLength - ids.length;
    if (room < 1) throw new InputError('function docs', `the prompt takes ${ids.length} tokens, the model's context is ${model.config.contextLength}: offer fewer or shorter functions`);
    const result = await generate(model, ids, { maxNewTokens: Math.min(request.maxNewTokens, room), stopTokens: responseStopTokens(tokenizer.special) });
    const kept = result.stopReason === 'stop-token' ? result.tokens.slice(0, -1) : result.tokens;
    const response = tokenizer.decode(kept);
    const decoded = decodeResponse(response);
    const parse = decoded.ok ? JSON.stringify(decoded.calls, null, 1) : `not a call: ${decoded.problem}`;
    if (!groundTruth) return { prompt, response, parse, verdict: null };
    const verdict = scoreResponse(item, response);
    return { prompt, response, parse, verdict: verdict.valid ? 'valid' : `invalid: ${verdict.errorType ?? ''} ${verdict.error ?? ''}`.trim() };
  }),

  evaluate: (limit, onProgress) => guarded(async (): Promise<EvaluationView> => {
    const { model, tokenizer } = requireModel();
    if (!session.built) throw new CheckpointError('no corpus: build one so that its held-out functions can be evaluated');
    const items = heldOutItems(session.built.corpus.evaluation).slice(0, limit);
    if (items.length === 0) throw new InputError('corpus', 'the held-out data has no instruction pairs to evaluate');
    const result = await evaluateFunctionCalling(model, tokenizer, items, {
      maxNewTokens: 64, onProgress: (p) => onProgress(p.done, p.total),
    });
    return {
      items: items.length,
      source: `held-out functions ${session.built.corpus.evalFunctions.join(', ')}`,
      categories: result.summary.categories.map((c) => ({
        category: c.category, correct: c.count, total: c.total, low: c.low, high: c.high,
      })),
      examples: result.verdicts.slice(0, 5).map((v) => ({ id: v.id, valid: v.valid, response: v.response, error: v.error })),
    };
  }),

  sampleFunctions: async () => SAMPLE_TOOLS.map((fn) => ({ name: fn.name, json: JSON.stringify(fn, null, 2) })),
};

/** The corpus a checkpoint was trained on, built again with its tokenizer. */
async function rebuildFor(record: RunRecord | undefined, tokenizer: Awaited<ReturnType<typeof loadTokenizer>>): Promise<BuiltCorpus> {
  const current = session.built;
  const noop = () => undefined;
  const signal = new AbortController().signal;
  if (record?.corpus.source === 'sample') {
    const { source: _kind, documents, label: _label, ...rest } = record.corpus;
    return buildCorpus({ ...rest, source: { kind: 'sample', documents: documents ?? 600 } }, noop, signal, tokenizer);
  }
  if (!current) throw new CheckpointError(`this checkpoint was trained on ${record?.corpus.label ?? 'other data'}: load that data in the Data section first`);
  return buildCorpus(record ? { ...current.spec, seed: record.corpus.seed, ratio: record.corpus.ratio, evalFraction: record.corpus.evalFraction } : current.spec, noop, signal, tokenizer);
}

expose(api);
