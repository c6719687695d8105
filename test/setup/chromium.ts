/**
 * How the tests start Debian's Chromium (never a downloaded one): shared by the browser project
 * (vitest.config.ts) and the consumer test, which drives Playwright itself.
 */

/** Debian's chromium package. `CHROMIUM_PATH` overrides it (e.g. another distribution). */
export const chromiumPath: string = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Chromium flags (measured with Debian's chromium 156, headless, as root, offline, no GPU).
 * Only `--enable-unsafe-webgpu` is needed for WebGPU: without it `navigator.gpu` exists but
 * `requestAdapter()` returns null. The adapter is then Dawn on SwiftShader (Vulkan, from
 * chromium-common), reported as vendor `google`, architecture `swiftshader`, isFallbackAdapter true.
 * `--use-webgpu-adapter=swiftshader` asks for that adapter even where a GPU exists (same adapter everywhere);
 * `--enable-features=Vulkan` and `--use-angle=swiftshader` change nothing here and are left out.
 * The rest: no sandbox as root, and no network traffic (there is none to have).
 */
export const chromiumArgs: string[] = [
  '--enable-unsafe-webgpu',
  '--use-webgpu-adapter=swiftshader',
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Containers often mount a tiny /dev/shm; Chromium then crashes renderers without this.
  '--disable-dev-shm-usage',
];
