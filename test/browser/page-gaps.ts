/**
 * What a page's main thread did while a worker trained: the gaps between a 16 ms timer's firings
 * (p50 / p99 / max) and, beside them, the Long Tasks API's tasks of 50 ms or more on this thread. A
 * long gap with no long task in it was not the page's own work (its thread was not scheduled, or the
 * timer was held back), which is how the browser tests tell the two apart.
 */

/** The gaps of one measurement, and the long tasks seen meanwhile. */
export interface PageGaps {
  gaps: number;
  p50: number;
  p99: number;
  max: number;
  /** Gaps of 100 ms or more, and how many of them overlap a long task. */
  over100: number;
  over100InLongTask: number;
  longTasks: { count: number; totalMs: number; maxMs: number };
  /** The firing times, for relating gaps to events. */
  firings: number[];
}

/** Starts the timer and the long-task observer; `stop` returns what they saw. */
export function watchPage(): { stop(): PageGaps } {
  const firings: number[] = [];
  const tasks: { start: number; end: number }[] = [];
  const observer = typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes.includes('longtask')
    ? new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, end: entry.startTime + entry.duration });
    })
    : undefined;
  observer?.observe({ type: 'longtask' });
  const timer = setInterval(() => firings.push(performance.now()), 16);
  return {
    stop() {
      clearInterval(timer);
      observer?.disconnect();
      const spans = firings.slice(1).map((time, i) => ({ from: firings[i], to: time, gap: time - firings[i] }));
      const sorted = spans.map((span) => span.gap).sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
      const long = spans.filter((span) => span.gap >= 100);
      const durations = tasks.map((task) => task.end - task.start);
      return {
        gaps: sorted.length, p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? 0,
        over100: long.length, over100InLongTask: long.filter((span) => tasks.some((task) => task.start < span.to && task.end > span.from)).length,
        longTasks: { count: tasks.length, totalMs: durations.reduce((a, b) => a + b, 0), maxMs: Math.max(0, ...durations) },
        firings,
      };
    },
  };
}

/** One line of a {@link PageGaps}. */
export function describeGaps(gaps: PageGaps): string {
  const { longTasks } = gaps;
  return `${gaps.gaps} gaps, p50 ${gaps.p50.toFixed(1)} ms, p99 ${gaps.p99.toFixed(1)} ms, max ${gaps.max.toFixed(1)} ms; ` +
    `${gaps.over100} gaps >= 100 ms (${gaps.over100InLongTask} inside a long task of the page); ` +
    `long tasks: ${longTasks.count}, ${longTasks.totalMs.toFixed(0)} ms in all, longest ${longTasks.maxMs.toFixed(0)} ms`;
}
