/** The machine a run happened on, recorded in every result. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { systemCpu } from '../devices/system-cpu.js';
import { CPUINFO_PATH, microarchitecture, readCpuInfo } from '../devices/cpuid.js';
import { readInt8Flags } from '../devices/cpu-flags.js';
import { readGpuInventory } from '../devices/gpu-inventory.js';
import type { Environment } from '../result/schema.js';
import { TOOL_VERSION } from './version.js';

export { TOOL_VERSION } from './version.js';

const require = createRequire(import.meta.url);

function packageVersion(specifier: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(specifier), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function onnxruntimeVersion(): string {
  return packageVersion('onnxruntime-node/package.json');
}

export interface EnvironmentOptions {
  /** Where /proc/cpuinfo is read from (tests point it at a fixture). */
  cpuinfoPath?: string;
}

export async function collectEnvironment(options: EnvironmentOptions = {}): Promise<Environment> {
  const cpuinfoPath = options.cpuinfoPath ?? CPUINFO_PATH;
  // systeminformation reads the CPU's marketing name, which os.cpus() often truncates.
  const cpu = await systemCpu().catch(() => undefined);
  const inventory = await readGpuInventory();
  // From CPUID family and model, which a VM keeps when it hides the brand ("Intel Xeon Processor").
  const cpuInfo = await readCpuInfo(cpuinfoPath);
  // The int8-relevant ISA flags (VNNI, AVX2, ...): 8-bit kernels' speed and saturation depend on them.
  const cpuFlags = await readInt8Flags(cpuinfoPath);
  const arch = cpuInfo ? microarchitecture(cpuInfo) : null;
  const cpuName = cpu ? `${cpu.manufacturer} ${cpu.brand}`.trim() : (os.cpus()[0]?.model ?? 'unknown');
  return {
    os: `${os.type()} ${os.release()}`,
    platform: os.platform(),
    arch: os.arch(),
    cpu: cpuName,
    cpuCores: os.availableParallelism(),
    ...(cpu?.physicalCores ? { cpuPhysicalCores: cpu.physicalCores } : {}),
    ...(arch ? { cpuMicroarchitecture: `${arch.name} (${arch.how})` } : {}),
    ...(cpuFlags ? { cpuFlags } : {}),
    memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    nodeVersion: process.version,
    onnxruntimeVersion: onnxruntimeVersion(),
    toolVersion: TOOL_VERSION,
    hostname: os.hostname(),
    gpus: inventory.gpus,
  };
}
