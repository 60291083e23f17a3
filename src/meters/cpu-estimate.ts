/**
 * The estimate meters for machines without RAPL, both named 'cpu-estimate'.
 *
 * CPU ('cpu'): the machine's package power P(U) at its load U comes from the power model
 * (power-model.ts: a measured profile, else the fitted curve), and this process is charged its
 * share of it by CPU time: with `own` its busy core-seconds in a window and `busy` the machine's
 * (/proc/stat),
 *
 *     E = (own / busy) × P(U) × wall,   U = busy / (wall × logical CPUs)
 *
 * which is active power per busy core-second, (P(U) − P(0)) / (U × CPUs), times `own`, plus the
 * static power P(0) × wall in proportion to the process's share of the machine's busy time. Other
 * processes' load raises U but not the process's share of it, so a co-tenant no longer turns into
 * this process's joules through wall time. Two marks per window are enough: nothing is sampled.
 *
 * RAM ('dram'): CodeCarbon's current model of the machine's RAM power (5 W per DIMM estimated from
 * the installed memory on x86, 1.5 W on ARM, with a floor), charged to the process by its share of
 * the installed memory that it keeps resident, or to nobody in particular (the whole machine's)
 * where its resident memory is not followed (`measure`); info.details.attribution says which.
 */
import os from 'node:os';

import { runError } from '../errors.js';
import type { CpuPowerTable } from '../devices/cpu-power-table.js';
import type { PowerProfileTable } from '../devices/power-profiles.js';
import { PROC_PATHS } from '../devices/proc-stat.js';
import { systemCpu } from '../devices/system-cpu.js';
import { clampLoad, resolvePowerModel, type CpuIdentity } from './power-model.js';
import {
  cpuWindow,
  processCpuTimes,
  sampleCpu,
  type CpuSample,
  type CpuTimeSources,
  type CpuWindow,
} from './cpu-time.js';
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

export const ESTIMATE_WARNING = 'estimated from a CPU power model and CPU time, not measured';
export const RAM_ESTIMATE_WARNING =
  "estimated from installed RAM (CodeCarbon's per-DIMM model), not measured: it ignores memory traffic";

export { clampLoad, type CpuIdentity } from './power-model.js';

/** CodeCarbon's RAM power per DIMM: 5 W on x86, 1.5 W on ARM. */
export const RAM_W_PER_DIMM_X86 = 5;
export const RAM_W_PER_DIMM_ARM = 1.5;

/**
 * CodeCarbon's DIMM count for an installed memory size (GiB, as psutil's total / 1024³), from
 * codecarbon/external/ram.py `_estimate_dimm_count`.
 */
export function estimateDimmCount(totalGiB: number): number {
  if (totalGiB <= 2) return 1;
  if (totalGiB <= 16) return 2;
  if (totalGiB <= 32) return 4;
  if (totalGiB <= 64) return 4;
  if (totalGiB <= 128) return 8;
  for (const size of [128, 64, 32, 16, 8, 4]) {
    if (size <= totalGiB / 8) return Math.min(32, Math.ceil(totalGiB / size));
  }
  return 8;
}

/**
 * CodeCarbon's RAM power (`_calculate_ram_power`): full power for the first 4 DIMMs, 90 % for the
 * next 4, 80 % for the next 8, 70 % beyond, at least 2 DIMMs' worth on x86 (10 W) or 3 W on ARM.
 */
export function ramPowerW(totalGiB: number, arm: boolean): number {
  const perDimm = arm ? RAM_W_PER_DIMM_ARM : RAM_W_PER_DIMM_X86;
  const minW = arm ? 3 : perDimm * 2;
  const n = estimateDimmCount(totalGiB);
  const tiers: [number, number][] = [
    [4, 1],
    [4, 0.9],
    [8, 0.8],
    [Infinity, 0.7],
  ];
  let left = n;
  let powerW = 0;
  for (const [count, factor] of tiers) {
    const take = Math.min(left, count);
    powerW += perDimm * factor * take;
    left -= take;
  }
  return Math.max(minW, powerW);
}

export interface CpuUsageUs {
  user: number;
  system: number;
}

export interface CpuEstimateOptions {
  /** 'cpu' (default): package power from the power model and CPU time. 'dram': the RAM estimate. */
  domain?: 'cpu' | 'dram';
  /** Defaults to systeminformation's `cpu()`. */
  cpuIdentity?: () => Promise<CpuIdentity>;
  /** Logical CPUs of the machine (the power model covers them all); defaults to os.cpus().length. */
  logicalCores?: number;
  /** Whose CPU time is charged, and the machine's; defaults to this process's and /proc/stat. */
  cpuTimes?: CpuTimeSources;
  /** This process's CPU time in microseconds, instead of process.cpuUsage (with /proc/stat for the machine's). */
  cpuUsage?: () => CpuUsageUs;
  /** /proc/stat, for the machine's busy time when cpuTimes is not given. */
  procStatPath?: string;
  /** /proc/self/task, for the threads' run and wait time (schedstat) when cpuTimes is not given. */
  taskDir?: string;
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
  /** ARM memory (1.5 W per DIMM); defaults to os.arch(). */
  arm?: boolean;
  /**
   * This process's resident memory in bytes, for domain 'dram' (default process.memoryUsage.rss);
   * null charges the whole machine's RAM power (measure, whose command's memory is not followed).
   */
  rssBytes?: (() => number) | null;
}

async function defaultIdentity(): Promise<CpuIdentity> {
  const c = await systemCpu();
  return { manufacturer: c.manufacturer, brand: c.brand, processors: c.processors };
}

function cpuSources(options: CpuEstimateOptions): CpuTimeSources {
  if (options.cpuTimes) return options.cpuTimes;
  const base = processCpuTimes(
    options.procStatPath ?? PROC_PATHS.stat,
    options.taskDir ?? PROC_PATHS.selfTask,
  );
  const usage = options.cpuUsage;
  if (!usage) return base;
  // Another source of CPU time: this process's threads are not its threads unless told so.
  const { threadRunnableS, ...machine } = base;
  return {
    ...machine,
    ...(options.taskDir !== undefined && threadRunnableS ? { threadRunnableS } : {}),
    ownS: () => {
      const u = usage();
      return (u.user + u.system) / 1e6;
    },
    ownLabel: 'CPU time from the given source',
  };
}

class EstimateState {
  constructor(
    readonly meter: EstimateMeter | RamMeter,
    readonly cpu: CpuSample,
    readonly rssBytes: number | null,
  ) {}
}

function checkMarks(meter: EstimateMeter | RamMeter, from: Mark, to: Mark): [EstimateState, EstimateState] {
  const a = from.state;
  const b = to.state;
  if (
    !(a instanceof EstimateState) ||
    !(b instanceof EstimateState) ||
    a.meter !== meter ||
    b.meter !== meter
  ) {
    throw runError('cpu-estimate: between() was given a mark this meter did not make');
  }
  if (to.timeS < from.timeS) throw runError('cpu-estimate: between() was given marks in reverse order');
  return [a, b];
}

/**
 * Energy of `ownS` CPU seconds on a machine loaded only by this process, at the load its threads
 * asked for (run + run-queue wait over capacity): P(u) / (u × CPUs) per CPU second, which is the
 * active power per busy core-second plus the static power in proportion to the process's share of
 * the busy time it would have had alone. Others' load neither raises nor lowers it.
 */
export function demandEnergyJ(
  ownS: number,
  demandLoad: number,
  logicalCores: number,
  powerW: (load: number) => number,
): number {
  const u = clampLoad(demandLoad);
  return u > 0 && ownS > 0 ? (ownS * powerW(u)) / (u * logicalCores) : 0;
}

/** The CPU estimate: the machine's modelled power, charged by this process's CPU time. */
class EstimateMeter implements EnergyMeter {
  private noMachineTimeWarned = false;

  constructor(
    readonly info: MeterInfo,
    private readonly powerW: (load: number) => number,
    private readonly logicalCores: number,
    private readonly clock: () => number,
    private readonly cpu: CpuTimeSources,
  ) {}

  async start(): Promise<void> {}

  async mark(): Promise<Mark> {
    const sample = sampleCpu(this.cpu);
    return { timeS: this.clock(), state: new EstimateState(this, sample, null) };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const [a, b] = checkMarks(this, from, to);
    const durationS = to.timeS - from.timeS;
    const warnings: string[] = [];
    const w = cpuWindow(a.cpu, b.cpu, durationS);
    const capacityS = durationS * this.logicalCores;
    const energyJ =
      w.runnableS !== null
        ? capacityS > 0
          ? demandEnergyJ(w.ownS, w.runnableS / capacityS, this.logicalCores, this.powerW)
          : 0
        : this.shareEnergyJ(w, durationS, warnings);
    const reading = readingOf(
      { meter: this.info.name, domain: this.info.domain, method: this.info.method },
      durationS,
      [{ device: this.info.devices[0] ?? 'cpu', energyJ, peakPowerW: null, samples: 2 }],
      null,
      warnings,
    );
    if (w.otherCores !== null) reading.otherCpuCores = w.otherCores;
    return reading;
  }

  /** Without schedstat: the process's share of the machine's busy time × its power at its load. */
  private shareEnergyJ(w: CpuWindow, durationS: number, warnings: string[]): number {
    // Without the machine's busy time the process is taken to be alone on it.
    const busyS = w.busyS ?? w.ownS;
    if (w.busyS === null && !this.noMachineTimeWarned) {
      this.noMachineTimeWarned = true;
      warnings.push(
        "the machine's CPU time (/proc/stat) could not be read: the process is taken to be alone on it",
      );
    }
    const capacityS = durationS * this.logicalCores;
    const load = capacityS > 0 ? busyS / capacityS : 0;
    // /proc/stat counts in 10 ms ticks, so a saturated machine reads slightly above full.
    if (load > 1.05) {
      warnings.push(
        `busy CPU time exceeds wall time × ${this.logicalCores} CPUs (load ${load.toFixed(3)}); clamped to 1`,
      );
    }
    return (busyS > 0 ? Math.min(1, w.ownS / busyS) : 0) * this.powerW(clampLoad(load)) * durationS;
  }

  async stop(): Promise<void> {}
}

/** The RAM estimate: the machine's RAM power × the process's share of the installed memory. */
class RamMeter implements EnergyMeter {
  constructor(
    readonly info: MeterInfo,
    private readonly machineW: number,
    private readonly totalBytes: number,
    private readonly clock: () => number,
    private readonly rssBytes: (() => number) | null,
  ) {}

  async start(): Promise<void> {}

  async mark(): Promise<Mark> {
    const rss = this.rssBytes ? this.rssBytes() : null;
    return { timeS: this.clock(), state: new EstimateState(this, { ownS: 0, busyS: null }, rss) };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const [a, b] = checkMarks(this, from, to);
    const durationS = to.timeS - from.timeS;
    // The mean of the two marks' resident memory stands for the window's.
    const share =
      a.rssBytes === null || b.rssBytes === null
        ? 1
        : Math.min(1, Math.max(0, (a.rssBytes + b.rssBytes) / 2 / this.totalBytes));
    const energyJ = this.machineW * share * durationS;
    return readingOf(
      { meter: this.info.name, domain: this.info.domain, method: this.info.method },
      durationS,
      [{ device: this.info.devices[0] ?? 'ram', energyJ, peakPowerW: null, samples: 2 }],
      null,
      [],
    );
  }

  async stop(): Promise<void> {}
}

type Built =
  | {
      kind: 'cpu';
      info: MeterInfo;
      powerW: (load: number) => number;
      logicalCores: number;
      cpu: CpuTimeSources;
    }
  | { kind: 'dram'; info: MeterInfo; machineW: number; totalBytes: number; rssBytes: (() => number) | null };

const GIB = 2 ** 30;

function buildRam(options: CpuEstimateOptions): Built {
  const totalBytes = options.memTotalBytes ?? os.totalmem();
  const gib = totalBytes / GIB;
  const arm = options.arm ?? (os.arch() === 'arm64' || os.arch() === 'arm');
  const machineW = ramPowerW(gib, arm);
  const rssBytes = options.rssBytes === undefined ? () => process.memoryUsage.rss() : options.rssBytes;
  return {
    kind: 'dram',
    machineW,
    totalBytes,
    rssBytes,
    info: {
      name: 'cpu-estimate',
      domain: 'dram',
      method: 'estimated',
      devices: ['ram'],
      updatePeriodS: 0.001,
      details: {
        memTotalGiB: Number(gib.toFixed(3)),
        dimms: estimateDimmCount(gib),
        machinePowerW: Number(machineW.toFixed(3)),
        model: `CodeCarbon's RAM model: ${arm ? RAM_W_PER_DIMM_ARM : RAM_W_PER_DIMM_X86} W per DIMM estimated from the installed memory (${arm ? 'ARM, at least 3 W' : 'x86, at least 10 W'})`,
        attribution: rssBytes
          ? "process: the machine's RAM power × this process's resident memory / installed memory"
          : "machine: the whole machine's RAM power (the measured command's memory is not followed)",
      },
      warnings: [RAM_ESTIMATE_WARNING],
    },
  };
}

async function build(options: CpuEstimateOptions): Promise<Built> {
  if (options.domain === 'dram') return buildRam(options);
  const logicalCores = options.logicalCores ?? os.cpus().length;
  const cpu = cpuSources(options);
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
    load: cpu.threadRunnableS
      ? `the load this process asks for: its threads' run + run-queue wait time (schedstat) / (wall time × ${logicalCores} logical CPUs), clamped to [0, 1]`
      : `the machine's busy CPU time (/proc/stat) / (wall time × ${logicalCores} logical CPUs), clamped to [0, 1]`,
    attribution: cpu.threadRunnableS
      ? `${cpu.ownLabel} × P(u) / (u × ${logicalCores} CPUs) at the load u the process asks for: the machine's power as if it ran alone, per CPU second; other processes' load does not change it`
      : `${cpu.ownLabel} / the machine's busy CPU time × the machine's power at its load: active power per busy core-second, plus static power by share of busy time`,
  };
  return {
    kind: 'cpu',
    logicalCores,
    powerW: model.powerW,
    cpu,
    info: {
      name: 'cpu-estimate',
      domain: 'cpu',
      method: 'estimated',
      devices: ['cpu'],
      // CPU time moves in scheduler ticks (/proc/stat: 10 ms; getrusage at HZ=100 too).
      updatePeriodS: 0.01,
      details,
      warnings: [ESTIMATE_WARNING, ...model.warnings],
    },
  };
}

/**
 * The estimate meters, both named 'cpu-estimate': domain 'cpu' (default) and 'dram'. They work
 * anywhere, so probe() is always available; the info says which model was used and how it was found.
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
      const b = await get();
      const clock = options.clock ?? nowS;
      return b.kind === 'cpu'
        ? new EstimateMeter(b.info, b.powerW, b.logicalCores, clock, b.cpu)
        : new RamMeter(b.info, b.machineW, b.totalBytes, clock, b.rssBytes);
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
