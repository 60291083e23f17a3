/**
 * The CPU's microarchitecture from CPUID family and model as /proc/cpuinfo gives them, which a
 * VM keeps even when it hides the brand ("Intel Xeon Processor", "AMD EPYC"); the flags decide
 * where family and model are masked. Family/model numbers follow Linux's intel-family.h and AMD's
 * processor programming references.
 */
import { readFile } from 'node:fs/promises';

export interface CpuInfo {
  vendor: string;
  family: number | null;
  model: number | null;
  stepping: number | null;
  modelName: string;
  flags: Set<string>;
}

/** The first processor's fields of /proc/cpuinfo; absent fields are null or empty. */
export function parseCpuInfo(text: string): CpuInfo {
  const block = text.split(/\n\s*\n/)[0] ?? '';
  const fields = new Map<string, string>();
  for (const line of block.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    fields.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
  }
  const int = (key: string): number | null => {
    const v = fields.get(key);
    return v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  };
  return {
    vendor: fields.get('vendor_id') ?? '',
    family: int('cpu family'),
    model: int('model'),
    stepping: int('stepping'),
    modelName: fields.get('model name') ?? '',
    flags: new Set((fields.get('flags') ?? '').split(/\s+/).filter(Boolean)),
  };
}

export interface Microarchitecture {
  /** e.g. "Emerald Rapids"; the name Boavizta's cpu_specs uses where it has one. */
  name: string;
  /** How it was found, e.g. "CPUID family 6 model 207". */
  how: string;
}

const INTEL_FAMILY_6: Record<number, string> = {
  0x2d: 'Sandy Bridge',
  0x3e: 'Ivy Bridge',
  0x3a: 'Ivy Bridge',
  0x3f: 'Haswell',
  0x3c: 'Haswell',
  0x4f: 'Broadwell',
  0x56: 'Broadwell',
  0x6a: 'Ice Lake-SP',
  0x6c: 'Ice Lake-SP',
  0x8f: 'Sapphire Rapids',
  0xcf: 'Emerald Rapids',
  0xad: 'Granite Rapids',
  0xae: 'Granite Rapids',
  0xaf: 'Sierra Forest',
};

function amd(family: number, model: number): string | null {
  if (family === 0x17) {
    if (model <= 0x0f) return 'Naples';
    if (model >= 0x30 && model <= 0x3f) return 'Rome';
    return 'Zen 2';
  }
  if (family === 0x19) {
    if (model <= 0x0f) return 'Milan';
    if (model >= 0x10 && model <= 0x1f) return 'Genoa';
    if (model >= 0xa0 && model <= 0xaf) return 'Bergamo/Siena';
    return 'Zen 3/4';
  }
  if (family === 0x1a) return 'Turin';
  return null;
}

/** The microarchitecture, or null when neither CPUID nor the flags tell it. */
export function microarchitecture(info: CpuInfo): Microarchitecture | null {
  const { vendor, family, model, stepping, flags } = info;
  if (family !== null && model !== null) {
    const how = `CPUID family ${family} model ${model}${stepping !== null ? ` stepping ${stepping}` : ''}`;
    if (vendor === 'GenuineIntel' && family === 6) {
      if (model === 0x55) {
        const s = stepping ?? 0;
        const name = s >= 10 ? 'Cooper Lake-SP' : s >= 5 ? 'Cascade Lake-SP' : 'Skylake-SP';
        return { name, how };
      }
      const name = INTEL_FAMILY_6[model];
      if (name) return { name, how };
    }
    if (vendor === 'AuthenticAMD') {
      const name = amd(family, model);
      if (name) return { name, how };
    }
  }
  if (vendor === 'GenuineIntel') {
    const how = 'CPU flags';
    if (flags.has('amx_tile'))
      return { name: 'Sapphire Rapids', how: `${how} (amx_tile: Sapphire Rapids or later)` };
    if (flags.has('avx512_vnni') && flags.has('vaes')) return { name: 'Ice Lake-SP', how };
    if (flags.has('avx512_vnni')) return { name: 'Cascade Lake-SP', how };
    if (flags.has('avx512f')) return { name: 'Skylake-SP', how };
  }
  return null;
}

export const CPUINFO_PATH = '/proc/cpuinfo';

/** Reads and parses /proc/cpuinfo (or the path given); null where it cannot be read. */
export async function readCpuInfo(path: string = CPUINFO_PATH): Promise<CpuInfo | null> {
  try {
    return parseCpuInfo(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}
