/**
 * The machine's CPU package power as a function of its load, and what that model is worth.
 * Best first: the measured profile of this EC2 instance type's platform × the instance's vCPU
 * share; the measured profile of this CPU model × this machine's share of the profiled threads;
 * else one curve TDP × (a + b·load^k) fitted on all eleven measured CPUs, with the TDP from
 * CodeCarbon's table, or from the microarchitecture's median W per thread where the table does not
 * know the CPU. Each model carries its band: the mean absolute error of that method on CPUs it was
 * not given (benchmarks/cpu-estimate-fit.ts computes them and checks the constants below).
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';

import { errorMessage } from '../errors.js';
import { loadCpuPowerTable, type CpuPowerTable, type CpuTdpMatch } from '../devices/cpu-power-table.js';
import { microarchitecture, readCpuInfo, type CpuInfo, type Microarchitecture } from '../devices/cpuid.js';
import {
  loadPowerProfiles,
  profileForCpu,
  profileForInstance,
  profilePowerW,
  type PowerProfile,
  type PowerProfileTable,
} from '../devices/power-profiles.js';

/** The fitted curve P = TDP × (CURVE_A + CURVE_B × load^CURVE_K), load in [0, 1]. */
export const CURVE_A = 0.12;
export const CURVE_B = 0.75;
export const CURVE_K = 0.6;

/**
 * Model bands: mean absolute error on held-out data, as a fraction, averaged over the validation
 * sets (CodeCarbon all_cores, some_cores, Teads). A measured profile against another run of the
 * same CPU under the other load pattern; the curve leave-one-CPU-out with the CPU's TDP; the curve
 * leave-one-CPU-out with the TDP from the median W per thread of its microarchitecture.
 */
export const BAND_PROFILE = 0.24;
export const BAND_CURVE = 0.36;
export const BAND_CURVE_W_PER_THREAD = 0.34;

export const CURVE_TEXT = `P = TDP × (${CURVE_A} + ${CURVE_B} × load^${CURVE_K})`;

export function clampLoad(load: number): number {
  return Number.isFinite(load) ? Math.min(1, Math.max(0, load)) : 0;
}

/** The shipped curve at a load in [0, 1] (clamped). */
export function curvePowerW(tdpW: number, load: number): number {
  return tdpW * (CURVE_A + CURVE_B * clampLoad(load) ** CURVE_K);
}

/** CodeCarbon's machine-mode model, TDP × (0.1 + 0.9 × load³), kept for comparison. */
export function codecarbonCpuPowerW(tdpW: number, load: number): number {
  return tdpW * (0.1 + 0.9 * clampLoad(load) ** 3);
}

/** The model this meter shipped before measured profiles, TDP × (0.095 + 0.67 × load), for comparison. */
export function linearCpuPowerW(tdpW: number, load: number): number {
  return tdpW * (0.095 + 0.67 * clampLoad(load));
}

/** Teads' average ratios to TDP at 0 / 10 / 50 / 100 % (Boavizta's default), interpolated linearly. */
export function teadsCpuPowerW(tdpW: number, load: number): number {
  return profilePowerW(
    [
      { load: 0, powerW: 0.12 * tdpW },
      { load: 0.1, powerW: 0.32 * tdpW },
      { load: 0.5, powerW: 0.75 * tdpW },
      { load: 1, powerW: 1.02 * tdpW },
    ],
    clampLoad(load),
  );
}

export type PowerModelKind = 'instance-profile' | 'cpu-profile' | 'curve-tdp' | 'curve-w-per-thread';

export interface PowerModel {
  kind: PowerModelKind;
  /** The whole machine's package power (W) at a machine load in [0, 1]. */
  powerW: (load: number) => number;
  /** Mean absolute error of this method on held-out data, as a fraction (0.35 = ±35 %). */
  band: number;
  /** What the band is, in words. */
  bandSource: string;
  details: Record<string, string | number>;
  warnings: string[];
}

/** What systeminformation's `cpu()` tells about the CPU (the fields used). */
export interface CpuIdentity {
  manufacturer: string;
  brand: string;
  /** Physical sockets. */
  processors: number;
}

export interface PowerModelOptions {
  cpuIdentity: () => Promise<CpuIdentity>;
  logicalCores?: number;
  /** The TDP table; defaults to the shipped one. */
  table?: () => Promise<CpuPowerTable>;
  /** The measured profiles; defaults to the shipped ones. */
  profiles?: () => Promise<PowerProfileTable>;
  /** /proc/cpuinfo, for the microarchitecture. */
  cpuinfoPath?: string;
  /** The DMI product name: an EC2 instance type on AWS. */
  productNamePath?: string;
}

export const PRODUCT_NAME_PATH = '/sys/class/dmi/id/product_name';

const PROFILE_BAND_TEXT =
  "mean abs error of a CPU's measured profile against its other CodeCarbon sweep (another run, the other load pattern)";
const CURVE_BAND_TEXT =
  'mean abs error of the fitted curve, leave-one-CPU-out, over the eleven measured CPUs';
const W_PER_THREAD_BAND_TEXT =
  'mean abs error of the fitted curve with TDP = median W per thread × threads, leave-one-CPU-out, over the eleven measured CPUs';

function fromProfile(
  kind: 'instance-profile' | 'cpu-profile',
  profile: PowerProfile,
  share: number,
  how: string,
): PowerModel {
  return {
    kind,
    powerW: (load) => share * profilePowerW(profile.points, clampLoad(load)),
    band: BAND_PROFILE,
    bandSource: PROFILE_BAND_TEXT,
    details: {
      model: `measured profile ${profile.id} (${profile.source}) × ${Number(share.toPrecision(6))}`,
      profile: profile.id,
      profileSource:
        profile.source === 'teads'
          ? "Teads' AWS bare-metal turbostat measurements"
          : 'CodeCarbon RAPL load sweep',
      profileLoadMetric: profile.loadMetric,
      profileMatch: how,
      profilePoints: profile.points
        .map((p) => `${(p.load * 100).toFixed(1)} % ${p.powerW.toFixed(1)} W`)
        .join(', '),
      share: Number(share.toPrecision(6)),
    },
    warnings: [],
  };
}

async function readProductName(path: string): Promise<string | null> {
  try {
    const text = (await readFile(path, 'utf8')).trim();
    return text === '' ? null : text;
  } catch {
    return null;
  }
}

/** Resolves the machine's power model; never throws (a missing table falls through to the next). */
export async function resolvePowerModel(options: PowerModelOptions): Promise<PowerModel> {
  const logicalCores = options.logicalCores ?? os.cpus().length;
  const warnings: string[] = [];
  let identity: CpuIdentity | null = null;
  try {
    identity = await options.cpuIdentity();
  } catch (err) {
    warnings.push(`could not read the CPU model: ${errorMessage(err)}`);
  }
  const cpuModel = identity ? `${identity.manufacturer} ${identity.brand}`.replace(/\s+/g, ' ').trim() : '';
  const sockets =
    identity && Number.isInteger(identity.processors) && identity.processors > 0 ? identity.processors : 1;
  const cpuInfo: CpuInfo | null = await readCpuInfo(options.cpuinfoPath);
  const arch: Microarchitecture | null = cpuInfo ? microarchitecture(cpuInfo) : null;
  const common: Record<string, string | number> = {
    cpuModel: cpuModel || 'unknown',
    logicalCpus: logicalCores,
    sockets,
    microarchitecture: arch ? `${arch.name} (${arch.how})` : 'unknown',
  };
  const finish = (m: PowerModel): PowerModel => ({
    ...m,
    details: { ...common, ...m.details },
    warnings: [...warnings, ...m.warnings],
  });

  let profiles: PowerProfileTable | null = null;
  try {
    profiles = await (options.profiles ?? (() => loadPowerProfiles()))();
  } catch (err) {
    warnings.push(errorMessage(err));
  }
  if (profiles) {
    const product = await readProductName(options.productNamePath ?? PRODUCT_NAME_PATH);
    const instance = product ? profileForInstance(profiles, product) : null;
    if (instance) {
      const share = instance.instance.vcpus / instance.instance.platformVcpus;
      const how = `EC2 instance type ${instance.instance.type}: ${instance.instance.vcpus} of the platform's ${instance.instance.platformVcpus} vCPUs`;
      const m = fromProfile('instance-profile', instance.profile, share, how);
      if (instance.instance.vcpus !== logicalCores) {
        m.warnings.push(
          `the instance type has ${instance.instance.vcpus} vCPUs but ${logicalCores} are visible: the vCPU share follows the instance type`,
        );
      }
      return finish(m);
    }
    const profile = cpuModel ? profileForCpu(profiles, cpuModel) : null;
    if (profile) {
      const share = logicalCores / profile.threads;
      const how = `CPU model "${cpuModel}": ${logicalCores} of the profiled machine's ${profile.threads} threads`;
      return finish(fromProfile('cpu-profile', profile, share, how));
    }
  }

  let match: CpuTdpMatch | null = null;
  if (cpuModel) {
    try {
      match = (await (options.table ?? (() => loadCpuPowerTable()))()).match(cpuModel);
    } catch (err) {
      warnings.push(errorMessage(err));
    }
  }
  if (match) {
    const tdpW = match.tdpW * sockets;
    return finish({
      kind: 'curve-tdp',
      powerW: (load) => curvePowerW(tdpW, load),
      band: BAND_CURVE,
      bandSource: CURVE_BAND_TEXT,
      details: {
        model: CURVE_TEXT,
        tdpTotalW: tdpW,
        tdpSource: `CodeCarbon cpu_power.csv: "${match.name}" ${match.tdpW} W (${match.how} match) × ${sockets} socket(s)`,
        tableName: match.name,
        tdpW: match.tdpW,
      },
      warnings: [],
    });
  }

  const perThread =
    (arch && profiles?.wattsPerThread.find((w) => w.microarchitecture === arch.name)) ??
    profiles?.allWattsPerThread;
  const wPerThread = perThread?.medianW ?? 4;
  const tdpW = wPerThread * logicalCores;
  const whose = perThread
    ? perThread === profiles?.allWattsPerThread
      ? `the median of all ${perThread.cpus} Xeon and EPYC parts${arch ? ` (none listed for ${arch.name})` : ''}`
      : `the median of ${perThread.cpus} ${perThread.microarchitecture} parts`
    : "CodeCarbon's default";
  return finish({
    kind: 'curve-w-per-thread',
    powerW: (load) => curvePowerW(tdpW, load),
    band: BAND_CURVE_W_PER_THREAD,
    bandSource: W_PER_THREAD_BAND_TEXT,
    details: {
      model: CURVE_TEXT,
      tdpTotalW: Number(tdpW.toFixed(3)),
      tdpSource: `${wPerThread} W per thread (${whose}, Boavizta cpu_specs) × ${logicalCores} threads`,
    },
    warnings: [
      `"${cpuModel || 'unknown CPU'}" has no measured profile and no TDP in CodeCarbon's table: TDP taken as ${wPerThread} W × ${logicalCores} threads`,
    ],
  });
}
