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

import { errorMessage, runError } from '../errors.js';
import { loadCpuPowerTable, type CpuPowerTable, type CpuTdpMatch } from '../devices/cpu-power-table.js';
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

/** Fraction of TDP drawn at zero load (fitted; see docs/cpu-estimate.md). */
export const IDLE_FRACTION = 0.095;
/** Fraction of TDP added between zero and full load (fitted). */
export const LOAD_FRACTION = 0.67;
/** CodeCarbon's TDP stand-in for a CPU missing from its table: 4 W per thread. */
export const FALLBACK_W_PER_THREAD = 4;
/** CodeCarbon's TDP stand-in when the CPU model cannot be read at all. */
export const FALLBACK_TDP_W = 85;
/** CodeCarbon's RAM heuristic before v3: 3 W per 8 GB (it cites Crucial's memory power FAQ). */
export const RAM_W_PER_GIB = 3 / 8;

export const ESTIMATE_WARNING = 'estimated from TDP and CPU load, not measured';
export const RAM_ESTIMATE_WARNING =
  'estimated from installed RAM (3 W per 8 GB), not measured: it ignores load';
export const MODEL_TEXT = `P = TDP × (${IDLE_FRACTION} + ${LOAD_FRACTION} × load)`;

export function clampLoad(load: number): number {
  return Number.isFinite(load) ? Math.min(1, Math.max(0, load)) : 0;
}

/** This project's model: package power at a load in [0, 1] (clamped). */
export function estimateCpuPowerW(tdpW: number, load: number): number {
  return tdpW * (IDLE_FRACTION + LOAD_FRACTION * clampLoad(load));
}

/** CodeCarbon's machine-mode model, TDP × (0.1 + 0.9 × load³), kept for comparison. */
export function codecarbonCpuPowerW(tdpW: number, load: number): number {
  return tdpW * (0.1 + 0.9 * clampLoad(load) ** 3);
}

/** What systeminformation's `cpu()` tells about the CPU (the fields used). */
export interface CpuIdentity {
  manufacturer: string;
  brand: string;
  /** Physical sockets. */
  processors: number;
}

export interface CpuUsageUs {
  user: number;
  system: number;
}

export interface CpuEstimateOptions {
  /** 'cpu' (default): package power from TDP and load. 'dram': a constant RAM estimate. */
  domain?: 'cpu' | 'dram';
  /** Defaults to systeminformation's `cpu()`. */
  cpuIdentity?: () => Promise<CpuIdentity>;
  /** Logical CPUs of the machine (the TDP covers them all); defaults to os.cpus().length. */
  logicalCores?: number;
  /** CPU time of this process in microseconds; defaults to process.cpuUsage. */
  cpuUsage?: () => CpuUsageUs;
  /** Whose CPU time cpuUsage gives, for info.details.load, e.g. "the whole machine's CPU time". */
  cpuUsageLabel?: string;
  /** Monotonic seconds; defaults to nowS. */
  clock?: () => number;
  /** The TDP table; defaults to the shipped one. */
  table?: () => Promise<CpuPowerTable>;
  /** Installed RAM in bytes, for domain 'dram'; defaults to os.totalmem(). */
  memTotalBytes?: number;
}

/** The TDP used for the whole machine, and how it was found. */
export interface ResolvedTdp {
  cpuModel: string;
  match: CpuTdpMatch | null;
  sockets: number;
  /** TDP for all sockets, W. */
  tdpTotalW: number;
  source: string;
  warnings: string[];
}

async function defaultIdentity(): Promise<CpuIdentity> {
  const c = await si.cpu();
  return { manufacturer: c.manufacturer, brand: c.brand, processors: c.processors };
}

/** Finds the machine's TDP: the table (× sockets), else CodeCarbon's fallbacks. Never throws. */
export async function resolveTdp(options: CpuEstimateOptions = {}): Promise<ResolvedTdp> {
  const logicalCores = options.logicalCores ?? os.cpus().length;
  let identity: CpuIdentity | null = null;
  const warnings: string[] = [];
  try {
    identity = await (options.cpuIdentity ?? defaultIdentity)();
  } catch (err) {
    warnings.push(`could not read the CPU model: ${errorMessage(err)}`);
  }
  const cpuModel = identity ? `${identity.manufacturer} ${identity.brand}`.replace(/\s+/g, ' ').trim() : '';
  const sockets =
    identity && Number.isInteger(identity.processors) && identity.processors > 0 ? identity.processors : 1;
  if (cpuModel === '') {
    warnings.push(`CPU model unknown: TDP taken as ${FALLBACK_TDP_W} W (CodeCarbon's default)`);
    return {
      cpuModel: 'unknown',
      match: null,
      sockets,
      tdpTotalW: FALLBACK_TDP_W,
      source: `fallback: ${FALLBACK_TDP_W} W for an unknown CPU (CodeCarbon's default)`,
      warnings,
    };
  }
  let match: CpuTdpMatch | null = null;
  try {
    const table = await (options.table ?? (() => loadCpuPowerTable()))();
    match = table.match(cpuModel);
  } catch (err) {
    warnings.push(errorMessage(err));
  }
  if (match) {
    return {
      cpuModel,
      match,
      sockets,
      tdpTotalW: match.tdpW * sockets,
      source: `CodeCarbon cpu_power.csv: "${match.name}" ${match.tdpW} W (${match.how} match) × ${sockets} socket(s)`,
      warnings,
    };
  }
  const tdpTotalW = FALLBACK_W_PER_THREAD * logicalCores;
  warnings.push(
    `"${cpuModel}" is not in CodeCarbon's TDP table: TDP taken as ${FALLBACK_W_PER_THREAD} W × ${logicalCores} threads = ${tdpTotalW} W`,
  );
  return {
    cpuModel,
    match: null,
    sockets,
    tdpTotalW,
    source: `fallback: ${FALLBACK_W_PER_THREAD} W per thread × ${logicalCores} threads (CodeCarbon's default for a CPU not in its table)`,
    warnings,
  };
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
  const tdp = await resolveTdp({ ...options, logicalCores });
  const details: Record<string, string | number> = {
    cpuModel: tdp.cpuModel,
    tdpSource: tdp.source,
    tdpTotalW: tdp.tdpTotalW,
    sockets: tdp.sockets,
    model: MODEL_TEXT,
    load: `${cpuUsageLabel(options)} / (wall time × ${logicalCores} logical CPUs), clamped to [0, 1]`,
  };
  if (tdp.match) {
    details.tableName = tdp.match.name;
    details.tdpW = tdp.match.tdpW;
  }
  return {
    logicalCores,
    powerW: (load) => estimateCpuPowerW(tdp.tdpTotalW, load),
    info: {
      name: 'cpu-estimate',
      domain: 'cpu',
      method: 'estimated',
      devices: ['cpu'],
      // getrusage's CPU time moves in scheduler ticks on some kernels (10 ms at HZ=100).
      updatePeriodS: 0.01,
      details,
      warnings: [ESTIMATE_WARNING, ...tdp.warnings],
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
