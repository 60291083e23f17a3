/**
 * The report's plots as static SVG: Vega-Lite specs compiled by vega-lite and rendered by vega's
 * headless view, so a page can carry them inline with no script and no network.
 */
import type { TopLevelSpec } from 'vega-lite';

import { formatSig } from '../render/numbers.js';
import { fidelityValueText, isShareMetric, metricWords, referenceIds } from '../render/fidelity-text.js';
import type { ConfigResult, EnergyMeasured, RunDocument } from '../result/schema.js';
import { displayName, printable } from '../util/text-safety.js';

/** One configuration as plotted: names as they are shown (displayName), since the plots are drawn text. */
export interface PlotPoint {
  id: string;
  /** What one line of the batch-size plot follows: model and precision, and device when several. */
  series: string;
  model: string;
  precision: string;
  device: string;
  batchSize: number;
  perQueryJ: number;
  /** The 95 % interval's ends, when the run had one (and, on a log axis, a lower end above 0). */
  loJ: number | null;
  hiJ: number | null;
  throughputQps: number | null;
  estimated: boolean;
  /** New tokens per query of a generative configuration; null for one-pass ones. */
  maxNewTokens: number | null;
}

export interface LeftOut {
  id: string;
  reason: string;
}

export interface PlotData {
  /** Plottable in the batch-size plot, in a stable order. */
  points: PlotPoint[];
  /** Configurations neither plot shows, and why. */
  leftOut: LeftOut[];
  /** Plotted in the batch-size plot but not against throughput (no throughput figure). */
  noThroughput: LeftOut[];
  /** How many plotted points have estimated energy: 'none', 'some' or 'all'. */
  estimated: 'none' | 'some' | 'all';
  /** The energy axis is logarithmic when the plotted figures span a factor of 10 or more. */
  logEnergy: boolean;
  /** Error bars whose lower end would be at or below 0, left out on a log axis. */
  droppedErrorBars: number;
  multiDevice: boolean;
  multiModel: boolean;
}

export interface RenderedPlots {
  data: PlotData;
  /** Null when nothing can be plotted. */
  energyByBatchSvg: string | null;
  energyVsThroughputSvg: string | null;
  /** Energy per query against the token budget: null unless a configuration ran at two budgets. */
  energyByBudgetSvg: string | null;
  /** Energy per query against fidelity, one plot per task with fidelity figures. */
  energyVsFidelity: { task: string; metric: string; estimated: FidelityPlot['estimated']; svg: string }[];
}

/** The ratio of the largest to the smallest figure at which an axis goes logarithmic. */
const LOG_SPAN = 10;

const WIDTH = 480;
const HEIGHT = 300;

function why(result: ConfigResult): string | null {
  if (result.status !== 'ok') return result.reason ? `${result.status}: ${result.reason}` : result.status;
  if (result.energy.status === 'not-measured') return `energy not measured: ${result.energy.reason}`;
  if (!(result.energy.perQueryJ > 0)) return 'energy per query is 0';
  return null;
}

const span = (values: number[]) => Math.max(...values) / Math.min(...values);

/** Plain code-unit order: the same on every machine, whatever its locale. */
const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Which configurations the plots show, and which they leave out and why. */
export function plotData(document: RunDocument): PlotData {
  const leftOut: LeftOut[] = [];
  const kept: { result: ConfigResult; energy: EnergyMeasured }[] = [];
  for (const result of document.results) {
    const reason = why(result);
    if (reason === null && result.energy.status !== 'not-measured')
      kept.push({ result, energy: result.energy });
    else leftOut.push({ id: result.id, reason: reason ?? '' });
  }
  const multiDevice = new Set(kept.map((k) => k.result.device)).size > 1;
  const multiModel = new Set(kept.map((k) => k.result.model.name)).size > 1;
  const logEnergy = kept.length > 0 && span(kept.map((k) => k.energy.perQueryJ)) >= LOG_SPAN;

  let droppedErrorBars = 0;
  const points = kept.map(({ result: r, energy: e }): PlotPoint => {
    let loJ: number | null = null;
    let hiJ: number | null = null;
    const ci = e.ci95PerQueryJ;
    if (ci !== null && ci > 0) {
      if (logEnergy && e.perQueryJ - ci <= 0) droppedErrorBars++;
      else [loJ, hiJ] = [e.perQueryJ - ci, e.perQueryJ + ci];
    }
    const [model, precision, device] = [
      displayName(r.model.name),
      printable(r.precision),
      printable(r.device),
    ];
    const budget = r.generation?.newTokensPerQuery ?? null;
    return {
      id: displayName(r.id),
      series: `${model} ${precision}${multiDevice ? ` (${device})` : ''}${budget !== null ? ` n${budget}` : ''}`,
      model,
      precision,
      device,
      batchSize: r.batchSize,
      perQueryJ: e.perQueryJ,
      loJ,
      hiJ,
      throughputQps: r.throughputQps !== null && r.throughputQps > 0 ? r.throughputQps : null,
      estimated: e.status === 'estimated',
      maxNewTokens: budget,
    };
  });
  // A stable order, whatever order the run wrote its results in.
  points.sort(
    (a, b) =>
      compareText(a.model, b.model) ||
      compareText(a.device, b.device) ||
      compareText(a.precision, b.precision) ||
      a.batchSize - b.batchSize ||
      (a.maxNewTokens ?? 0) - (b.maxNewTokens ?? 0),
  );
  const estimatedCount = points.filter((p) => p.estimated).length;
  return {
    points,
    leftOut,
    noThroughput: points
      .filter((p) => p.throughputQps === null)
      .map((p) => ({ id: p.id, reason: 'no throughput figure' })),
    estimated: estimatedCount === 0 ? 'none' : estimatedCount === points.length ? 'all' : 'some',
    logEnergy,
    droppedErrorBars,
    multiDevice,
    multiModel,
  };
}

/** The energy axis title: estimated figures are never shown without saying so. */
export function energyAxisTitle(data: PlotData): string {
  if (data.estimated === 'all') return 'energy per query, J (estimated)';
  if (data.estimated === 'some') return 'energy per query, J (hollow: estimated)';
  return 'energy per query, J (measured)';
}

// Padding (pixels) keeps points and their labels off the frame.
const scaleFor = (log: boolean) =>
  log ? { type: 'log' as const, padding: 12 } : { zero: false, padding: 12 };

/** Rows for the specs: plain values only, so nothing in a spec depends on object identity. */
function rows(points: PlotPoint[]) {
  return points.map((p) => ({
    series: p.series,
    precision: p.precision,
    device: p.device,
    model: p.model,
    batch: p.batchSize,
    label: `b${p.batchSize}`,
    j: p.perQueryJ,
    lo: p.loJ,
    hi: p.hiJ,
    qps: p.throughputQps,
    method: p.estimated ? 'estimated' : 'measured',
    fillOpacity: p.estimated ? 0 : 1,
    // What a screen reader says for the point (the page has no script, so no tooltips either).
    description:
      `${p.id}: ${formatSig(p.perQueryJ, 3)} J per query (${p.estimated ? 'estimated' : 'measured'})` +
      (p.throughputQps === null ? '' : `, ${formatSig(p.throughputQps, 3)} queries/s`),
    interval:
      p.loJ === null || p.hiJ === null
        ? ''
        : `${p.id}: 95 % interval ${formatSig(p.loJ, 3)} to ${formatSig(p.hiJ, 3)} J per query`,
  }));
}

const DESCRIPTION = { field: 'description', type: 'nominal' as const };

/** Estimated points are drawn hollow, measured ones filled. */
const HOLLOW_IF_ESTIMATED = {
  field: 'fillOpacity',
  type: 'quantitative' as const,
  scale: null,
  legend: null,
};

const CONFIG = {
  font: 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif',
  // Model names are long; the default 160 px cut them off in the legend.
  legend: { labelLimit: 320 },
};

/** Energy per query against batch size: a line per model and precision (and device). */
export function energyByBatchSpec(data: PlotData): TopLevelSpec {
  const y = {
    field: 'j',
    type: 'quantitative' as const,
    title: energyAxisTitle(data),
    scale: scaleFor(data.logEnergy),
  };
  const x = { field: 'batch', type: 'ordinal' as const, title: 'batch size', axis: { labelAngle: 0 } };
  const color = { field: 'series', type: 'nominal' as const, title: 'model, precision' };
  const withBars = data.points.some((p) => p.loJ !== null);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows(data.points) },
    layer: [
      ...(withBars
        ? [
            {
              transform: [{ filter: 'datum.lo !== null' }],
              mark: { type: 'rule' as const, opacity: 0.6, strokeWidth: 1.5 },
              encoding: {
                x,
                y: { ...y, field: 'lo' },
                y2: { field: 'hi' },
                color,
                description: { field: 'interval', type: 'nominal' as const },
              },
            },
          ]
        : []),
      {
        mark: { type: 'line' as const },
        encoding: { x, y, color, detail: { field: 'series', type: 'nominal' as const } },
      },
      {
        mark: { type: 'point' as const, filled: true, size: 50, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          stroke: color,
          fillOpacity: HOLLOW_IF_ESTIMATED,
          description: DESCRIPTION,
        },
      },
    ],
  };
}

/** Energy per query against throughput: a point per configuration, coloured by precision. */
export function energyVsThroughputSpec(data: PlotData): TopLevelSpec {
  const points = data.points.filter((p) => p.throughputQps !== null);
  const qps = points.map((p) => p.throughputQps!);
  const x = {
    field: 'qps',
    type: 'quantitative' as const,
    title: 'throughput, queries/s',
    scale: scaleFor(qps.length > 0 && span(qps) >= LOG_SPAN),
  };
  const y = {
    field: 'j',
    type: 'quantitative' as const,
    title: energyAxisTitle(data),
    scale: scaleFor(data.logEnergy),
  };
  const color = { field: 'precision', type: 'nominal' as const, title: 'precision' };
  const shapeField = data.multiDevice ? 'device' : data.multiModel ? 'model' : null;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: rows(points) },
    layer: [
      {
        mark: { type: 'point' as const, filled: true, size: 70, strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
          stroke: color,
          fillOpacity: HOLLOW_IF_ESTIMATED,
          description: DESCRIPTION,
          ...(shapeField
            ? { shape: { field: shapeField, type: 'nominal' as const, title: shapeField } }
            : {}),
        },
      },
      {
        // The batch size beside each point, so a point can be told from its neighbours without a tooltip.
        mark: { type: 'text' as const, align: 'left' as const, dx: 7, dy: -7, fontSize: 10 },
        encoding: { x, y, text: { field: 'label', type: 'nominal' as const }, color },
      },
    ],
  };
}

/**
 * Vega numbers clip-path ids with a counter global to the process; renumbering them per plot
 * keeps the output the same from run to run and the ids unique within one page.
 */
export function renumberIds(svg: string, prefix: string): string {
  const ids = new Map<string, string>();
  for (const match of svg.matchAll(/\sid="([^"]+)"/g)) {
    if (!ids.has(match[1]!)) ids.set(match[1]!, `${prefix}-${ids.size + 1}`);
  }
  if (ids.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (_, a: string, id: string, b: string) => a + (ids.get(id) ?? id) + b)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${ids.get(id)})` : whole))
    .replace(/(href="#)([^"]+)(")/g, (whole, a: string, id: string, b: string) =>
      ids.has(id) ? a + ids.get(id) + b : whole,
    );
}

/** Compile a Vega-Lite spec and render it to an SVG string, without a browser or a canvas. */
export async function renderSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  // Loaded here, not at the top, so commands that draw no plot do not pay for loading vega.
  const [vegaLite, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const errors: unknown[][] = [];
  const logger = vega.logger(vega.Warn, undefined, (method, _level, args) => {
    if (method === 'error') errors.push(args);
  });
  const compiled = vegaLite.compile(spec, { logger }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger });
  try {
    const svg = await view.toSVG();
    if (errors.length)
      throw new Error(`vega: ${errors.map((args) => args.map(String).join(' ')).join('; ')}`);
    return renumberIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}

/** The budget plot's lines: model, precision (device) and batch, each with two budgets or more. */
export function budgetSeries(points: readonly PlotPoint[]): PlotPoint[] {
  const key = (p: PlotPoint) => `${p.model}|${p.precision}|${p.device}|${p.batchSize}`;
  const budgets = new Map<string, Set<number>>();
  for (const p of points) {
    if (p.maxNewTokens === null) continue;
    budgets.set(key(p), (budgets.get(key(p)) ?? new Set()).add(p.maxNewTokens));
  }
  return points.filter((p) => p.maxNewTokens !== null && (budgets.get(key(p))?.size ?? 0) >= 2);
}

/** Energy per query against the token budget (the nudge): a line per model, precision and batch. */
export function energyByBudgetSpec(data: PlotData): TopLevelSpec {
  const points = budgetSeries(data.points);
  const budgets = points.map((p) => p.maxNewTokens!);
  const y = {
    field: 'j',
    type: 'quantitative' as const,
    title: energyAxisTitle(data),
    scale: scaleFor(span(points.map((p) => p.perQueryJ)) >= LOG_SPAN),
  };
  const x = {
    field: 'budget',
    type: 'quantitative' as const,
    title: 'new tokens per query (--max-new-tokens)',
    scale: span(budgets) >= LOG_SPAN ? { type: 'log' as const } : { zero: false },
  };
  const color = { field: 'line', type: 'nominal' as const, title: 'model, precision, batch' };
  const values = points.map((p) => ({
    line: `${p.model} ${p.precision}${data.multiDevice ? ` (${p.device})` : ''} b${p.batchSize}`,
    budget: p.maxNewTokens,
    j: p.perQueryJ,
    fillOpacity: p.estimated ? 0 : 1,
    description: `${p.id}: ${formatSig(p.perQueryJ, 3)} J per query at ${p.maxNewTokens} new tokens (${p.estimated ? 'estimated' : 'measured'})`,
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: 'line' as const },
        encoding: { x, y, color, detail: { field: 'line', type: 'nominal' as const } },
      },
      {
        mark: { type: 'point' as const, filled: true, size: 50, strokeWidth: 2 },
        encoding: { x, y, color, stroke: color, fillOpacity: HOLLOW_IF_ESTIMATED, description: DESCRIPTION },
      },
    ],
  };
}

/** One configuration in the energy × fidelity plot. */
export interface FidelityPoint {
  id: string;
  /** The point's label: precision and batch, with the model where the plot holds several. */
  label: string;
  perQueryJ: number;
  /** The headline fidelity figure; the reference sits at the value it has against itself. */
  value: number;
  status: 'reference' | 'passes' | 'rejected';
  estimated: boolean;
}

export interface FidelityPlot {
  task: string;
  metric: string;
  /** The headline metric's threshold (the first one met), drawn as a rule. */
  threshold: number;
  /** Whether a passing value is at least (min) or at most (max) the threshold. */
  bound: 'min' | 'max';
  points: FidelityPoint[];
  estimated: 'none' | 'some' | 'all';
}

/** Metrics on which the reference, compared with itself, scores 0 (an error); the rest score 1 (agreement, cosine). */
const ZERO_AT_REFERENCE = /error|delta|kl/;

/**
 * The energy × fidelity plots: per task, each configuration with energy and a headline fidelity
 * figure of the task's most common metric, and the references they were compared with.
 */
export function fidelityPlots(document: RunDocument): FidelityPlot[] {
  const ok = document.results.filter(
    (r): r is ConfigResult & { energy: EnergyMeasured } =>
      r.status === 'ok' && r.energy.status !== 'not-measured' && r.energy.perQueryJ > 0,
  );
  const references = referenceIds(document.results);
  const plots: FidelityPlot[] = [];
  for (const task of [...new Set(ok.map((r) => r.task))]) {
    const inTask = ok.filter((r) => r.task === task);
    const metrics = new Map<string, number>();
    for (const r of inTask)
      if (r.fidelity) metrics.set(r.fidelity.metric, (metrics.get(r.fidelity.metric) ?? 0) + 1);
    if (metrics.size === 0) continue;
    const metric = [...metrics].sort((a, b) => b[1] - a[1])[0]![0];
    const first = inTask.find((r) => r.fidelity?.metric === metric)!.fidelity!;
    const bound = first.figures.find((f) => f.metric === metric)?.bound ?? 'min';
    const multiModel = new Set(inTask.map((r) => r.model.name)).size > 1;
    const points: FidelityPoint[] = [];
    for (const r of inTask) {
      const isReference = !r.fidelity && references.has(r.id);
      if (!isReference && r.fidelity?.metric !== metric) continue;
      points.push({
        id: displayName(r.id),
        label: `${multiModel ? `${displayName(r.model.name)} ` : ''}${printable(r.precision)} b${r.batchSize}`,
        perQueryJ: r.energy.perQueryJ,
        value: isReference ? (ZERO_AT_REFERENCE.test(metric) ? 0 : 1) : r.fidelity!.value,
        status: isReference ? 'reference' : r.fidelity!.pass ? 'passes' : 'rejected',
        estimated: r.energy.status === 'estimated',
      });
    }
    points.sort((a, b) => compareText(a.id, b.id));
    const estimatedCount = points.filter((p) => p.estimated).length;
    plots.push({
      task,
      metric,
      threshold: first.threshold,
      bound,
      points,
      estimated: estimatedCount === 0 ? 'none' : estimatedCount === points.length ? 'all' : 'some',
    });
  }
  return plots;
}

/** Energy per query against the headline fidelity figure: a point per configuration, the threshold a rule. */
export function energyVsFidelitySpec(plot: FidelityPlot): TopLevelSpec {
  const values = plot.points.map((p) => ({
    value: p.value,
    j: p.perQueryJ,
    label: p.label,
    status: p.status,
    fillOpacity: p.estimated ? 0 : 1,
    description: `${p.id}: ${formatSig(p.perQueryJ, 3)} J per query (${p.estimated ? 'estimated' : 'measured'}), ${metricWords(plot.metric)} ${fidelityValueText(plot.metric, p.value, plot.threshold)} (${p.status})`,
  }));
  const energies = plot.points.map((p) => p.perQueryJ);
  const y = {
    field: 'j',
    type: 'quantitative' as const,
    title:
      plot.estimated === 'all'
        ? 'energy per query, J (estimated)'
        : plot.estimated === 'some'
          ? 'energy per query, J (hollow: estimated)'
          : 'energy per query, J (measured)',
    scale: scaleFor(energies.length > 0 && span(energies) >= LOG_SPAN),
  };
  const x = {
    field: 'value',
    type: 'quantitative' as const,
    title: `${metricWords(plot.metric)} against the reference`,
    scale: { zero: false, padding: 12 },
    ...(isShareMetric(plot.metric) ? { axis: { format: '.1%' } } : {}),
  };
  const color = {
    field: 'status',
    type: 'nominal' as const,
    title: 'answers',
    scale: { domain: ['reference', 'passes', 'rejected'], range: ['#57606a', '#3aa35b', '#cf222e'] },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: [
      {
        data: { values: [{ threshold: plot.threshold }] },
        mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#8c959f' },
        encoding: { x: { ...x, field: 'threshold' } },
      },
      {
        data: { values },
        mark: { type: 'point' as const, filled: true, size: 70, strokeWidth: 2 },
        encoding: { x, y, color, stroke: color, fillOpacity: HOLLOW_IF_ESTIMATED, description: DESCRIPTION },
      },
      {
        data: { values },
        mark: { type: 'text' as const, align: 'left' as const, dx: 7, dy: -7, fontSize: 10 },
        encoding: { x, y, text: { field: 'label', type: 'nominal' as const }, color },
      },
    ],
  };
}

/** Both plots of a run, or null for a plot with nothing to show. */
export async function renderPlots(document: RunDocument): Promise<RenderedPlots> {
  const data = plotData(document);
  const energyByBatchSvg = data.points.length ? await renderSvg(energyByBatchSpec(data), 'plot-batch') : null;
  const energyVsThroughputSvg = data.points.some((p) => p.throughputQps !== null)
    ? await renderSvg(energyVsThroughputSpec(data), 'plot-throughput')
    : null;
  const energyByBudgetSvg = budgetSeries(data.points).length
    ? await renderSvg(energyByBudgetSpec(data), 'plot-budget')
    : null;
  const energyVsFidelity: RenderedPlots['energyVsFidelity'] = [];
  for (const [i, plot] of fidelityPlots(document).entries()) {
    energyVsFidelity.push({
      task: plot.task,
      metric: plot.metric,
      estimated: plot.estimated,
      svg: await renderSvg(energyVsFidelitySpec(plot), `plot-fidelity-${i + 1}`),
    });
  }
  return { data, energyByBatchSvg, energyVsThroughputSvg, energyByBudgetSvg, energyVsFidelity };
}
