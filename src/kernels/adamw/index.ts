/**
 * The optimizer step on the device: the global gradient norm and the non-finite check (`stepStats`:
 * one sum-of-squares dispatch per 4 gradients, then one for the statistics), and AdamW of every
 * parameter in place (`adamwStep`: one dispatch per parameter, each replacing the ~15 kernels of the
 * stock composition). The update reads the clipping scale and the finite flag from the statistics
 * tensor, so a step needs no read-back, and a non-finite step is skipped by the update itself.
 *
 * Why not more tensors per dispatch: a shader that binds several tensors must branch on which one a
 * workgroup owns, and the software adapters run every branch under a mask. Measured on llvmpipe (tiny
 * preset, 38 tensors, one interleaved run): AdamW with 1 / 2 / 3 parameters per dispatch 863 / 1,262
 * / 1,609 ms; sums of squares with 2 / 4 / 8 / 15 gradients per dispatch 304 / 279 / 557 / 782 ms.
 */
import * as tf from '../../runtime/tfjs.js';
import { BackendError } from '../../util/errors.js';
import { STEP_STATS, type AdamWHyper, type AdamWSlot, type Ops, type StepStatsOptions } from '../ops.js';
import { defineKernel, type CpuAccess } from '../registry.js';
import { allocate, deviceLimits, dispatch, type UniformValue } from '../webgpu/dispatch.js';
import { workgroupGrid } from '../webgpu/grid.js';
import { adamwCpu, stepStatsCpu } from './cpu.js';
import { SQUARES_CHUNK, THREADS, adamwShader, statsShader, sumSquaresShader } from './wgsl.js';

/** Gradients per sum-of-squares dispatch (see the module comment), fewer where bindings are scarce. */
const SQUARES_PER_DISPATCH = 4;

/** The hyper-parameters and the parameter's weight decay. */
type AdamWAttrs = AdamWHyper & { weightDecay: number };

const size = (info: tf.TensorInfo) => info.shape.reduce((a, b) => a * b, 1);

/** Consecutive groups of at most `per` items. */
function chunks<T>(items: T[], per: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += per) out.push(items.slice(i, i + per));
  return out;
}

/** Workgroups of each tensor and the first workgroup index of each, for `chunk` elements per workgroup. */
function slotLayout(tensors: tf.TensorInfo[], chunk: number): { uniforms: UniformValue[]; groups: number } {
  const uniforms: UniformValue[] = [];
  let groups = 0;
  for (const tensor of tensors) {
    uniforms.push({ u32: size(tensor) }, { u32: groups });
    groups += Math.ceil(size(tensor) / chunk);
  }
  return { uniforms, groups };
}

const statsKernel = defineKernel<StepStatsOptions>('HephaestusStepStats', 'variadic', {
  webgpu([lossSum, ...grads], { accumulation, clipNorm }) {
    const perDispatch = Math.min(SQUARES_PER_DISPATCH, deviceLimits().maxStorageBuffersPerShaderStage - 1);
    const groupsOf = (tensors: tf.TensorInfo[]) => slotLayout(tensors, SQUARES_CHUNK).groups;
    const partials = allocate([grads.reduce((total, grad) => total + groupsOf([grad]), 0)]);
    let offset = 0;
    for (const batch of chunks(grads, perDispatch)) {
      const { uniforms, groups } = slotLayout(batch, SQUARES_CHUNK);
      dispatch({
        key: `sum-squares-${batch.length}`, code: sumSquaresShader(batch.length), tensors: [...batch, partials],
        uniforms: [{ u32: groups }, { u32: offset }, ...uniforms], workgroups: workgroupGrid(groups),
      });
      offset += groups;
    }
    const stats = allocate([4]);
    dispatch({
      key: 'step-stats', code: statsShader(), tensors: [partials, lossSum, stats],
      uniforms: [{ u32: offset }, { f32: accumulation }, { f32: clipNorm }], workgroups: [1],
    });
    tf.backend().disposeData(partials.dataId);
    return [stats];
  },
  cpu([lossSum, ...grads], options, backend) {
    const values = (info: tf.TensorInfo) => backend.values(info) as Float32Array;
    return [backend.make([4], stepStatsCpu(values(lossSum)[0], grads.map(values), options))];
  },
});

const adamwKernel = defineKernel<AdamWAttrs>('HephaestusAdamW', ['stats', 'param', 'grad', 'm', 'v'], {
  webgpu([stats, param, grad, m, v], { lr, beta1, beta2, eps, step, weightDecay }) {
    const count = size(param);
    dispatch({
      key: 'adamw', code: adamwShader(), tensors: [stats, param, grad, m, v],
      uniforms: [
        { u32: count }, { f32: lr }, { f32: beta1 }, { f32: 1 - beta1 }, { f32: beta2 }, { f32: 1 - beta2 },
        { f32: 1 / (1 - beta1 ** step) }, { f32: 1 / (1 - beta2 ** step) }, { f32: eps }, { f32: 1 - lr * weightDecay },
      ],
      workgroups: workgroupGrid(Math.ceil(count / THREADS)), inPlace: [1, 3, 4],
    });
    return [];
  },
  cpu([stats, param, grad, m, v], attrs, backend) {
    const values = backend.values(stats) as Float32Array;
    if (values[STEP_STATS.finite] === 0) return [];
    const [p, g, mv, vv] = [param, grad, m, v].map((info) => writable(backend, info));
    adamwCpu(p, g, mv, vv, values[STEP_STATS.gradScale], attrs.weightDecay, attrs);
    return [];
  },
});

function writable(backend: CpuAccess, info: tf.TensorInfo): Float32Array {
  if (backend.refCount(info) > 1) throw new BackendError(`AdamW: a [${info.shape}] tensor shares its buffer with another and cannot be updated in place`);
  return backend.values(info) as Float32Array;
}

/**
 * The update writes in place, so a variable that shares its buffer with another tensor (e.g. one
 * made from a tensor that is still alive) first gets a copy of its own, once.
 */
function ownBuffer(variable: tf.Variable): void {
  if (tf.backend().refCount(variable.dataId) <= 1) return;
  const copy = tf.add(variable, 0);
  variable.assign(copy);
  copy.dispose();
}

/** The step's statistics on the device (the `Ops.stepStats` of our kernel set). */
export const stepStats: Ops['stepStats'] = (lossSum, grads, options) =>
  statsKernel([lossSum, ...grads], { ...options })[0] as tf.Tensor1D;

/**
 * AdamW of every slot in place, one dispatch each, skipped on the device when the step is not
 * finite (the `Ops.adamwStep` of our kernel set).
 */
export function adamwStep(slots: AdamWSlot[], stats: tf.Tensor1D, hyper: AdamWHyper): void {
  for (const { param, grad, m, v, weightDecay } of slots) {
    if (!tf.util.arraysEqual(param.shape, grad.shape)) throw new BackendError(`AdamW: gradient [${grad.shape}] does not match parameter [${param.shape}]`);
    [param, m, v].forEach(ownBuffer);
    adamwKernel([stats, param, grad, m, v], { ...hyper, weightDecay });
  }
}
