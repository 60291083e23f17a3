/**
 * Measured package-power profiles: power against load for the CPUs that public RAPL data covers.
 * CodeCarbon's load sweeps (data/codecarbon/cpu_load_sweeps/, MIT) give four CPUs under two load
 * patterns; Teads' turbostat measurements of seven AWS bare-metal Xeon platforms
 * (data/teads/aws-instances.csv, Apache-2.0) give four points each. data/power-profiles/cpus.csv
 * names the CPUs, their sockets, threads and TDP. Only Teads' measured platforms become profiles:
 * the file's other rows are TDP extrapolations, not measurements.
 */
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { errorMessage, runError } from '../errors.js';
import { normaliseCpuName } from './cpu-power-table.js';

/**
 * How the profile's CPU was loaded: `all-cores` every core duty-cycled to the load;
 * `some-cores` that share of the threads fully busy (as an inference thread pool loads a CPU);
 * `stress` Teads' stress test at a target utilisation.
 */
export type LoadPattern = 'all-cores' | 'some-cores' | 'stress';

export interface PowerPoint {
  /** Machine CPU utilisation in [0, 1]. */
  load: number;
  powerW: number;
}

export interface PowerProfile {
  /** e.g. "xeon-platinum-8259cl/stress". */
  id: string;
  cpuId: string;
  /** The CPU's name as its source writes it. */
  cpuName: string;
  source: 'codecarbon' | 'teads';
  pattern: LoadPattern;
  /** What the load axis is, in words. */
  loadMetric: string;
  sockets: number;
  /** Logical CPUs of the profiled machine: the profile is their package power, all sockets summed. */
  threads: number;
  /** TDP of all sockets, W. */
  tdpW: number;
  tdpSource: string;
  microarchitecture: string;
  /** Sorted by load. */
  points: PowerPoint[];
}

/** An EC2 instance type on a platform Teads measured. */
export interface AwsInstance {
  type: string;
  vcpus: number;
  platformVcpus: number;
  platformCpu: string;
  /** The measured platform's profile id (stress pattern). */
  profileId: string;
}

/** Median TDP per thread of a microarchitecture's server parts (data/power-profiles/w-per-thread.csv). */
export interface WattsPerThread {
  microarchitecture: string;
  cpus: number;
  medianW: number;
}

export interface PowerProfileTable {
  profiles: PowerProfile[];
  instances: AwsInstance[];
  wattsPerThread: WattsPerThread[];
  /** The median over every Xeon and EPYC part, for a microarchitecture not in the list. */
  allWattsPerThread: WattsPerThread;
}

/** The row that stands for every Xeon and EPYC in w-per-thread.csv. */
export const ALL_SERVER_PARTS = 'all Xeon and EPYC';

export function parseWattsPerThread(text: string): { rows: WattsPerThread[]; all: WattsPerThread } {
  const what = 'data/power-profiles/w-per-thread.csv';
  const { header, rows } = rowsOf(text, what);
  const [iName, iCpus, iW] = ['code_name', 'cpus', 'median_w_per_thread'].map((n) =>
    column(header, n, what),
  ) as [number, number, number];
  const parsed = rows.map((r) => ({
    microarchitecture: r[iName] ?? '',
    cpus: positive(r[iCpus], what),
    medianW: positive(r[iW], what),
  }));
  const all = parsed.find((r) => r.microarchitecture === ALL_SERVER_PARTS);
  if (!all) throw runError(`${what}: no row "${ALL_SERVER_PARTS}"`);
  return { rows: parsed.filter((r) => r !== all), all };
}

export const DATA_URL = new URL('../../../data/', import.meta.url);

const LOAD_METRICS: Record<LoadPattern, string> = {
  'all-cores': 'machine CPU utilisation (psutil), every core duty-cycled to the load',
  'some-cores': 'machine CPU utilisation (psutil), that share of the threads fully busy',
  stress: "machine CPU utilisation, Teads' stress test at 0 / 10 / 50 / 100 %",
};

/** Power at a load, interpolated linearly between the profile's points and flat beyond its ends. */
export function profilePowerW(points: readonly PowerPoint[], load: number): number {
  const first = points[0];
  const last = points[points.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('a power profile needs points');
  if (!(load > first.load)) return first.powerW;
  if (load >= last.load) return last.powerW;
  for (let i = 1; i < points.length; i++) {
    const b = points[i]!;
    if (load <= b.load) {
      const a = points[i - 1]!;
      return b.load === a.load
        ? b.powerW
        : a.powerW + ((load - a.load) / (b.load - a.load)) * (b.powerW - a.powerW);
    }
  }
  return last.powerW;
}

interface CpuRow {
  id: string;
  source: 'codecarbon' | 'teads';
  name: string;
  sockets: number;
  threads: number;
  tdpWPerSocket: number;
  tdpSource: string;
  microarchitecture: string;
}

/** A CSV line split on commas outside double quotes (quotes removed, "" kept as "). */
export function splitCsvLine(line: string): string[] {
  // Most lines have no quotes: split them whole, which is much faster than a scan per character.
  if (!line.includes('"')) return line.split(',');
  const cells: string[] = [];
  let i = 0;
  for (;;) {
    if (line[i] === '"') {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) {
          cell += line.slice(j);
          j = line.length;
          break;
        }
        cell += line.slice(j, q);
        if (line[q + 1] === '"') {
          cell += '"';
          j = q + 2;
        } else {
          j = q + 1;
          break;
        }
      }
      cells.push(cell);
      const comma = line.indexOf(',', j);
      if (comma < 0) return cells;
      i = comma + 1;
    } else {
      const comma = line.indexOf(',', i);
      if (comma < 0) {
        cells.push(line.slice(i));
        return cells;
      }
      cells.push(line.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** The header and the rows; `keep` skips lines before they are split (a cheap pre-filter). */
function rowsOf(
  text: string,
  what: string,
  keep: (line: string) => boolean = () => true,
): { header: string[]; rows: string[][] } {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = splitCsvLine(lines[0] ?? '');
  if (header.length < 2) throw runError(`${what}: no header`);
  return { header, rows: lines.slice(1).filter(keep).map(splitCsvLine) };
}

function column(header: string[], name: string, what: string): number {
  const i = header.indexOf(name);
  if (i < 0) throw runError(`${what}: no column "${name}"`);
  return i;
}

function positive(text: string | undefined, what: string): number {
  const n = Number((text ?? '').replace(',', '.'));
  if (!Number.isFinite(n) || n < 0 || (text ?? '').trim() === '')
    throw runError(`${what}: "${text}" is not a number`);
  return n;
}

export function parseCpuRows(text: string): CpuRow[] {
  const what = 'data/power-profiles/cpus.csv';
  const { header, rows } = rowsOf(text, what);
  const c = (n: string) => column(header, n, what);
  const [iId, iSource, iName, iSockets, iThreads, iTdp, iTdpSource, iArch] = [
    'id',
    'source',
    'name',
    'sockets',
    'threads',
    'tdp_w_per_socket',
    'tdp_source',
    'microarchitecture',
  ].map(c) as [number, number, number, number, number, number, number, number];
  return rows.map((r, n) => {
    const source = r[iSource];
    if (source !== 'codecarbon' && source !== 'teads')
      throw runError(`${what} row ${n + 2}: unknown source "${source}"`);
    return {
      id: r[iId] ?? '',
      source,
      name: r[iName] ?? '',
      sockets: positive(r[iSockets], what),
      threads: positive(r[iThreads], what),
      tdpWPerSocket: positive(r[iTdp], what),
      tdpSource: r[iTdpSource] ?? '',
      microarchitecture: r[iArch] ?? '',
    };
  });
}

/**
 * One CodeCarbon sweep: per step the load (cpu_load %) and the package power from RAPL energy over
 * the step's duration (its rapl_power column lags one step behind, so it is not used).
 */
export function parseCodecarbonSweep(
  text: string,
  what: string,
): { cpuName: string; pattern: LoadPattern; points: PowerPoint[] } {
  const { header, rows } = rowsOf(text, what);
  const c = (n: string) => column(header, n, what);
  const [iType, iName, iLoad, iEnergy, iDuration] = [
    'load_type',
    'cpu_name',
    'cpu_load',
    'rapl_energy',
    'duration',
  ].map(c) as [number, number, number, number, number];
  const type = rows[0]?.[iType];
  if (type !== 'all_cores' && type !== 'some_cores') throw runError(`${what}: unknown load_type "${type}"`);
  const points = rows.map((r) => ({
    load: positive(r[iLoad], what) / 100,
    powerW: (positive(r[iEnergy], what) * 3.6e6) / positive(r[iDuration], what),
  }));
  return {
    cpuName: rows[0]?.[iName] ?? '',
    pattern: type === 'all_cores' ? 'all-cores' : 'some-cores',
    points: points.sort((a, b) => a.load - b.load),
  };
}

const TEADS_LOADS: readonly [string, number][] = [
  ['PkgWatt @ Idle', 0],
  ['PkgWatt @ 10%', 0.1],
  ['PkgWatt @ 50%', 0.5],
  ['PkgWatt @ 100%', 1],
];

/**
 * Teads' rows for the platforms named: each platform's profile is the mean over its instance types
 * of the instance's package watts × platform vCPUs / instance vCPUs (they agree within 0.1 W).
 */
export function parseTeadsInstances(
  text: string,
  platforms: ReadonlyMap<string, string>,
): { instances: AwsInstance[]; points: Map<string, PowerPoint[]> } {
  const what = 'data/teads/aws-instances.csv';
  const names = [...platforms.keys()];
  const { header, rows } = rowsOf(text, what, (line) => names.some((n) => line.includes(n)));
  const c = (n: string) => column(header, n, what);
  const iType = c('Instance type');
  const iVcpu = c('Instance vCPU');
  const iPlatformVcpu = c('Platform Total Number of vCPU');
  const iCpu = c('Platform CPU Name');
  const iWatts = TEADS_LOADS.map(([name]) => c(name));
  const instances: AwsInstance[] = [];
  const sums = new Map<string, { n: number; watts: number[] }>();
  for (const r of rows) {
    const cpu = (r[iCpu] ?? '').trim();
    const profileId = platforms.get(cpu);
    if (profileId === undefined) continue;
    const vcpus = positive(r[iVcpu], what);
    const platformVcpus = positive(r[iPlatformVcpu], what);
    if (vcpus <= 0 || platformVcpus <= 0) continue;
    instances.push({ type: (r[iType] ?? '').trim(), vcpus, platformVcpus, platformCpu: cpu, profileId });
    const sum = sums.get(profileId) ?? { n: 0, watts: TEADS_LOADS.map(() => 0) };
    iWatts.forEach((col, k) => (sum.watts[k]! += (positive(r[col], what) * platformVcpus) / vcpus));
    sum.n++;
    sums.set(profileId, sum);
  }
  const points = new Map<string, PowerPoint[]>();
  for (const [id, sum] of sums) {
    points.set(
      id,
      TEADS_LOADS.map(([, load], k) => ({ load, powerW: sum.watts[k]! / sum.n })),
    );
  }
  return { instances, points };
}

/** Builds the table from the three sources' texts (the shipped files, or a test's). */
export function buildProfileTable(
  cpusCsv: string,
  sweeps: readonly { file: string; text: string }[],
  teadsCsv: string,
  wattsPerThreadCsv: string,
): PowerProfileTable {
  const perThread = parseWattsPerThread(wattsPerThreadCsv);
  const cpus = parseCpuRows(cpusCsv);
  const profiles: PowerProfile[] = [];
  const make = (cpu: CpuRow, pattern: LoadPattern, points: PowerPoint[]): PowerProfile => ({
    id: `${cpu.id}/${pattern}`,
    cpuId: cpu.id,
    cpuName: cpu.name,
    source: cpu.source,
    pattern,
    loadMetric: LOAD_METRICS[pattern],
    sockets: cpu.sockets,
    threads: cpu.threads,
    tdpW: cpu.tdpWPerSocket * cpu.sockets,
    tdpSource: cpu.tdpSource,
    microarchitecture: cpu.microarchitecture,
    points,
  });
  for (const { file, text } of sweeps) {
    const sweep = parseCodecarbonSweep(text, file);
    const cpu = cpus.find((c) => c.source === 'codecarbon' && c.name === sweep.cpuName);
    if (!cpu) throw runError(`${file}: CPU "${sweep.cpuName}" is not in data/power-profiles/cpus.csv`);
    profiles.push(make(cpu, sweep.pattern, sweep.points));
  }
  const teadsCpus = cpus.filter((c) => c.source === 'teads');
  const { instances, points } = parseTeadsInstances(
    teadsCsv,
    new Map(teadsCpus.map((c) => [c.name, `${c.id}/stress`])),
  );
  for (const cpu of teadsCpus) {
    const p = points.get(`${cpu.id}/stress`);
    if (!p) throw runError(`data/teads/aws-instances.csv has no rows for the platform "${cpu.name}"`);
    profiles.push(make(cpu, 'stress', p));
  }
  return { profiles, instances, wattsPerThread: perThread.rows, allWattsPerThread: perThread.all };
}

/**
 * The profile for a CPU model name: the one whose name normalises to the same tokens
 * ("Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz" and "Xeon Platinum 8259CL"), preferring
 * `prefer`'s pattern where the CPU has several; null when none.
 */
export function profileForCpu(
  table: PowerProfileTable,
  cpuModel: string,
  prefer: LoadPattern = 'some-cores',
): PowerProfile | null {
  const wanted = normaliseCpuName(cpuModel);
  if (wanted === '') return null;
  const found = table.profiles.filter((p) => normaliseCpuName(p.cpuName) === wanted);
  return found.find((p) => p.pattern === prefer) ?? found[0] ?? null;
}

/** The instance type and its measured platform's profile, for an EC2 product name; null otherwise. */
export function profileForInstance(
  table: PowerProfileTable,
  productName: string,
): { instance: AwsInstance; profile: PowerProfile } | null {
  const type = productName.trim();
  const instance = table.instances.find((i) => i.type === type);
  if (!instance) return null;
  const profile = table.profiles.find((p) => p.id === instance.profileId);
  return profile ? { instance, profile } : null;
}

let cached: Promise<PowerProfileTable> | null = null;

/** Loads (once) the shipped profiles. */
export function loadPowerProfiles(dataUrl: URL = DATA_URL): Promise<PowerProfileTable> {
  if (dataUrl === DATA_URL && cached) return cached;
  const load = async (): Promise<PowerProfileTable> => {
    const path = (rel: string) => fileURLToPath(new URL(rel, dataUrl));
    try {
      const sweepDir = path('codecarbon/cpu_load_sweeps/');
      const files = (await readdir(sweepDir)).filter((f) => f.endsWith('.csv')).sort();
      const sweeps = await Promise.all(
        files.map(async (file) => ({ file, text: await readFile(sweepDir + file, 'utf8') })),
      );
      return buildProfileTable(
        await readFile(path('power-profiles/cpus.csv'), 'utf8'),
        sweeps,
        await readFile(path('teads/aws-instances.csv'), 'utf8'),
        await readFile(path('power-profiles/w-per-thread.csv'), 'utf8'),
      );
    } catch (err) {
      throw runError(
        `cannot read the CPU power profiles: ${errorMessage(err)}`,
        'the package is missing files under data/; reinstall energy-score',
        err,
      );
    }
  };
  const table = load();
  if (dataUrl === DATA_URL) {
    cached = table;
    table.catch(() => (cached = null));
  }
  return table;
}
