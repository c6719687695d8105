/**
 * The adapter's arithmetic ceiling: a WGSL shader of independent vec4 FMA chains (no memory traffic in
 * the loop), the number every achieved GFLOP/s figure is set against.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allocate, dispatch, toTensor } from '../src/kernels/webgpu/dispatch.js';
import { measure, type Iterations, type Measured } from './lib/stats.js';

const CHAINS = 8;
const STEPS = 1024;
const GROUPS = 2048;
const THREADS = 64;

const FMA_CHAINS = /* wgsl */ `
@group(0) @binding(0) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(${THREADS})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let m = vec4<f32>(0.9999);
  let c = vec4<f32>(0.0001);
${Array.from({ length: CHAINS }, (_, i) => `  var a${i} = vec4<f32>(f32(g.x + ${i}u));`).join('\n')}
  for (var i = 0u; i < ${STEPS}u; i++) {
${Array.from({ length: CHAINS }, (_, i) => `    a${i} = fma(a${i}, m, c);`).join('\n')}
  }
  out[g.x] = ${Array.from({ length: CHAINS }, (_, i) => `a${i}`).join(' + ')};
}`;

export interface CeilingResult {
  timing: Measured;
  /** At the median sample. */
  gflops: number;
}

/** Times the FMA-chain shader (one dispatch and a 16-byte read-back per sample). */
export async function benchCeiling(iterations: Iterations): Promise<CeilingResult> {
  const timing = await measure('FMA-chain ceiling', async () => {
    const out = allocate([GROUPS * THREADS * 4]);
    dispatch({ key: 'bench-fma-chains', code: FMA_CHAINS, tensors: [out], workgroups: [GROUPS] });
    const result = toTensor(out);
    const probe = tf.slice(result, [0], [1]);
    await probe.data();
    tf.dispose([probe, result]);
  }, iterations);
  const flops = GROUPS * THREADS * STEPS * CHAINS * 4 * 2;
  return { timing, gflops: flops / (timing.median / 1000) / 1e9 };
}
