/**
 * Words and cells for fidelity (how far a configuration's answers hold against its reference's),
 * shared by the verdict, the table, Markdown, CSV, HTML and the label.
 */
import type { ConfigResult, Fidelity, FidelityFigure } from '../result/schema.js';
import { displayName, printable } from '../util/text-safety.js';
import { formatSig } from './numbers.js';

interface MetricWords {
  /** In a sentence: "top-1 agreement". */
  words: string;
  /** In a table cell: "top-1". */
  short: string;
  /** A share of queries or tokens, shown as a percentage. */
  share: boolean;
}

const METRICS: Record<string, MetricWords> = {
  'top1-agreement': { words: 'top-1 agreement', short: 'top-1', share: true },
  'max-abs-logit-delta': { words: 'max |Δ logit|', short: 'max |Δlogit|', share: false },
  'cosine-mean': { words: 'mean cosine similarity', short: 'cos', share: false },
  'cosine-min': { words: 'min cosine similarity', short: 'min cos', share: false },
  'token-agreement': { words: 'token agreement', short: 'tokens', share: true },
  'kl-mean': { words: 'mean KL divergence', short: 'KL', share: false },
  'span-agreement': { words: 'span agreement', short: 'span', share: true },
  'relative-error-max': { words: 'max relative error', short: 'max rel. err.', share: false },
  'relative-error-mean': { words: 'mean relative error', short: 'rel. err.', share: false },
};

const wordsOf = (metric: string): MetricWords =>
  METRICS[metric] ?? { words: printable(metric), short: printable(metric), share: false };

/** Whether a metric is a share of queries or tokens (shown as a percentage). */
export function isShareMetric(metric: string): boolean {
  return wordsOf(metric).share;
}

/** The metric named in words: "top-1 agreement", "mean cosine similarity". */
export function metricWords(metric: string): string {
  return wordsOf(metric).words;
}

/** A threshold as given: "99 %", "99.9 %", "0.99", "0.02". */
function thresholdText(metric: string, threshold: number): string {
  return wordsOf(metric).share ? `${Number((threshold * 100).toFixed(4))} %` : String(threshold);
}

/**
 * A figure's value: shares as percentages with one decimal, more where one decimal would round a
 * value onto its threshold or to 100 % (99.95 % is not 100 %); other figures to 4 significant digits.
 */
export function fidelityValueText(metric: string, value: number, threshold: number | null): string {
  if (!wordsOf(metric).share) return formatSig(value, 4);
  let decimals = 1;
  const pct = (v: number, d: number) => (v * 100).toFixed(d);
  while (
    decimals < 4 &&
    ((value < 1 && pct(value, decimals) === pct(1, decimals)) ||
      (threshold !== null && value !== threshold && pct(value, decimals) === pct(threshold, decimals)))
  )
    decimals++;
  return `${pct(value, decimals)} %`;
}

/** "top-1 agreement 99.6 %", or "top-1 agreement with encoder-medium 99.2 %" against another model. */
export function fidelityText(fidelity: Fidelity, referenceModel?: string): string {
  const other =
    fidelity.relation === 'other-model' && referenceModel ? ` with ${displayName(referenceModel)}` : '';
  return `${metricWords(fidelity.metric)}${other} ${fidelityValueText(fidelity.metric, fidelity.value, fidelity.threshold)}`;
}

/** The figure that failed its threshold (the headline where several did), or undefined when all pass. */
export function failingFigure(fidelity: Fidelity): FidelityFigure | undefined {
  if (fidelity.pass) return undefined;
  const failed = fidelity.figures.filter((f) => f.pass === false);
  const headline = failed.find((f) => f.metric === fidelity.metric);
  return (
    headline ??
    failed[0] ?? {
      metric: fidelity.metric,
      value: fidelity.value,
      threshold: fidelity.threshold,
      bound: 'min',
      pass: false,
    }
  );
}

/** Why a configuration was rejected: "top-1 agreement 96.0 % < 99 %". */
export function rejectionText(fidelity: Fidelity, referenceModel?: string): string {
  const f = failingFigure(fidelity);
  if (!f) return '';
  const other =
    fidelity.relation === 'other-model' && referenceModel ? ` with ${displayName(referenceModel)}` : '';
  const threshold = f.threshold ?? fidelity.threshold;
  return `${metricWords(f.metric)}${other} ${fidelityValueText(f.metric, f.value, threshold)} ${f.bound === 'max' ? '>' : '<'} ${thresholdText(f.metric, threshold)}`;
}

/** The headline figure held to its threshold: "top-1 agreement 99.6 % ≥ 99 %", or the failing figure. */
export function fidelityVerdictText(fidelity: Fidelity, referenceModel?: string): string {
  if (!fidelity.pass) return rejectionText(fidelity, referenceModel);
  const bound = fidelity.figures.find((f) => f.metric === fidelity.metric)?.bound ?? 'min';
  return `${fidelityText(fidelity, referenceModel)} ${bound === 'max' ? '≤' : '≥'} ${thresholdText(fidelity.metric, fidelity.threshold)}`;
}

/** What kind of item a task's queries are, for "on 1,000 real texts". */
function itemNoun(task: string): string {
  if (/image|object-detection/.test(task)) return 'images';
  if (/speech|audio/.test(task)) return 'clips';
  if (task === 'custom') return 'queries';
  return 'texts';
}

/** "on 1,000 real texts" or "on 200 synthetic queries". */
export function fidelityInputsText(fidelity: Fidelity, task: string): string {
  const n = fidelity.queries.toLocaleString('en-US');
  return fidelity.inputs === 'synthetic'
    ? `on ${n} synthetic ${itemNoun(task) === 'queries' ? 'queries' : 'inputs'}`
    : `on ${n} real ${itemNoun(task)}`;
}

/** Ids of the configurations another one's fidelity was measured against. */
export function referenceIds(results: readonly ConfigResult[]): Set<string> {
  return new Set(results.flatMap((r) => (r.fidelity ? [r.fidelity.reference] : [])));
}

/** Whether any configuration carries fidelity: then the outputs show the fidelity column. */
export function anyFidelity(results: readonly ConfigResult[]): boolean {
  return results.some((r) => r.fidelity !== undefined);
}

/**
 * The fidelity cell of a table row: "top-1 99.6 % ✓", "top-1 96.0 % ✗", "reference" for the
 * configuration the others were compared with, "–" for one not compared. Against another model
 * the cell names it ("top-1 99.2 % ✓ vs encoder-medium"): agreement with it, not accuracy.
 */
export function fidelityCell(
  result: ConfigResult,
  references: ReadonlySet<string>,
  byId?: ReadonlyMap<string, ConfigResult>,
): string {
  const f = result.fidelity;
  if (!f) return references.has(result.id) ? 'reference' : '–';
  const mark = f.pass ? '✓' : '✗';
  const other =
    f.relation === 'other-model'
      ? ` vs ${displayName(byId?.get(f.reference)?.model.name ?? f.reference)}`
      : '';
  return `${wordsOf(f.metric).short} ${fidelityValueText(f.metric, f.value, f.threshold)} ${mark}${other}`;
}

/** The precision as shown in the human outputs: "fp16 (converted)" where the tool made the variant. */
export function precisionCell(result: ConfigResult): string {
  return printable(result.conversion?.converted ? `${result.precision} (converted)` : result.precision);
}
