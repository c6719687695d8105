/**
 * The first screen's WebGPU check: the adapter and the limits that matter for training, or a clear
 * message when WebGPU is missing, with the CPU fallback.
 */
import type { BackendInfo } from 'hephaestus-web/worker';
import { byId, el, formatBytes } from './dom.js';

/** What the main thread sees of WebGPU (the worker asks again for itself). */
export interface GpuCheck {
  ok: boolean;
  lines: string[];
}

/** Asks for an adapter and reads its name and limits. */
export async function checkWebGpu(): Promise<GpuCheck> {
  const gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { ok: false, lines: ['This browser has no WebGPU (navigator.gpu is missing).'] };
  const adapter = await gpu.requestAdapter().catch(() => null);
  if (!adapter) return { ok: false, lines: ['WebGPU is present but gave no adapter (no usable GPU, or it is disabled).'] };
  const info = adapter.info;
  const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') || 'unnamed adapter';
  const { limits } = adapter;
  return {
    ok: true,
    lines: [
      `Adapter: ${name}${info.isFallbackAdapter ? ' (a software fallback adapter: slow)' : ''}`,
      `Limits: storage buffer binding ${formatBytes(limits.maxStorageBufferBindingSize)}, buffer ${formatBytes(limits.maxBufferSize)}, ` +
        `workgroups per dimension ${limits.maxComputeWorkgroupsPerDimension}, workgroup storage ${formatBytes(limits.maxComputeWorkgroupStorageSize)}`,
    ],
  };
}

/** Draws the check and the backend the worker got. */
export function showBackend(check: GpuCheck, backend: BackendInfo | undefined, error?: string): void {
  const panel = byId('gpu-check');
  panel.className = `panel ${check.ok && backend?.name === 'webgpu' ? 'good' : 'bad'}`;
  const lines = check.ok ? [`WebGPU is available.`, ...check.lines] : [
    ...check.lines,
    'Training on the CPU works, but is far slower: use it for the smallest preset, or open this page in a browser with WebGPU (Chrome or Edge 113+, Safari 26, Firefox 141+ on Windows).',
  ];
  if (backend) {
    lines.push(`Training runs on: ${backend.name} (${backend.adapter})${backend.fallbackReason ? `; WebGPU unavailable in the worker: ${backend.fallbackReason}` : ''}.`);
  }
  if (error) lines.push(`The worker could not start its backend: ${error}`);
  panel.replaceChildren(...lines.map((line) => el('p', line)));
  panel.dataset.backend = backend?.name ?? 'none';
  byId('use-cpu').hidden = backend?.name === 'cpu' || (check.ok && backend?.name === 'webgpu');
}
