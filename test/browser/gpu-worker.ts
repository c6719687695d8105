/// <reference lib="webworker" />
/**
 * A tiny module worker for test/browser/webgpu.test.ts: reports whether WebGPU is reachable from a
 * dedicated worker (where the trainer runs) and, if so, which adapter it gets.
 */
export interface GpuWorkerReport {
  hasGpu: boolean;
  adapter: string | null;
  isModule: boolean;
  error?: string;
}

async function report(): Promise<GpuWorkerReport> {
  // `import.meta` only parses in a module worker; classic workers would fail to load this file.
  const isModule = typeof import.meta.url === 'string';
  const gpu = (self.navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return { hasGpu: false, adapter: null, isModule };
  try {
    const adapter = await gpu.requestAdapter();
    const info = adapter?.info;
    const adapterName = info ? [info.vendor, info.architecture, info.description].filter(Boolean).join(' / ') : null;
    return { hasGpu: true, adapter: adapter ? adapterName || 'unnamed adapter' : null, isModule };
  } catch (error) {
    return { hasGpu: true, adapter: null, isModule, error: String(error) };
  }
}

self.onmessage = async () => {
  self.postMessage(await report());
};
