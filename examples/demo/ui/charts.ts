/**
 * The page's charts, drawn with uPlot: live line charts (loss, tokens/s) appended to as updates arrive,
 * and bar charts of the corpus composition.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const WIDTH = 520;
const HEIGHT = 240;
const COLORS = ['#0b57d0', '#c5221f', '#12672f', '#9334e6', '#b06000', '#007b83'];

/** Shortest time between two redraws of a live chart: drawing is most of the page's own work while training. */
const REDRAW_MS = 500;

/** A line chart over a shared x axis (steps), one series per name; `null` leaves a gap. Redraws at most every {@link REDRAW_MS}. */
export class LineChart {
  private readonly plot: uPlot;
  private readonly data: (number | null)[][];
  private drawn = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(target: HTMLElement, names: string[], yLabel: string) {
    this.data = [[], ...names.map(() => [])];
    this.plot = new uPlot({
      width: WIDTH, height: HEIGHT,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: yLabel }],
      series: [{ label: 'step' }, ...names.map((label, i) => ({
        label, stroke: COLORS[i], width: 2, spanGaps: true, points: { show: i > 0 },
      }))],
    }, this.data as uPlot.AlignedData, target);
  }

  /** Adds a point (x, one value per series). */
  add(x: number, values: (number | null)[]): void {
    this.addMany([{ x, values }]);
  }

  /** Adds several points. */
  addMany(points: { x: number; values: (number | null)[] }[]): void {
    for (const { x, values } of points) {
      this.data[0].push(x);
      values.forEach((value, i) => this.data[i + 1].push(value));
    }
    this.scheduleRedraw();
  }

  clear(): void {
    for (const series of this.data) series.length = 0;
    this.redraw();
  }

  private scheduleRedraw(): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.redraw(), Math.max(0, this.drawn + REDRAW_MS - performance.now()));
  }

  private redraw(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.drawn = performance.now();
    this.plot.setData(this.data as uPlot.AlignedData);
  }

  /** Points drawn so far. */
  get length(): number {
    return this.data[0].length;
  }
}

/** A bar chart of named values (e.g. tokens per group), replaced as a whole. */
export function barChart(target: HTMLElement, labels: string[], values: number[], yLabel: string): void {
  target.replaceChildren();
  const bars = uPlot.paths.bars!({ size: [0.6, 60] });
  new uPlot({
    width: Math.max(260, Math.min(WIDTH, 90 * labels.length + 80)), height: HEIGHT,
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, y: { range: [0, Math.max(1, ...values) * 1.1] } },
    axes: [
      { values: (_u, ticks) => ticks.map((tick) => labels[tick] ?? ''), splits: () => labels.map((_, i) => i), size: 50 },
      { label: yLabel },
    ],
    legend: { show: false },
    series: [{}, { label: yLabel, fill: COLORS[0], stroke: COLORS[0], paths: bars, points: { show: false } }],
  }, [labels.map((_, i) => i), values], target);
}
