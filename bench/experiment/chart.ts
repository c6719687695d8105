/**
 * The experiment's curves as an SVG drawn by Vega-Lite: benchmark loss on held-out agent data and on
 * held-out general text against the tokens each arm trained after the base, the mean over seeds per
 * arm (one line each), one panel per benchmark.
 */
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { ARM_LABELS } from '../../src/recipe/experiment.js';
import type { ExperimentRecord } from './report.js';

interface CurveRow {
  arm: string;
  seed: number;
  tokens: number;
  benchmark: string;
  loss: number;
}

function rows(record: ExperimentRecord): CurveRow[] {
  return record.runs.flatMap((run) => run.train.benchmarks.flatMap((point) => [
    { arm: ARM_LABELS[run.arm], seed: run.seed, tokens: point.tokens, benchmark: 'held-out agent data', loss: point.agent ?? Number.NaN },
    { arm: ARM_LABELS[run.arm], seed: run.seed, tokens: point.tokens, benchmark: 'held-out general text', loss: point.general ?? Number.NaN },
  ]));
}

/** The SVG text of the curves. */
export async function renderCurves(record: ExperimentRecord): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    data: { values: rows(record) },
    facet: { column: { field: 'benchmark', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 360,
      height: 240,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'tokens', type: 'quantitative', title: 'tokens trained after the base' },
        y: { aggregate: 'mean', field: 'loss', type: 'quantitative', title: 'loss (mean over seeds)', scale: { zero: false } },
        color: { field: 'arm', type: 'nominal', title: 'arm', legend: { orient: 'bottom', columns: 2 } },
      },
    },
    config: { font: 'sans-serif', background: 'white' },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
