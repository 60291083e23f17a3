/**
 * NVML (libnvidia-ml) through the koffi FFI: which library to load, the functions bound from it,
 * its error codes and what fixes them, and a session that lists the GPUs and reads each one's
 * total-energy counter (`nvmlDeviceGetTotalEnergyConsumption`: millijoules since the driver
 * loaded; Volta and newer) and power. It only reads; windows and readings are the meter's.
 */
import { errorMessage, runError } from '../errors.js';
import { DeviceUnavailable } from './unavailable.js';

export const NVML_LIBRARY_ENV = 'ENERGY_SCORE_NVML_LIB';
/** How often the NVML energy counter changes (measured on an H100: every 0.089–0.115 s). */
export const NVML_COUNTER_UPDATE_PERIOD_S = 0.1;

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
  options: { libraryPath?: string },
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
  /** nvmlDeviceGetEnforcedPowerLimit (mW); null where the library lacks it. */
  getEnforcedPowerLimit: ((handle: DeviceHandle, limitMw: Uint32Array) => number) | null;
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
    throw new DeviceUnavailable(
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
      throw new DeviceUnavailable(
        `no NVIDIA driver (${choice.path} not found: ${errorMessage(err)})`,
        `install the NVIDIA driver, or set ${NVML_LIBRARY_ENV} to the path of ${choice.path}`,
      );
    }
    const from = choice.source === 'env' ? NVML_LIBRARY_ENV : 'libraryPath';
    throw new DeviceUnavailable(
      `cannot load the NVML library ${choice.path} (from ${from}): ${errorMessage(err)}`,
      `point ${from} at the driver's ${defaultNvmlLibraryPath()}, or unset it to use the installed driver`,
    );
  }
  const bind = <F>(prototype: string, name: string): F => {
    try {
      return lib.func(prototype) as F;
    } catch (err) {
      throw new DeviceUnavailable(
        `${choice.path} has no ${name} (${errorMessage(err)}): the NVIDIA driver is too old`,
        'update the NVIDIA driver, or use --meter nvidia-smi',
      );
    }
  };
  // Only for the plausibility ceiling: a library without it still meters, with a fallback ceiling.
  const optional = <F>(prototype: string): F | null => {
    try {
      return lib.func(prototype) as F;
    } catch {
      return null;
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
    getEnforcedPowerLimit: optional('int nvmlDeviceGetEnforcedPowerLimit(void *device, unsigned int *limit)'),
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
// A session: NVML initialised, the chosen GPUs open.

export interface NvmlGpu {
  /** NVML (nvidia-smi) index. */
  index: number;
  /** 'gpu0', 'gpu1': NVML indices. */
  device: string;
  name: string;
}

interface OpenGpu extends NvmlGpu {
  handle: DeviceHandle;
}

export interface NvmlOpenOptions {
  /** Path of libnvidia-ml; else $ENERGY_SCORE_NVML_LIB, else the driver's library by name. */
  libraryPath?: string;
  /** NVML indices of the GPUs to open, in this order; default all. */
  gpus?: number[];
  /** Check now that every GPU has a readable energy counter (else DeviceUnavailable). */
  checkCounter?: boolean;
}

/** The GPUs to read, in the order given, without repeats; throws DeviceUnavailable for bad indices. */
function selectGpus(requested: number[] | undefined, count: number): number[] {
  const all = Array.from({ length: count }, (_, i) => i);
  if (requested === undefined) return all;
  if (requested.length === 0) {
    throw new DeviceUnavailable(
      'no GPUs selected (--gpus is empty)',
      `choose GPUs from 0 to ${count - 1}, or omit --gpus`,
    );
  }
  const bad = requested.filter((i) => !Number.isInteger(i) || i < 0 || i >= count);
  if (bad.length > 0) {
    const seen = count === 1 ? 'sees 1 GPU (index 0)' : `sees ${count} GPUs (indices 0 to ${count - 1})`;
    throw new DeviceUnavailable(
      `GPU index ${bad.join(', ')} out of range: NVML ${count === 0 ? 'sees no GPUs' : seen}`,
      count === 0
        ? 'check that nvidia-smi lists a GPU'
        : `choose --gpus from 0 to ${count - 1} (nvidia-smi's order)`,
    );
  }
  return [...new Set(requested)];
}

/** NVML initialised with some GPUs open; close() shuts NVML down. */
export class NvmlSession {
  private readonly energyOut = new BigUint64Array(1);
  private readonly powerOut = new Uint32Array(1);

  private constructor(
    private readonly api: NvmlApi,
    private readonly open: readonly OpenGpu[],
  ) {}

  /**
   * Loads and initialises NVML and opens the selected GPUs. Throws DeviceUnavailable when the
   * library, the driver or a GPU cannot be used; on success NVML stays initialised until close().
   */
  static async open(options: NvmlOpenOptions = {}): Promise<NvmlSession> {
    const api = await loadNvml(resolveNvmlLibraryPath(options));
    const rc = api.init();
    if (rc !== NVML_SUCCESS) {
      throw new DeviceUnavailable(`NVML did not initialise: ${nvmlError(api, rc)}`, initFix(rc));
    }
    try {
      const countOut = new Uint32Array(1);
      const countRc = api.getCount(countOut);
      if (countRc !== NVML_SUCCESS) {
        throw new DeviceUnavailable(
          `NVML could not count GPUs: ${nvmlError(api, countRc)}`,
          initFix(countRc),
        );
      }
      const count = countOut[0] ?? 0;
      if (count === 0 && options.gpus === undefined) {
        throw new DeviceUnavailable(
          'NVML sees no GPUs',
          'check that nvidia-smi lists a GPU, or use another --meter',
        );
      }
      const gpus: OpenGpu[] = [];
      for (const index of selectGpus(options.gpus, count)) {
        const device = `gpu${index}`;
        const handleOut: DeviceHandle[] = [null];
        const handleRc = api.getHandleByIndex(index, handleOut);
        if (handleRc !== NVML_SUCCESS) {
          throw new DeviceUnavailable(
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
        if (options.checkCounter) {
          const energyRc = api.getTotalEnergyConsumption(handle, new BigUint64Array(1));
          if (energyRc === NVML_ERROR_NOT_SUPPORTED) {
            throw new DeviceUnavailable(
              `${device} (${name}) has no NVML energy counter (${nvmlError(api, energyRc)}; it needs Volta or newer)`,
              'use --meter nvidia-smi',
            );
          }
          if (energyRc !== NVML_SUCCESS) {
            throw new DeviceUnavailable(
              `reading ${device}'s NVML energy counter failed: ${nvmlError(api, energyRc)}`,
              'check that nvidia-smi -q can read that GPU, leave it out with --gpus, or use --meter nvidia-smi',
            );
          }
        }
        gpus.push({ index, device, name, handle });
      }
      return new NvmlSession(api, gpus);
    } catch (err) {
      api.shutdown();
      throw err;
    }
  }

  /** The library loaded. */
  get libraryPath(): string {
    return this.api.path;
  }

  /** The open GPUs, in the order asked for. */
  get gpus(): NvmlGpu[] {
    return this.open.map(({ index, device, name }) => ({ index, device, name }));
  }

  /** Every open GPU's total-energy counter, mJ; throws a run error when a read fails. */
  readEnergyMj(): bigint[] {
    return this.open.map((gpu) => {
      const rc = this.api.getTotalEnergyConsumption(gpu.handle, this.energyOut);
      if (rc !== NVML_SUCCESS) {
        throw runError(
          `reading ${gpu.device}'s energy counter failed: ${nvmlError(this.api, rc)}`,
          'check the GPU with nvidia-smi -q, or use --meter nvidia-smi',
        );
      }
      return this.energyOut[0] ?? 0n;
    });
  }

  /** Every open GPU's power, W (`nvmlDeviceGetPowerUsage`); null where the read fails. */
  readPowerW(): (number | null)[] {
    return this.open.map((gpu) =>
      this.api.getPowerUsage(gpu.handle, this.powerOut) === NVML_SUCCESS
        ? (this.powerOut[0] ?? NaN) / 1000
        : null,
    );
  }

  /** Every open GPU's enforced power limit, W; null where NVML cannot tell. */
  readEnforcedPowerLimitsW(): (number | null)[] {
    const read = this.api.getEnforcedPowerLimit;
    return this.open.map((gpu) =>
      read !== null && read(gpu.handle, this.powerOut) === NVML_SUCCESS
        ? (this.powerOut[0] ?? NaN) / 1000
        : null,
    );
  }

  close(): void {
    this.api.shutdown();
  }
}
