/**
 * `energy-score doctor`: what this machine can run and measure. Every execution provider and
 * every meter, available or not and why, with the command or permission that would enable it,
 * which meter `--meter auto` picks per domain, and the GPUs nvidia-smi lists. It reports; it
 * never fails because something is missing.
 */
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { onnxruntimeVersion } from '../env/environment.js';
import { readGpuInventory, type GpuInventoryEntry } from '../devices/gpu-inventory.js';
import { NVIDIA_SMI_FIX } from '../meters/nvidia-smi.js';
import {
  AUTO_DOMAINS,
  autoPicks,
  meterFactories,
  probeMeters,
  type MeterStatus,
} from '../meters/registry.js';
import type { EnergyDomain, MeterMethod, MeterName } from '../meters/types.js';
import { makeChalk } from '../export/table.js';
import { cudaProviderStatus } from '../runner/providers.js';

export interface ProviderStatus {
  name: 'cpu' | 'cuda';
  available: boolean;
  details: Record<string, string>;
  reason?: string;
  fix?: string;
}

export interface MeterDiagnosis {
  name: MeterName;
  domain: EnergyDomain;
  method: string;
  available: boolean;
  /** Whether `--meter auto` picks this one for its domain. */
  auto: boolean;
  devices?: string[];
  details?: Record<string, string | number>;
  warnings?: string[];
  reason?: string;
  fix?: string;
}

export interface GpuDiagnosis {
  devices: GpuInventoryEntry[];
  /** Why there are none; null when nvidia-smi answered. */
  reason: string | null;
  fix: string | null;
}

export interface DoctorReport {
  providers: ProviderStatus[];
  meters: MeterDiagnosis[];
  gpus: GpuDiagnosis;
  /** The meter `--meter auto` picks per domain, null where none. */
  auto: Record<EnergyDomain, MeterName | null>;
}

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('show which execution providers and energy meters work here, and how to enable the rest')
    .option('--json', 'print one JSON object {providers, meters, gpus, auto} instead of text')
    .addHelpText(
      'after',
      `
Examples:
  energy-score doctor                       what works here, with a fix: line under what does not
  energy-score doctor --json | jq .auto     the meter --meter auto picks per domain

Exits 0 even when meters are missing: doctor reports, it does not fail.`,
    )
    .action(async (flags: { json?: boolean }) => {
      const report = await diagnose();
      process.stdout.write(
        flags.json ? JSON.stringify(report, null, 2) + '\n' : renderDoctor(report, makeChalk(process.stdout)),
      );
    });
}

/** Probes everything; never throws for a missing meter, driver or provider. */
export async function diagnose(): Promise<DoctorReport> {
  const [statuses, inventory] = await Promise.all([probeMeters(meterFactories()), readGpuInventory()]);
  const picks = autoPicks(statuses);
  const auto: Record<EnergyDomain, MeterName | null> = { gpu: null, cpu: null, dram: null };
  for (const domain of AUTO_DOMAINS) {
    const index = picks[domain];
    auto[domain] = index === null ? null : (statuses[index]?.name ?? null);
  }
  const pickedIndexes = new Set(Object.values(picks).filter((i): i is number => i !== null));
  const meters = statuses.map((s, i) => meterDiagnosis(s, pickedIndexes.has(i)));
  const driverPresent = inventory.gpus.length > 0 || statuses.some((s) => s.available && s.domain === 'gpu');
  return {
    providers: [cpuProvider(), cudaProvider(driverPresent, inventory.reason)],
    meters,
    gpus: { devices: inventory.gpus, reason: inventory.reason, fix: inventory.fix },
    auto,
  };
}

function meterDiagnosis(status: MeterStatus, auto: boolean): MeterDiagnosis {
  const base = { name: status.name, domain: status.domain, method: status.method, auto };
  if (status.available && status.info) {
    return {
      ...base,
      available: true,
      devices: status.info.devices,
      details: status.info.details,
      warnings: status.info.warnings,
    };
  }
  return { ...base, available: false, reason: status.reason ?? 'unavailable', fix: status.fix ?? '' };
}

function cpuProvider(): ProviderStatus {
  return { name: 'cpu', available: true, details: { onnxruntimeVersion: onnxruntimeVersion() } };
}

function cudaProvider(driverPresent: boolean, driverReason: string | null): ProviderStatus {
  const status = cudaProviderStatus();
  if (!status.installed) {
    return {
      name: 'cuda',
      available: false,
      details: { binaryDir: status.binaryDir },
      reason: status.reason,
      fix: status.fix,
    };
  }
  const details = { binaryDir: status.binaryDir, library: status.library };
  if (!driverPresent) {
    return {
      name: 'cuda',
      available: false,
      details,
      reason: `installed, but no NVIDIA driver${driverReason ? ` (${driverReason})` : ''}`,
      fix: NVIDIA_SMI_FIX,
    };
  }
  return { name: 'cuda', available: true, details };
}

// ---------------------------------------------------------------------------------------------
// Text

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
