/**
 * The estimate meter for machines without RAPL: CPU package power from the CPU's TDP (CodeCarbon's
 * table) and this process's CPU load, P = TDP × (IDLE_FRACTION + LOAD_FRACTION × load). The model
 * and its constants were chosen by fitting CodeCarbon's four RAPL load sweeps
 * (benchmarks/cpu-estimate-fit.ts; docs/cpu-estimate.md gives the fit and its error, ~27 % mean).
 * Because the model is linear in load, the energy over a window depends only on the CPU time spent
 * in it, not on how that time was spread: two marks are enough, nothing is sampled.
 *
 * The same factory with domain 'dram' gives a constant RAM estimate from the installed memory.
 */
import os from 'node:os';
import si from 'systeminformation';

import { runError } from '../errors.js';
import type { CpuPowerTable } from '../devices/cpu-power-table.js';
import type { PowerProfileTable } from '../devices/power-profiles.js';
import { clampLoad, resolvePowerModel, type CpuIdentity } from './power-model.js';
import { nowS } from '../util/clock.js';
import {
  readingOf,
  type Availability,
  type EnergyMeter,
  type EnergyReading,
  type Mark,
  type MeterFactory,
  type MeterInfo,
} from './types.js';

/** CodeCarbon's RAM heuristic before v3: 3 W per 8 GB (it cites Crucial's memory power FAQ). */
export const RAM_W_PER_GIB = 3 / 8;

export const ESTIMATE_WARNING = 'estimated from a CPU power model and CPU load, not measured';
export const RAM_ESTIMATE_WARNING =
  'estimated from installed RAM (3 W per 8 GB), not measured: it ignores load';

export { clampLoad, type CpuIdentity } from './power-model.js';

export interface CpuUsageUs {
  user: number;
  system: number;
}

export interface CpuEstimateOptions {
  /** 'cpu' (default): package power from the power model and load. 'dram': a constant RAM estimate. */
  domain?: 'cpu' | 'dram';
  /** Defaults to systeminformation's `cpu()`. */
  cpuIdentity?: () => Promise<CpuIdentity>;
  /** Logical CPUs of the machine (the power model covers them all); defaults to os.cpus().length. */
  logicalCores?: number;
  /** CPU time of this process in microseconds; defaults to process.cpuUsage. */
  cpuUsage?: () => CpuUsageUs;
  /** Whose CPU time cpuUsage gives, for info.details.load, e.g. "the whole machine's CPU time". */
  cpuUsageLabel?: string;
  /** Monotonic seconds; defaults to nowS. */
  clock?: () => number;
  /** The TDP table; defaults to the shipped one. */
  table?: () => Promise<CpuPowerTable>;
  /** The measured power profiles; defaults to the shipped ones. */
  profiles?: () => Promise<PowerProfileTable>;
  /** /proc/cpuinfo (the microarchitecture). */
  cpuinfoPath?: string;
  /** /sys/class/dmi/id/product_name (an EC2 instance type). */
  productNamePath?: string;
  /** Installed RAM in bytes, for domain 'dram'; defaults to os.totalmem(). */
  memTotalBytes?: number;
}

async function defaultIdentity(): Promise<CpuIdentity> {
  const c = await si.cpu();
  return { manufacturer: c.manufacturer, brand: c.brand, processors: c.processors };
}

class EstimateState {
  constructor(
    readonly meter: EstimateMeter,
    readonly cpuS: number,
  ) {}
}

/** Two marks of CPU time and wall time; power is a function of the load between them. */
class EstimateMeter implements EnergyMeter {
  readonly info: MeterInfo;
  private readonly powerW: (load: number) => number;
  private readonly logicalCores: number;
  private readonly clock: () => number;
  private readonly cpuUsage: () => CpuUsageUs;

  constructor(
    info: MeterInfo,
    powerW: (load: number) => number,
    logicalCores: number,
    clock: () => number,
    cpuUsage: () => CpuUsageUs,
  ) {
    this.info = info;
    this.powerW = powerW;
    this.logicalCores = logicalCores;
    this.clock = clock;
    this.cpuUsage = cpuUsage;
  }

  async start(): Promise<void> {}

  async mark(): Promise<Mark> {
    const usage = this.cpuUsage();
    const timeS = this.clock();
    return { timeS, state: new EstimateState(this, (usage.user + usage.system) / 1e6) };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const a = from.state;
    const b = to.state;
    if (
      !(a instanceof EstimateState) ||
      !(b instanceof EstimateState) ||
      a.meter !== this ||
      b.meter !== this
    ) {
      throw runError('cpu-estimate: between() was given a mark this meter did not make');
    }
    const durationS = to.timeS - from.timeS;
    if (durationS < 0) throw runError('cpu-estimate: between() was given marks in reverse order');
    const warnings: string[] = [];
    const cpuS = b.cpuS - a.cpuS;
    const rawLoad = durationS > 0 ? cpuS / (durationS * this.logicalCores) : 0;
    if (rawLoad > 1 + 1e-9) {
      warnings.push(
        `process CPU time exceeds wall time × ${this.logicalCores} CPUs (load ${rawLoad.toFixed(3)}); clamped to 1`,
      );
    }
    const energyJ = this.powerW(clampLoad(rawLoad)) * durationS;
    const device = this.info.devices[0] ?? 'cpu';
    return readingOf(
      { meter: this.info.name, domain: this.info.domain, method: this.info.method },
      durationS,
      [{ device, energyJ, peakPowerW: null, samples: 2 }],
      null,
      warnings,
    );
  }

  async stop(): Promise<void> {}
}

interface Built {
  info: MeterInfo;
  powerW: (load: number) => number;
  logicalCores: number;
}

function cpuUsageLabel(options: CpuEstimateOptions): string {
  return (
    options.cpuUsageLabel ?? (options.cpuUsage ? 'CPU time from the given source' : "this process's CPU time")
  );
}

async function build(options: CpuEstimateOptions): Promise<Built> {
  const logicalCores = options.logicalCores ?? os.cpus().length;
  if (options.domain === 'dram') {
    const bytes = options.memTotalBytes ?? os.totalmem();
    const gib = bytes / 2 ** 30;
    const powerW = gib * RAM_W_PER_GIB;
    return {
      logicalCores,
      powerW: () => powerW,
      info: {
        name: 'cpu-estimate',
        domain: 'dram',
        method: 'estimated',
        devices: ['ram'],
        updatePeriodS: 0.001,
        details: {
          memTotalGiB: Number(gib.toFixed(3)),
          powerW: Number(powerW.toFixed(3)),
          model: 'P = 3 W per 8 GiB installed (CodeCarbon before v3, after Crucial), constant',
        },
        warnings: [RAM_ESTIMATE_WARNING],
      },
    };
  }
  const model = await resolvePowerModel({
    cpuIdentity: options.cpuIdentity ?? defaultIdentity,
    logicalCores,
    ...(options.table ? { table: options.table } : {}),
    ...(options.profiles ? { profiles: options.profiles } : {}),
    ...(options.cpuinfoPath ? { cpuinfoPath: options.cpuinfoPath } : {}),
    ...(options.productNamePath ? { productNamePath: options.productNamePath } : {}),
  });
  const details: Record<string, string | number> = {
    ...model.details,
    modelKind: model.kind,
    modelBand: model.band,
    modelBandSource: model.bandSource,
    load: `${cpuUsageLabel(options)} / (wall time × ${logicalCores} logical CPUs), clamped to [0, 1]`,
  };
  return {
    logicalCores,
    powerW: model.powerW,
    info: {
      name: 'cpu-estimate',
      domain: 'cpu',
      method: 'estimated',
      devices: ['cpu'],
      // getrusage's CPU time moves in scheduler ticks on some kernels (10 ms at HZ=100).
      updatePeriodS: 0.01,
      details,
      warnings: [ESTIMATE_WARNING, ...model.warnings],
    },
  };
}

/**
 * The estimate meters, both named 'cpu-estimate': domain 'cpu' (default) and 'dram'. They work
 * anywhere, so probe() is always available; the info says which TDP was used and how it was found.
 */
export function cpuEstimateMeterFactory(options: CpuEstimateOptions = {}): MeterFactory {
  const domain = options.domain ?? 'cpu';
  let built: Promise<Built> | null = null;
  const get = (): Promise<Built> => (built ??= build(options));
  return {
    name: 'cpu-estimate',
    domain,
    method: 'estimated',
    async probe(): Promise<Availability> {
      const { info } = await get();
      return { available: true, info };
    },
    async create(): Promise<EnergyMeter> {
      const { info, powerW, logicalCores } = await get();
      return new EstimateMeter(
        info,
        powerW,
        logicalCores,
        options.clock ?? nowS,
        options.cpuUsage ?? (() => process.cpuUsage()),
      );
    },
  };
}

/** Both estimate meters: CPU package and RAM. */
export function cpuEstimateMeterFactories(options: Omit<CpuEstimateOptions, 'domain'> = {}): MeterFactory[] {
  return [
    cpuEstimateMeterFactory({ ...options, domain: 'cpu' }),
    cpuEstimateMeterFactory({ ...options, domain: 'dram' }),
  ];
}
