/**
 * Our WebGPU kernel set in Node (Dawn over llvmpipe) through the kernel harness: every op of the set
 * against float64 maths forward and backward (poisoned outputs), every matmul variant on every operand
 * layout at sizes around its tile, dispatch splitting under small limits, and the autotune.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webgpuOps } from '../../src/kernels/index.js';
import {
  MATMUL_VARIANTS, autotuneMatmul, configureMatmul, currentLimits, matmulTuningIdle, planChunks, resetMatmulChoices,
  variantFor, type TuneStore,
} from '../../src/kernels/matmul/index.js';
import { Rng } from '../../src/util/rng.js';
import { checkKernel } from '../setup/kernel-harness.js';
import { LAYOUTS, gradientCases, smallLimitProblems, smallLimits, tileEdgeProblems, variantCase } from '../setup/matmul-cases.js';
import { useNodeWebGPU } from '../setup/node-webgpu.js';
import { opCases } from '../setup/op-cases.js';

useNodeWebGPU();
beforeAll(() => configureMatmul({ store: null, autotune: 'off' }));
afterAll(() => configureMatmul({ variant: null }));

describe('our WebGPU kernel set (hephaestus-webgpu) through the harness', () => {
  for (const c of opCases(webgpuOps, new Rng(11))) {
    it(`${c.name} matches float64 forward and backward`, async () => {
      const errors = await checkKernel(c, new Rng(5));
      console.info(`webgpu ours ${c.name}: ${JSON.stringify(errors)}`);
    });
  }
  for (const c of gradientCases(new Rng(17))) {
    it(`${c.name} matches float64`, async () => {
      const errors = await checkKernel(c, new Rng(6));
      console.info(`${c.name}: ${JSON.stringify(errors)}`);
    });
  }
});

describe('matmul variants', () => {
  MATMUL_VARIANTS.forEach((v, index) => {
    // The packing paths are shared by all variants: the reference variant covers every layout and the aligned copy.
    const all = v.name === 'texture-8x8';
    it(`${v.name}: ${all ? 'every layout' : 'the training layouts'} around its ${v.rm * v.wy}x${v.rn * v.wx} tile match float64`, async () => {
      const rng = new Rng(21);
      for (const p of tileEdgeProblems(v, rng, all)) await checkKernel(variantCase(v, p), rng);
    });
    // Texture variants fold and chunk the same way in every layout (one each, in turn); tiled ones split k
    // when A or B is stored k-major, so both such layouts.
    const layouts = v.kind === 'texture' ? [LAYOUTS[index % LAYOUTS.length]] : [LAYOUTS[0], LAYOUTS[2]];
    it(`${v.name}: split dispatches${v.kind === 'texture' ? ' and folded textures' : ' and k slices'} under small limits match float64`, async () => {
      const limits = smallLimits();
      const rng = new Rng(22);
      for (const p of smallLimitProblems(layouts, v.kind === 'texture' ? 33 : 45)) {
        const tile = { rows: v.rm * v.wy, cols: v.rn * v.wx };
        const chunks = planChunks(p, tile, { a: v.kind === 'tiled', b: v.kind === 'tiled' }, limits);
        expect(chunks.length, 'dispatches under small limits').toBeGreaterThan(1);
        if (v.kind === 'tiled') expect(chunks.some((c) => c.depth.start > 0), 'k slices').toBe(true);
        await checkKernel(variantCase(v, p, limits), rng);
      }
    });
  });
});

describe('matmul autotune', () => {
  const memoryStore = () => {
    const writes: string[] = [];
    const store: TuneStore = { read: async () => writes.at(-1), write: async (json) => void writes.push(json) };
    return { store, writes };
  };
  afterAll(() => {
    configureMatmul({ store: null, autotune: 'off' });
    resetMatmulChoices();
  });

  it('times every supported variant, keeps the fastest, persists it and reuses it', async () => {
    const { store, writes } = memoryStore();
    configureMatmul({ store, autotune: 'off' });
    resetMatmulChoices();
    const problem = { m: 96, n: 80, k: 64, transposeA: false, transposeB: true };
    const [result] = await autotuneMatmul([problem], { runs: 1 });
    expect(result.timings.length).toBe(MATMUL_VARIANTS.length);
    for (const t of result.timings) expect(t.ms).toBeGreaterThan(0);
    const fastest = result.timings.reduce((a, b) => (b.ms < a.ms ? b : a));
    expect(result.chosen).toBe(fastest.variant);
    expect(variantFor(problem, currentLimits()).name).toBe(fastest.variant);
    expect(JSON.parse(writes.at(-1)!).adapters).toBeDefined();
    expect(writes.at(-1)).toContain(`"${result.key}":"${fastest.variant}"`);

    // A fresh process (memory forgotten) reads the choice back instead of measuring again.
    resetMatmulChoices();
    const [again] = await autotuneMatmul([problem]);
    expect(again.timings).toEqual([]);
    expect(again.chosen).toBe(fastest.variant);
  });

  it('tunes a shape in the background on first use and switches to the winner', async () => {
    const { store } = memoryStore();
    configureMatmul({ store, autotune: 'background' });
    resetMatmulChoices();
    const problem = { m: 40, n: 36, k: 24, transposeA: true, transposeB: false };
    const first = variantFor(problem, currentLimits());
    expect(MATMUL_VARIANTS).toContain(first);
    await matmulTuningIdle();
    const tuned = variantFor(problem, currentLimits());
    const [result] = await autotuneMatmul([problem]);
    expect(result.timings).toEqual([]); // measured already, in the background
    expect(tuned.name).toBe(result.chosen);
  });
});
