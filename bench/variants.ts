/**
 * The kernel sets the model benchmarks compare. Each is an `Ops` object (src/kernels/ops.ts) swapped
 * into the model with `model.useOps(ops)`. The first entry is the baseline: every other row of the
 * model tables gets a "vs <baseline>" speed-up column against it, measured in the same run.
 */
import { kernelsFor, type Ops } from '../src/kernels/index.js';
import type { BackendName } from '../src/runtime/backend.js';

export interface OpsVariant {
  /** Row label in BENCHMARKS.md. */
  name: string;
  /** The kernel set on a backend. */
  opsFor: (backend: BackendName) => Ops;
  /** Backends this variant runs on (WGSL kernels only run on WebGPU). */
  backends: readonly BackendName[];
}

export const VARIANTS: readonly OpsVariant[] = [
  { name: 'stock tfjs', opsFor: (backend) => kernelsFor(backend, { kernels: 'stock' }), backends: ['webgpu', 'cpu'] },
  { name: 'ours', opsFor: (backend) => kernelsFor(backend), backends: ['webgpu'] },
];
