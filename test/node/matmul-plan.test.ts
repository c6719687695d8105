/**
 * The matmul dispatch plan (pure: no GPU): chunks within the limits, covering the product exactly once;
 * texture layouts; and the Node file store of autotune choices.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeTuneStore } from '../../src/kernels/matmul/node-store.js';
import { planChunks, textureLayout, type MatmulLimits, type MatmulProblem } from '../../src/kernels/matmul/plan.js';

const device: MatmulLimits = {
  maxComputeWorkgroupsPerDimension: 65535, maxStorageBufferBindingSize: 128 << 20, minStorageBufferOffsetAlignment: 256, maxTextureDimension2D: 4096,
};
const tile = { rows: 64, cols: 64 };

/** Every (row, col, k) of the product lies in exactly one chunk. */
function expectExactCover(p: MatmulProblem, chunks: ReturnType<typeof planChunks>): void {
  const cells = new Map<string, number>();
  for (const c of chunks) {
    expect(c.rows.start % 4, 'row chunks start at multiples of 4').toBe(0);
    expect(c.cols.start % 4).toBe(0);
    expect(c.depth.start % 4).toBe(0);
    for (const r of [c.rows.start, c.rows.end - 1]) for (const col of [c.cols.start, c.cols.end - 1]) for (const d of [c.depth.start, c.depth.end - 1]) {
      const key = `${r},${col},${d}`;
      cells.set(key, (cells.get(key) ?? 0) + 1);
    }
  }
  for (const count of cells.values()) expect(count).toBe(1);
  const volume = chunks.reduce((sum, c) => sum + (c.rows.end - c.rows.start) * (c.cols.end - c.cols.start) * (c.depth.end - c.depth.start), 0);
  expect(volume).toBe(p.m * p.n * p.k);
}

describe('matmul dispatch plan', () => {
  it('is one dispatch within the device limits', () => {
    const p = { m: 1024, n: 2048, k: 256, transposeA: false, transposeB: true };
    expect(planChunks(p, tile, { a: true, b: true }, device)).toEqual([{ rows: { start: 0, end: 1024 }, cols: { start: 0, end: 2048 }, depth: { start: 0, end: 256 } }]);
  });

  it('splits rows for the output binding and the grid, columns for the grid, k for k-major operands', () => {
    const limits = { ...device, maxStorageBufferBindingSize: 64 * 1024, maxComputeWorkgroupsPerDimension: 3 };
    for (const [transposeA, transposeB] of [[false, false], [false, true], [true, false], [true, true]]) {
      const p = { m: 301, n: 250, k: 97, transposeA, transposeB };
      const chunks = planChunks(p, tile, { a: true, b: true }, limits);
      expectExactCover(p, chunks);
      for (const c of chunks) {
        const rows = c.rows.end - c.rows.start;
        const cols = c.cols.end - c.cols.start;
        const depth = c.depth.end - c.depth.start;
        expect(Math.ceil(rows / tile.rows)).toBeLessThanOrEqual(3);
        expect(Math.ceil(cols / tile.cols)).toBeLessThanOrEqual(3);
        const fits = (floats: number) => floats * 4 + 256 <= limits.maxStorageBufferBindingSize;
        expect(fits(rows * p.n), 'C rows').toBe(true);
        expect(fits(transposeA ? depth * p.m : rows * p.k), 'A').toBe(true);
        expect(fits(transposeB ? cols * p.k : depth * p.n), 'B').toBe(true);
      }
      expect(chunks.some((c) => c.depth.start > 0), `k is split for ${transposeA}/${transposeB}`).toBe(transposeA || !transposeB);
    }
  });

  it('says which limit a product cannot meet', () => {
    const limits = { ...device, maxStorageBufferBindingSize: 256 + 4 * 100 };
    expect(() => planChunks({ m: 10, n: 200, k: 8, transposeA: false, transposeB: true }, tile, { a: true, b: true }, limits)).toThrow(/row of the 10x200 output/);
  });

  it('lays operands out in textures, folding rows past the height limit into bands of texels', () => {
    expect(textureLayout(1024, 256, device)).toEqual({ rows: 1024, cols: 256, texels: 64, foldShift: 12, width: 64, height: 1024 });
    expect(textureLayout(10_000, 30, device)).toEqual({ rows: 10_000, cols: 30, texels: 8, foldShift: 12, width: 24, height: 4096 });
    expect(textureLayout(10_000, 16_384, device)).toBeUndefined();
  });
});

describe('the Node store of matmul autotune choices', () => {
  it('writes atomically into its folder (created on demand) and reads back; a missing file reads as nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hephaestus-tune-'));
    try {
      const store = nodeTuneStore(join(dir, 'cache', 'matmul-autotune.json'));
      expect(await store.read()).toBeUndefined();
      await store.write('{"version":1}');
      expect(await store.read()).toBe('{"version":1}');
      expect(readdirSync(join(dir, 'cache'))).toEqual(['matmul-autotune.json']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
