/**
 * `compare a.json b.json`: per matching configuration, b's energy per query and throughput as a
 * ratio of a's. Whether the energy differs is decided by Welch's two-sided t-test at 95 % on each
 * side's mean and standard error (the per-trial figures, else the recorded interval: the same
 * estimator as `check --max-regression`); the ratio's 95 % interval (delta method) is shown with
 * it. Throughput is one figure per run, so its ratio has no interval.
 */
import type { ConfigResult, EnergyMeasured, RunDocument } from '../result/schema.js';
import {
  energyFigures,
  errorSources,
  loadedMessage,
  sideEstimate,
  untestableMessage,
  type SideEstimate,
} from './energy.js';
import { formatP } from '../render/numbers.js';
import { matchConfigurations } from './match.js';
import { REGRESSION_ALPHA } from './regression.js';
import { ratioOfMeans, welchTwoSided } from './welch.js';

/** Where the energy uncertainty came from: both sides' trials, a recorded interval on either side, or none. */
export type UncertaintySource = 'trials' | 'intervals' | 'none';

/** A mean of the per-trial figures, or the headline figure (total energy / total queries). */
export type FigureKind = 'trial-mean' | 'headline';

export interface EnergyRatio {
  /** The means compared: of the per-trial figures where a side has two or more, else the headline figure. */
  aPerQueryJ: number;
  bPerQueryJ: number;
  /** Which figure each of those is: the mean of the per-trial figures, or the headline figure. */
  aFigure: FigureKind;
  bFigure: FigureKind;
  /** b / a. */
  ratio: number;
  /** Half-width of the ratio's 95 % interval (delta method), for display; null when untestable. */
  ci95: number | null;
  source: UncertaintySource;
  /** Two-sided Welch p-value of a difference in mean energy per query; null when untestable. */
  p: number | null;
  /** p < 0.05: the difference is real (Welch decides, not the interval); null when untestable. */
  significant: boolean | null;
  /** Either side's energy was estimated rather than measured. */
  estimated: boolean;
  /** The ratio in words, "(within noise)" when not significant. */
  text: string;
  /** The test that decided, with its numbers, or why there could be none. */
  test: string;
}

export interface ThroughputRatio {
  aQps: number;
  bQps: number;
  ratio: number;
  /** Always null: a run records one throughput figure per configuration, so there is no spread. */
  ci95: null;
  text: string;
}

export interface CompareRow {
  config: string;
  /** Both files have a sha256 and they differ. */
  modelChanged: boolean;
  energy: EnergyRatio | null;
  /** Why there is no energy ratio: a side failed, was not measured, or has no usable figure. */
  noEnergy: string | null;
  throughput: ThroughputRatio | null;
  /** That the two were measured differently. */
  notes: string[];
}

export interface CompareReport {
  a: string;
  b: string;
  rows: CompareRow[];
  onlyInA: string[];
  onlyInB: string[];
}

interface Named {
  name: string;
  document: RunDocument;
}

export function compareDocuments(a: Named, b: Named): CompareReport {
  const matching = matchConfigurations(a, b);
  return {
    a: a.name,
    b: b.name,
    rows: matching.pairs.map((p) => compareConfig(a.name, p.base, b.name, p.current, p.modelChanged)),
    onlyInA: matching.onlyInBase.map((c) => c.id),
    onlyInB: matching.onlyInCurrent.map((c) => c.id),
  };
}

function compareConfig(
  aName: string,
  a: ConfigResult,
  bName: string,
  b: ConfigResult,
  modelChanged: boolean,
): CompareRow {
  const notes: string[] = [];
  const missing: string[] = [];
  const usable = (name: string, config: ConfigResult) => {
    if (config.status !== 'ok') {
      missing.push(`${name}: ${config.status}${config.reason ? `: ${config.reason}` : ''}`);
      return null;
    }
    const figures = energyFigures(config);
    if (figures.kind === 'usable') return figures.energy;
    missing.push(
      figures.kind === 'not-measured'
        ? `${name}: energy not measured: ${figures.reason}`
        : `${name} has no usable energy figure: ${figures.problems}`,
    );
    return null;
  };
  const ea = usable(aName, a);
  const eb = usable(bName, b);
  let energy: EnergyRatio | null = null;
  if (ea && eb) {
    energy = energyRatio({ name: aName, energy: ea }, { name: bName, energy: eb });
    if (ea.status !== eb.status)
      notes.push(`a's energy is ${ea.status}, b's ${eb.status}: the ratio mixes methods`);
  }
  const throughput =
    a.status === 'ok' && b.status === 'ok' && a.throughputQps && b.throughputQps
      ? throughputRatio(a.throughputQps, b.throughputQps)
      : null;
  return {
    config: b.id,
    modelChanged,
    energy,
    noEnergy: missing.length > 0 ? missing.join('; ') : null,
    throughput,
    notes,
  };
}

interface Side {
  name: string;
  energy: EnergyMeasured;
}

export function energyRatio(a: Side, b: Side): EnergyRatio {
  const estimated = a.energy.status === 'estimated' || b.energy.status === 'estimated';
  const sa = sideEstimate(a.energy);
  const sb = sideEstimate(b.energy);
  const loaded = loadedMessage([a, b]);
  if (!sa || !sb || loaded) {
    const ratio = b.energy.perQueryJ / a.energy.perQueryJ;
    const untestable = [...(sa ? [] : [a]), ...(sb ? [] : [b])];
    return {
      aPerQueryJ: a.energy.perQueryJ,
      bPerQueryJ: b.energy.perQueryJ,
      aFigure: 'headline',
      bFigure: 'headline',
      ratio,
      ci95: null,
      source: 'none',
      p: null,
      significant: null,
      estimated,
      text: `${ratioPhrase(ratio, null, 'energy per query')} (${loaded ? 'not called real: measured under other load' : 'not tested'})`,
      test: loaded ?? untestableMessage(untestable),
    };
  }
  const interval = ratioOfMeans(sb, sa);
  const welch = welchTwoSided(sb, sa);
  const significant = welch.p < REGRESSION_ALPHA;
  const verdict = significant
    ? `two-sided p = ${formatP(welch.p)} < ${REGRESSION_ALPHA}: a real difference`
    : `two-sided p = ${formatP(welch.p)} ≥ ${REGRESSION_ALPHA}: within noise`;
  return {
    aPerQueryJ: sa.mean,
    bPerQueryJ: sb.mean,
    aFigure: figureKind(sa),
    bFigure: figureKind(sb),
    ratio: interval.ratio,
    ci95: interval.ci95,
    source: sa.source === 'trials' && sb.source === 'trials' ? 'trials' : 'intervals',
    p: welch.p,
    significant,
    estimated,
    text: `${ratioPhrase(interval.ratio, interval.ci95, 'energy per query')}${significant ? '' : ' (within noise)'}`,
    test: `Welch's t-test on ${sa.count} trials (a) and ${sb.count} (b), ${errorSources(a.name, sa, b.name, sb)}: ${verdict}`,
  };
}

function figureKind(side: SideEstimate): FigureKind {
  return side.source === 'trials' ? 'trial-mean' : 'headline';
}

function throughputRatio(aQps: number, bQps: number): ThroughputRatio {
  const ratio = bQps / aQps;
  return { aQps, bQps, ratio, ci95: null, text: `${ratioPhrase(ratio, null, 'throughput')} (no interval)` };
}

/**
 * "1.32 ± 0.04 × more energy per query"; below 1 the inverse, "1.32 ± 0.04 × less …", whose
 * half-width is the ratio's divided by its square (first-order, like the interval itself).
 */
export function ratioPhrase(ratio: number, ci95: number | null, what: string): string {
  const more = ratio >= 1;
  const shown = more ? ratio : 1 / ratio;
  const half = ci95 === null ? null : more ? ci95 : ci95 / (ratio * ratio);
  const word = what === 'throughput' ? (more ? 'higher' : 'lower') : more ? 'more' : 'less';
  return `${shown.toFixed(2)}${half === null ? '' : ` ± ${half.toFixed(2)}`} × ${word} ${what}`;
}
