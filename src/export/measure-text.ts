/** The text report of `energy-score measure`. */
import type { ChalkInstance } from 'chalk';
import type { MeasureDocument } from '../result/measure.js';
import { formatSig } from '../render/numbers.js';
import { printable } from '../util/text-safety.js';

/** Quotes an argument the way a POSIX shell would need it, for display. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const fig = (value: number | null, digits = 4): string => (value === null ? '–' : formatSig(value, digits));

export function renderMeasureText(doc: MeasureDocument, chalk: ChalkInstance): string {
  const lines: string[] = [];
  const ended = doc.exitCode !== null ? String(doc.exitCode) : `killed by ${doc.signal ?? 'a signal'}`;
  const facts: [string, string][] = [
    ['command', doc.command.map((arg) => printable(shellQuote(arg))).join(' ')],
    ['exit code', ended],
    ['duration', `${fig(doc.durationS)} s`],
    [
      'idle',
      doc.idle.seconds > 0
        ? `${doc.idle.seconds} s measured before the command; net = gross − idle W × duration`
        : 'not measured (--idle 0): net = gross',
    ],
  ];
  const keyWidth = Math.max(...facts.map(([k]) => k.length));
  for (const [key, value] of facts) lines.push(`${chalk.bold(key.padEnd(keyWidth))}  ${value}`);
  lines.push('');

  if (doc.domains.length === 0) {
    lines.push('energy: not measured (no meter was used, or every meter failed)');
  } else {
    const header = ['domain', 'meter', 'method', 'energy J', 'net J', 'avg W', 'peak W', 'idle W', ''];
    const right = [false, false, false, true, true, true, true, true, false];
    const rows = doc.domains.map((d) => [
      d.domain,
      d.meter,
      d.method,
      fig(d.energyJ),
      fig(d.netEnergyJ),
      fig(d.avgPowerW),
      fig(d.peakPowerW),
      fig(d.idlePowerW),
      d.estimated ? 'estimated' : '',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(chalk.bold(line(header)));
    rows.forEach((r, i) => {
      const text = line(r);
      lines.push(doc.domains[i]!.estimated ? chalk.yellow(text) : text);
    });
    lines.push('');
    const measured = doc.domains.filter((d) => !d.estimated).map((d) => d.domain);
    const estimated = doc.domains.filter((d) => d.estimated).map((d) => d.domain);
    lines.push(
      measured.length > 0
        ? `measured energy   ${fig(doc.measuredEnergyJ)} J (${[...new Set(measured)].join(' + ')})`
        : 'measured energy   – (no measured domain)',
    );
    if (estimated.length > 0) {
      const band = doc.domains.find((d) => d.estimated && d.modelBand !== undefined)?.modelBand;
      const bandText = band === undefined ? '' : ` ±${Math.round(band * 100)} % (model)`;
      lines.push(
        chalk.yellow(
          `estimated energy  ${fig(doc.estimatedEnergyJ)} J${bandText} (${[...new Set(estimated)].join(' + ')}) — estimated, not measured; never added to the measured figure`,
        ),
      );
    }
  }
  if (doc.notes.length > 0) {
    lines.push('', chalk.bold('notes'));
    for (const n of doc.notes) lines.push(`  ${n}`);
  }
  if (doc.warnings.length > 0) {
    lines.push('', chalk.bold('warnings'));
    for (const w of doc.warnings) lines.push(chalk.yellow(`  ${w}`));
  }
  return lines.join('\n') + '\n';
}
