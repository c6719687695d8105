/**
 * Our matmul as a tfjs kernel (`HephaestusMatMul`, with transposed operands for the backward pass) on
 * the WebGPU backend (the variant chosen per shape and adapter, see autotune.ts) and on the CPU
 * backend (the plain reference), with its gradient registered, and the `linear` op built on it.
 *
 * Registered through the tfjs engine (not raw dispatches under `tf.customGrad`), so `tf.tidy`,
 * autograd and `tf.profile` see it like tfjs's own kernels.
 */
import * as tf from '../../runtime/tfjs.js';
import { InputError } from '../../util/errors.js';
import { variantFor } from './autotune.js';
import { matmulCpu } from './cpu.js';
import type { MatmulProblem } from './plan.js';
import { currentLimits, runVariant } from './run.js';

export { MATMUL_VARIANTS, autotuneMatmul, configureMatmul, matmulTuningIdle, resetMatmulChoices, variantFor } from './autotune.js';
export type { AutotuneOptions, MatmulSettings, MatmulTuneResult, TuneStore, VariantTiming } from './autotune.js';
export { matmulCpu } from './cpu.js';
export { planChunks, problemFlops, problemKey, textureLayout } from './plan.js';
export type { BoundOperands, MatmulChunk, MatmulLimits, MatmulProblem, Span, TextureLayout, TileShape } from './plan.js';
export { currentLimits, runVariant, supports } from './run.js';
export { matmulTextureBytes, releaseMatmulTextures } from './textures.js';
export type { MatmulVariant } from './wgsl.js';

/** Name of the kernel in the tfjs registry (and in `tf.profile` records). */
export const MATMUL_KERNEL = 'HephaestusMatMul';

interface MatmulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

function problemOf(a: tf.TensorInfo, b: tf.TensorInfo, { transposeA, transposeB }: MatmulAttrs): MatmulProblem {
  const [m, k] = transposeA ? [a.shape[1], a.shape[0]] : [a.shape[0], a.shape[1]];
  const n = transposeB ? b.shape[0] : b.shape[1];
  return { m, n, k, transposeA, transposeB };
}

function attrsOf(attrs: tf.NamedAttrMap | undefined): MatmulAttrs {
  return { transposeA: attrs?.transposeA === true, transposeB: attrs?.transposeB === true };
}

tf.registerKernel({
  kernelName: MATMUL_KERNEL,
  backendName: 'webgpu',
  kernelFunc: ({ inputs, attrs }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const problem = problemOf(a, b, attrsOf(attrs));
    const limits = currentLimits();
    return runVariant(variantFor(problem, limits), problem, a, b, limits);
  },
});

tf.registerKernel({
  kernelName: MATMUL_KERNEL,
  backendName: 'cpu',
  kernelFunc: ({ inputs, attrs, backend }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const problem = problemOf(a, b, attrsOf(attrs));
    const cpu = backend as unknown as { readSync(dataId: object): Float32Array; makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo };
    return cpu.makeTensorInfo([problem.m, problem.n], 'float32', matmulCpu(cpu.readSync(a.dataId), cpu.readSync(b.dataId), problem));
  },
});

/**
 * Gradients of `C = op(A) @ op(B)`, each again one of our products with the operands in their stored
 * layouts (no transpose is materialised): e.g. for `A @ B^T`, `dA = dC @ B` and `dB = dC^T @ A`.
 */
tf.registerGradient({
  kernelName: MATMUL_KERNEL,
  inputsToSave: ['a', 'b'],
  gradFunc: (dy, saved, attrs) => {
    const [a, b] = saved;
    const dc = dy as tf.Tensor2D;
    const { transposeA, transposeB } = attrsOf(attrs);
    const gradA = () => (transposeA ? matmul(b, dc, transposeB, true) : matmul(dc, b, false, !transposeB));
    const gradB = () => (transposeB ? matmul(dc, a, true, transposeA) : matmul(a, dc, !transposeA, false));
    return { a: gradA, b: gradB };
  },
});

/** `op(a) @ op(b)` for 2-D float32 tensors with our kernel (any backend with one registered). */
export function matmul(a: tf.Tensor, b: tf.Tensor, transposeA = false, transposeB = false): tf.Tensor2D {
  const problem = problemOf(a, b, { transposeA, transposeB });
  const inner = transposeB ? b.shape[1] : b.shape[0];
  if (inner !== problem.k) throw new InputError('matmul operands', `inner sizes ${problem.k} and ${inner} differ ([${a.shape}] x [${b.shape}], transposes ${transposeA}/${transposeB})`);
  if (problem.m * problem.n * problem.k === 0) return tf.zeros([problem.m, problem.n]);
  const attrs: MatmulAttrs = { transposeA, transposeB };
  return tf.engine().runKernel(MATMUL_KERNEL, { a, b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** `x @ weight^T`: x `[..., in]`, weight `[out, in]` -> `[..., out]` (the `linear` op of the kernel set). */
export function linear(x: tf.Tensor, weight: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inFeatures = x.shape[x.shape.length - 1];
    const rows = tf.reshape(x, [-1, inFeatures]);
    return tf.reshape(matmul(rows, weight, false, true), [...x.shape.slice(0, -1), weight.shape[0]]);
  });
}
