/**
 * GPU energy from NVML's total-energy counter (devices/nvml.ts). The counter is read only at
 * marks (one read cost 3.5 ms on an H100); the energy of a window is the difference of two
 * reads. `nvmlDeviceGetPowerUsage` (0.01 ms a read) is polled in the background for the peak.
 */
import { EnergyScoreError, errorMessage, runError } from '../errors.js';
import { NVML_COUNTER_UPDATE_PERIOD_S, NvmlSession, type NvmlOpenOptions } from '../devices/nvml.js';
import { DeviceUnavailable } from '../devices/unavailable.js';
import { nowS } from '../util/clock.js';
import {
  ceilingsDetail,
  gpuPowerCeiling,
  implausibleEnergyStep,
  implausiblePower,
  type PowerCeiling,
} from './plausibility.js';
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

/** Windows shorter than this many counter updates get a warning. */
export const MIN_WINDOW_UPDATES = 20;
export const DEFAULT_POWER_POLL_S = 0.1;
/** Power samples kept for peaks: one hour at the default poll period. */
const POWER_SAMPLE_CAPACITY = 36_000;

export interface NvmlMeterOptions {
  /** Path of libnvidia-ml; else $ENERGY_SCORE_NVML_LIB, else the driver's library by name. */
  libraryPath?: string;
  /** NVML (nvidia-smi) indices of the GPUs to read; default all. */
  gpus?: number[];
  /** Seconds between background power reads for peakPowerW; 0 turns them off (peak null). */
  powerPollS?: number;
}

function openOptions(options: NvmlMeterOptions, checkCounter: boolean): NvmlOpenOptions {
  return { libraryPath: options.libraryPath, gpus: options.gpus, checkCounter };
}

function powerPollS(options: NvmlMeterOptions): number {
  const pollS = options.powerPollS ?? DEFAULT_POWER_POLL_S;
  return Number.isFinite(pollS) && pollS > 0 ? pollS : 0;
}

/** Per open GPU: the power its counter steps and power reads may not exceed. */
function sessionCeilings(session: NvmlSession): PowerCeiling[] {
  const limits = session.readEnforcedPowerLimitsW();
  return session.gpus.map((g, i) => gpuPowerCeiling(g.device, limits[i] ?? null));
}

function meterInfo(options: NvmlMeterOptions, session: NvmlSession): MeterInfo {
  const gpus = session.gpus;
  const details: Record<string, string | number> = {
    library: session.libraryPath,
    field: 'nvmlDeviceGetTotalEnergyConsumption (mJ since the driver loaded), read at each mark',
    gpuIndices: 'NVML order, as nvidia-smi (not CUDA_VISIBLE_DEVICES order)',
  };
  for (const g of gpus) details[g.device] = g.name;
  details.powerCeilings = ceilingsDetail(sessionCeilings(session));
  const pollS = powerPollS(options);
  details.powerPollS = pollS;
  const warnings =
    pollS > 0
      ? [
          `peakPowerW is the highest nvmlDeviceGetPowerUsage read, polled every ${pollS} s; ` +
            'on Ampere and newer that read is a 1 s average, so short bursts peak higher',
        ]
      : [];
  return {
    name: 'nvml',
    domain: 'gpu',
    method: 'counter',
    devices: gpus.map((g) => g.device),
    updatePeriodS: NVML_COUNTER_UPDATE_PERIOD_S,
    details,
    warnings,
  };
}

async function probeNvml(options: NvmlMeterOptions): Promise<Availability> {
  try {
    const session = await NvmlSession.open(openOptions(options, true));
    try {
      return { available: true, info: meterInfo(options, session) };
    } finally {
      session.close();
    }
  } catch (err) {
    if (err instanceof DeviceUnavailable) return { available: false, reason: err.reason, fix: err.fix };
    return {
      available: false,
      reason: `NVML probe failed: ${errorMessage(err)}`,
      fix: 'check that nvidia-smi works here, or use --meter nvidia-smi',
    };
  }
}

// ---------------------------------------------------------------------------------------------
// Window arithmetic (pure).

export interface PeakPower {
  /** Per device, in the order of the devices; null where no power was read. */
  devicesW: (number | null)[];
  /** Highest sum over devices at one poll; null where not every device was read. */
  totalW: number | null;
}

/**
 * The reading for a window from two counter reads per device (mJ): the difference in joules,
 * with warnings for a window shorter than 20 counter updates and a counter that did not advance.
 * A counter that went backwards (driver reloaded, GPU reset), a step that implies power above the
 * device's ceiling, or a power read above it cannot be real: the reading fails, naming it.
 * `ceilings` default to the fallback for a GPU of unknown limit.
 */
export function counterReading(
  devices: readonly string[],
  fromMj: readonly bigint[],
  toMj: readonly bigint[],
  durationS: number,
  peak: PeakPower | null = null,
  updatePeriodS: number = NVML_COUNTER_UPDATE_PERIOD_S,
  ceilings: readonly PowerCeiling[] = devices.map((d) => gpuPowerCeiling(d, null)),
): EnergyReading {
  const warnings: string[] = [];
  const problems: string[] = [];
  const minWindowS = MIN_WINDOW_UPDATES * updatePeriodS;
  if (durationS < minWindowS) {
    warnings.push(
      `window of ${durationS.toFixed(3)} s is shorter than ${minWindowS} s (${MIN_WINDOW_UPDATES} updates of the ` +
        `NVML energy counter, which changes every ~${updatePeriodS} s): expect an error of up to one update per GPU`,
    );
  }
  const perDevice: DeviceEnergy[] = devices.map((device, i) => {
    const from = fromMj[i];
    const to = toMj[i];
    if (from === undefined || to === undefined) {
      throw runError(`nvml meter: no counter read for ${device} at a mark`);
    }
    const energyJ = Number(to - from) / 1000;
    const ceiling = ceilings[i] ?? gpuPowerCeiling(device, null);
    if (to < from) {
      problems.push(
        `${device}: the NVML energy counter went backwards (${from} → ${to} mJ; driver reloaded or GPU reset?)`,
      );
    } else {
      const step = implausibleEnergyStep(
        ceiling,
        'the NVML energy counter',
        energyJ,
        durationS,
        updatePeriodS,
      );
      if (step !== null) problems.push(step);
    }
    const peakW = peak?.devicesW[i] ?? null;
    const read = peakW === null ? null : implausiblePower(ceiling, 'nvmlDeviceGetPowerUsage', peakW);
    if (read !== null) problems.push(read);
    if (to === from && durationS >= 2 * updatePeriodS) {
      warnings.push(`${device}: the NVML energy counter did not advance in ${durationS.toFixed(3)} s`);
    }
    return { device, energyJ, peakPowerW: peakW, samples: 2 };
  });
  if (problems.length > 0) {
    throw runError(
      `nvml meter: ${problems.join('; ')}`,
      'the GPU or its driver misreports: check it with nvidia-smi -q, or use --meter nvidia-smi',
    );
  }
  return readingOf(
    { meter: 'nvml', domain: 'gpu', method: 'counter' },
    durationS,
    perDevice,
    peak?.totalW ?? null,
    warnings,
  );
}

/** A ring of timed power reads (W per device, NaN where a read failed). */
class PowerSamples {
  private readonly timesS: Float64Array;
  private readonly watts: Float64Array;
  private next = 0;
  private size = 0;

  constructor(
    private readonly deviceCount: number,
    private readonly capacity: number = POWER_SAMPLE_CAPACITY,
  ) {
    this.timesS = new Float64Array(capacity);
    this.watts = new Float64Array(capacity * deviceCount);
  }

  push(timeS: number, watts: readonly number[]): void {
    this.timesS[this.next] = timeS;
    for (let d = 0; d < this.deviceCount; d++) this.watts[this.next * this.deviceCount + d] = watts[d] ?? NaN;
    this.next = (this.next + 1) % this.capacity;
    this.size = Math.min(this.size + 1, this.capacity);
  }

  /** Highest reads at times within [fromS, toS]; `complete` false when older samples were dropped. */
  peak(fromS: number, toS: number): { peak: PeakPower; complete: boolean } {
    const devicesW: (number | null)[] = new Array<number | null>(this.deviceCount).fill(null);
    let totalW: number | null = null;
    let oldestS = Infinity;
    for (let k = 0; k < this.size; k++) {
      const slot = (this.next - 1 - k + this.capacity) % this.capacity;
      const t = this.timesS[slot] ?? NaN;
      oldestS = Math.min(oldestS, t);
      if (t < fromS || t > toS) continue;
      let sum = 0;
      for (let d = 0; d < this.deviceCount; d++) {
        const w = this.watts[slot * this.deviceCount + d] ?? NaN;
        if (Number.isNaN(w)) {
          sum = NaN;
          continue;
        }
        const best = devicesW[d];
        devicesW[d] = best === null || best === undefined ? w : Math.max(best, w);
        sum += w;
      }
      if (!Number.isNaN(sum)) totalW = totalW === null ? sum : Math.max(totalW, sum);
    }
    const complete = this.size < this.capacity || oldestS <= fromS;
    return { peak: { devicesW, totalW }, complete };
  }
}

// ---------------------------------------------------------------------------------------------
// The meter.

class NvmlMarkState {
  constructor(
    readonly owner: NvmlMeter,
    readonly energyMj: readonly bigint[],
  ) {}
}

class NvmlMeter implements EnergyMeter {
  private session: NvmlSession | null = null;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private samples: PowerSamples | null = null;
  private ceilings: PowerCeiling[] = [];

  constructor(
    private readonly options: NvmlMeterOptions,
    readonly info: MeterInfo,
  ) {}

  async start(): Promise<void> {
    if (this.session !== null) return;
    let session: NvmlSession;
    try {
      session = await NvmlSession.open(openOptions(this.options, false));
    } catch (err) {
      if (err instanceof DeviceUnavailable) throw runError(`nvml meter: ${err.reason}`, err.fix);
      throw err;
    }
    this.session = session;
    this.stopped = false;
    this.ceilings = sessionCeilings(session);
    const pollS = powerPollS(this.options);
    if (pollS > 0) {
      this.samples = new PowerSamples(session.gpus.length);
      this.timer = setInterval(() => this.pollPower(nowS()), pollS * 1000);
      this.timer.unref();
    }
  }

  async mark(): Promise<Mark> {
    const session = this.requireSession();
    const beforeS = nowS();
    let energyMj: bigint[];
    try {
      energyMj = session.readEnergyMj();
    } catch (err) {
      if (err instanceof EnergyScoreError) throw runError(`nvml meter: ${err.message}`, err.hint, err);
      throw err;
    }
    const timeS = (beforeS + nowS()) / 2;
    this.pollPower(timeS);
    return { timeS, state: new NvmlMarkState(this, energyMj) };
  }

  async between(from: Mark, to: Mark): Promise<EnergyReading> {
    const a = this.ownState(from);
    const b = this.ownState(to);
    const durationS = to.timeS - from.timeS;
    if (durationS < 0)
      throw runError('nvml meter: between() was given marks out of order (the later one first)');
    const window = this.samples?.peak(from.timeS, to.timeS) ?? null;
    const reading = counterReading(
      this.info.devices,
      a.energyMj,
      b.energyMj,
      durationS,
      window?.peak ?? null,
      NVML_COUNTER_UPDATE_PERIOD_S,
      this.ceilings,
    );
    if (window !== null && !window.complete) {
      reading.warnings.push(
        'peakPowerW covers only the last hour of this window (older power reads were dropped)',
      );
    }
    return reading;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    const session = this.session;
    this.session = null;
    if (session !== null) {
      this.stopped = true;
      session.close();
    }
  }

  private requireSession(): NvmlSession {
    if (this.session === null) {
      throw runError(`nvml meter: mark() ${this.stopped ? 'after stop()' : 'before start()'}`);
    }
    return this.session;
  }

  private ownState(mark: Mark): NvmlMarkState {
    if (!(mark.state instanceof NvmlMarkState) || mark.state.owner !== this) {
      throw runError('nvml meter: between() was given a mark this meter did not make');
    }
    return mark.state;
  }

  private pollPower(timeS: number): void {
    const session = this.session;
    if (session === null || this.samples === null) return;
    this.samples.push(
      timeS,
      session.readPowerW().map((w) => w ?? NaN),
    );
  }
}

/** The NVML meter; probe() says why it cannot work here (no driver, pre-Volta, bad --gpus). */
export function nvmlMeterFactory(options: NvmlMeterOptions = {}): MeterFactory {
  return {
    name: 'nvml',
    domain: 'gpu',
    method: 'counter',
    probe: () => probeNvml(options),
    async create(): Promise<EnergyMeter> {
      const availability = await probeNvml(options);
      if (!availability.available) {
        throw runError(`nvml meter unavailable: ${availability.reason}`, availability.fix);
      }
      return new NvmlMeter(options, availability.info);
    },
  };
}
