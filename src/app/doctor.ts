/**
 * The doctor use-case: what this machine can run and measure. Every execution provider and
 * every meter, available or not and why, with the command or permission that would enable it,
 * which meter `--meter auto` picks per domain, and the GPUs nvidia-smi lists. It reports; it
 * never fails because something is missing.
 */
import { onnxruntimeVersion } from '../env/environment.js';
import { readGpuInventory, type GpuInventoryEntry } from '../devices/gpu-inventory.js';
import { NVIDIA_SMI_FIX } from '../devices/nvidia-smi.js';
import {
  AUTO_DOMAINS,
  autoPicks,
  meterFactories,
  probeMeters,
  type MeterStatus,
} from '../meters/registry.js';
import type { EnergyDomain, MeterName } from '../meters/types.js';
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
