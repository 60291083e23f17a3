/** The `compare` report as text, Markdown and JSON. */
import type { CompareReport, CompareRow, EnergyRatio } from '../gate/compare.js';
import { formatSig } from '../render/numbers.js';
import { displayName, escapeMarkdown, markdownCode, printable } from '../util/text-safety.js';

function figuresCell(row: CompareRow): string {
  return row.energy ? `${formatSig(row.energy.aPerQueryJ, 3)} → ${formatSig(row.energy.bPerQueryJ, 3)}` : '–';
}

/** "(trial means, estimated)": which figures the row shows, and whether they are estimated. */
function figuresQualifier(e: EnergyRatio): string {
  const parts: string[] = [];
  if (e.aFigure === 'trial-mean' && e.bFigure === 'trial-mean') parts.push('trial means');
  else if (e.aFigure === 'trial-mean') parts.push('a: trial mean');
  else if (e.bFigure === 'trial-mean') parts.push('b: trial mean');
  if (e.estimated) parts.push('estimated');
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function rowNotes(row: CompareRow): string[] {
  return [...(row.modelChanged ? ['the model file changed (sha256)'] : []), ...row.notes];
}

export function renderCompareText(report: CompareReport): string {
  const [a, b] = [displayName(report.a), displayName(report.b)];
  const lines = [`energy-score compare: ${b} against ${a} (ratios are b / a)`];
  for (const row of report.rows) {
    lines.push(displayName(row.config));
    lines.push(
      row.energy
        ? `  energy:     ${figuresCell(row)} J/query${figuresQualifier(row.energy)}: ${row.energy.text}; ${row.energy.test}`
        : `  energy:     –${row.noEnergy ? ` (${row.noEnergy})` : ''}`,
    );
    lines.push(
      `  throughput: ${row.throughput ? `${row.throughput.aQps.toFixed(1)} → ${row.throughput.bQps.toFixed(1)} queries/s: ${row.throughput.text}` : '–'}`,
    );
    for (const note of rowNotes(row)) lines.push(`  note: ${printable(note)}`);
  }
  for (const id of report.onlyInA) lines.push(`only in ${a}: ${displayName(id)}`);
  for (const id of report.onlyInB) lines.push(`only in ${b}: ${displayName(id)}`);
  return `${lines.join('\n')}\n`;
}

export function renderCompareMarkdown(report: CompareReport): string {
  const lines = [
    '## energy-score compare',
    '',
    `${markdownCode(report.b)} against ${markdownCode(report.a)}: ratios are b / a, with 95 % intervals (delta method); Welch's two-sided t-test at 95 % decides "within noise".`,
    '',
    '| configuration | J/query a → b | energy per query | queries/s a → b | throughput | test |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of report.rows) {
    const qps = row.throughput
      ? `${row.throughput.aQps.toFixed(1)} → ${row.throughput.bQps.toFixed(1)}`
      : '–';
    const cells = [
      displayName(row.config),
      row.energy ? `${figuresCell(row)}${figuresQualifier(row.energy)}` : '–',
      row.energy?.text ?? row.noEnergy ?? '–',
      qps,
      row.throughput?.text ?? '–',
      row.energy?.test ?? '–',
    ];
    lines.push(`| ${cells.map(escapeMarkdown).join(' | ')} |`);
  }
  const extra = [
    ...report.rows.flatMap((r) =>
      rowNotes(r).map((n) => `- ${escapeMarkdown(displayName(r.config))}: ${escapeMarkdown(n)}`),
    ),
    ...report.onlyInA.map((id) => `- only in ${markdownCode(report.a)}: ${escapeMarkdown(displayName(id))}`),
    ...report.onlyInB.map((id) => `- only in ${markdownCode(report.b)}: ${escapeMarkdown(displayName(id))}`),
  ];
  if (extra.length > 0) lines.push('', ...extra);
  return `${lines.join('\n')}\n`;
}

export function renderCompareJson(report: CompareReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
