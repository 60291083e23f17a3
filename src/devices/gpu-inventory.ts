/**
 * GPU inventory from `nvidia-smi -q -x`: name, UUID, driver and CUDA versions, power limits, memory,
 * and whether the driver reports instant power.
 *
 * The XML is parsed exactly as the node-nvidia-smi package does it (xml2js, its xml2js, with its
 * options { explicitArray: false, trim: true }), but the command is run here: node-nvidia-smi
 * shells out to `nvidia-smi -q -x` by name, with no timeout, and fails on any stderr text. An
 * injected executable (option or $ENERGY_SCORE_NVIDIA_SMI) may not be called `nvidia-smi` (the
 * test fake is not), putting its folder first on PATH would change the whole process's PATH
 * while other work spawns, and a hung driver would hang the inventory forever.
 */
import { createRequire } from 'node:module';

import { errorMessage } from '../errors.js';
import { printable, printableLine } from '../util/text-safety.js';
import { nvidiaSmiExecutable, nvidiaSmiTimeoutS, NVIDIA_SMI_FIX, runNvidiaSmi } from './nvidia-smi.js';

export interface GpuPowerLimitsW {
  default: number | null;
  /** The limit the power manager enforces now (current_power_limit; enforced_power_limit on older drivers). */
  enforced: number | null;
  min: number | null;
  max: number | null;
}

export interface GpuInventoryEntry {
  /** Position in nvidia-smi's list, which is its `index`. */
  index: number;
  name: string;
  uuid: string;
  /** PCI bus id, e.g. 00000000:00:06.0. */
  busId: string;
  architecture: string | null;
  driverVersion: string;
  cudaVersion: string | null;
  powerLimitsW: GpuPowerLimitsW;
  memoryTotalMiB: number | null;
  /** Whether the driver reports instant power (the XML's instant_power_draw; `power.draw.instant` in queries). */
  instantPowerDraw: boolean;
}

export interface GpuInventory {
  gpus: GpuInventoryEntry[];
  /** Why there are no GPUs (no nvidia-smi, it failed, unreadable XML); null when it worked. */
  reason: string | null;
  /** What would fix it; null when it worked. */
  fix: string | null;
}

export interface GpuInventoryOptions {
  executable?: string;
  env?: NodeJS.ProcessEnv;
  /**
   * Limit for `nvidia-smi -q -x`, seconds (default $ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S, else 20:
   * it can be slow with many GPUs).
   */
  timeoutS?: number;
}

export async function readGpuInventory(options: GpuInventoryOptions = {}): Promise<GpuInventory> {
  const executable = nvidiaSmiExecutable(options);
  const env = options.env ?? process.env;
  const out = await runNvidiaSmi(
    executable,
    ['-q', '-x'],
    env,
    options.timeoutS ?? nvidiaSmiTimeoutS(env, 20),
  );
  if ('reason' in out) return { gpus: [], reason: out.reason, fix: NVIDIA_SMI_FIX };
  const fix = 'check that nvidia-smi -q -x prints XML';
  let listed: ListedGpus;
  try {
    listed = listGpus(await parseXml(out.stdout));
  } catch (err) {
    // The parser's message runs over several lines and quotes the character it stopped at.
    return {
      gpus: [],
      reason: `could not read ${executable} -q -x: ${printableLine(errorMessage(err))}`,
      fix,
    };
  }
  if (listed.gpus.length === 0 && listed.refused > 0) {
    return {
      gpus: [],
      reason: `${executable} -q -x lists ${listed.refused} <gpu> entr${listed.refused === 1 ? 'y' : 'ies'}, none of them a GPU (a GPU has a product name and a GPU- UUID)`,
      fix,
    };
  }
  return { gpus: listed.gpus, reason: null, fix: null };
}

/** Parses `nvidia-smi -q -x` XML text. */
export async function parseGpuInventoryXml(xml: string): Promise<GpuInventoryEntry[]> {
  return parseGpuInventoryObject(await parseXml(xml));
}

interface ListedGpus {
  gpus: GpuInventoryEntry[];
  /** <gpu> entries that are not GPUs. */
  refused: number;
}

/** A GPU's UUID as nvidia-smi prints it: GPU-b3cbce16-47a3-c8d8-f9de-510e1d18e988. */
const GPU_UUID = /^GPU-[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i;

/**
 * A <gpu> entry is a GPU when it has a product name that is printable text and a GPU UUID;
 * anything else (a driver error in the XML, noise) would otherwise become a GPU named by it.
 */
function isGpu(entry: GpuInventoryEntry): boolean {
  return entry.name.trim() !== '' && printable(entry.name) === entry.name && GPU_UUID.test(entry.uuid);
}

function listGpus(data: unknown): ListedGpus {
  const entries = parseAllEntries(data);
  const gpus = entries.filter(isGpu);
  return { gpus, refused: entries.length - gpus.length };
}

interface Xml2js {
  parseString(
    xml: string,
    options: { explicitArray: boolean; trim: boolean },
    callback: (err: Error | null, result: unknown) => void,
  ): void;
}

let xml2js: Xml2js | null = null;

/** node-nvidia-smi's xml2js, with node-nvidia-smi's options. */
function parseXml(xml: string): Promise<unknown> {
  if (xml2js === null) {
    const fromHere = createRequire(import.meta.url);
    xml2js = createRequire(fromHere.resolve('node-nvidia-smi'))('xml2js') as Xml2js;
  }
  const parser = xml2js;
  return new Promise((resolve, reject) => {
    parser.parseString(xml, { explicitArray: false, trim: true }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

type Node = Record<string, unknown>;

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(node: unknown, ...path: string[]): unknown {
  let at = node;
  for (const key of path) at = isNode(at) ? at[key] : undefined;
  return at;
}

/** Element text ('' for an empty element; xml2js puts text beside attributes under `_`). */
function text(node: unknown, ...path: string[]): string | null {
  const at = child(node, ...path);
  if (typeof at === 'string') return at;
  if (isNode(at) && typeof at._ === 'string') return at._;
  return null;
}

/** "700.00 W", "81559 MiB" → the number; null for N/A, [Not Supported], absent. */
function quantity(node: unknown, ...path: string[]): number | null {
  const m = /^\s*([-+]?\d+(?:\.\d+)?)(?:\s*[A-Za-z%]+)?\s*$/.exec(text(node, ...path) ?? '');
  return m ? Number(m[1]) : null;
}

function firstQuantity(node: unknown, paths: string[][]): number | null {
  for (const path of paths) {
    const value = quantity(node, ...path);
    if (value !== null) return value;
  }
  return null;
}

/**
 * The GPUs in the object node-nvidia-smi (xml2js { explicitArray: false, trim: true }) makes of
 * `nvidia-smi -q -x`; entries that are not GPUs are left out, and the rest keep their place in the
 * list as their index.
 */
export function parseGpuInventoryObject(data: unknown): GpuInventoryEntry[] {
  return listGpus(data).gpus;
}

/** Every <gpu> entry, GPU or not. */
function parseAllEntries(data: unknown): GpuInventoryEntry[] {
  const log = child(data, 'nvidia_smi_log');
  if (!isNode(log)) throw new Error('no <nvidia_smi_log> element');
  const driverVersion = text(log, 'driver_version') ?? '';
  const cuda = text(log, 'cuda_version');
  const raw = log.gpu;
  const gpus = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return gpus.map((gpu: unknown, index) => {
    // Drivers from 530 on: gpu_power_readings (average/instant draw, current/requested limits);
    // older ones: power_readings (power_draw, power_limit, enforced_power_limit).
    const readings = ['gpu_power_readings', 'power_readings'];
    const limit = (...names: string[]) =>
      firstQuantity(
        gpu,
        readings.flatMap((r) => names.map((n) => [r, n])),
      );
    return {
      index,
      name: text(gpu, 'product_name') ?? '',
      uuid: text(gpu, 'uuid') ?? '',
      busId: text(gpu, '$', 'id') ?? text(gpu, 'pci', 'pci_bus_id') ?? '',
      architecture: text(gpu, 'product_architecture'),
      driverVersion,
      cudaVersion: cuda && cuda !== 'N/A' ? cuda : null,
      powerLimitsW: {
        default: limit('default_power_limit'),
        enforced: limit('current_power_limit', 'enforced_power_limit'),
        min: limit('min_power_limit'),
        max: limit('max_power_limit'),
      },
      memoryTotalMiB: quantity(gpu, 'fb_memory_usage', 'total'),
      instantPowerDraw: quantity(gpu, 'gpu_power_readings', 'instant_power_draw') !== null,
    };
  });
}
