/**
 * Our WebGPU kernel set in Chromium (SwiftShader) through the kernel harness: every op of the set
 * forward and backward against float64 maths with poisoned outputs, every matmul variant in the
 * training layouts around its tile, and dispatch splitting under small limits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { webgpuOps } from '../../src/kernels/index.js';
import { MATMUL_VARIANTS, configureMatmul, planChunks } from '../../src/kernels/matmul/index.js';
import { initBackend } from '../../src/runtime/backend.js';
import { Rng } from '../../src/util/rng.js';
import { checkKernel } from '../setup/kernel-harness.js';
import { LAYOUTS, gradientCases, smallLimitProblems, smallLimits, tileEdgeProblems, variantCase } from '../setup/matmul-cases.js';
import { opCases } from '../setup/op-cases.js';

beforeAll(async () => {
  const info = await initBackend({ prefer: 'webgpu' });
  expect(info.name).toBe('webgpu');
  configureMatmul({ store: null, autotune: 'off' });
});

describe('our WebGPU kernel set in Chromium', () => {
  for (const c of [...opCases(webgpuOps, new Rng(11)), ...gradientCases(new Rng(17))]) {
    it(`${c.name} matches float64 forward and backward`, async () => {
      const errors = await checkKernel(c, new Rng(5));
      console.info(`chromium ours ${c.name}: ${JSON.stringify(errors)}`);
    });
  }
  MATMUL_VARIANTS.forEach((v, index) => {
    it(`${v.name}: the training layouts around its tile, and split dispatches under small limits`, async () => {
      const rng = new Rng(21);
      for (const p of tileEdgeProblems(v, rng, v.name === 'texture-8x8')) await checkKernel(variantCase(v, p), rng);
      const limits = smallLimits();
      const layouts = v.kind === 'texture' ? [LAYOUTS[index % LAYOUTS.length]] : [LAYOUTS[0], LAYOUTS[2]];
      for (const p of smallLimitProblems(layouts, v.kind === 'texture' ? 33 : 45)) {
        expect(planChunks(p, { rows: v.rm * v.wy, cols: v.rn * v.wx }, { a: v.kind === 'tiled', b: v.kind === 'tiled' }, limits).length).toBeGreaterThan(1);
        await checkKernel(variantCase(v, p, limits), rng);
      }
    });
  });
});
