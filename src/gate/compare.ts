/**
 * `compare a.json b.json`: per matching configuration, b's energy per query and throughput as a
 * ratio of a's. The energy ratio has a 95 % interval (delta method, from the per-trial figures or
 * else the recorded intervals); throughput is one figure per run, so its ratio has none.
 */
import type { ConfigResult, EnergyMeasured, RunDocument } from '../report/result.js';
import { escapeMarkdown, formatP, formatSig } from './format.js';
import { matchConfigurations } from './match.js';
import {
  estimateFromInterval,
  estimateFromTrials,
  ratioOfMeans,
  welchGreater,
  type MeanEstimate,
} from './welch.js';

/** Where the energy uncertainty came from. */
export type UncertaintySource = 'trials' | 'intervals' | 'none';

export interface EnergyRatio {
  aPerQueryJ: number;
  bPerQueryJ: number;
  /** b / a. */
  ratio: number;
  /** Half-width of the ratio's 95 % interval; null with a single trial on either side. */
  ci95: number | null;
  source: UncertaintySource;
  /** Two-sided Welch p-value of a difference in mean energy per query; null without uncertainty. */
  p: number | null;
  /** The ratio's 95 % interval excludes 1. */
  significant: boolean | null;
  /** Either side's energy was estimated rather than measured. */
  estimated: boolean;
  text: string;
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
  throughput: ThroughputRatio | null;
  /** Why a figure is missing, or that the two were measured differently. */
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
    rows: matching.pairs.map((p) => compareConfig(p.base, p.current, p.modelChanged)),
    onlyInA: matching.onlyInBase.map((c) => c.id),
    onlyInB: matching.onlyInCurrent.map((c) => c.id),
  };
}

function compareConfig(a: ConfigResult, b: ConfigResult, modelChanged: boolean): CompareRow {
  const notes: string[] = [];
  for (const [name, c] of [
    ['a', a],
    ['b', b],
  ] as const) {
    if (c.status !== 'ok') notes.push(`${name}: ${c.status}${c.reason ? `: ${c.reason}` : ''}`);
    else if (c.energy.status === 'not-measured')
      notes.push(`${name}: energy not measured: ${c.energy.reason}`);
  }
  const ea = a.energy;
  const eb = b.energy;
  let energy: EnergyRatio | null = null;
  if (
    a.status === 'ok' &&
    b.status === 'ok' &&
    ea.status !== 'not-measured' &&
    eb.status !== 'not-measured'
  ) {
    energy = energyRatio(ea, eb);
    if (ea.status !== eb.status)
      notes.push(`a's energy is ${ea.status}, b's ${eb.status}: the ratio mixes methods`);
  }
  const throughput =
    a.status === 'ok' && b.status === 'ok' && a.throughputQps && b.throughputQps
      ? throughputRatio(a.throughputQps, b.throughputQps)
      : null;
  return { config: b.id, modelChanged, energy, throughput, notes };
}

function estimates(e: EnergyMeasured): { estimate: MeanEstimate; source: UncertaintySource } | null {
  const trials = e.perTrialJ?.filter((v) => Number.isFinite(v));
  if (trials && trials.length >= 2) return { estimate: estimateFromTrials(trials), source: 'trials' };
  if (e.ci95PerQueryJ !== null && Number.isFinite(e.ci95PerQueryJ) && e.trials >= 2) {
    return { estimate: estimateFromInterval(e.perQueryJ, e.ci95PerQueryJ, e.trials), source: 'intervals' };
  }
  return null;
}

export function energyRatio(a: EnergyMeasured, b: EnergyMeasured): EnergyRatio {
  const sa = estimates(a);
  const sb = estimates(b);
  if (!sa || !sb) {
    const ratio = b.perQueryJ / a.perQueryJ;
    return {
      aPerQueryJ: a.perQueryJ,
      bPerQueryJ: b.perQueryJ,
      ratio,
      ci95: null,
      source: 'none',
      p: null,
      significant: null,
      estimated: a.status === 'estimated' || b.status === 'estimated',
      text: `${ratioPhrase(ratio, null, 'energy per query')} (no interval: a single trial)`,
    };
  }
  const interval = ratioOfMeans(sb.estimate, sa.estimate);
  const oneSided = welchGreater(sb.estimate, sa.estimate).p;
  const significant = Math.abs(interval.ratio - 1) > interval.ci95;
  return {
    aPerQueryJ: sa.estimate.mean,
    bPerQueryJ: sb.estimate.mean,
    ratio: interval.ratio,
    ci95: interval.ci95,
    // Both sides from trials, else at least one from a recorded interval.
    source: sa.source === 'trials' && sb.source === 'trials' ? 'trials' : 'intervals',
    p: Math.min(1, 2 * Math.min(oneSided, 1 - oneSided)),
    significant,
    estimated: a.status === 'estimated' || b.status === 'estimated',
    text: `${ratioPhrase(interval.ratio, interval.ci95, 'energy per query')}${significant ? '' : ' (within noise)'}`,
  };
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

// ---------------------------------------------------------------------------------------------
// Reports

function energyFigures(row: CompareRow): string {
  return row.energy ? `${formatSig(row.energy.aPerQueryJ, 3)} → ${formatSig(row.energy.bPerQueryJ, 3)}` : '–';
}

function testText(row: CompareRow): string {
  const e = row.energy;
  if (!e) return '–';
  if (e.source === 'none') return 'no interval (a single trial)';
  const p = e.p === null ? '' : `, Welch p = ${formatP(e.p)}`;
  return `${e.source === 'trials' ? 'per-trial figures' : 'recorded 95 % intervals'}${p}`;
}

function rowNotes(row: CompareRow): string[] {
  return [...(row.modelChanged ? ['the model file changed (sha256)'] : []), ...row.notes];
}

export function renderCompareText(report: CompareReport): string {
  const lines = [`energy-score compare: ${report.b} against ${report.a} (ratios are b / a)`];
  for (const row of report.rows) {
    const est = row.energy?.estimated ? ' (estimated)' : '';
    lines.push(`${row.config}`);
    lines.push(
      row.energy
        ? `  energy:     ${energyFigures(row)} J/query${est}: ${row.energy.text}; ${testText(row)}`
        : '  energy:     –',
    );
    lines.push(
      `  throughput: ${row.throughput ? `${row.throughput.aQps.toFixed(1)} → ${row.throughput.bQps.toFixed(1)} queries/s: ${row.throughput.text}` : '–'}`,
    );
    for (const note of rowNotes(row)) lines.push(`  note: ${note}`);
  }
  for (const id of report.onlyInA) lines.push(`only in ${report.a}: ${id}`);
  for (const id of report.onlyInB) lines.push(`only in ${report.b}: ${id}`);
  return `${lines.join('\n')}\n`;
}

export function renderCompareMarkdown(report: CompareReport): string {
  const lines = [
    '## energy-score compare',
    '',
    `\`${report.b}\` against \`${report.a}\`: ratios are b / a, with 95 % intervals (delta method).`,
    '',
    '| configuration | J/query a → b | energy per query | queries/s a → b | throughput | test |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of report.rows) {
    const est = row.energy?.estimated ? ' (estimated)' : '';
    const qps = row.throughput
      ? `${row.throughput.aQps.toFixed(1)} → ${row.throughput.bQps.toFixed(1)}`
      : '–';
    const cells = [
      row.config,
      `${energyFigures(row)}${est}`,
      row.energy?.text ?? '–',
      qps,
      row.throughput?.text ?? '–',
      testText(row),
    ];
    lines.push(`| ${cells.map(escapeMarkdown).join(' | ')} |`);
  }
  const extra = [
    ...report.rows.flatMap((r) =>
      rowNotes(r).map((n) => `- ${escapeMarkdown(r.config)}: ${escapeMarkdown(n)}`),
    ),
    ...report.onlyInA.map((id) => `- only in \`${report.a}\`: ${escapeMarkdown(id)}`),
    ...report.onlyInB.map((id) => `- only in \`${report.b}\`: ${escapeMarkdown(id)}`),
  ];
  if (extra.length > 0) lines.push('', ...extra);
  return `${lines.join('\n')}\n`;
}

export function renderCompareJson(report: CompareReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
