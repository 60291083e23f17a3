/**
 * GPU energy from one long-lived `nvidia-smi --query-gpu=… -lms 100` stream: power samples per GPU,
 * integrated over a window with the trapezoid rule. Reads `power.draw.instant` where the driver has
 * it; `power.draw` is a 1-second average on Ampere and newer and under-counts short windows (−37 %
 * on a 1 s burst on an H100, against +0.1 % for the instant field: test/fixtures/traces/h100-sxm-580).
 *
 * A stream that stalls, dies or prints garbage never hangs or crashes a run: waits are bounded,
 * readings carry warnings, and `between` rejects only when no sample at all covers the window.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';

import { errorMessage, runError, usageError } from '../errors.js';
import { firstLine } from '../util/first-line.js';
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

export const NVIDIA_SMI_ENV = 'ENERGY_SCORE_NVIDIA_SMI';
export const NVIDIA_SMI_FIX = `install the NVIDIA driver, or set ${NVIDIA_SMI_ENV}`;
export const POWER_DRAW_AVERAGE_WARNING =
  'power.draw is a 1-second average on Ampere and newer: short windows are under-counted';

export interface NvidiaSmiMeterOptions {
  /** GPU indices to read (the CLI's --gpus 0,1); all GPUs when absent. */
  gpus?: number[];
  /** The nvidia-smi to run; else $ENERGY_SCORE_NVIDIA_SMI, else `nvidia-smi` on PATH. */
  executable?: string;
  /** Environment for the executable lookup and the child processes (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Sampling period, seconds (default 0.1: `-lms 100`). */
  periodS?: number;
  /** How long start() waits for the first sample of every GPU, seconds (default 10). */
  startTimeoutS?: number;
  /** No sample for this long means the stream has stalled, seconds (default 3). */
  stallTimeoutS?: number;
  /** Samples older than this are dropped, seconds (default 600). */
  retentionS?: number;
  /** Limit for the probe's one-shot nvidia-smi calls, seconds (default 15). */
  probeTimeoutS?: number;
}

// ---------------------------------------------------------------------------------------------
// Pure parts

/** One parsed line of a `--format=csv,noheader,nounits` stream. */
export interface StreamSample {
  /** The `index` field. */
  gpu: number;
  /** The `timestamp` field in epoch seconds; null when the query had no timestamp field. */
  timestampS: number | null;
  /** The other fields by the name they were queried with; null for [N/A], [Not Supported] and the like. */
  values: Record<string, number | null>;
}

export interface ParseOptions {
  /** Read timestamps as UTC instead of this machine's local time (nvidia-smi prints local time). */
  utc?: boolean;
}

const TIMESTAMP = /^(\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?$/;
const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
/** nvidia-smi's way of saying "no value": [N/A], [Not Supported], [Unknown Error], [GPU is lost], N/A. */
const NO_VALUE = /^(?:\[[^\]]*\]|N\/A)$/;

/** `2026/11/26 05:58:43.506` → epoch seconds, in local time (or UTC); null when it is not such a timestamp. */
export function parseNvidiaSmiTimestamp(text: string, options: ParseOptions = {}): number | null {
  const m = TIMESTAMP.exec(text.trim());
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fraction = m[7] ? Number(`0.${m[7]}`) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return null;
  const date = options.utc
    ? new Date(Date.UTC(year, month - 1, day, hour, minute, second))
    : new Date(year, month - 1, day, hour, minute, second);
  const dayOk = options.utc ? date.getUTCDate() === day : date.getDate() === day;
  return dayOk ? date.getTime() / 1000 + fraction : null;
}

/**
 * Parses one line of `nvidia-smi --query-gpu=<fields> --format=csv,noheader,nounits`, the fields
 * given in query order (`index` required; `timestamp` optional; every other field numeric).
 * Returns null for anything else: a wrong field count, an error message, binary noise.
 */
export function parseStreamLine(
  line: string,
  fields: readonly string[],
  options: ParseOptions = {},
): StreamSample | null {
  const cells = line.trim().split(',');
  if (cells.length !== fields.length || !fields.includes('index')) return null;
  let gpu: number | null = null;
  let timestampS: number | null = null;
  const values: Record<string, number | null> = {};
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    const cell = cells[i]!.trim();
    if (field === 'index') {
      if (!/^\d+$/.test(cell)) return null;
      gpu = Number(cell);
    } else if (field === 'timestamp') {
      timestampS = parseNvidiaSmiTimestamp(cell, options);
      if (timestampS === null) return null;
    } else if (NO_VALUE.test(cell)) {
      values[field] = null;
    } else if (NUMBER.test(cell)) {
      values[field] = Number(cell);
    } else {
      return null;
    }
  }
  return gpu === null ? null : { gpu, timestampS, values };
}

export interface PowerSample {
  timeS: number;
  powerW: number;
}

export interface Integration {
  energyJ: number;
  /** Highest power in [fromS, toS]: the samples inside and the interpolated values at the edges. */
  peakPowerW: number;
  /** Samples inside [fromS, toS]. */
  samples: number;
  /** Seconds at the start and at the end of the window outside the samples' span, where the nearest power was held. */
  heldStartS: number;
  heldEndS: number;
}

/** Index of the last sample at or before t, or -1. */
function lastAtOrBefore(samples: readonly PowerSample[], t: number): number {
  let lo = 0;
  let hi = samples.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (samples[mid]!.timeS <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Power at t: linear between samples, the nearest sample's value outside their span. */
export function powerAt(samples: readonly PowerSample[], t: number): number {
  const i = lastAtOrBefore(samples, t);
  if (i < 0) return samples[0]!.powerW;
  const a = samples[i]!;
  const b = samples[i + 1];
  if (b === undefined || a.timeS === t) return a.powerW;
  return a.powerW + ((b.powerW - a.powerW) * (t - a.timeS)) / (b.timeS - a.timeS);
}

/**
 * Energy over [fromS, toS] from power samples sorted by time: the trapezoid rule between samples,
 * with the power at each edge interpolated between its neighbours (or held from the nearest sample
 * where the samples do not reach the edge). Throws a RangeError for no samples.
 */
export function integrateTrapezoid(samples: readonly PowerSample[], fromS: number, toS: number): Integration {
  if (samples.length === 0) throw new RangeError('integrateTrapezoid: no samples');
  if (!(toS >= fromS))
    throw new RangeError(`integrateTrapezoid: window ends (${toS}) before it starts (${fromS})`);
  let prevT = fromS;
  let prevP = powerAt(samples, fromS);
  let peak = prevP;
  let energyJ = 0;
  let count = 0;
  for (let i = lastAtOrBefore(samples, fromS) + 1; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.timeS > toS) break;
    energyJ += ((prevP + s.powerW) / 2) * (s.timeS - prevT);
    prevT = s.timeS;
    prevP = s.powerW;
    peak = Math.max(peak, s.powerW);
    count++;
  }
  const endP = powerAt(samples, toS);
  energyJ += ((prevP + endP) / 2) * (toS - prevT);
  peak = Math.max(peak, endP);
  if (samples[lastAtOrBefore(samples, fromS)]?.timeS === fromS) count++;
  const first = samples[0]!.timeS;
  const last = samples[samples.length - 1]!.timeS;
  return {
    energyJ,
    peakPowerW: peak,
    samples: count,
    heldStartS: Math.max(0, Math.min(toS, first) - fromS),
    heldEndS: Math.max(0, toS - Math.max(fromS, last)),
  };
}

/** Highest summed power of several devices over [fromS, toS], at every sample time and both edges. */
export function peakOfSum(
  series: readonly (readonly PowerSample[])[],
  fromS: number,
  toS: number,
): number | null {
  const live = series.filter((s) => s.length > 0);
  if (live.length === 0) return null;
  const times = new Set<number>([fromS, toS]);
  for (const s of live) for (const p of s) if (p.timeS > fromS && p.timeS < toS) times.add(p.timeS);
  let peak = -Infinity;
  for (const t of times)
    peak = Math.max(
      peak,
      live.reduce((sum, s) => sum + powerAt(s, t), 0),
    );
  return peak;
}

// ---------------------------------------------------------------------------------------------
// Probe and factory

export function nvidiaSmiExecutable(options: Pick<NvidiaSmiMeterOptions, 'executable' | 'env'> = {}): string {
  const env = options.env ?? process.env;
  return options.executable || env[NVIDIA_SMI_ENV] || 'nvidia-smi';
}

interface ExecFailure {
  reason: string;
}

/** Runs a one-shot nvidia-smi command; its stdout, or why it failed in one line. */
export function runNvidiaSmi(
  executable: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutS: number,
): Promise<{ stdout: string } | ExecFailure> {
  return new Promise((resolve) => {
    execFile(
      executable,
      args,
      { env, timeout: timeoutS * 1000, maxBuffer: 16 * 1024 * 1024, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (!err) return resolve({ stdout });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: string | number | null };
        const where = executable === 'nvidia-smi' ? 'nvidia-smi on PATH' : executable;
        if (e.code === 'ENOENT') return resolve({ reason: `no executable ${where}` });
        if (e.code === 'EACCES') return resolve({ reason: `${where} is not executable` });
        if (e.killed)
          return resolve({ reason: `${where} ${args.join(' ')} did not finish within ${timeoutS} s` });
        const said = firstLine(`${stdout}\n${stderr}`) || errorMessage(err);
        const code = typeof e.code === 'number' ? ` (exit ${e.code})` : '';
        return resolve({ reason: `${where} ${args.join(' ')} failed${code}: ${said}` });
      },
    );
  });
}

/** What the probe found: the meter is built from it. */
export interface NvidiaSmiProbe {
  info: MeterInfo;
  fields: string[];
  powerField: 'power.draw.instant' | 'power.draw';
  gpus: number[];
}

type ProbeOutcome =
  { ok: true; result: NvidiaSmiProbe } | { ok: false; reason: string; fix: string; usage: boolean };

async function probeNvidiaSmi(options: NvidiaSmiMeterOptions): Promise<ProbeOutcome> {
  const env = options.env ?? process.env;
  const executable = nvidiaSmiExecutable(options);
  const timeoutS = options.probeTimeoutS ?? 15;
  const help = await runNvidiaSmi(executable, ['--help-query-gpu'], env, timeoutS);
  if ('reason' in help) return { ok: false, reason: help.reason, fix: NVIDIA_SMI_FIX, usage: false };
  const hasInstant = /^"power\.draw\.instant"/m.test(help.stdout);
  const list = await runNvidiaSmi(
    executable,
    ['--query-gpu=index,name', '--format=csv,noheader,nounits'],
    env,
    timeoutS,
  );
  if ('reason' in list) return { ok: false, reason: list.reason, fix: NVIDIA_SMI_FIX, usage: false };
  const names = new Map<number, string>();
  for (const line of list.stdout.split('\n')) {
    const m = /^\s*(\d+)\s*,\s*(.*?)\s*$/.exec(line);
    if (m) names.set(Number(m[1]), m[2]!);
  }
  if (names.size === 0) {
    const said = firstLine(list.stdout);
    return {
      ok: false,
      reason: `nvidia-smi lists no GPU${said ? `: ${said}` : ''}`,
      fix: 'check that the GPU is visible to this machine (container: --gpus all)',
      usage: false,
    };
  }
  const all = [...names.keys()].sort((a, b) => a - b);
  const gpus =
    options.gpus && options.gpus.length > 0 ? [...new Set(options.gpus)].sort((a, b) => a - b) : all;
  const missing = gpus.filter((g) => !names.has(g));
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `no GPU ${missing.join(', ')} here: nvidia-smi lists ${all.join(', ')}`,
      fix: `choose from --gpus ${all.join(',')}`,
      usage: true,
    };
  }
  const powerField = hasInstant ? 'power.draw.instant' : 'power.draw';
  const fields = ['index', 'timestamp', powerField];
  const periodS = options.periodS ?? 0.1;
  const info: MeterInfo = {
    name: 'nvidia-smi',
    domain: 'gpu',
    method: 'polled',
    devices: gpus.map((g) => `gpu${g}`),
    // power.draw is a 1 s moving average on Ampere and newer: windows must span 20 of those.
    updatePeriodS: hasInstant ? periodS : Math.max(periodS, 1),
    details: {
      executable,
      field: powerField,
      query: fields.join(','),
      periodMs: Math.round(periodS * 1000),
      gpus: gpus.map((g) => `${g}: ${names.get(g)}`).join('; '),
    },
    warnings: hasInstant ? [] : [POWER_DRAW_AVERAGE_WARNING],
  };
  return { ok: true, result: { info, fields, powerField, gpus } };
}

/** The nvidia-smi meter's factory: probe() checks the executable, its fields and the GPUs. */
export function nvidiaSmiMeterFactory(options: NvidiaSmiMeterOptions = {}): MeterFactory {
  let probed: Promise<ProbeOutcome> | null = null;
  const probeOnce = (): Promise<ProbeOutcome> => (probed ??= probeNvidiaSmi(options));
  return {
    name: 'nvidia-smi',
    domain: 'gpu',
    method: 'polled',
    async probe(): Promise<Availability> {
      const outcome = await probeOnce();
      return outcome.ok
        ? { available: true, info: outcome.result.info }
        : { available: false, reason: outcome.reason, fix: outcome.fix };
    },
    async create(): Promise<EnergyMeter> {
      const outcome = await probeOnce();
      if (!outcome.ok) {
        throw outcome.usage ? usageError(outcome.reason, outcome.fix) : runError(outcome.reason, outcome.fix);
      }
      return new NvidiaSmiMeter(outcome.result, options);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The meter

interface Event {
  timeS: number;
  message: string;
}

const MAX_LINE_CHARS = 64 * 1024;
/** Timestamps further than this from the arrival time are not trusted (another time zone, a clock step). */
const CLOCK_SKEW_LIMIT_S = 2;

export class NvidiaSmiMeter implements EnergyMeter {
  readonly info: MeterInfo;
  private readonly fields: string[];
  private readonly powerField: string;
  private readonly gpus: number[];
  private readonly executable: string;
  private readonly env: NodeJS.ProcessEnv;
  private readonly periodS: number;
  private readonly startTimeoutS: number;
  private readonly stallTimeoutS: number;
  private readonly retentionS: number;
  private readonly series = new Map<number, PowerSample[]>();
  private child: ChildProcess | null = null;
  private starting: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private exited: { timeS: number; code: number | null; signal: string | null } | null = null;
  private spawnError: string | null = null;
  private stdoutRest = '';
  private stderrTail = '';
  private readonly garbage: Event[] = [];
  private garbageTotal = 0;
  private readonly noPower: Event[] = [];
  private lastSampleS: number | null = null;
  private arrivalTimes = false;
  private readonly wakers = new Set<() => void>();

  constructor(probe: NvidiaSmiProbe, options: NvidiaSmiMeterOptions = {}) {
    this.info = probe.info;
    this.fields = probe.fields;
    this.powerField = probe.powerField;
    this.gpus = probe.gpus;
    this.executable = nvidiaSmiExecutable(options);
    this.env = options.env ?? process.env;
    this.periodS = options.periodS ?? 0.1;
    this.startTimeoutS = options.startTimeoutS ?? 10;
    this.stallTimeoutS = options.stallTimeoutS ?? 3;
    this.retentionS = options.retentionS ?? 600;
    for (const g of this.gpus) this.series.set(g, []);
  }

  /** The stream's process id while it runs (for tests and diagnostics). */
  get childPid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    return (this.starting ??= this.spawnStream());
  }

  private async spawnStream(): Promise<void> {
    const args = [
      `--query-gpu=${this.fields.join(',')}`,
      '--format=csv,noheader,nounits',
      '-lms',
      String(Math.max(1, Math.round(this.periodS * 1000))),
      '-i',
      this.gpus.join(','),
    ];
    const child = spawn(this.executable, args, { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-2000);
    });
    child.on('error', (err) => {
      this.spawnError = errorMessage(err);
      this.wake();
    });
    child.on('exit', (code, signal) => {
      this.exited = { timeS: nowS(), code, signal };
      this.wake();
    });
    // Until every GPU has a sample, or the stream ends, or the start timeout.
    await this.waitUntil(
      () => this.gpus.every((g) => (this.series.get(g)?.length ?? 0) > 0),
      this.startTimeoutS,
    );
    if (this.spawnError !== null && this.lastSampleS === null) {
      throw runError(`nvidia-smi could not start: ${this.spawnError}`, NVIDIA_SMI_FIX);
    }
    // Anything else (silence, garbage, an early exit) shows in the readings' warnings, or makes
    // between() reject when no sample covers a window.
  }

  async mark(): Promise<Mark> {
    return { timeS: nowS(), state: null };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    if (!(to.timeS >= from.timeS)) {
      throw runError('nvidia-smi meter: marks out of order', 'pass the earlier mark first');
    }
    // Wait (bounded) for a sample at or after the window's end, so the last stretch is interpolated.
    const waitS = Math.max(3 * this.periodS, 0.3);
    await this.waitUntil(
      () => this.gpus.every((g) => (this.series.get(g)?.at(-1)?.timeS ?? -Infinity) >= to.timeS),
      waitS,
    );

    const fromS = from.timeS;
    const toS = to.timeS;
    const durationS = toS - fromS;
    // A sample further than this from the window does not cover it (the stream was not delivering).
    const toleranceS = Math.max(5 * this.periodS, 0.5);
    const gapWarnS = Math.max(1.5 * this.periodS, 0.25);
    const warnings: string[] = [...this.info.warnings];
    const devices: DeviceEnergy[] = [];
    const windows: PowerSample[][] = [];
    const missing: string[] = [];

    for (const gpu of this.gpus) {
      const all = this.series.get(gpu) ?? [];
      const lo = Math.max(0, lastAtOrBefore(all, fromS - toleranceS) + 1);
      const hi = lastAtOrBefore(all, toS + toleranceS) + 1;
      const samples = all.slice(lo, hi);
      const device = `gpu${gpu}`;
      if (samples.length === 0) {
        missing.push(device);
        devices.push({ device, energyJ: 0, peakPowerW: null, samples: 0 });
        continue;
      }
      windows.push(samples);
      const r = integrateTrapezoid(samples, fromS, toS);
      devices.push({ device, energyJ: r.energyJ, peakPowerW: r.peakPowerW, samples: r.samples });
      if (r.heldStartS > gapWarnS) {
        warnings.push(
          `${device}: no sample in the first ${r.heldStartS.toFixed(2)} s of the window; held the first power read`,
        );
      }
      if (r.heldEndS > gapWarnS) {
        warnings.push(
          `${device}: no sample in the last ${r.heldEndS.toFixed(2)} s of the window (${this.silenceReason()}); held the last power read`,
        );
      }
      let gapS = 0;
      for (let i = 1; i < samples.length; i++) {
        const a = samples[i - 1]!;
        const b = samples[i]!;
        if (b.timeS > fromS && a.timeS < toS) gapS = Math.max(gapS, b.timeS - a.timeS);
      }
      if (gapS > Math.max(5 * this.periodS, 0.5)) {
        warnings.push(`${device}: samples missing for up to ${gapS.toFixed(2)} s in the window`);
      }
    }

    if (missing.length === this.gpus.length) {
      throw runError(
        `nvidia-smi gave no power samples for ${missing.join(', ')} between the marks (${durationS.toFixed(2)} s)`,
        this.silenceReason(),
      );
    }
    if (missing.length > 0) {
      warnings.push(
        `${missing.join(', ')}: no power samples in the window (${this.silenceReason()}); not counted`,
      );
    }

    const garbage = this.garbage.filter((e) => e.timeS >= fromS && e.timeS <= toS + waitS);
    if (garbage.length > 0) {
      warnings.push(
        `nvidia-smi printed ${garbage.length} unparseable line(s) in the window, e.g. ${garbage[0]!.message}`,
      );
    }
    const noPower = this.noPower.filter((e) => e.timeS >= fromS && e.timeS <= toS + waitS);
    if (noPower.length > 0) {
      warnings.push(
        `nvidia-smi gave no ${this.powerField} value in ${noPower.length} sample(s), e.g. ${noPower[0]!.message}`,
      );
    }
    if (this.exited && this.exited.timeS <= toS + waitS && !this.stopping) warnings.push(this.exitMessage());
    if (this.arrivalTimes) {
      warnings.push(
        `nvidia-smi timestamps are more than ${CLOCK_SKEW_LIMIT_S} s off this machine's clock: sample times are arrival times`,
      );
    }

    return readingOf(
      { meter: 'nvidia-smi', domain: 'gpu', method: 'polled' },
      durationS,
      devices,
      peakOfSum(windows, fromS, toS),
      [...new Set(warnings)],
    );
  }

  stop(): Promise<void> {
    return (this.stopping ??= this.kill());
  }

  private async kill(): Promise<void> {
    const child = this.child;
    this.wake();
    if (child === null || this.exited || this.spawnError !== null) return;
    for (const [signal, graceS] of [
      ['SIGTERM', 1],
      ['SIGKILL', 2],
    ] as const) {
      child.kill(signal);
      await this.waitUntil(() => this.exited !== null, graceS, false);
      if (this.exited) return;
    }
  }

  // --- stream handling

  private onStdout(chunk: string): void {
    const text = this.stdoutRest + chunk;
    const lines = text.split('\n');
    this.stdoutRest = lines.pop() ?? '';
    if (this.stdoutRest.length > MAX_LINE_CHARS) {
      this.onGarbage(this.stdoutRest);
      this.stdoutRest = '';
    }
    for (const line of lines) this.onLine(line);
    this.wake();
  }

  private onLine(line: string): void {
    if (line.trim() === '') return;
    const arrivalS = nowS();
    const parsed = parseStreamLine(line, this.fields);
    const powerW = parsed?.values[this.powerField];
    if (parsed === null || parsed.timestampS === null || powerW === undefined) return this.onGarbage(line);
    const series = this.series.get(parsed.gpu);
    if (series === undefined) return; // a GPU not asked for
    if (powerW === null) return NvidiaSmiMeter.remember(this.noPower, JSON.stringify(line.trim()));
    // The timestamp (wall clock, when the query was made) on the monotonic clock of the marks.
    let timeS = parsed.timestampS - (Date.now() / 1000 - arrivalS);
    if (this.arrivalTimes || Math.abs(arrivalS - timeS) > CLOCK_SKEW_LIMIT_S) {
      this.arrivalTimes = true;
      timeS = arrivalS;
    }
    const last = series.at(-1);
    if (last !== undefined && timeS <= last.timeS) return;
    series.push({ timeS, powerW });
    this.lastSampleS = arrivalS;
    if (series.length % 256 === 0) {
      const keepFrom = lastAtOrBefore(series, timeS - this.retentionS);
      if (keepFrom > 0) series.splice(0, keepFrom);
    }
  }

  private onGarbage(line: string): void {
    this.garbageTotal++;
    let shown = [...line]
      .map((c) => {
        const code = c.codePointAt(0) ?? 0;
        return code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0xfffd ? '?' : c;
      })
      .join('')
      .trim();
    if (shown.length > 80) shown = `${shown.slice(0, 77)}...`;
    NvidiaSmiMeter.remember(this.garbage, JSON.stringify(shown));
  }

  private static remember(list: Event[], message: string): void {
    list.push({ timeS: nowS(), message });
    if (list.length > 1000) list.splice(0, 500);
  }

  private exitMessage(): string {
    const e = this.exited;
    if (e === null) return '';
    const how = e.signal !== null ? `killed by ${e.signal}` : `exited with code ${e.code}`;
    const said = firstLine(this.stderrTail);
    return `nvidia-smi ${how}${said ? `: ${said}` : ''}`;
  }

  /** Why samples are missing, as best known now. */
  private silenceReason(): string {
    if (this.spawnError !== null) return `nvidia-smi could not run: ${this.spawnError}`;
    if (this.stopping) return 'the meter was stopped';
    if (this.exited) return this.exitMessage();
    if (this.lastSampleS === null) {
      return this.garbageTotal > 0
        ? `nvidia-smi printed ${this.garbageTotal} line(s), none of them a sample, e.g. ${this.garbage.at(-1)?.message}`
        : 'nvidia-smi has printed no sample yet';
    }
    const silentS = nowS() - this.lastSampleS;
    if (silentS > this.stallTimeoutS)
      return `nvidia-smi has printed no sample for ${silentS.toFixed(1)} s: stalled`;
    return 'nvidia-smi samples were late';
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** Resolves when done() holds, after timeoutS, or (unless told not to) when the stream ends or stalls. */
  private waitUntil(done: () => boolean, timeoutS: number, orStreamEnds = true): Promise<void> {
    const over = () =>
      done() ||
      (orStreamEnds &&
        (this.exited !== null ||
          this.spawnError !== null ||
          (this.lastSampleS !== null && nowS() - this.lastSampleS > this.stallTimeoutS)));
    if (over()) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.wakers.delete(check);
        resolve();
      };
      const check = () => {
        if (over()) finish();
      };
      const timer = setTimeout(finish, timeoutS * 1000);
      this.wakers.add(check);
    });
  }
}
