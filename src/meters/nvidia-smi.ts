/**
 * GPU energy from one long-lived `nvidia-smi --query-gpu=… -lms 100` stream: power samples per GPU,
 * integrated over a window with the trapezoid rule. Reads `power.draw.instant` where the driver has
 * it; `power.draw` is a 1-second average on Ampere and newer and under-counts short windows (−37 %
 * on a 1 s burst on an H100, against +0.1 % for the instant field: test/fixtures/traces/h100-sxm-580).
 *
 * The stream (devices/nvidia-smi-stream.ts) never hangs or crashes a run: waits are bounded and
 * readings carry warnings. `between` rejects a window that its samples do not cover (a stretch
 * of more than a few sample periods without one: the stream died, stalled or was killed) and
 * power that cannot be real, so that the runner drops the meter instead of holding a stale or
 * broken figure across the window.
 */
import { runError, usageError } from '../errors.js';
import {
  nvidiaSmiExecutable,
  nvidiaSmiTimeoutS,
  queryNvidiaSmiGpus,
  type NvidiaSmiGpus,
} from '../devices/nvidia-smi.js';
import { CLOCK_SKEW_LIMIT_S, NvidiaSmiPowerStream, type PowerSample } from '../devices/nvidia-smi-stream.js';
import { DeviceUnavailable } from '../devices/unavailable.js';
import { nowS } from '../util/clock.js';
import { ceilingsDetail, gpuPowerCeiling, implausiblePower, type PowerCeiling } from './plausibility.js';
import { coverageGap, integrateTrapezoid, peakOfSum, type CoverageGap } from './trapezoid.js';
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
  /** Limit for each of the probe's one-shot nvidia-smi calls, seconds (default 5). */
  probeTimeoutS?: number;
}

// ---------------------------------------------------------------------------------------------
// Probe and factory

/**
 * A hung driver must not hold up `--meter auto` for long: nvidia-smi answers these queries in
 * well under a second when it works.
 */
export const PROBE_TIMEOUT_S = 5;

/** What the probe found: the meter is built from it. */
export interface NvidiaSmiProbe {
  info: MeterInfo;
  fields: string[];
  powerField: 'power.draw.instant' | 'power.draw';
  gpus: number[];
  /** Per GPU, in the order of `gpus`: the power no sample may exceed. */
  ceilings: PowerCeiling[];
}

type ProbeOutcome =
  | { ok: true; result: NvidiaSmiProbe }
  | { ok: false; reason: string; fix: string; usage: boolean; faulty: boolean };

async function probeNvidiaSmi(options: NvidiaSmiMeterOptions): Promise<ProbeOutcome> {
  const env = options.env ?? process.env;
  const executable = nvidiaSmiExecutable(options);
  let found: NvidiaSmiGpus;
  try {
    found = await queryNvidiaSmiGpus(
      executable,
      env,
      options.probeTimeoutS ?? nvidiaSmiTimeoutS(env, PROBE_TIMEOUT_S),
    );
  } catch (err) {
    if (err instanceof DeviceUnavailable)
      return { ok: false, reason: err.reason, fix: err.fix, usage: false, faulty: err.faulty };
    throw err;
  }
  const { instantPower, names, enforcedPowerLimitsW } = found;
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
      faulty: false,
    };
  }
  const ceilings = gpus.map((g) => gpuPowerCeiling(`gpu${g}`, enforcedPowerLimitsW.get(g) ?? null));
  const powerField = instantPower ? 'power.draw.instant' : 'power.draw';
  const fields = ['index', 'timestamp', powerField];
  const periodS = options.periodS ?? 0.1;
  const info: MeterInfo = {
    name: 'nvidia-smi',
    domain: 'gpu',
    method: 'polled',
    devices: gpus.map((g) => `gpu${g}`),
    // power.draw is a 1 s moving average on Ampere and newer: windows must span 20 of those.
    updatePeriodS: instantPower ? periodS : Math.max(periodS, 1),
    details: {
      executable,
      field: powerField,
      query: fields.join(','),
      periodMs: Math.round(periodS * 1000),
      gpus: gpus.map((g) => `${g}: ${names.get(g)}`).join('; '),
      powerCeilings: ceilingsDetail(ceilings),
    },
    warnings: instantPower ? [] : [POWER_DRAW_AVERAGE_WARNING],
  };
  return { ok: true, result: { info, fields, powerField, gpus, ceilings } };
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
        : { available: false, reason: outcome.reason, fix: outcome.fix, faulty: outcome.faulty };
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

/** The longest stretch of a window without a sample that is integrated: five sample periods, at least 0.5 s. */
export function maxGapS(periodS: number): number {
  return Math.max(5 * periodS, 0.5);
}

/** Why a window is not measured, in words. */
export function describeGap(device: string, gap: CoverageGap, durationS: number, silence: string): string {
  const seconds = gap.seconds.toFixed(2);
  const window = `the ${durationS.toFixed(2)} s window`;
  const before = `${(-gap.offsetS).toFixed(2)} s before ${window}`;
  switch (gap.where) {
    case 'all':
      return `nvidia-smi gave no power samples for ${device} in ${window} (${silence})`;
    case 'start':
      return `${device}: no power sample in the first ${seconds} s of ${window}`;
    case 'end': {
      const where = gap.offsetS >= 0 ? `in the last ${seconds} s of ${window}` : `since ${before}`;
      return `${device}: no power sample ${where} (${silence}); the last one is not held over it`;
    }
    case 'inside': {
      const where = gap.offsetS >= 0 ? `${gap.offsetS.toFixed(2)} s into ${window}` : `from ${before}`;
      return `${device}: no power sample for ${seconds} s, ${where}`;
    }
  }
}

export class NvidiaSmiMeter implements EnergyMeter {
  readonly info: MeterInfo;
  private readonly powerField: string;
  private readonly gpus: number[];
  private readonly ceilings: PowerCeiling[];
  private readonly periodS: number;
  private readonly startTimeoutS: number;
  private readonly stream: NvidiaSmiPowerStream;

  constructor(probe: NvidiaSmiProbe, options: NvidiaSmiMeterOptions = {}) {
    this.info = probe.info;
    this.powerField = probe.powerField;
    this.gpus = probe.gpus;
    this.ceilings = probe.ceilings;
    this.periodS = options.periodS ?? 0.1;
    this.startTimeoutS = options.startTimeoutS ?? 10;
    this.stream = new NvidiaSmiPowerStream({
      executable: nvidiaSmiExecutable(options),
      env: options.env ?? process.env,
      fields: probe.fields,
      powerField: probe.powerField,
      gpus: probe.gpus,
      periodS: this.periodS,
      stallTimeoutS: options.stallTimeoutS ?? 3,
      retentionS: options.retentionS ?? 600,
    });
  }

  /** The stream's process id while it runs (for tests and diagnostics). */
  get childPid(): number | undefined {
    return this.stream.pid;
  }

  /** Spawns the stream; silence, garbage or an early exit show later, in the readings' warnings. */
  start(): Promise<void> {
    return this.stream.start(this.startTimeoutS);
  }

  async mark(): Promise<Mark> {
    return { timeS: nowS(), state: null };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    if (!(to.timeS >= from.timeS)) {
      throw runError('nvidia-smi meter: marks out of order', 'pass the earlier mark first');
    }
    const maxGap = maxGapS(this.periodS);
    // Wait (bounded) for a sample at or after the window's end, so the last stretch is
    // interpolated; the wait ends at once when the stream has died or stalled.
    const waitS = Math.max(3 * this.periodS, 2 * maxGap);
    await this.stream.waitForSamples(to.timeS, waitS);

    const fromS = from.timeS;
    const toS = to.timeS;
    const durationS = toS - fromS;
    const gapWarnS = Math.max(1.5 * this.periodS, 0.25);
    const warnings: string[] = [...this.info.warnings];
    const devices: DeviceEnergy[] = [];
    const windows: PowerSample[][] = [];
    const problems: string[] = [];

    this.gpus.forEach((gpu, k) => {
      const device = `gpu${gpu}`;
      const samples = this.stream.around(gpu, fromS, toS);
      const gap = coverageGap(samples, fromS, toS, maxGap);
      if (gap !== null) {
        problems.push(describeGap(device, gap, durationS, this.stream.silenceReason()));
        return;
      }
      const ceiling = this.ceilings[k] ?? gpuPowerCeiling(device, null);
      const implausible = samples
        .map((s) => implausiblePower(ceiling, this.powerField, s.powerW))
        .find((p) => p !== null);
      if (implausible !== undefined) {
        problems.push(implausible);
        return;
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
          `${device}: no sample in the last ${r.heldEndS.toFixed(2)} s of the window (${this.stream.silenceReason()}); held the last power read`,
        );
      }
      const inside = coverageGap(samples, fromS, toS, gapWarnS);
      if (inside !== null && inside.where === 'inside') {
        warnings.push(`${device}: samples missing for up to ${inside.seconds.toFixed(2)} s in the window`);
      }
    });

    if (problems.length > 0) {
      // Every GPU or none: a sum that leaves one out is not the domain's energy.
      throw runError(`nvidia-smi meter: ${problems.join('; ')}`, this.stream.silenceReason());
    }

    const garbage = this.stream.unparseable(fromS, toS + waitS);
    if (garbage.length > 0) {
      warnings.push(
        `nvidia-smi printed ${garbage.length} unparseable line(s) in the window, e.g. ${garbage[0]!.message}`,
      );
    }
    const noPower = this.stream.withoutPower(fromS, toS + waitS);
    if (noPower.length > 0) {
      warnings.push(
        `nvidia-smi gave no ${this.powerField} value in ${noPower.length} sample(s), e.g. ${noPower[0]!.message}`,
      );
    }
    const exit = this.stream.unexpectedExit();
    if (exit !== null && exit.timeS <= toS + waitS) warnings.push(exit.message);
    if (this.stream.timesAreArrivals) {
      warnings.push(
        `nvidia-smi timestamps are not this machine's clock (more than ${CLOCK_SKEW_LIMIT_S} s off, in the future, or running backwards): sample times are arrival times`,
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
    return this.stream.stop();
  }
}
