// tfjs-core first, as the other browser tests do: src/runtime/tfjs.ts's deep imports need its flags registered.
import '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { commands } from 'vitest/browser';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { buildForge } from '../../src/forge/builder.js';
import { resolveConfig } from '../../src/model/config.js';
import { LlamaModel } from '../../src/model/model.js';
import { benchmarkBatches, exportRun } from '../../src/recipe/export-run.js';
import type { RunPlan } from '../../src/recipe/run-plan.js';
import { decodeShard } from '../../src/recipe/run-shards.js';
import { sha256Hex } from '../../src/util/sha256.js';
import { initBackend } from '../../src/runtime/backend.js';
import { checkpointFiles, parseCheckpoint } from '../../src/store/checkpoint.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import { Trainer } from '../../src/train/trainer.js';
import type { TorchResult } from '../setup/torch-command.js';

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (byte) => String.fromCharCode(byte)).join(''));
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (char) => char.charCodeAt(0));

describe('scale-out from the page and back', () => {
  it('exports a run in Chromium; PyTorch trains it; the page imports the result with the same benchmark loss', async () => {
    expect((await initBackend({ prefer: 'webgpu' })).name).toBe('webgpu');
    const documents = syntheticCorpus({ seed: 4, documents: 150 });
    const tokenizer = await trainBpeTokenizer(documents.map((document) => document.text), { vocabSize: 300 });
    const corpus = await buildForge({ documents }, { tokenizer, seed: 4 });
    const config = resolveConfig('nano', { vocabSize: 300, dModel: 32, nHeads: 2, ffnHidden: 48, contextLength: 32 });
    const model = LlamaModel.create(config, { seed: 4 });
    const checkpoint = await checkpointFiles(model, tokenizer.toFiles());
    model.dispose();
    const stage = { stage: 'stage1' as const, tokenBudget: 4 * 4 * 16, batchSize: 4, seqLen: 16, seed: 4, train: { lr: 1e-2, warmupSteps: 1 } };
    const files: Record<string, string> = {};
    const raw = new Map<string, Uint8Array>();
    for await (const file of exportRun({ checkpoint, checkpointSource: 'page', corpus, tokenizer, stages: [stage] })) {
      files[file.path] = toBase64(file.bytes);
      raw.set(file.path, file.bytes);
    }
    const plan = JSON.parse(new TextDecoder().decode(raw.get('plan.json'))) as RunPlan;
    expect(plan.tokenizer.sha256).toBe(await sha256Hex(checkpoint.get('tokenizer.json')!));
    expect(decodeShard(raw.get(plan.stages[0].shards[0].tokens)!, 'tokens').meta.tokenizerSha256).toBe(plan.tokenizer.sha256);

    const torch: TorchResult = await commands.trainWithTorch(files, []);
    expect(torch.code, torch.output).toBe(0);
    const saved = parseCheckpoint(new Map(Object.entries(torch.checkpoint).map(([name, text]) => [name, fromBase64(text)])), 'torch');
    expect(saved.trainer!.step).toBe(4);
    const imported = LlamaModel.create(saved.config, { weights: saved.weights });
    const trainer = new Trainer(imported);
    const loss = await trainer.evaluate(benchmarkBatches(corpus, tokenizer, { batchSize: 4, seqLen: 16, batches: 4, seed: 4 }));
    const relative = Math.abs(loss - torch.benchmarkLoss) / torch.benchmarkLoss;
    console.info(`page (WebGPU) benchmark loss ${loss} vs PyTorch ${torch.benchmarkLoss}: relative ${relative.toExponential(2)}`);
    expect(relative).toBeLessThan(1e-4);
    trainer.dispose();
    imported.dispose();
  });
});
