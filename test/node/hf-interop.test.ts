/**
 * Hugging Face interop: export -> import round-trips bit for bit (folder and zip; the zip passes
 * `unzip -t`), `config.json` / `generation_config.json` name the tokenizer's ids, the `export` command;
 * checkpoints that PyTorch writes in BF16 (sharded, untied head, grouped-query attention) and F16 (one
 * file, tied) import with logits within 2e-2 / 1e-3 relative of the same script's float32 logits; bad
 * imports name the tensor or field and load nothing.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticCorpus } from '../../src/data/synthetic/index.js';
import { resolveConfig, type ModelConfig } from '../../src/model/config.js';
import { fromHfConfig, importHfWeights, toHfConfig } from '../../src/model/hf-format.js';
import { LlamaModel } from '../../src/model/model.js';
import { decodeSafetensors, encodeSafetensors } from '../../src/model/safetensors.js';
import { initBackend } from '../../src/runtime/backend.js';
import { checkpointFiles, parseCheckpoint } from '../../src/store/checkpoint.js';
import { exportFiles, exportZip } from '../../src/store/export.js';
import { FolderBackend, readCheckpointDir } from '../../src/store/node-folder.js';
import { CheckpointStore } from '../../src/store/store.js';
import { trainBpeTokenizer } from '../../src/tokenizer/bpe-trainer.js';
import type { Tokenizer } from '../../src/tokenizer/types.js';
import { CheckpointError } from '../../src/util/errors.js';
import { unzipFiles } from '../../src/util/zip.js';
import { TrainerService } from '../../src/worker/service.js';
import { runCli } from '../setup/cli.js';
import { PYTHON } from '../setup/torchrun.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'hw-hf-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

let tokenizer: Tokenizer;
beforeAll(async () => {
  await initBackend({ prefer: 'cpu' });
  tokenizer = await trainBpeTokenizer(syntheticCorpus({ documents: 30, seed: 4 }).map((document) => document.text), { vocabSize: 290 });
});

const small = (overrides: Partial<ModelConfig> = {}) =>
  resolveConfig('nano', { vocabSize: tokenizer.vocabSize, dModel: 24, nHeads: 4, nKvHeads: 2, ffnHidden: 40, nLayers: 2, contextLength: 16, tieEmbeddings: false, ...overrides });

async function logitsOf(config: ModelConfig, weights: Map<string, Float32Array>, tokens: number[][]): Promise<Float32Array> {
  const model = LlamaModel.create(config, { weights });
  const input = tf.tensor2d(tokens, [tokens.length, tokens[0].length], 'int32');
  const logits = model.forward(input);
  const values = (await logits.data()) as Float32Array;
  tf.dispose([input, logits]);
  model.dispose();
  return values;
}

const relative = (actual: Float32Array, expected: Float32Array) => {
  let diff = 0;
  let norm = 0;
  expected.forEach((value, i) => { diff += (actual[i] - value) ** 2; norm += value ** 2; });
  return Math.sqrt(diff / norm);
};

describe('Hugging Face export and import', () => {
  it('round-trips bit for bit through the folder files and the zip, which unzip -t accepts; config.json names the ids', async () => {
    const config = small();
    const model = LlamaModel.create(config, { seed: 9 });
    const files = await checkpointFiles(model, tokenizer.toFiles());
    const exported = exportFiles(files, 'memory');
    expect([...exported.keys()]).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    const hfConfig = JSON.parse(new TextDecoder().decode(exported.get('config.json')));
    const { endOfText, pad, endOfTurn } = tokenizer.special;
    expect(hfConfig).toMatchObject({ bos_token_id: endOfText, eos_token_id: endOfText, pad_token_id: pad, architectures: ['LlamaForCausalLM'] });
    expect(JSON.parse(new TextDecoder().decode(exported.get('generation_config.json')))).toMatchObject({ eos_token_id: [endOfText, endOfTurn], pad_token_id: pad });
    // Without the ids transformers falls back to bos 1 / eos 2: <|pad|> and <|system|> here.
    expect([hfConfig.bos_token_id, hfConfig.eos_token_id]).not.toEqual([1, 2]);

    const zipPath = join(tempDir(), 'model.zip');
    writeFileSync(zipPath, exportZip(files, 'memory', 'model'));
    const test = spawnSync('unzip', ['-t', zipPath], { encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/No errors detected/);

    const back = parseCheckpoint(unzipFiles(readFileSync(zipPath), zipPath), zipPath);
    expect(back.config).toEqual(config);
    const original = new Map([...decodeSafetensors(files.get('model.safetensors')!)].map(([name, tensor]) => [name, tensor.data]));
    for (const [name, data] of back.weights) {
      expect(new Uint32Array(data.buffer, data.byteOffset, data.length), name).toEqual(new Uint32Array(original.get(name)!.buffer));
    }
    model.dispose();
  });

  it('hephaestus-web export writes the folder and the zip from a run folder', async () => {
    const run = tempDir();
    const model = LlamaModel.create(small({ tieEmbeddings: true }), { seed: 1 });
    await new CheckpointStore(new FolderBackend(run)).save(await checkpointFiles(model, tokenizer.toFiles()), { step: 5 });
    model.dispose();
    const out = join(tempDir(), 'hf');
    const folder = await runCli(['export', '--checkpoint', run, '--out', out]);
    expect(folder.code, folder.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    expect(readFileSync(join(out, 'model.safetensors'))).toEqual(readFileSync(join(run, 'step-000005', 'model.safetensors')));
    const again = await runCli(['export', '--checkpoint', run, '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/--out: .* is not empty; choose a new or empty folder \(nothing was changed\)/);
    const zip = join(tempDir(), 'hf.zip');
    const zipped = await runCli(['export', '--checkpoint', run, '--out', zip, '--zip']);
    expect(zipped.code, zipped.stderr).toBe(0);
    expect(spawnSync('unzip', ['-t', zip]).status).toBe(0);
    expect(unzipFiles(readFileSync(zip), zip)).toEqual(await readCheckpointDir(out));
  });

  it.each([
    ['BF16', 'sharded, untied head, grouped-query attention', false, 2e-2],
    ['F16', 'one file, tied head', true, 1e-3],
  ] as const)('imports a checkpoint PyTorch wrote in %s (%s) with logits close to its float32 ones', async (dtype, _what, tied, tolerance) => {
    const dir = tempDir();
    const config = small({ tieEmbeddings: tied });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(config)));
    const tokens = [[3, 17, 250, 42, 8, 99, 7, 120, 5, 61, 33], [280, 1, 2, 200, 150, 9, 77, 31, 64, 128, 11]];
    writeFileSync(join(dir, 'tokens.json'), JSON.stringify(tokens));
    const script = join(dir, 'write.py');
    writeFileSync(script, TORCH_SCRIPT);
    const result = spawnSync(PYTHON, [script, dir, dtype, tied ? '1' : '2'], {
      encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(import.meta.dirname, '..', '..', 'python') },
    });
    expect(result.status, result.stderr).toBe(0);
    const files = await readCheckpointDir(dir);
    expect(files.has('model.safetensors.index.json')).toBe(!tied);
    const imported = fromHfConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), 'config.json');
    const weights = importHfWeights(files, imported, dir);
    const expected = decodeSafetensors(files.get('logits.f32')!, 'logits').get('logits')!.data;
    const ours = await logitsOf(imported, weights, tokens);
    const error = relative(ours, expected);
    const exact = relative(ours, decodeSafetensors(files.get('logits-rounded.f32')!, 'logits').get('logits')!.data);
    console.info(`${dtype} import: logits relative error ${error.toExponential(2)} vs float32 (tolerance ${tolerance}), ` +
      `${exact.toExponential(2)} vs PyTorch on the same rounded weights`);
    expect(error).toBeLessThan(tolerance);
    expect(error).toBeGreaterThan(0); // the weights really were rounded
    expect(exact).toBeLessThan(1e-5);
  });

  it('a bad import names the tensor or field and loads nothing', async () => {
    const config = small();
    const model = LlamaModel.create(config, { seed: 2 });
    const good = exportFiles(await checkpointFiles(model, tokenizer.toFiles()), 'memory');
    model.dispose();
    const tensors = decodeSafetensors(good.get('model.safetensors')!);
    const rewrite = (edit: (list: { name: string; shape: number[]; data: Float32Array }[]) => void) => {
      const list = [...tensors].map(([name, tensor]) => ({ name, shape: tensor.shape, data: tensor.data }));
      edit(list);
      return encodeSafetensors(list);
    };
    const header = (bytes: Uint8Array, from: string, to: string) => {
      const text = new TextDecoder().decode(bytes);
      return new TextEncoder().encode(text.replace(from, to.padEnd(from.length)));
    };
    const withConfig = (patch: Record<string, unknown>) => new TextEncoder().encode(JSON.stringify({ ...toHfConfig(config), ...patch }));
    const cases: [string, Map<string, Uint8Array>, RegExp][] = [
      ['missing tensor', new Map([...good, ['model.safetensors', rewrite((list) => list.splice(3, 1))]]), /missing tensor "model.layers.0.self_attn.k_proj.weight"/],
      ['wrong shape', new Map([...good, ['model.safetensors', rewrite((list) => { list[0].shape = [config.dModel, config.vocabSize]; })]]),
        /tensor "model.embed_tokens.weight" has shape 24x\d+, expected \d+x24/],
      ['unknown dtype', new Map([...good, ['model.safetensors', header(good.get('model.safetensors')!, '"dtype":"F32"', '"dtype":"I8"')]]), /tensor "model.embed_tokens.weight": unsupported dtype I8/],
      ['truncated file', new Map([...good, ['model.safetensors', good.get('model.safetensors')!.subarray(0, 5000)]]), /tensor "[^"]+": data_offsets do not match its shape or the file size/],
      ['unknown architecture', new Map([...good, ['config.json', withConfig({ architectures: ['MistralForCausalLM'], model_type: 'mistral' })]]), /field "architectures" is \["MistralForCausalLM"\]/],
      ['untied without a head', new Map([...good, ['model.safetensors', rewrite((list) => list.pop())]]), /missing tensor "lm_head.weight" \(config.json says tie_word_embeddings is false\)/],
      ['unsupported field', new Map([...good, ['config.json', withConfig({ attention_bias: true })]]), /field "attention_bias" is true; this model needs false/],
    ];
    const service = new TrainerService(new CheckpointStore(new FolderBackend(tempDir())), { name: 'cpu', adapter: 'cpu' });
    for (const [what, files, message] of cases) {
      const asFiles = [...files].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name));
      const error = await service.loadHuggingFace({ kind: 'files', files: asFiles, name: what }).catch((caught: unknown) => caught);
      expect(error, what).toBeInstanceOf(CheckpointError);
      expect((error as Error).message, what).toMatch(message);
      expect((await service.status()).model, what).toBeNull();
    }
    const loaded = await service.loadHuggingFace({ kind: 'files', files: [...good].map(([name, bytes]) => new File([bytes as Uint8Array<ArrayBuffer>], name)) });
    expect(loaded.config).toEqual(config);
    service.dispose();
  });
});

/** Writes a seeded model's weights in BF16 (sharded) or F16 (one file) and its float32 logits. */
const TORCH_SCRIPT = String.raw`
import json, struct, sys
import numpy as np
import torch
from hephaestus_torch.model import build_model
from hephaestus_torch.shape import LlamaShape

directory, dtype, shards = sys.argv[1], sys.argv[2], int(sys.argv[3])
config = json.load(open(f'{directory}/config.json'))
torch.manual_seed(0)
model = build_model(LlamaShape.from_config(config)).to(torch.float32)
with torch.no_grad():
    for param in model.parameters():
        param.normal_(0, 0.1)
tokens = torch.tensor(json.load(open(f'{directory}/tokens.json')), dtype=torch.long)

def encode(tensors, kind):
    header, chunks, offset = {}, [], 0
    for name, array in tensors.items():
        data = array.tobytes()
        header[name] = {'dtype': kind, 'shape': list(array.shape), 'data_offsets': [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b' ' * ((8 - len(text) % 8) % 8)
    return struct.pack('<Q', len(text)) + text + b''.join(chunks)

def half(tensor):
    # Called after the weights were rounded: the conversion below is then exact.
    if dtype == 'BF16':
        return tensor.detach().to(torch.bfloat16).view(torch.int16).numpy().astype('<i2')
    return tensor.detach().to(torch.float16).numpy().astype('<f2')

names = list(dict(model.named_parameters()).items())
with torch.no_grad():
    logits = model(input_ids=tokens).logits
# The float32 model's logits; the weights are then written rounded to the half-precision dtype.
with open(f'{directory}/logits.f32', 'wb') as f:
    f.write(encode({'logits': logits.numpy().astype('<f4')}, 'F32'))
# And the logits of the rounded weights in float32: what a correct importer reproduces to float precision.
with torch.no_grad():
    for _, param in names:
        param.copy_(param.to(torch.bfloat16 if dtype == 'BF16' else torch.float16).to(torch.float32))
    rounded = model(input_ids=tokens).logits
with open(f'{directory}/logits-rounded.f32', 'wb') as f:
    f.write(encode({'logits': rounded.numpy().astype('<f4')}, 'F32'))
groups = [names[i::shards] for i in range(shards)]
if shards == 1:
    open(f'{directory}/model.safetensors', 'wb').write(encode({n: half(p) for n, p in names}, dtype))
else:
    weight_map = {}
    for i, group in enumerate(groups):
        file = f'model-{i + 1:05d}-of-{shards:05d}.safetensors'
        open(f'{directory}/{file}', 'wb').write(encode({n: half(p) for n, p in group}, dtype))
        weight_map.update({n: file for n, _ in group})
    json.dump({'metadata': {}, 'weight_map': weight_map}, open(f'{directory}/model.safetensors.index.json', 'w'))
`;
