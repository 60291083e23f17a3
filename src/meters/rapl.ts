/**
 * CPU package and DRAM energy from the RAPL counters (devices/rapl.ts). Two meters, both named
 * 'rapl', one per domain; each reads its zones' counters at marks and takes the difference.
 * One wrap between two marks is undone; two cannot be seen, so a window longer than half the
 * wrap period at the observed power gets a warning. A step that implies more power than a socket
 * can draw (a counter reset read as a wrap, a broken driver) fails the reading. probe() never throws.
 */
import { errorMessage, runError } from '../errors.js';
import {
  counterDeltaUj,
  NO_RAPL_FIX,
  powercapShown,
  RAPL_UPDATE_PERIOD_S,
  readRaplCounters,
  readSysfsText,
  scanRaplZones,
  sysfsRoot,
  type RaplDomain,
  type RaplScan,
  type RaplZone,
  type ReadText,
} from '../devices/rapl.js';
import { DeviceUnavailable } from '../devices/unavailable.js';
import { nowS } from '../util/clock.js';
import { cpuWindow, sampleCpu, type CpuSample, type CpuTimeSources } from './cpu-time.js';
import { ceilingsDetail, implausibleEnergyStep, raplZoneCeiling } from './plausibility.js';
import {
  readingOf,
  type Availability,
  type DeviceEnergy,
  type EnergyMeter,
  type EnergyReading,
  type Mark,
  type MeterFactory,
  type MeterInfo,
} from './types.js';

export interface RaplOptions {
  /** 'cpu' (default): package zones. 'dram': dram zones. */
  domain?: RaplDomain;
  /** The sysfs mount; else env ENERGY_SCORE_SYSFS_ROOT, else /sys. */
  sysfsRoot?: string;
  /** Reads a sysfs file as text; injectable for tests. */
  readText?: ReadText;
  /** Monotonic seconds; defaults to nowS. */
  clock?: () => number;
  /**
   * This run's and the machine's CPU time: each reading then records other processes' CPU use,
   * which the package counter includes (domain 'cpu' only).
   */
  cpuTimes?: CpuTimeSources;
}

function buildInfo(domain: RaplDomain, root: string, scan: RaplScan): MeterInfo {
  const minMaxJ = Math.min(...scan.zones.map((z) => z.maxEnergyUj)) / 1e6;
  const details: Record<string, string | number> = {
    source: powercapShown(root),
    field: 'energy_uj',
    zones: scan.zones.map((z) => `${z.zone} (${z.zoneName})`).join(', '),
    maxEnergyRangeJ: Number(minMaxJ.toFixed(6)),
  };
  if (scan.skipped.length > 0) details.notRead = scan.skipped.join(', ');
  details.powerCeilings = ceilingsDetail(scan.zones.map((z) => raplZoneCeiling(z.device)));
  const warnings: string[] = [];
  if (domain === 'cpu')
    warnings.push('package energy: cores, caches and uncore; not DRAM, not the rest of the board');
  return {
    name: 'rapl',
    domain,
    method: 'counter',
    devices: scan.zones.map((z) => z.device),
    updatePeriodS: RAPL_UPDATE_PERIOD_S,
    details,
    warnings,
  };
}

/** A window can hold one counter update more than its length, and the marks take time to read. */
const RAPL_READ_SLACK_S = 0.01;

class RaplState {
  constructor(
    readonly meter: RaplMeter,
    readonly energyUj: readonly number[],
    readonly cpu: CpuSample | null,
  ) {}
}

class RaplMeter implements EnergyMeter {
  readonly info: MeterInfo;
  private readonly zones: readonly RaplZone[];
  private readonly readText: ReadText;
  private readonly clock: () => number;

  constructor(
    info: MeterInfo,
    zones: readonly RaplZone[],
    readText: ReadText,
    clock: () => number,
    private readonly cpuTimes: CpuTimeSources | null = null,
  ) {
    this.info = info;
    this.zones = zones;
    this.readText = readText;
    this.clock = clock;
  }

  async start(): Promise<void> {}

  async mark(): Promise<Mark> {
    const t0 = this.clock();
    const values = await readRaplCounters(this.zones, this.readText);
    const t1 = this.clock();
    const cpu = this.cpuTimes ? sampleCpu(this.cpuTimes) : null;
    // The counters were read between t0 and t1: the midpoint is the best single time for them.
    return { timeS: (t0 + t1) / 2, state: new RaplState(this, values, cpu) };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const a = from.state;
    const b = to.state;
    if (!(a instanceof RaplState) || !(b instanceof RaplState) || a.meter !== this || b.meter !== this) {
      throw runError('rapl: between() was given a mark this meter did not make');
    }
    const durationS = to.timeS - from.timeS;
    if (durationS < 0) throw runError('rapl: between() was given marks in reverse order');
    const warnings: string[] = [];
    const problems: string[] = [];
    const devices: DeviceEnergy[] = this.zones.map((z, i) => {
      const deltaUj = counterDeltaUj(a.energyUj[i] ?? 0, b.energyUj[i] ?? 0, z.maxEnergyUj);
      const energyJ = deltaUj / 1e6;
      const step = implausibleEnergyStep(
        raplZoneCeiling(z.device),
        `the RAPL counter ${z.zone}/energy_uj`,
        energyJ,
        durationS,
        RAPL_READ_SLACK_S,
      );
      if (step !== null) problems.push(step);
      if (deltaUj === 0 && durationS >= 20 * RAPL_UPDATE_PERIOD_S) {
        warnings.push(`${z.device}: counter did not advance in ${durationS.toFixed(3)} s`);
      } else if (durationS > 0 && deltaUj > 0) {
        const powerW = energyJ / durationS;
        const wrapS = z.maxEnergyUj / 1e6 / powerW;
        if (durationS > wrapS / 2) {
          warnings.push(
            `${z.device}: window ${durationS.toFixed(1)} s is over half the counter's wrap period ` +
              `(${wrapS.toFixed(1)} s at ${powerW.toFixed(1)} W); a second wrap would go unseen`,
          );
        }
      }
      return { device: z.device, energyJ, peakPowerW: null, samples: 2 };
    });
    if (problems.length > 0) {
      throw runError(
        `rapl: ${problems.join('; ')}`,
        'a counter reset or a broken powercap driver: check /sys/class/powercap, or use --meter cpu-estimate',
      );
    }
    const reading = readingOf(
      { meter: 'rapl', domain: this.info.domain, method: 'counter' },
      durationS,
      devices,
      null,
      warnings,
    );
    const other = a.cpu && b.cpu ? cpuWindow(a.cpu, b.cpu, durationS).otherCores : null;
    if (other !== null) reading.otherCpuCores = other;
    return reading;
  }

  async stop(): Promise<void> {}
}

/**
 * A RAPL meter factory for one domain. `--meter rapl` means both: see raplMeterFactories.
 * probe() never throws; create() throws the probe's reason when RAPL cannot be read.
 */
export function raplMeterFactory(options: RaplOptions = {}): MeterFactory {
  const domain = options.domain ?? 'cpu';
  const readText = options.readText ?? readSysfsText;
  const probeNow = async (): Promise<{ availability: Availability; zones: RaplZone[] }> => {
    const root = sysfsRoot(options.sysfsRoot);
    try {
      const scan = await scanRaplZones(domain, root, readText);
      return { availability: { available: true, info: buildInfo(domain, root, scan) }, zones: scan.zones };
    } catch (err) {
      const availability: Availability =
        err instanceof DeviceUnavailable
          ? { available: false, reason: err.reason, fix: err.fix }
          : { available: false, reason: `rapl: ${errorMessage(err)}`, fix: NO_RAPL_FIX };
      return { availability, zones: [] };
    }
  };
  return {
    name: 'rapl',
    domain,
    method: 'counter',
    async probe(): Promise<Availability> {
      return (await probeNow()).availability;
    },
    async create(): Promise<EnergyMeter> {
      const { availability, zones } = await probeNow();
      if (!availability.available)
        throw runError(`rapl (${domain}): ${availability.reason}`, availability.fix);
      const cpuTimes = domain === 'cpu' ? (options.cpuTimes ?? null) : null;
      return new RaplMeter(availability.info, zones, readText, options.clock ?? nowS, cpuTimes);
    },
  };
}

/** Both RAPL meters: cpu package and dram. A registry probes each; dram is often unavailable. */
export function raplMeterFactories(options: Omit<RaplOptions, 'domain'> = {}): MeterFactory[] {
  return [raplMeterFactory({ ...options, domain: 'cpu' }), raplMeterFactory({ ...options, domain: 'dram' })];
}
