import * as tf from '../../runtime/tfjs.js';
import { BackendError } from '../../util/errors.js';

/**
 * Raw WGSL compute dispatch on the tfjs WebGPU backend's own device and command encoder, for kernels
 * that tfjs's one-output program model cannot express (several outputs, in-place updates, our own
 * bind-group layout). Our passes are recorded into the backend's queue in order with its own
 * programs, and the tensors they touch are marked as owned by the pending queue, so a later
 * `await tensor.data()` submits first and reads the result.
 *
 * This uses internals of @tensorflow/tfjs-backend-webgpu 4.22 (the fields of {@link BackendInternals});
 * the version is pinned, and the kernel tests exercise every field on each run.
 */

/** The parts of tfjs-backend-webgpu's `WebGPUBackend` a raw dispatch needs. */
interface BackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  tensorMap: { get(dataId: object): { resource: unknown; values: unknown; refCount: number } | undefined };
  commandEncoder: GPUCommandEncoder | null;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  uniformPendingDisposal: GPUBuffer[];
  bufferManager: { acquireBuffer(size: number, usage: number): GPUBuffer };
  uploadToGPU(dataId: object): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
}

/** A scalar of a kernel's uniform struct, in declaration order (each 4 bytes). */
export type UniformValue = { u32: number } | { i32: number } | { f32: number };

/** Part of a tensor's buffer, in bytes; `offset` a multiple of `minStorageBufferOffsetAlignment`. */
export interface BufferRange {
  offset: number;
  size: number;
}

/** One compute dispatch. */
export interface DispatchSpec {
  /** Identifies `code` in the pipeline cache: equal keys must mean equal code. */
  key: string;
  /**
   * WGSL with entry point `main`. Storage bindings are `@group(0) @binding(i)` for `tensors[i]`,
   * then `textures` follow, and when `uniforms` is given, the uniform struct comes last.
   */
  code: string;
  /** Tensors bound in order (inputs and outputs alike; outputs from {@link allocate}). */
  tensors: tf.TensorInfo[];
  /** Binds only part of `tensors[i]` where `ranges[i]` is set (to stay within the binding size limit). */
  ranges?: (BufferRange | undefined)[];
  /** Texture views bound after the tensors (e.g. operands packed by a kernel's own copy). */
  textures?: GPUTextureView[];
  uniforms?: UniformValue[];
  /** Workgroup counts; each at most the device's `maxComputeWorkgroupsPerDimension`. */
  workgroups: [number, number?, number?];
  /**
   * Indices into `tensors` of existing tensors the kernel overwrites (e.g. an optimizer's weights).
   * Each must own its buffer alone, and its copy cached on the CPU by an earlier read is dropped.
   */
  inPlace?: number[];
}

/** The device limits our kernels plan their dispatches by (see {@link deviceLimits}). */
export interface KernelLimits {
  maxComputeWorkgroupsPerDimension: number;
  maxStorageBufferBindingSize: number;
  maxStorageBuffersPerShaderStage: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupSizeX: number;
  minStorageBufferOffsetAlignment: number;
  maxTextureDimension2D: number;
}

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>();
/** Our dispatches so far by kernel key, for launch counts in benchmarks. */
const dispatched = new Map<string, number>();
/** Dispatches recorded per submit, like tfjs's own `WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE`. */
const DISPATCHES_PER_SUBMIT = 15;

/** The active tfjs backend as a WebGPU backend; throws when another backend is active. */
function webgpuBackend(): BackendInternals {
  if (tf.getBackend() !== 'webgpu') {
    throw new BackendError(`our WGSL kernels need the webgpu backend, but "${tf.getBackend()}" is active`);
  }
  return tf.backend() as unknown as BackendInternals;
}

let limitOverrides: Partial<KernelLimits> = {};

/**
 * The device limits our kernels must respect (dispatch size, buffer binding size, bindings), lowered
 * by {@link overrideDeviceLimits}. {@link dispatch} enforces them.
 */
export function deviceLimits(): KernelLimits {
  const limits = webgpuBackend().device.limits;
  return {
    maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
    minStorageBufferOffsetAlignment: limits.minStorageBufferOffsetAlignment,
    maxTextureDimension2D: limits.maxTextureDimension2D,
    ...limitOverrides,
  };
}

/**
 * Makes our kernels plan for smaller limits than the device has (tests of dispatch splitting);
 * `{}` restores the device's own.
 */
export function overrideDeviceLimits(overrides: Partial<KernelLimits>): void {
  limitOverrides = { ...overrides };
}

/** The tfjs WebGPU backend's device (for resources a kernel keeps itself, such as textures). */
export function gpuDevice(): GPUDevice {
  return webgpuBackend().device;
}

/** Compute dispatches recorded by {@link dispatch} since the process started, by kernel key. */
export function dispatchCounts(): Map<string, number> {
  return new Map(dispatched);
}

/**
 * Records non-compute commands (buffer-to-texture copies) into the backend's command stream, in order
 * with the dispatches around them. `tensors` are the tensors the commands read.
 */
export function encode(tensors: tf.TensorInfo[], record: (encoder: GPUCommandEncoder, buffers: GPUBuffer[]) => void): void {
  const backend = webgpuBackend();
  const buffers = tensors.map((tensor) => gpuBuffer(backend, tensor));
  for (const tensor of tensors) backend.commandQueueOwnedIds.add(tensor.dataId);
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  record(backend.commandEncoder!, buffers);
}

/** Submits the recorded commands (before destroying a resource they may still use). */
export function flush(): void {
  const backend = webgpuBackend();
  if (!backend.commandEncoder) return;
  backend.endComputePassEncoder();
  backend.submitQueue();
}

/**
 * A new tensor on the WebGPU backend: uninitialised (a kernel output), or holding `values`. Until
 * {@link toTensor} wraps it, the engine does not count it (`tf.memory()`); free it with {@link release}.
 */
export function allocate(shape: number[], dtype: 'float32' | 'int32' = 'float32', values?: Float32Array | Int32Array): tf.TensorInfo {
  const backend = tf.backend() as unknown as { makeTensorInfo(shape: number[], dtype: tf.DataType, values?: tf.TypedArray): tf.TensorInfo };
  return backend.makeTensorInfo(shape, dtype, values);
}

/** Frees a tensor from {@link allocate} that was never wrapped by {@link toTensor}. */
export function release(info: tf.TensorInfo): void {
  tf.backend().disposeData(info.dataId);
}

/** Wraps a kernel output as a tensor that tfjs tracks (and disposes) like any other. */
export function toTensor<R extends tf.Rank>(info: tf.TensorInfo): tf.Tensor<R> {
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor<R>;
}

/** Records one compute pass into the backend's command stream. */
export function dispatch(spec: DispatchSpec): void {
  const backend = webgpuBackend();
  const [x, y = 1, z = 1] = spec.workgroups;
  checkLimits(spec, deviceLimits());
  if (x === 0 || y === 0 || z === 0) return;
  for (const index of spec.inPlace ?? []) claimInPlace(backend, spec, index);
  const buffers = spec.tensors.map((tensor) => gpuBuffer(backend, tensor));
  const entries: GPUBindGroupEntry[] = buffers.map((buffer, i) => ({ binding: i, resource: { buffer, ...spec.ranges?.[i] } }));
  for (const view of spec.textures ?? []) entries.push({ binding: entries.length, resource: view });
  if (spec.uniforms) entries.push({ binding: entries.length, resource: { buffer: uniformBuffer(backend, spec.uniforms) } });
  const pipeline = pipelineFor(backend.device, spec);
  const bindGroup = backend.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  for (const tensor of spec.tensors) backend.commandQueueOwnedIds.add(tensor.dataId);
  backend.ensureCommandEncoderReady();
  backend.computePassEncoder ??= backend.commandEncoder!.beginComputePass();
  backend.computePassEncoder.setPipeline(pipeline);
  backend.computePassEncoder.setBindGroup(0, bindGroup);
  backend.computePassEncoder.dispatchWorkgroups(x, y, z);
  backend.dispatchCountInPass += 1;
  dispatched.set(spec.key, (dispatched.get(spec.key) ?? 0) + 1);
  if (backend.dispatchCountInPass >= DISPATCHES_PER_SUBMIT) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
}

function checkLimits(spec: DispatchSpec, limits: KernelLimits): void {
  const [x, y = 1, z = 1] = spec.workgroups;
  const maxGroups = limits.maxComputeWorkgroupsPerDimension;
  if (x > maxGroups || y > maxGroups || z > maxGroups) {
    throw new BackendError(`kernel ${spec.key}: dispatch ${x}x${y}x${z} exceeds the device's ${maxGroups} workgroups per dimension`);
  }
  if (spec.tensors.length > limits.maxStorageBuffersPerShaderStage) {
    throw new BackendError(`kernel ${spec.key}: ${spec.tensors.length} storage buffers exceed the device's ${limits.maxStorageBuffersPerShaderStage} per shader stage`);
  }
  for (const tensor of spec.tensors) {
    const bytes = tensor.shape.reduce((a, b) => a * b, 1) * 4;
    if (bytes > limits.maxStorageBufferBindingSize) {
      throw new BackendError(`kernel ${spec.key}: a [${tensor.shape}] tensor (${bytes} bytes) exceeds the device's storage binding size of ${limits.maxStorageBufferBindingSize} bytes`);
    }
  }
}

/** An in-place output must not alias another tensor, and a stale CPU copy of it must go. */
function claimInPlace(backend: BackendInternals, spec: DispatchSpec, index: number): void {
  const data = backend.tensorMap.get(spec.tensors[index].dataId);
  if (!data) throw new BackendError(`kernel ${spec.key}: in-place tensor ${index} is disposed`);
  if (data.refCount > 1) {
    throw new BackendError(`kernel ${spec.key}: in-place tensor ${index} shares its buffer with ${data.refCount - 1} other tensor(s)`);
  }
  backend.uploadToGPU(spec.tensors[index].dataId);
  data.values = null;
}

function gpuBuffer(backend: BackendInternals, tensor: tf.TensorInfo): GPUBuffer {
  backend.uploadToGPU(tensor.dataId);
  const resource = backend.tensorMap.get(tensor.dataId)?.resource;
  if (!(resource instanceof GPUBuffer)) throw new BackendError('a kernel input is not held in a GPU buffer');
  return resource;
}

function uniformBuffer(backend: BackendInternals, values: UniformValue[]): GPUBuffer {
  // Uniform structs of 4-byte scalars; the size is rounded up to 16 bytes as uniform buffers need.
  const size = Math.max(16, Math.ceil((values.length * 4) / 16) * 16);
  const data = new ArrayBuffer(size);
  const view = new DataView(data);
  values.forEach((value, i) => {
    if ('u32' in value) view.setUint32(i * 4, value.u32, true);
    else if ('i32' in value) view.setInt32(i * 4, value.i32, true);
    else view.setFloat32(i * 4, value.f32, true);
  });
  const buffer = backend.bufferManager.acquireBuffer(size, GPUBufferUsage.COPY_DST | GPUBufferUsage.UNIFORM);
  backend.queue.writeBuffer(buffer, 0, data);
  backend.uniformPendingDisposal.push(buffer);
  return buffer;
}

function pipelineFor(device: GPUDevice, spec: DispatchSpec): GPUComputePipeline {
  let cache = pipelines.get(device);
  if (!cache) pipelines.set(device, (cache = new Map()));
  let pipeline = cache.get(spec.key);
  if (!pipeline) {
    const module = device.createShaderModule({ code: spec.code, label: spec.key });
    pipeline = device.createComputePipeline({ layout: 'auto', compute: { module, entryPoint: 'main' }, label: spec.key });
    cache.set(spec.key, pipeline);
  }
  return pipeline;
}
