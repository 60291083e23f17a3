/**
 * RAPL energy counters through Linux powercap (<sysfs>/class/powercap/intel-rapl:*; AMD exposes
 * the same tree), under an injectable sysfs root:
 *
 * - cpu: the package zones `intel-rapl:N` (name `package-N`). Their `core` and `uncore` subzones
 *   are parts of the package and are never added on top of it. `psys` (the platform) is not read.
 * - dram: the `dram` zones, whether a subzone `intel-rapl:N:M` of a package (most Intel servers)
 *   or a top-level zone `intel-rapl:N` (some servers). DRAM is its own RAPL domain, outside the
 *   package counter, so the two never count the same joules.
 *
 * `energy_uj` is a free-running microjoule counter that wraps after `max_energy_range_uj`. Since
 * Linux 5.10 (CVE-2020-8694) it is root-only: the scan then says so and how to open it.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

import { errorMessage, runError } from '../errors.js';
import { DeviceUnavailable } from './unavailable.js';

export type RaplDomain = 'cpu' | 'dram';

/** How often the counters change, seconds (about every millisecond). */
export const RAPL_UPDATE_PERIOD_S = 0.001;
export const RAPL_PERMISSION_FIX =
  'sudo chmod a+r /sys/class/powercap/intel-rapl:*/energy_uj (lasts until reboot; ' +
  'a udev rule on SUBSYSTEM=="powercap" that does the same makes it permanent)';
export const NO_POWERCAP_REASON = 'no /sys/class/powercap (no RAPL: a VM or a non-x86 CPU)';
export const NO_RAPL_FIX = 'none on this machine: use --meter cpu-estimate for an estimate';

/** Reads a sysfs file as text. */
export type ReadText = (file: string) => Promise<string>;

export const readSysfsText: ReadText = (file) => readFile(file, 'utf8');

/** The sysfs mount: given, else $ENERGY_SCORE_SYSFS_ROOT, else /sys. */
export function sysfsRoot(given?: string, env: NodeJS.ProcessEnv = process.env): string {
  return given ?? env.ENERGY_SCORE_SYSFS_ROOT ?? '/sys';
}

/** One powercap zone to read. */
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

/** The zones of a domain, and those seen and left out with why. */
export interface RaplScan {
  zones: RaplZone[];
  skipped: string[];
}

function powercapDir(root: string): string {
  return path.join(root, 'class', 'powercap');
}

/** How the powercap dir reads in messages: its real path, /sys/class/powercap by default. */
export function powercapShown(root: string): string {
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

/**
 * Finds the zones of a domain and reads each counter and its range once, so that a permission
 * problem shows now. Throws DeviceUnavailable with the reason and the fix.
 */
export async function scanRaplZones(
  domain: RaplDomain,
  root: string,
  readText: ReadText = readSysfsText,
): Promise<RaplScan> {
  const dir = powercapDir(root);
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const reason = root === '/sys' ? NO_POWERCAP_REASON : `no ${dir} (no RAPL: a VM or a non-x86 CPU)`;
      throw new DeviceUnavailable(reason, NO_RAPL_FIX);
    }
    throw new DeviceUnavailable(`cannot list ${powercapShown(root)}: ${errorMessage(err)}`, NO_RAPL_FIX);
  }
  const zoneDirs = entries.filter((e) => TOP.test(e) || SUB.test(e)).sort(compareZones);
  if (zoneDirs.length === 0) {
    throw new DeviceUnavailable(
      `no intel-rapl zones in ${powercapShown(root)} (the intel_rapl_msr driver is not loaded, or the CPU has no RAPL)`,
      'sudo modprobe intel_rapl_msr, or use --meter cpu-estimate',
    );
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
      throw new DeviceUnavailable(
        `RAPL has no dram zone in ${powercapShown(root)} (client CPUs and AMD CPUs do not report DRAM energy)`,
        'none: DRAM energy cannot be measured here; use --meter cpu-estimate for a RAM estimate',
      );
    }
    throw new DeviceUnavailable(
      `RAPL has no package zone in ${powercapShown(root)} (found: ${skipped.join(', ') || 'none'})`,
      NO_RAPL_FIX,
    );
  }
  for (const z of zones) {
    const energyShown = `${powercapShown(root)}/${z.zone}/energy_uj`;
    try {
      parseUj(await readText(z.energyFile), energyShown);
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EACCES' || code === 'EPERM') {
        throw new DeviceUnavailable(
          `cannot read ${energyShown}: permission denied (RAPL counters are root-only since Linux 5.10, CVE-2020-8694)`,
          RAPL_PERMISSION_FIX,
        );
      }
      throw new DeviceUnavailable(
        `cannot read ${energyShown}: ${code ?? errorMessage(err)}`,
        'check the intel_rapl_msr driver (sudo modprobe intel_rapl_msr), or use --meter cpu-estimate',
      );
    }
    const maxShown = `${powercapShown(root)}/${z.zone}/max_energy_range_uj`;
    try {
      z.maxEnergyUj = parseUj(await readText(path.join(dir, z.zone, 'max_energy_range_uj')), maxShown);
    } catch (err) {
      throw new DeviceUnavailable(
        `cannot read ${maxShown} (needed to undo the counter's wraparound): ${errorCode(err) ?? errorMessage(err)}`,
        'check the intel_rapl_msr driver, or use --meter cpu-estimate',
      );
    }
    if (z.maxEnergyUj <= 0) {
      throw new DeviceUnavailable(
        `${maxShown} is 0`,
        'check the intel_rapl_msr driver, or use --meter cpu-estimate',
      );
    }
  }
  return { zones, skipped };
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

/** Every zone's energy_uj now; a run error (with the permission fix where it applies) when one fails. */
export async function readRaplCounters(
  zones: readonly RaplZone[],
  readText: ReadText = readSysfsText,
): Promise<number[]> {
  try {
    return await Promise.all(zones.map(async (z) => parseUj(await readText(z.energyFile), z.energyFile)));
  } catch (err) {
    const denied = ['EACCES', 'EPERM'].includes(errorCode(err) ?? '');
    throw runError(
      `rapl: cannot read a counter: ${errorMessage(err)}`,
      denied ? RAPL_PERMISSION_FIX : undefined,
      err,
    );
  }
}
