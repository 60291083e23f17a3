/**
 * RAPL energy counters through Linux powercap (/sys/class/powercap/intel-rapl:*; AMD exposes the
 * same tree). Two meters, both named 'rapl', one per domain:
 *
 * - cpu: the package zones `intel-rapl:N` (name `package-N`). Their `core` and `uncore` subzones
 *   are parts of the package and are never added on top of it. `psys` (the platform) is not read.
 * - dram: the `dram` zones, whether a subzone `intel-rapl:N:M` of a package (most Intel servers)
 *   or a top-level zone `intel-rapl:N` (some servers). DRAM is its own RAPL domain, outside the
 *   package counter, so the two meters never count the same joules.
 *
 * `energy_uj` is a free-running microjoule counter that wraps after `max_energy_range_uj`; one wrap
 * between two marks is undone, two cannot be seen, so a window longer than half the wrap period at
 * the observed power gets a warning. Since Linux 5.10 (CVE-2020-8694) `energy_uj` is root-only:
 * probe() then says so and how to open it, and never throws.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { errorMessage, runError } from '../errors.js';
import { nowS } from '../util/clock.js';
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

export type RaplDomain = 'cpu' | 'dram';

export interface RaplOptions {
  /** 'cpu' (default): package zones. 'dram': dram zones. */
  domain?: RaplDomain;
  /** The sysfs mount; else env ENERGY_SCORE_SYSFS_ROOT, else /sys. */
  sysfsRoot?: string;
  /** Reads a sysfs file as text; injectable for tests. */
  readText?: (file: string) => Promise<string>;
  /** Monotonic seconds; defaults to nowS. */
  clock?: () => number;
}

export const RAPL_UPDATE_PERIOD_S = 0.001;
export const RAPL_PERMISSION_FIX =
  'sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj (lasts until reboot; ' +
  'a udev rule on SUBSYSTEM=="powercap" that does the same makes it permanent)';
export const NO_POWERCAP_REASON = 'no /sys/class/powercap (no RAPL: a VM or a non-x86 CPU)';
const NO_RAPL_FIX = 'none on this machine: use --meter cpu-estimate for an estimate';

/** One powercap zone the meter reads. */
export interface RaplZone {
  /** Zone directory name, e.g. intel-rapl:0 or intel-rapl:0:2. */
  zone: string;
  /** Contents of its `name` file, e.g. package-0, dram. */
  zoneName: string;
  /** Device label in readings, e.g. package-0, dram-0. */
  device: string;
  energyFile: string;
  /** Counter range: the counter goes from 0 to this and wraps. */
  maxEnergyUj: number;
}

function defaultRoot(options: RaplOptions): string {
  return options.sysfsRoot ?? process.env.ENERGY_SCORE_SYSFS_ROOT ?? '/sys';
}

function powercapDir(root: string): string {
  return path.join(root, 'class', 'powercap');
}

/** How the powercap dir reads in messages: its real path, /sys/class/powercap by default. */
function shown(root: string): string {
  return root === '/sys' ? '/sys/class/powercap' : powercapDir(root);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err) {
    const { code } = err as { code: unknown };
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

function parseUj(text: string, file: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t)) throw runError(`${file}: not a counter value: "${t.slice(0, 40)}"`);
  const v = Number(t);
  if (!Number.isSafeInteger(v)) throw runError(`${file}: counter value out of range: ${t}`);
  return v;
}

/** Energy between two counter values, undoing one wraparound. */
export function counterDeltaUj(earlierUj: number, laterUj: number, maxEnergyUj: number): number {
  return laterUj >= earlierUj ? laterUj - earlierUj : laterUj + (maxEnergyUj + 1) - earlierUj;
}

const TOP = /^intel-rapl:(\d+)$/;
const SUB = /^intel-rapl:(\d+):(\d+)$/;

interface Scan {
  zones: RaplZone[];
  /** Zones seen and left out, with why, for info.details. */
  skipped: string[];
}

type ScanResult = { ok: true; scan: Scan } | { ok: false; reason: string; fix: string };

async function scanZones(
  domain: RaplDomain,
  root: string,
  readText: (f: string) => Promise<string>,
): Promise<ScanResult> {
  const dir = powercapDir(root);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const reason = root === '/sys' ? NO_POWERCAP_REASON : `no ${dir} (no RAPL: a VM or a non-x86 CPU)`;
      return { ok: false, reason, fix: NO_RAPL_FIX };
    }
    return { ok: false, reason: `cannot list ${shown(root)}: ${errorMessage(err)}`, fix: NO_RAPL_FIX };
  }
  const zoneDirs = entries.filter((e) => TOP.test(e) || SUB.test(e)).sort(compareZones);
  if (zoneDirs.length === 0) {
    return {
      ok: false,
      reason: `no intel-rapl zones in ${shown(root)} (the intel_rapl_msr driver is not loaded, or the CPU has no RAPL)`,
      fix: 'sudo modprobe intel_rapl_msr, or use --meter cpu-estimate',
    };
  }
  const zones: RaplZone[] = [];
  const skipped: string[] = [];
  for (const zone of zoneDirs) {
    const zdir = path.join(dir, zone);
    let zoneName: string;
    try {
      zoneName = (await readText(path.join(zdir, 'name'))).trim();
    } catch (err) {
      skipped.push(`${zone} (name unreadable: ${errorCode(err) ?? errorMessage(err)})`);
      continue;
    }
    const top = TOP.exec(zone);
    const sub = SUB.exec(zone);
    const index = top?.[1] ?? sub?.[1] ?? '0';
    let device: string | null = null;
    if (domain === 'cpu' && top && zoneName.startsWith('package')) device = zoneName;
    else if (domain === 'dram' && zoneName === 'dram') device = `dram-${index}`;
    if (device === null) {
      if (zoneName === 'core' || zoneName === 'uncore')
        skipped.push(`${zone} (${zoneName}: part of its package)`);
      else skipped.push(`${zone} (${zoneName})`);
      continue;
    }
    zones.push({ zone, zoneName, device, energyFile: path.join(zdir, 'energy_uj'), maxEnergyUj: 0 });
  }
  if (zones.length === 0) {
    if (domain === 'dram') {
      return {
        ok: false,
        reason: `RAPL has no dram zone in ${shown(root)} (client CPUs and AMD CPUs do not report DRAM energy)`,
        fix: 'none: DRAM energy cannot be measured here; use --meter cpu-estimate for a RAM estimate',
      };
    }
    return {
      ok: false,
      reason: `RAPL has no package zone in ${shown(root)} (found: ${skipped.join(', ') || 'none'})`,
      fix: NO_RAPL_FIX,
    };
  }
  // Read every counter once now, so that a permission problem shows at probe time.
  for (const z of zones) {
    const energyShown = `${shown(root)}/${z.zone}/energy_uj`;
    try {
      parseUj(await readText(z.energyFile), energyShown);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EACCES' || code === 'EPERM') {
        return {
          ok: false,
          reason: `cannot read ${energyShown}: permission denied (RAPL counters are root-only since Linux 5.10, CVE-2020-8694)`,
          fix: RAPL_PERMISSION_FIX,
        };
      }
      return {
        ok: false,
        reason: `cannot read ${energyShown}: ${code ?? errorMessage(err)}`,
        fix: 'check the intel_rapl_msr driver (sudo modprobe intel_rapl_msr), or use --meter cpu-estimate',
      };
    }
    const maxShown = `${shown(root)}/${z.zone}/max_energy_range_uj`;
    try {
      z.maxEnergyUj = parseUj(await readText(path.join(dir, z.zone, 'max_energy_range_uj')), maxShown);
    } catch (err) {
      return {
        ok: false,
        reason: `cannot read ${maxShown} (needed to undo the counter's wraparound): ${errorCode(err) ?? errorMessage(err)}`,
        fix: 'check the intel_rapl_msr driver, or use --meter cpu-estimate',
      };
    }
    if (z.maxEnergyUj <= 0) {
      return {
        ok: false,
        reason: `${maxShown} is 0`,
        fix: 'check the intel_rapl_msr driver, or use --meter cpu-estimate',
      };
    }
  }
  return { ok: true, scan: { zones, skipped } };
}

function compareZones(a: string, b: string): number {
  const na = a.split(':').slice(1).map(Number);
  const nb = b.split(':').slice(1).map(Number);
  for (let i = 0; i < Math.max(na.length, nb.length); i++) {
    const d = (na[i] ?? -1) - (nb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function buildInfo(domain: RaplDomain, root: string, scan: Scan): MeterInfo {
  const minMaxJ = Math.min(...scan.zones.map((z) => z.maxEnergyUj)) / 1e6;
  const details: Record<string, string | number> = {
    source: shown(root),
    field: 'energy_uj',
    zones: scan.zones.map((z) => `${z.zone} (${z.zoneName})`).join(', '),
    maxEnergyRangeJ: Number(minMaxJ.toFixed(6)),
  };
  if (scan.skipped.length > 0) details.notRead = scan.skipped.join(', ');
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

class RaplState {
  constructor(
    readonly meter: RaplMeter,
    readonly energyUj: readonly number[],
  ) {}
}

class RaplMeter implements EnergyMeter {
  readonly info: MeterInfo;
  private readonly zones: readonly RaplZone[];
  private readonly readText: (file: string) => Promise<string>;
  private readonly clock: () => number;

  constructor(
    info: MeterInfo,
    zones: readonly RaplZone[],
    readText: (f: string) => Promise<string>,
    clock: () => number,
  ) {
    this.info = info;
    this.zones = zones;
    this.readText = readText;
    this.clock = clock;
  }

  async start(): Promise<void> {}

  async mark(): Promise<Mark> {
    const t0 = this.clock();
    let values: number[];
    try {
      values = await Promise.all(
        this.zones.map(async (z) => parseUj(await this.readText(z.energyFile), z.energyFile)),
      );
    } catch (err) {
      const denied = ['EACCES', 'EPERM'].includes(errorCode(err) ?? '');
      throw runError(
        `rapl: cannot read a counter: ${errorMessage(err)}`,
        denied ? RAPL_PERMISSION_FIX : undefined,
        err,
      );
    }
    const t1 = this.clock();
    // The counters were read between t0 and t1: the midpoint is the best single time for them.
    return { timeS: (t0 + t1) / 2, state: new RaplState(this, values) };
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
    const devices: DeviceEnergy[] = this.zones.map((z, i) => {
      const deltaUj = counterDeltaUj(a.energyUj[i] ?? 0, b.energyUj[i] ?? 0, z.maxEnergyUj);
      const energyJ = deltaUj / 1e6;
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
    return readingOf(
      { meter: 'rapl', domain: this.info.domain, method: 'counter' },
      durationS,
      devices,
      null,
      warnings,
    );
  }

  async stop(): Promise<void> {}
}

const readTextDefault = (file: string): Promise<string> => readFile(file, 'utf8');

/**
 * A RAPL meter factory for one domain. `--meter rapl` means both: see raplMeterFactories.
 * probe() never throws; create() throws the probe's reason when RAPL cannot be read.
 */
export function raplMeterFactory(options: RaplOptions = {}): MeterFactory {
  const domain = options.domain ?? 'cpu';
  const readText = options.readText ?? readTextDefault;
  const probeNow = async (): Promise<{ availability: Availability; zones: RaplZone[] }> => {
    const root = defaultRoot(options);
    let result: ScanResult;
    try {
      result = await scanZones(domain, root, readText);
    } catch (err) {
      result = { ok: false, reason: `rapl: ${errorMessage(err)}`, fix: NO_RAPL_FIX };
    }
    if (!result.ok)
      return { availability: { available: false, reason: result.reason, fix: result.fix }, zones: [] };
    return {
      availability: { available: true, info: buildInfo(domain, root, result.scan) },
      zones: result.scan.zones,
    };
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
      return new RaplMeter(availability.info, zones, readText, options.clock ?? nowS);
    },
  };
}

/** Both RAPL meters: cpu package and dram. A registry probes each; dram is often unavailable. */
export function raplMeterFactories(options: Omit<RaplOptions, 'domain'> = {}): MeterFactory[] {
  return [raplMeterFactory({ ...options, domain: 'cpu' }), raplMeterFactory({ ...options, domain: 'dram' })];
}
