/**
 * The model against an independent reference: forward logits, the loss, and the gradient of every
 * parameter are compared with a float64 PyTorch implementation of Hugging Face's LlamaForCausalLM
 * (the model of python/hephaestus_torch, the module the PyTorch trainer runs, here in float64, run with
 * Debian's /usr/bin/python3 + python3-torch as `-m hephaestus_torch.reference`) that loads the same weights
 * through our safetensors export and config.json.
 *
 * Metric, per tensor (the logits, and each parameter's gradient):
 *   relative error = max_i |ours_i - ref_i| / max_i |ref_i|
 * which must stay under 1e-4 (float32 maths against float64). The loss: |ours - ref| / |ref| < 1e-4.
 * Runs on the CPU backend and on the WebGPU backend (Dawn over Mesa llvmpipe) with both kernel sets
 * (the stock tfjs composition and ours), on the nano preset and on a config with odd sizes
 * (grouped-query attention, untied head, odd vocabulary/FFN/sequence sizes).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig, type ModelConfig } from '../../src/model/config.js';
import { exportSafetensors, toHfConfig } from '../../src/model/hf-format.js';
import { LlamaModel } from '../../src/model/model.js';
import { kernelsFor, type KernelChoice } from '../../src/kernels/index.js';
import { paramSpecs } from '../../src/model/params.js';
import { initNodeBackend } from '../../src/runtime/node-webgpu.js';
import { Rng } from '../../src/util/rng.js';
import { nodeWebGPU } from '../setup/node-webgpu.js';

const PYTHON = '/usr/bin/python3';
const PACKAGE_DIR = fileURLToPath(new URL('../../python', import.meta.url));
const TOLERANCE = 1e-4;

interface Case {
  name: string;
  config: ModelConfig;
  batch: number;
  length: number;
  seed: number;
}

const cases: Case[] = [
  // The nano preset as it ships (tied head, multi-head attention).
  { name: 'nano', config: resolveConfig('nano'), batch: 2, length: 24, seed: 11 },
  // Odd sizes everywhere: vocab 97, head size 6 (odd RoPE half), 4 query heads in 2 groups of 2 per key/value head,
  // FFN 37, untied lm_head, T = 13 inside a context of 19, another RoPE base and epsilon.
  {
    name: 'odd',
    config: resolveConfig('nano', {
      vocabSize: 97, dModel: 24, nHeads: 4, nKvHeads: 2, ffnHidden: 37, nLayers: 2, contextLength: 19,
      tieEmbeddings: false, ropeTheta: 500, normEps: 1e-6,
    }),
    batch: 3,
    length: 13,
    seed: 23,
  },
];

/**
 * Weights less trivial than the 0.02-std initialisation: linears N(0, (1.5 / sqrt(in))^2) (0.08-0.31
 * here), embeddings and head N(0, 0.25^2), norm gains 1 + N(0, 0.3^2).
 */
function awkwardWeights(config: ModelConfig, seed: number): Map<string, Float32Array> {
  const rng = new Rng(seed);
  const weights = new Map<string, Float32Array>();
  for (const spec of paramSpecs(config)) {
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    const std = spec.kind === 'linear' && spec.name !== 'lm_head.weight' ? 1.5 / Math.sqrt(spec.shape[1]) : 0.25;
    for (let i = 0; i < data.length; i++) data[i] = spec.kind === 'norm' ? 1 + 0.3 * rng.normal() : std * rng.normal();
    weights.set(spec.name, data);
  }
  return weights;
}

interface Inputs {
  tokens: Int32Array;
  targets: Int32Array;
  /** About a quarter zeros, plus the whole last half of the last row. */
  mask: Float32Array;
}

function randomInputs(test: Case): Inputs {
  const rng = new Rng(test.seed + 1000);
  const size = test.batch * test.length;
  const tokens = Int32Array.from({ length: size }, () => rng.int(test.config.vocabSize));
  const targets = Int32Array.from({ length: size }, () => rng.int(test.config.vocabSize));
  const mask = Float32Array.from({ length: size }, (_, i) =>
    i >= size - Math.floor(test.length / 2) ? 0 : rng.next() < 0.25 ? 0 : 1);
  return { tokens, targets, mask };
}

/** Reads the F64 safetensors file the Python reference writes. */
function readFloat64Safetensors(path: string): Map<string, { shape: number[]; data: Float64Array }> {
  const bytes = readFileSync(path);
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const start = 8 + headerLength;
  const out = new Map<string, { shape: number[]; data: Float64Array }>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (entry.dtype !== 'F64') throw new Error(`${path}: ${name} is ${entry.dtype}, expected F64`);
    const [begin, end] = entry.data_offsets;
    const copy = Uint8Array.prototype.slice.call(bytes, start + begin, start + end);
    out.set(name, { shape: entry.shape, data: new Float64Array(copy.buffer) });
  }
  return out;
}

function checkPython(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      `the PyTorch reference needs ${PYTHON} with torch and numpy (Debian: apt-get install python3-torch); ` +
        `"${PYTHON} -c 'import torch, numpy'" failed: ${probe.error?.message ?? probe.stderr.trim()}`,
    );
  }
}

interface Reference {
  logits: Float64Array;
  loss: number;
  grads: Map<string, Float64Array>;
}

/** Exports the weights (through a CPU model and our safetensors export) and runs the Python reference. */
async function runReference(test: Case, weights: Map<string, Float32Array>, inputs: Inputs, dir: string): Promise<Reference> {
  await initNodeBackend({ prefer: 'cpu' });
  const model = LlamaModel.create(test.config, { weights });
  try {
    writeFileSync(join(dir, 'model.safetensors'), await exportSafetensors(model));
  } finally {
    model.dispose();
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(toHfConfig(test.config)));
  writeFileSync(join(dir, 'inputs.json'), JSON.stringify({
    batch: test.batch, length: test.length,
    tokens: [...inputs.tokens], targets: [...inputs.targets], mask: [...inputs.mask],
  }));
  const run = spawnSync(PYTHON, ['-m', 'hephaestus_torch.reference', dir], {
    encoding: 'utf8', timeout: 60_000, env: { ...process.env, PYTHONPATH: PACKAGE_DIR },
  });
  if (run.error || run.status !== 0) {
    throw new Error(`${PYTHON} -m hephaestus_torch.reference failed (${run.error?.message ?? `exit ${run.status}`}):\n${run.stderr}`);
  }
  const file = readFloat64Safetensors(join(dir, 'reference.safetensors'));
  const grads = new Map<string, Float64Array>();
  for (const [name, entry] of file) if (name.startsWith('grad:')) grads.set(name.slice(5), entry.data);
  return { logits: file.get('logits')!.data, loss: file.get('loss')!.data[0], grads };
}

/** max|ours - ref| / max|ref| over the whole tensor (NaN/Infinity in ours count as failure). */
function relativeError(ours: ArrayLike<number>, ref: ArrayLike<number>): number {
  if (ours.length !== ref.length) throw new Error(`length ${ours.length} against reference ${ref.length}`);
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) {
    const diff = Math.abs(ours[i] - ref[i]);
    if (!Number.isFinite(diff)) return Infinity;
    maxDiff = Math.max(maxDiff, diff);
    maxRef = Math.max(maxRef, Math.abs(ref[i]));
  }
  return maxRef === 0 ? maxDiff : maxDiff / maxRef;
}

interface Row {
  backend: string;
  config: string;
  logits: number;
  loss: number;
  worstGrad: number;
  worstGradName: string;
  ms: number;
}

const rows: Row[] = [];

describe('LlamaModel against the float64 PyTorch reference (python/hephaestus_torch, float64)', () => {
  const prepared = new Map<string, { weights: Map<string, Float32Array>; inputs: Inputs; ref: Reference }>();
  const dirs: string[] = [];

  beforeAll(async () => {
    checkPython();
    for (const test of cases) {
      const dir = mkdtempSync(join(tmpdir(), `hephaestus-ref-${test.name}-`));
      dirs.push(dir);
      const weights = awkwardWeights(test.config, test.seed);
      const inputs = randomInputs(test);
      prepared.set(test.name, { weights, inputs, ref: await runReference(test, weights, inputs, dir) });
    }
  });

  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    if (rows.length === 0) return;
    const fmt = (x: number) => x.toExponential(2);
    const lines = rows.map((r) =>
      `${r.backend.padEnd(13)}${r.config.padEnd(6)}${fmt(r.logits).padStart(10)}${fmt(r.loss).padStart(10)}` +
        `${fmt(r.worstGrad).padStart(11)}  ${r.worstGradName} (${r.ms} ms)`);
    console.log(
      `relative error max|ours-ref|/max|ref| against float64 PyTorch (limit ${TOLERANCE}):\n` +
        `backend      config    logits      loss  worst grad  (parameter)\n${lines.join('\n')}`,
    );
  });

  const runs = [['cpu', 'stock'], ['webgpu', 'stock'], ['webgpu', 'ours']] as const satisfies readonly (readonly ['cpu' | 'webgpu', KernelChoice])[];
  for (const [backend, kernels] of runs) {
    for (const test of cases) {
      it(`${backend} (${kernels} kernels): ${test.name} (B=${test.batch}, T=${test.length}) logits, loss and every gradient`, async () => {
        if (backend === 'cpu') {
          await initNodeBackend({ prefer: 'cpu' });
        } else {
          await nodeWebGPU();
          await tf.setBackend('webgpu');
        }
        expect(tf.getBackend()).toBe(backend);
        const started = performance.now();
        const { weights, inputs, ref } = prepared.get(test.name)!;
        const ops = kernelsFor(backend, { kernels });
        expect(ops.name).toBe(backend === 'webgpu' && kernels === 'ours' ? 'hephaestus-webgpu' : backend === 'cpu' ? 'tfjs-cpu' : 'tfjs');
        const model = LlamaModel.create(test.config, { weights, ops });
        const shape: [number, number] = [test.batch, test.length];
        const tokens = tf.tensor2d(inputs.tokens, shape, 'int32');
        const targets = tf.tensor2d(inputs.targets, shape, 'int32');
        const mask = tf.tensor2d(inputs.mask, shape, 'float32');
        try {
          const logits = model.forward(tokens);
          const { value, grads } = tf.variableGrads(() => model.loss(tokens, targets, mask));
          const logitsData = await logits.data();
          const loss = (await value.data())[0];
          const gradData = new Map<string, Float32Array>();
          for (const [name, variable] of model.params) {
            const grad = grads[variable.name];
            expect(grad, `gradient of ${name}`).toBeDefined();
            gradData.set(name, (await grad.data()) as Float32Array);
          }
          tf.dispose([logits, value, ...Object.values(grads)]);

          expect([...logits.shape]).toEqual([test.batch, test.length, test.config.vocabSize]);
          const logitsError = relativeError(logitsData, ref.logits);
          const lossError = Math.abs(loss - ref.loss) / Math.abs(ref.loss);
          const gradErrors = [...gradData].map(([name, data]) => {
            const expected = ref.grads.get(name);
            if (!expected) throw new Error(`reference has no gradient for ${name}`);
            return { name, error: relativeError(data, expected) };
          });
          expect(new Set(ref.grads.keys())).toEqual(new Set(model.params.keys()));
          const worst = gradErrors.reduce((a, b) => (b.error > a.error ? b : a));
          rows.push({
            backend: backend === 'webgpu' ? `webgpu/${kernels}` : backend, config: test.name, logits: logitsError, loss: lossError,
            worstGrad: worst.error, worstGradName: worst.name, ms: Math.round(performance.now() - started),
          });

          expect(logitsError, 'logits').toBeLessThan(TOLERANCE);
          expect(lossError, 'loss').toBeLessThan(TOLERANCE);
          const failing = gradErrors.filter((g) => !(g.error < TOLERANCE));
          expect(failing, 'gradients over the limit').toEqual([]);
        } finally {
          tf.dispose([tokens, targets, mask]);
          model.dispose();
        }
      });
    }
  }
});
