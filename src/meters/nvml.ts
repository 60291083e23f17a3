/**
 * GPU energy from NVML's total-energy counter (`nvmlDeviceGetTotalEnergyConsumption`: millijoules
 * since the driver loaded; Volta and newer), called through the koffi FFI. The counter is read
 * only at marks (one read cost 3.5 ms on an H100); the energy of a window is the difference of
 * two reads. `nvmlDeviceGetPowerUsage` (0.01 ms a read) is polled in the background for the peak.
 */
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

export const NVML_LIBRARY_ENV = 'ENERGY_SCORE_NVML_LIB';
/** How often the NVML energy counter changes (measured on an H100: every 0.089–0.115 s). */
export const NVML_COUNTER_UPDATE_PERIOD_S = 0.1;
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

/** NVML return codes used here (nvml.h). */
const NVML_SUCCESS = 0;
const NVML_ERROR_NOT_SUPPORTED = 3;
const NVML_ERROR_NO_PERMISSION = 4;
const NVML_ERROR_DRIVER_NOT_LOADED = 9;
const NVML_ERROR_LIB_RM_VERSION_MISMATCH = 18;
/** NVML_DEVICE_NAME_V2_BUFFER_SIZE. */
const NAME_BUFFER_BYTES = 96;

export function defaultNvmlLibraryPath(platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? 'nvml.dll' : 'libnvidia-ml.so.1';
}

export interface NvmlLibraryChoice {
  path: string;
  source: 'option' | 'env' | 'default';
}

export function resolveNvmlLibraryPath(
  options: Pick<NvmlMeterOptions, 'libraryPath'>,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): NvmlLibraryChoice {
  if (options.libraryPath !== undefined && options.libraryPath !== '') {
    return { path: options.libraryPath, source: 'option' };
  }
  const fromEnv = env[NVML_LIBRARY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') return { path: fromEnv, source: 'env' };
  return { path: defaultNvmlLibraryPath(platform), source: 'default' };
}

// ---------------------------------------------------------------------------------------------
// The FFI binding.

/** An nvmlDevice_t as koffi hands it back (a BigInt address in koffi 3); only passed back. */
type DeviceHandle = unknown;

interface NvmlApi {
  path: string;
  init(): number;
  shutdown(): number;
  errorString(code: number): string;
  getCount(count: Uint32Array): number;
  getHandleByIndex(index: number, handle: DeviceHandle[]): number;
  getName(handle: DeviceHandle, name: Buffer, length: number): number;
  getTotalEnergyConsumption(handle: DeviceHandle, energyMj: BigUint64Array): number;
  getPowerUsage(handle: DeviceHandle, powerMw: Uint32Array): number;
}

class Unavailable extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
  }
}

type Koffi = (typeof import('koffi'))['default'];
let koffiModule: Promise<Koffi> | undefined;
const libraries = new Map<string, NvmlApi>();

async function loadKoffi(): Promise<Koffi> {
  koffiModule ??= import('koffi').then((mod) => mod.default);
  try {
    return await koffiModule;
  } catch (err) {
    koffiModule = undefined;
    throw new Unavailable(
      `the koffi FFI module did not load (${errorMessage(err)})`,
      'reinstall dependencies (npm ci) on a platform koffi ships a binary for, or use --meter nvidia-smi',
    );
  }
}

async function loadNvml(choice: NvmlLibraryChoice): Promise<NvmlApi> {
  const cached = libraries.get(choice.path);
  if (cached !== undefined) return cached;
  const koffi = await loadKoffi();
  let lib: ReturnType<Koffi['load']>;
  try {
    lib = koffi.load(choice.path);
  } catch (err) {
    if (choice.source === 'default') {
      throw new Unavailable(
        `no NVIDIA driver (${choice.path} not found: ${errorMessage(err)})`,
        `install the NVIDIA driver, or set ${NVML_LIBRARY_ENV} to the path of ${choice.path}`,
      );
    }
    const from = choice.source === 'env' ? NVML_LIBRARY_ENV : 'libraryPath';
    throw new Unavailable(
      `cannot load the NVML library ${choice.path} (from ${from}): ${errorMessage(err)}`,
      `point ${from} at the driver's ${defaultNvmlLibraryPath()}, or unset it to use the installed driver`,
    );
  }
  const bind = <F>(prototype: string, name: string): F => {
    try {
      return lib.func(prototype) as F;
    } catch (err) {
      throw new Unavailable(
        `${choice.path} has no ${name} (${errorMessage(err)}): the NVIDIA driver is too old`,
        'update the NVIDIA driver, or use --meter nvidia-smi',
      );
    }
  };
  const api: NvmlApi = {
    path: choice.path,
    init: bind('int nvmlInit_v2()', 'nvmlInit_v2'),
    shutdown: bind('int nvmlShutdown()', 'nvmlShutdown'),
    errorString: bind('const char *nvmlErrorString(int result)', 'nvmlErrorString'),
    getCount: bind('int nvmlDeviceGetCount_v2(unsigned int *count)', 'nvmlDeviceGetCount_v2'),
    getHandleByIndex: bind(
      'int nvmlDeviceGetHandleByIndex_v2(unsigned int index, _Out_ void **device)',
      'nvmlDeviceGetHandleByIndex_v2',
    ),
    getName: bind(
      'int nvmlDeviceGetName(void *device, char *name, unsigned int length)',
      'nvmlDeviceGetName',
    ),
    getTotalEnergyConsumption: bind(
      'int nvmlDeviceGetTotalEnergyConsumption(void *device, unsigned long long *energy)',
      'nvmlDeviceGetTotalEnergyConsumption',
    ),
    getPowerUsage: bind(
      'int nvmlDeviceGetPowerUsage(void *device, unsigned int *power)',
      'nvmlDeviceGetPowerUsage',
    ),
  };
  libraries.set(choice.path, api);
  return api;
}

function nvmlError(api: NvmlApi, rc: number): string {
  let text: string | null = null;
  try {
    text = api.errorString(rc);
  } catch {
    // fall through to the bare code
  }
  return `${text ?? 'unknown error'} (NVML error ${rc})`;
}

function initFix(rc: number): string {
  switch (rc) {
    case NVML_ERROR_DRIVER_NOT_LOADED:
      return 'load the NVIDIA kernel driver (nvidia-smi must work), or use another --meter';
    case NVML_ERROR_NO_PERMISSION:
      return 'give this user access to /dev/nvidia* (or expose the GPU to the container), or use another --meter';
    case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
      return 'the NVML library and the kernel driver differ in version (updated without a reboot?): reboot or reload the driver';
    default:
      return 'check that nvidia-smi works here, or use another --meter';
  }
}

// ---------------------------------------------------------------------------------------------
// Opening NVML and choosing GPUs: shared by probe() and start().

interface NvmlDevice {
  index: number;
  /** 'gpu0', 'gpu1': NVML indices. */
  device: string;
  name: string;
  handle: DeviceHandle;
}

interface NvmlSession {
  api: NvmlApi;
  devices: NvmlDevice[];
}

/** The GPUs to read, in the order given, without repeats; throws Unavailable for bad indices. */
function selectGpus(requested: number[] | undefined, count: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (requested === undefined) return all;
  if (requested.length === 0) {
    throw new Unavailable(
      'no GPUs selected (--gpus is empty)',
      `choose GPUs from 0 to ${count - 1}, or omit --gpus`,
    );
  }
  const bad = requested.filter((i) => !Number.isInteger(i) || i < 0 || i >= count);
  if (bad.length > 0) {
    const seen = count === 1 ? 'sees 1 GPU (index 0)' : `sees ${count} GPUs (indices 0 to ${count - 1})`;
    throw new Unavailable(
      `GPU index ${bad.join(', ')} out of range: NVML ${count === 0 ? 'sees no GPUs' : seen}`,
      count === 0
        ? 'check that nvidia-smi lists a GPU'
        : `choose --gpus from 0 to ${count - 1} (nvidia-smi's order)`,
    );
  }
  return [...new Set(requested)];
}

/** Loads and initialises NVML and gets the selected GPUs; on success NVML stays initialised. */
async function openSession(options: NvmlMeterOptions, checkCounter: boolean): Promise<NvmlSession> {
  const api = await loadNvml(resolveNvmlLibraryPath(options));
  const rc = api.init();
  if (rc !== NVML_SUCCESS) {
    throw new Unavailable(`NVML did not initialise: ${nvmlError(api, rc)}`, initFix(rc));
  }
  try {
    const countOut = new Uint32Array(1);
    const countRc = api.getCount(countOut);
    if (countRc !== NVML_SUCCESS) {
      throw new Unavailable(`NVML could not count GPUs: ${nvmlError(api, countRc)}`, initFix(countRc));
    }
    const count = countOut[0] ?? 0;
    if (count === 0 && options.gpus === undefined) {
      throw new Unavailable('NVML sees no GPUs', 'check that nvidia-smi lists a GPU, or use another --meter');
    }
    const devices: NvmlDevice[] = [];
    for (const index of selectGpus(options.gpus, count)) {
      const device = `gpu${index}`;
      const handleOut: DeviceHandle[] = [null];
      const handleRc = api.getHandleByIndex(index, handleOut);
      if (handleRc !== NVML_SUCCESS) {
        throw new Unavailable(
          `NVML could not open ${device}: ${nvmlError(api, handleRc)}`,
          'check that nvidia-smi can read that GPU, or leave it out with --gpus',
        );
      }
      const handle = handleOut[0];
      const nameOut = Buffer.alloc(NAME_BUFFER_BYTES);
      const nameRc = api.getName(handle, nameOut, NAME_BUFFER_BYTES);
      const end = nameOut.indexOf(0);
      const name =
        nameRc === NVML_SUCCESS ? nameOut.toString('utf8', 0, end < 0 ? nameOut.length : end) : 'unknown';
      if (checkCounter) {
        const energyRc = api.getTotalEnergyConsumption(handle, new BigUint64Array(1));
        if (energyRc === NVML_ERROR_NOT_SUPPORTED) {
          throw new Unavailable(
            `${device} (${name}) has no NVML energy counter (${nvmlError(api, energyRc)}; it needs Volta or newer)`,
            'use --meter nvidia-smi',
          );
        }
        if (energyRc !== NVML_SUCCESS) {
          throw new Unavailable(
            `reading ${device}'s NVML energy counter failed: ${nvmlError(api, energyRc)}`,
            'check that nvidia-smi -q can read that GPU, leave it out with --gpus, or use --meter nvidia-smi',
          );
        }
      }
      devices.push({ index, device, name, handle });
    }
    return { api, devices };
  } catch (err) {
    api.shutdown();
    throw err;
  }
}

function powerPollS(options: NvmlMeterOptions): number {
  const pollS = options.powerPollS ?? DEFAULT_POWER_POLL_S;
  return Number.isFinite(pollS) && pollS > 0 ? pollS : 0;
}

function meterInfo(options: NvmlMeterOptions, session: NvmlSession): MeterInfo {
  const details: Record<string, string | number> = {
    library: session.api.path,
    field: 'nvmlDeviceGetTotalEnergyConsumption (mJ since the driver loaded), read at each mark',
    gpuIndices: 'NVML order, as nvidia-smi (not CUDA_VISIBLE_DEVICES order)',
  };
  for (const d of session.devices) details[d.device] = d.name;
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
    devices: session.devices.map((d) => d.device),
    updatePeriodS: NVML_COUNTER_UPDATE_PERIOD_S,
    details,
    warnings,
  };
}

async function probeNvml(options: NvmlMeterOptions): Promise<Availability> {
  try {
    const session = await openSession(options, true);
    session.api.shutdown();
    return { available: true, info: meterInfo(options, session) };
  } catch (err) {
    if (err instanceof Unavailable) return { available: false, reason: err.reason, fix: err.fix };
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
 * with warnings for a window shorter than 20 counter updates, a counter that went backwards
 * (that device's energy is then 0) and one that did not advance.
 */
export function counterReading(
  devices: readonly string[],
  fromMj: readonly bigint[],
  toMj: readonly bigint[],
  durationS: number,
  peak: PeakPower | null = null,
  updatePeriodS: number = NVML_COUNTER_UPDATE_PERIOD_S,
): EnergyReading {
  const warnings: string[] = [];
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
    let energyJ = Number(to - from) / 1000;
    if (to < from) {
      warnings.push(
        `${device}: the NVML energy counter went backwards (${from} → ${to} mJ; driver reloaded or GPU reset?): ` +
          'its energy for this window is reported as 0 J',
      );
      energyJ = 0;
    } else if (to === from && durationS >= 2 * updatePeriodS) {
      warnings.push(`${device}: the NVML energy counter did not advance in ${durationS.toFixed(3)} s`);
    }
    return { device, energyJ, peakPowerW: peak?.devicesW[i] ?? null, samples: 2 };
  });
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
  private readonly energyOut = new BigUint64Array(1);
  private readonly powerOut = new Uint32Array(1);

  constructor(
    private readonly options: NvmlMeterOptions,
    readonly info: MeterInfo,
  ) {}

  async start(): Promise<void> {
    if (this.session !== null) return;
    let session: NvmlSession;
    try {
      session = await openSession(this.options, false);
    } catch (err) {
      if (err instanceof Unavailable) throw runError(`nvml meter: ${err.reason}`, err.fix);
      throw err;
    }
    this.session = session;
    this.stopped = false;
    const pollS = powerPollS(this.options);
    if (pollS > 0) {
      this.samples = new PowerSamples(session.devices.length);
      this.timer = setInterval(() => this.pollPower(nowS()), pollS * 1000);
      this.timer.unref();
    }
  }

  async mark(): Promise<Mark> {
    const session = this.requireSession();
    const beforeS = nowS();
    const energyMj = session.devices.map((d) => {
      const rc = session.api.getTotalEnergyConsumption(d.handle, this.energyOut);
      if (rc !== NVML_SUCCESS) {
        throw runError(
          `nvml meter: reading ${d.device}'s energy counter failed: ${nvmlError(session.api, rc)}`,
          'check the GPU with nvidia-smi -q, or use --meter nvidia-smi',
        );
      }
      return this.energyOut[0] ?? 0n;
    });
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
      session.api.shutdown();
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
    const watts = session.devices.map((d) =>
      session.api.getPowerUsage(d.handle, this.powerOut) === NVML_SUCCESS
        ? (this.powerOut[0] ?? NaN) / 1000
        : NaN,
    );
    this.samples.push(timeS, watts);
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
