/**
 * The optimizer step on the device, in as few dispatches as the binding limit allows: the global
 * gradient norm and the non-finite check (`stepStats`: one sum-of-squares dispatch per
 * `maxStorageBuffersPerShaderStage - 1` gradients, then one for the statistics), and AdamW for all
 * parameters (`adamwStep`: one dispatch per `(maxStorageBuffersPerShaderStage - 1) / 4` parameters,
 * in place). The update reads the clipping scale and the finite flag from the statistics tensor, so
 * a step needs no read-back, and a non-finite step is skipped by the update itself.
 */
import * as tf from '../../runtime/tfjs.js';
import { BackendError } from '../../util/errors.js';
import { STEP_STATS, type AdamWHyper, type AdamWSlot, type Ops, type StepStatsOptions } from '../ops.js';
import { defineKernel, type CpuAccess } from '../registry.js';
import { allocate, deviceLimits, dispatch, type UniformValue } from '../webgpu/dispatch.js';
import { workgroupGrid } from '../webgpu/grid.js';
import { adamwCpu, stepStatsCpu } from './cpu.js';
import { SQUARES_CHUNK, UPDATE_CHUNK, adamwShader, statsShader, sumSquaresShader } from './wgsl.js';

/** The hyper-parameters and each slot's weight decay. */
type AdamWAttrs = AdamWHyper & { decays: number[] };

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

function storageBuffers(): number {
  return deviceLimits().maxStorageBuffersPerShaderStage;
}

const statsKernel = defineKernel<StepStatsOptions>('HephaestusStepStats', 'variadic', {
  webgpu([lossSum, ...grads], { accumulation, clipNorm }) {
    const perDispatch = storageBuffers() - 1;
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

const adamwKernel = defineKernel<AdamWAttrs>('HephaestusAdamW', 'variadic', {
  webgpu([stats, ...tensors], attrs) {
    const { lr, beta1, beta2, eps, step } = attrs;
    const { decays } = attrs;
    const perDispatch = Math.floor((storageBuffers() - 1) / 4);
    if (perDispatch < 1) throw new BackendError(`AdamW needs 5 storage buffers per shader stage; the device offers ${storageBuffers()}`);
    const slots = chunks(tensors, 4).map((quad, i) => ({ quad, decay: decays[i] }));
    const common: UniformValue[] = [
      { f32: lr }, { f32: beta1 }, { f32: 1 - beta1 }, { f32: beta2 }, { f32: 1 - beta2 },
      { f32: 1 / (1 - beta1 ** step) }, { f32: 1 / (1 - beta2 ** step) }, { f32: eps },
    ];
    for (const batch of chunks(slots, perDispatch)) {
      const { uniforms, groups } = slotLayout(batch.map(({ quad }) => quad[0]), UPDATE_CHUNK);
      const perSlot = batch.flatMap(({ decay }, s) => [uniforms[2 * s], uniforms[2 * s + 1], { f32: 1 - lr * decay }]);
      const bound = batch.flatMap(({ quad }) => quad);
      dispatch({
        key: `adamw-${batch.length}`, code: adamwShader(batch.length), tensors: [stats, ...bound],
        uniforms: [{ u32: groups }, ...common, ...perSlot], workgroups: workgroupGrid(groups),
        inPlace: bound.map((_, i) => i + 1).filter((i) => (i - 1) % 4 !== 1),
      });
    }
    return [];
  },
  cpu([stats, ...tensors], attrs, backend) {
    const [scale, finite] = [STEP_STATS.gradScale, STEP_STATS.finite].map((i) => (backend.values(stats) as Float32Array)[i]);
    if (finite === 0) return [];
    const { decays } = attrs;
    chunks(tensors, 4).forEach(([param, grad, m, v], i) => {
      const [p, g, mv, vv] = [param, grad, m, v].map((info) => writable(backend, info));
      adamwCpu(p, g, mv, vv, scale, decays[i], attrs);
    });
    return [];
  },
});

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

function writable(backend: CpuAccess, info: tf.TensorInfo): Float32Array {
  if (backend.refCount(info) > 1) throw new BackendError(`AdamW: a [${info.shape}] tensor shares its buffer with another and cannot be updated in place`);
  return backend.values(info) as Float32Array;
}

/** The step's statistics on the device (the `Ops.stepStats` of our kernel set). */
export const stepStats: Ops['stepStats'] = (lossSum, grads, options) =>
  statsKernel([lossSum, ...grads], { ...options })[0] as tf.Tensor1D;

/** AdamW of every slot in place, skipped on the device when the step is not finite (the `Ops.adamwStep` of our kernel set). */
export function adamwStep(slots: AdamWSlot[], stats: tf.Tensor1D, hyper: AdamWHyper): void {
  for (const { param, grad, m, v } of slots) {
    if (!tf.util.arraysEqual(param.shape, grad.shape)) throw new BackendError(`AdamW: gradient [${grad.shape}] does not match parameter [${param.shape}]`);
    [param, m, v].forEach(ownBuffer);
  }
  const tensors = slots.flatMap(({ param, grad, m, v }) => [param, grad, m, v]);
  adamwKernel([stats, ...tensors], { ...hyper, decays: slots.map((slot) => slot.weightDecay) });
}
