import * as tf from '../runtime/tfjs.js';

/** Settings of a kernel call (tfjs kernel attributes): numbers, flags, lists of numbers. */
export type KernelAttrs<A> = { [K in keyof A]: number | boolean | number[] };

/** What a CPU kernel needs from the tfjs CPU backend. */
export interface CpuAccess {
  /** The tensor's own values array: writing to it writes the tensor. */
  values(info: tf.TensorInfo): Float32Array | Int32Array;
  /** A new tensor holding `values`. */
  make(shape: number[], values: Float32Array): tf.TensorInfo;
  /** How many tensors share the buffer of `info`. */
  refCount(info: tf.TensorInfo): number;
}

/** The two implementations of one of our kernels; inputs arrive in the declared order. */
export interface KernelImplementations<A extends KernelAttrs<A>> {
  /** Records WGSL dispatches (src/kernels/webgpu/dispatch.ts) and returns the new outputs. */
  webgpu(inputs: tf.TensorInfo[], attrs: A): tf.TensorInfo[];
  /** The plain reference, also the fallback on the CPU backend. */
  cpu(inputs: tf.TensorInfo[], attrs: A, backend: CpuAccess): tf.TensorInfo[];
}

/**
 * Registers one of our kernels for the WebGPU and CPU backends and returns a function that runs it.
 * Registered kernels go through the tfjs engine, so autograd (see `tf.registerGradient` under the
 * same name), `tf.tidy` and `tf.profile` treat them like tfjs's own. Inputs are named (the names a
 * gradient function sees) or, for `'variadic'`, numbered.
 */
export function defineKernel<A extends KernelAttrs<A>>(
  name: string, inputNames: readonly string[] | 'variadic', implementations: KernelImplementations<A>,
): (inputs: tf.Tensor[], attrs: A) => tf.Tensor[] {
  const nameOf = (i: number) => (inputNames === 'variadic' ? String(i) : inputNames[i]);
  // Integer-like keys iterate in ascending order, which restores the numbered inputs' order.
  const ordered = (inputs: tf.NamedTensorInfoMap) => (inputNames === 'variadic' ? Object.keys(inputs) : inputNames).map((input) => inputs[input]!);
  tf.registerKernel({
    kernelName: name, backendName: 'webgpu',
    kernelFunc: ({ inputs, attrs }) => implementations.webgpu(ordered(inputs), attrs as unknown as A),
  });
  tf.registerKernel({
    kernelName: name, backendName: 'cpu',
    kernelFunc: ({ inputs, attrs, backend }) => implementations.cpu(ordered(inputs), attrs as unknown as A, cpuAccess(backend as tf.KernelBackend)),
  });
  return (inputs, attrs) => {
    const named: tf.NamedTensorMap = {};
    inputs.forEach((input, i) => (named[nameOf(i)] = input));
    const out = tf.engine().runKernel(name, named, attrs as tf.NamedAttrMap);
    return Array.isArray(out) ? out : [out];
  };
}

/** The tfjs CPU backend's own constructor of tensors from values (not part of `KernelBackend`). */
interface MakesTensorInfo {
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Float32Array): tf.TensorInfo;
}

function cpuAccess(backend: tf.KernelBackend): CpuAccess {
  return {
    values: (info) => backend.readSync(info.dataId) as Float32Array | Int32Array,
    make: (shape, values) => (backend as unknown as MakesTensorInfo).makeTensorInfo(shape, 'float32', values),
    refCount: (info) => backend.refCount(info.dataId),
  };
}
