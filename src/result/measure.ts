/** The result of `energy-score measure`: one command's duration, exit and energy per domain. */
import type { EnergyDomain, MeterLabel, MeterMethod } from '../meters/types.js';
import type { Environment } from './schema.js';

export interface MeasuredDomain {
  meter: MeterLabel;
  domain: EnergyDomain;
  method: MeterMethod;
  devices: string[];
  /** Gross energy over the command's run. */
  energyJ: number;
  /** Gross minus idle power × duration, floored at 0; gross when idle was not measured. */
  netEnergyJ: number;
  avgPowerW: number;
  peakPowerW: number | null;
  idlePowerW: number | null;
  estimated: boolean;
  /** An estimated domain's model band (held-out mean abs error, a fraction); absent when measured or unknown. */
  modelBand?: number;
  /** CPU meters: other processes' CPU use beside the command, in cores (from /proc/stat). */
  otherCpuCores?: number;
}

export interface MeasureDocument {
  schemaVersion: 1;
  kind: 'measure';
  command: string[];
  /** When the command was started, ISO 8601. */
  startedAt: string;
  durationS: number;
  /** The command's exit code; null when a signal ended it. */
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  idle: { seconds: number; powerW: Record<string, number | null> };
  domains: MeasuredDomain[];
  /** Sum over measured (not estimated) domains, gross, one meter per domain; null when no domain was measured. */
  measuredEnergyJ: number | null;
  /** Sum over estimated domains, gross; null when none was estimated. Never added to measuredEnergyJ. */
  estimatedEnergyJ: number | null;
  warnings: string[];
  notes: string[];
  environment: Environment;
}
