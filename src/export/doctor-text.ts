/** The text report of `energy-score doctor`. */
import type { ChalkInstance } from 'chalk';
import type { DoctorReport } from '../app/doctor.js';
import { AUTO_DOMAINS } from '../meters/registry.js';
import type { MeterMethod } from '../meters/types.js';

const FIX_PREFIX = 'fix: ';

export function renderDoctor(report: DoctorReport, chalk: ChalkInstance): string {
  const ok = chalk.green('✓');
  const no = chalk.red('✗');
  const lines: string[] = [];
  const heading = (text: string) => lines.push(chalk.bold(text));

  heading('execution providers');
  const providerWidth = Math.max(...report.providers.map((p) => p.name.length));
  for (const p of report.providers) {
    const lead = `  ${p.available ? ok : no} ${p.name.padEnd(providerWidth)}  `;
    const indent = ' '.repeat(4 + providerWidth + 2);
    if (p.available) {
      const what =
        p.name === 'cpu'
          ? `ONNX Runtime ${p.details.onnxruntimeVersion ?? 'unknown'}`
          : `installed (${p.details.library ?? p.details.binaryDir ?? ''})`;
      lines.push(lead + what);
    } else {
      lines.push(lead + (p.reason ?? 'unavailable'));
      lines.push(indent + chalk.yellow(FIX_PREFIX + (p.fix ?? '')));
    }
  }

  lines.push('');
  heading('meters');
  const nameWidth = Math.max(...report.meters.map((m) => m.name.length));
  const domainWidth = Math.max(...report.meters.map((m) => m.domain.length));
  const methodWidth = Math.max(...report.meters.map((m) => m.method.length));
  const autoMark = 'auto';
  for (const m of report.meters) {
    const columns = `${m.name.padEnd(nameWidth)}  ${m.domain.padEnd(domainWidth)}  ${m.method.padEnd(methodWidth)}  `;
    const lead = `  ${m.available ? ok : no} ${columns}`;
    const indent = ' '.repeat(6);
    if (m.available) {
      const mark = m.auto ? chalk.cyan(autoMark) : '';
      lines.push(`${lead}${mark}`.trimEnd());
      lines.push(indent + chalk.dim(`devices: ${m.devices?.join(', ') ?? ''}`));
      for (const [key, value] of Object.entries(m.details ?? {})) {
        lines.push(indent + chalk.dim(`${key}: ${value}`));
      }
      for (const w of m.warnings ?? []) lines.push(indent + chalk.yellow(`warning: ${w}`));
    } else {
      lines.push(`${lead}${' '.repeat(autoMark.length)}  ${m.reason ?? 'unavailable'}`);
      lines.push(indent + chalk.yellow(FIX_PREFIX + (m.fix ?? '')));
    }
  }

  lines.push('');
  heading('gpus');
  if (report.gpus.devices.length === 0) {
    lines.push(`  ${no} none: ${report.gpus.reason ?? 'nvidia-smi lists no GPU'}`);
    if (report.gpus.fix) lines.push('    ' + chalk.yellow(FIX_PREFIX + report.gpus.fix));
  }
  for (const g of report.gpus.devices) {
    const limits = g.powerLimitsW;
    const limit =
      limits.enforced !== null
        ? `power limit ${limits.enforced} W` +
          (limits.min !== null && limits.max !== null ? ` (${limits.min}–${limits.max} W)` : '')
        : 'power limit unknown';
    const facts = [
      `driver ${g.driverVersion || 'unknown'}`,
      ...(g.cudaVersion ? [`CUDA ${g.cudaVersion}`] : []),
      limit,
      ...(g.memoryTotalMiB !== null ? [`${g.memoryTotalMiB} MiB`] : []),
      ...(g.instantPowerDraw ? [] : ['no instant power reading']),
    ];
    lines.push(`  ${ok} gpu${g.index}  ${g.name}  ${facts.join(', ')}`);
  }

  lines.push('');
  const picks = AUTO_DOMAINS.map((d) => {
    const name = report.auto[d];
    if (name === null) return `${d} none`;
    const method = report.meters.find((m) => m.auto && m.domain === d)?.method as MeterMethod | undefined;
    return method === 'estimated' ? `${d} ${name} (estimated)` : `${d} ${name}`;
  });
  lines.push(`${chalk.bold('--meter auto picks:')} ${picks.join(', ')}`);
  return lines.join('\n') + '\n';
}
