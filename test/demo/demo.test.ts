/**
 * The demo page end to end, as a visitor uses it: the built site (`vite build --mode demo`) served by
 * `vite preview`, Debian's Chromium through Playwright (WebGPU on SwiftShader). It builds the sample
 * corpus, trains nano with a small vocabulary, watches the step counter and the loss chart move and
 * the loss fall, measures the main thread's longest gap while the worker trains, reloads, resumes
 * from the IndexedDB checkpoint at the same step, runs the playground and the evaluation, checks that
 * bad files and a wrong checkpoint import give readable messages and change nothing, and finds no
 * console errors. Screenshots of each screen go to test-results/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { strToU8, unzipSync, zipSync } from 'fflate';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumArgs, chromiumPath } from '../setup/chromium.js';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The real data (never committed), read at run time. */
const sharedData = fileURLToPath(new URL('../../../shared/data', import.meta.url));
const shots = fileURLToPath(new URL('../../test-results/', import.meta.url));
/** SwiftShader compiles every pipeline on the first steps; the machine is shared. */
const STEP_TIMEOUT_MS = 240_000;
/**
 * Waits inside a measured window poll every 200 ms, not every animation frame (Playwright's default):
 * polling is the harness's work on the page's main thread, not the page's.
 */
const WATCHING = { timeout: STEP_TIMEOUT_MS, polling: 200 };

/**
 * What the page's 16 ms timer saw: the gaps between its ticks; and the Long Tasks API's tasks of the
 * page (50 ms or more) meanwhile: a long gap inside none of them was not the page's own work.
 */
interface Gaps {
  ticks: number;
  p50: number;
  p99: number;
  max: number;
  over100: number;
  over100InLongTask: number;
  longTasks: number;
  longTaskMs: number;
}

/** Starts a 16 ms timer on the page that records the gaps between its ticks, and a long-task observer. */
async function startGapTimer(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { spans: [number, number][]; tasks: [number, number][]; gapTimer: number; taskObserver: PerformanceObserver };
    w.spans = [];
    w.tasks = [];
    w.taskObserver = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) w.tasks.push([entry.startTime, entry.startTime + entry.duration]);
    });
    w.taskObserver.observe({ type: 'longtask' });
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      w.spans.push([last, now]);
      last = now;
      w.gapTimer = window.setTimeout(tick, 16);
    };
    w.gapTimer = window.setTimeout(tick, 16);
  });
}

/** Stops the timer of {@link startGapTimer}; its gaps' median, 99th percentile and maximum, and the long tasks. */
async function stopGapTimer(page: Page): Promise<Gaps> {
  return page.evaluate((): Gaps => {
    const w = window as unknown as { spans: [number, number][]; tasks: [number, number][]; gapTimer: number; taskObserver: PerformanceObserver };
    clearTimeout(w.gapTimer);
    w.taskObserver.disconnect();
    const sorted = w.spans.map(([from, to]) => to - from).sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    const long = w.spans.filter(([from, to]) => to - from >= 100);
    return {
      ticks: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0, over100: long.length,
      over100InLongTask: long.filter(([from, to]) => w.tasks.some(([start, end]) => start < to && end > from)).length,
      longTasks: w.tasks.length, longTaskMs: w.tasks.reduce((sum, [start, end]) => sum + end - start, 0),
    };
  });
}

/** One event of a Chrome trace (the fields read here). */
interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  /** CPU time of the thread inside the event (µs), where the platform gives thread clocks. */
  tdur?: number;
  pid: number;
  tid: number;
  args?: { name?: string; data?: { functionName?: string; url?: string; type?: string } };
}

/** Starts a DevTools timeline trace of the page's processes. */
async function startTrace(cdp: CDPSession): Promise<{ events: TraceEvent[]; complete: Promise<void> }> {
  const events: TraceEvent[] = [];
  cdp.on('Tracing.dataCollected', ({ value }) => events.push(...(value as unknown as TraceEvent[])));
  const complete = new Promise<void>((resolve) => cdp.once('Tracing.tracingComplete', () => resolve()));
  await cdp.send('Tracing.start', { transferMode: 'ReportEvents', traceConfig: { includedCategories: ['devtools.timeline', 'toplevel'] } });
  return { events, complete };
}

/** What the renderer main thread did in a trace. */
interface TraceSummary {
  /** Wall time and CPU time of its longest task, in ms (a long wall time with little CPU: the thread was not running). */
  longestTaskMs: number;
  longestTaskCpuMs: number;
  /** The most CPU time any one task took, in ms. */
  maxTaskCpuMs: number;
  text: string;
}

/**
 * Ends the trace: the renderer main thread's tasks, the longest ones with their CPU time and their
 * longest inner events (a script, a message handler, a GC, a paint), and where its time went by event.
 */
async function stopTrace(cdp: CDPSession, trace: { events: TraceEvent[]; complete: Promise<void> }): Promise<TraceSummary> {
  await cdp.send('Tracing.end');
  await trace.complete;
  const mains = new Set(trace.events.filter((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain').map((e) => `${e.pid}:${e.tid}`));
  const onMain = trace.events.filter((e) => e.ph === 'X' && e.dur !== undefined && mains.has(`${e.pid}:${e.tid}`));
  // A task of the thread's scheduler: `ThreadControllerImpl::RunTask` in today's Chromium, `RunTask` before.
  const isTask = (e: TraceEvent) => e.name === 'ThreadControllerImpl::RunTask' || e.name === 'RunTask';
  const tasks = onMain.filter(isTask).sort((a, b) => b.dur! - a.dur!);
  const ms = (us: number | undefined) => (us ?? Number.NaN) / 1000;
  const inner = (task: TraceEvent) => onMain
    .filter((e) => !isTask(e) && e.tid === task.tid && e.ts >= task.ts && e.ts + e.dur! <= task.ts + task.dur!)
    .sort((a, b) => b.dur! - a.dur!).slice(0, 3).map((e) => {
      const data = e.args?.data;
      const what = data?.functionName || data?.type || data?.url?.split('/').at(-1);
      return `${e.name}${what ? ` [${what}]` : ''} ${ms(e.dur).toFixed(0)} ms`;
    }).join(', ');
  // Where the main thread's time went, by event name (nested events count in their parents too): total, count, longest.
  const byName = new Map<string, { total: number; count: number; max: number }>();
  for (const e of onMain) {
    if (isTask(e)) continue;
    const entry = byName.get(e.name) ?? { total: 0, count: 0, max: 0 };
    byName.set(e.name, { total: entry.total + e.dur!, count: entry.count + 1, max: Math.max(entry.max, e.dur!) });
  }
  const top = [...byName].sort((a, b) => b[1].total - a[1].total).slice(0, 6)
    .map(([name, { total, count, max }]) => `${name} ${ms(total).toFixed(0)} ms in ${count}, longest ${ms(max).toFixed(1)} ms`).join(', ');
  const longest = tasks.slice(0, 4).map((task) => `${ms(task.dur).toFixed(0)} ms wall, ${ms(task.tdur).toFixed(1)} ms CPU (${inner(task) || 'nothing inside traced'})`);
  return {
    longestTaskMs: ms(tasks[0]?.dur ?? 0), longestTaskCpuMs: ms(tasks[0]?.tdur ?? 0),
    maxTaskCpuMs: Math.max(0, ...tasks.map((task) => ms(task.tdur ?? task.dur))),
    text: `${trace.events.length} events; ${tasks.length} main-thread tasks, ${ms(tasks.reduce((sum, e) => sum + e.dur!, 0)).toFixed(0)} ms wall and ` +
      `${ms(tasks.reduce((sum, e) => sum + (e.tdur ?? 0), 0)).toFixed(0)} ms CPU in all; by event: ${top}; longest tasks: ${longest.join('; ')}`,
  };
}

describe('the demo page (built site, vite preview, Chromium)', () => {
  let server: PreviewServer;
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(shots, { recursive: true });
    await build({ configFile: `${repoRoot}vite.config.ts`, mode: 'demo', logLevel: 'warn' });
    server = await preview({ configFile: `${repoRoot}vite.config.ts`, preview: { port: 0, host: '127.0.0.1' }, logLevel: 'warn' });
    browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, headless: true });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console: ${message.text()}`);
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  const url = () => server.resolvedUrls!.local[0];
  const counter = async () => Number(await page.textContent('#step-counter'));
  const shot = (name: string, selector?: string) =>
    (selector ? page.locator(selector) : page).screenshot({ path: `${shots}demo-${name}.png` });

  it('shows the first screen with the WebGPU check', async () => {
    await page.goto(url());
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    const check = await page.textContent('#gpu-check');
    expect(check).toContain('WebGPU is available');
    expect(check).toMatch(/Adapter: .*swiftshader/i);
    expect(await page.getAttribute('#gpu-check', 'data-backend')).toBe('webgpu');
    await shot('start');
  });

  it('names the file and line of a bad dropped file, and keeps working', async () => {
    await page.setInputFiles('#files-input', {
      name: 'broken.jsonl', mimeType: 'application/jsonl',
      buffer: Buffer.from('{"kind": "text", "text": "fine"}\n{"kind": "text", "text": \n'),
    });
    await page.waitForFunction(() => document.querySelector('#data-error')?.textContent !== '');
    const message = (await page.textContent('#data-error')) ?? '';
    console.info(`bad file message: ${message}`);
    expect(message).toContain('broken.jsonl');
    expect(message).toMatch(/broken\.jsonl:2: invalid JSON/);
    expect(await page.isVisible('#corpus-view')).toBe(false);
  });

  it('builds the sample corpus with its composition chart and held-out functions', async () => {
    await page.check('input[name="source"][value="sample"]');
    await page.fill('#sample-size', '200');
    await page.fill('#vocab-size', '320');
    await page.click('#build');
    await page.waitForSelector('#corpus-view:not([hidden])', { timeout: 120_000 });
    expect(await page.textContent('#data-error')).toBe('');
    expect(await page.locator('#chart-groups canvas').count()).toBe(1);
    expect(await page.textContent('#corpus-facts')).toMatch(/Stage I [\d,]+ tokens \(agent \d+%, code \d+%, text \d+%\)/);
    expect(((await page.textContent('#held-out')) ?? '').length).toBeGreaterThan(3);
    await shot('data', '#data');
  });

  it('trains nano in the worker: the counter and the loss chart move, the loss falls, the main thread stays free', async () => {
    await page.selectOption('#preset', 'nano');
    for (const [id, value] of [['steps-stage1', '24'], ['steps-stage2', '4'], ['steps-stage3', '4'], ['batch-size', '4'], ['seq-len', '32'],
      ['save-every', '8']]) await page.fill(`#${id}`, value);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const busy = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return metrics.find((metric) => metric.name === 'TaskDuration')?.value ?? Number.NaN;
    };
    // The same timer on the idle page first: the machine's own scheduling gaps, for comparison.
    await startGapTimer(page);
    const idleBusy = await busy();
    await page.waitForTimeout(10_000);
    const idle = await stopGapTimer(page);
    console.info(`main-thread gaps, idle page (16 ms timer, 10 s): ${JSON.stringify(idle)}; main thread busy ${((await busy() - idleBusy) * 10).toFixed(1)}% of the time`);
    await startGapTimer(page);
    const busyStart = await busy();
    const wallStart = performance.now();
    await page.click('#train-start');
    await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) >= 4, undefined, WATCHING);
    const early = { step: await counter(), points: Number(await page.getAttribute('#chart-loss', 'data-points')) };
    await page.waitForFunction(() => Number(document.querySelector('#step-counter')?.textContent) >= 18, undefined, WATCHING);
    const gaps = await stopGapTimer(page);
    const busyFraction = (await busy() - busyStart) / ((performance.now() - wallStart) / 1000);
    console.info(`main-thread gaps while training (16 ms timer): ${JSON.stringify(gaps)}; main thread busy ${(busyFraction * 100).toFixed(1)}% of the time`);
    const later = { step: await counter(), points: Number(await page.getAttribute('#chart-loss', 'data-points')) };
    expect(later.step).toBeGreaterThan(early.step);
    expect(later.points).toBeGreaterThan(early.points);
    const first = Number(await page.getAttribute('#chart-loss', 'data-first-loss'));
    const last = Number(await page.getAttribute('#chart-loss', 'data-last-loss'));
    console.info(`loss ${first} -> ${last} at step ${later.step}`);
    expect(last).toBeLessThan(first - 0.5);
    // Training in the worker leaves the main thread free: the timer fires many times per step and
    // mostly on time, and the page's own tasks take a small share of the wall time. The gaps' maximum
    // is logged next to the idle page's; what the page's tasks cost in CPU is asserted on the trace
    // after the resume (a long task in wall time may be a short one that was not scheduled).
    expect(gaps.ticks / later.step).toBeGreaterThan(10);
    expect(gaps.p50).toBeLessThan(50);
    expect(busyFraction).toBeLessThan(0.5);
    await shot('training', '#training');
    await page.click('#train-pause');
    await page.waitForSelector('body[data-training="paused"]', { timeout: STEP_TIMEOUT_MS });
  });

  it('lists the checkpoint, and after a reload resumes from IndexedDB at the same step', async () => {
    const paused = await counter();
    await page.waitForSelector(`#checkpoint-rows tr[data-step="${paused}"]`, { timeout: 30_000 });
    await shot('checkpoints', '#checkpoints');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]', { timeout: 120_000 });
    const row = page.locator(`#checkpoint-rows tr[data-step="${paused}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td.current').count()).toBe(1);
    await row.getByRole('button', { name: /^Resume/ }).click();
    await page.waitForSelector('body[data-resumed-at]', { timeout: STEP_TIMEOUT_MS });
    expect(Number(await page.getAttribute('body', 'data-resumed-at'))).toBe(paused);
    // What the main thread runs while the worker trains: a trace (its own cost kept out of the gaps measured above).
    const cdp = await page.context().newCDPSession(page);
    const trace = await startTrace(cdp);
    await startGapTimer(page);
    await page.waitForFunction((step) => Number(document.querySelector('#step-counter')?.textContent) > step + 8, paused, WATCHING);
    const traced = await stopGapTimer(page);
    const summary = await stopTrace(cdp, trace);
    console.info(`main-thread gaps after the resume, traced: ${JSON.stringify(traced)}; trace: ${summary.text}`);
    // No task of the page takes 50 ms of CPU: a longer gap is the thread waiting to be scheduled, not working.
    expect(summary.maxTaskCpuMs).toBeLessThan(50);
    await page.click('#train-stop');
    await page.waitForSelector('body[data-training="idle"]', { timeout: STEP_TIMEOUT_MS });
    expect(await counter()).toBeGreaterThan(paused);
    expect(await page.textContent('#train-error')).toBe('');
  });

  it('runs the playground once: a generated call, its parse and its verdict; and a completion', async () => {
    await page.click('#ask');
    await page.waitForFunction(() => !['', 'generating…'].includes(document.querySelector('#verdict')?.textContent ?? '')
      || document.querySelector('#playground-error')?.textContent !== '', undefined, { timeout: STEP_TIMEOUT_MS });
    expect(await page.textContent('#playground-error')).toBe('');
    expect(await page.textContent('#verdict')).toMatch(/^(valid|invalid: .+)$/);
    expect(((await page.textContent('#parsed')) ?? '').length).toBeGreaterThan(0);
    await page.fill('#completion-prompt', 'The weather in');
    await page.click('#complete');
    await page.waitForFunction(() => (document.querySelector('#completion')?.textContent ?? '').length > 'The weather in'.length, undefined, { timeout: STEP_TIMEOUT_MS });
    await shot('playground', '#playground');
  });

  it('evaluates the held-out functions per category', async () => {
    await page.fill('#eval-items', '2');
    await page.click('#evaluate');
    await page.waitForFunction(() => document.querySelector('#eval-view table') || document.querySelector('#eval-error')?.textContent !== '', undefined, { timeout: STEP_TIMEOUT_MS });
    expect(await page.textContent('#eval-error')).toBe('');
    expect(await page.textContent('#eval-view')).toMatch(/(simple_python|multiple|parallel)\S*\d+ \/ \d+/);
    await shot('evaluation', '#evaluation');
  });

  it('exports a checkpoint as a Hugging Face zip and imports it back', async () => {
    const before = await page.locator('#checkpoint-rows tr').count();
    const [download] = await Promise.all([
      page.waitForEvent('download', { timeout: 60_000 }),
      page.locator('#checkpoint-rows tr').first().getByRole('button', { name: /^Export zip/ }).click(),
    ]);
    const zip = await download.path();
    const names = Object.keys(unzipSync(new Uint8Array(readFileSync(zip))));
    expect(names.map((name) => name.split('/').at(-1)).sort()).toEqual(
      ['config.json', 'generation_config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']);
    await page.setInputFiles('#import-input', zip);
    await page.waitForFunction(() => [...document.querySelectorAll('#checkpoint-rows td')].some((cell) => cell.textContent === 'imported')
      || document.querySelector('#checkpoint-error')?.textContent !== '', undefined, { timeout: 60_000 });
    expect(await page.textContent('#checkpoint-error')).toBe('');
    expect(await page.locator('#checkpoint-rows tr td:nth-child(2)', { hasText: 'imported' }).count()).toBe(1);
    expect(await page.locator('#checkpoint-rows tr').count()).toBe(Math.min(before + 1, 5));
  });

  it('refuses a wrong checkpoint import by name and changes nothing stored', async () => {
    const before = await page.locator('#checkpoint-rows tr').count();
    const wrong = zipSync({ 'config.json': strToU8(JSON.stringify({ model_type: 'llama', hidden_size: 8 })) });
    await page.setInputFiles('#import-input', { name: 'wrong.zip', mimeType: 'application/zip', buffer: Buffer.from(wrong) });
    await page.waitForFunction(() => document.querySelector('#checkpoint-error')?.textContent !== '', undefined, { timeout: 30_000 });
    const message = (await page.textContent('#checkpoint-error')) ?? '';
    console.info(`wrong import message: ${message}`);
    expect(message).toContain('wrong.zip');
    expect(message).toMatch(/config\.json|model\.safetensors/);
    await page.setInputFiles('#import-input', { name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('not a zip at all') });
    await page.waitForFunction(() => document.querySelector('#checkpoint-error')?.textContent?.includes('notes.zip'), undefined, { timeout: 30_000 });
    expect(await page.locator('#checkpoint-rows tr').count()).toBe(before);
    await shot('page');
  });

  it('offers BFCL items in the playground once the real data folder is chosen', async () => {
    await page.setInputFiles('#folder-input', sharedData);
    await page.waitForSelector('#function-pick option[value="BFCL simple_python_0"]', { state: 'attached', timeout: 60_000 });
    await page.selectOption('#function-pick', 'BFCL simple_python_0');
    expect(await page.inputValue('#question')).not.toBe('What is the weather in Paris in celsius?');
    expect(JSON.parse(await page.inputValue('#functions-json'))[0].name).toBeTruthy();
    expect(JSON.parse(await page.inputValue('#answer-json')).length).toBe(1);
    expect(await page.textContent('#files-chosen')).toMatch(/^Folder: \d+ files$/);
  });

  it('logged no console errors', () => {
    expect(errors).toEqual([]);
  });
});
