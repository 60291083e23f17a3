/**
 * The CPU's instruction-set flags that decide how ONNX Runtime runs 8-bit integer kernels, as
 * /proc/cpuinfo lists them (`flags` on x86, `Features` on Arm). On x86 without VNNI
 * (AVX-512 VNNI or AVX-VNNI) the u8×s8 MatMulInteger/ConvInteger kernels multiply through
 * pmaddubsw, whose 16-bit sums of two products saturate (255·127·2 > 32767): int8 outputs and
 * speed then differ from a VNNI machine's, which is why int8 results carry these flags.
 */
import { readFile } from 'node:fs/promises';

import { CPUINFO_PATH } from './cpuid.js';

/** In the order reported: the SIMD generations, then the dot-product and matrix extensions. */
export const INT8_FLAGS = [
  'ssse3',
  'sse4_1',
  'avx2',
  'avx512f',
  'avx512bw',
  'avx512vl',
  'avx512_vnni',
  'avx_vnni',
  'avx_vnni_int8',
  'amx_tile',
  'amx_int8',
  // Arm: SDOT/UDOT, the int8 matrix multiply, SVE.
  'asimddp',
  'i8mm',
  'sve',
  'sve2',
] as const;

const VNNI_FLAGS = ['avx512_vnni', 'avx_vnni', 'amx_int8'];

/** The int8-relevant flags of the first processor in a /proc/cpuinfo text, in INT8_FLAGS order. */
export function parseInt8Flags(cpuinfo: string): string[] {
  const block = cpuinfo.split(/\n\s*\n/)[0] ?? '';
  const present = new Set<string>();
  for (const line of block.split('\n')) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const key = line.slice(0, i).trim().toLowerCase();
    if (key !== 'flags' && key !== 'features') continue;
    for (const flag of line
      .slice(i + 1)
      .trim()
      .split(/\s+/))
      present.add(flag);
  }
  return INT8_FLAGS.filter((flag) => present.has(flag));
}

/** The flags from /proc/cpuinfo (or the path given); null where it cannot be read (not Linux). */
export async function readInt8Flags(path: string = CPUINFO_PATH): Promise<string[] | null> {
  try {
    return parseInt8Flags(await readFile(path, 'utf8'));
  } catch {
    return null;
  }
}

/** Precisions whose kernels are 8-bit integer ones on the CPU. */
const INT8_PRECISIONS = new Set(['q8', 'int8', 'uint8']);

export function isInt8Precision(precision: string): boolean {
  return INT8_PRECISIONS.has(precision);
}

/**
 * The caveat an 8-bit CPU result carries: none on an x86 CPU with VNNI or on Arm; the
 * saturation risk on x86 without it; and a note where the flags could not be read.
 */
export function int8IsaWarning(
  precision: string,
  device: string,
  arch: string,
  cpuFlags: readonly string[] | undefined,
): string | undefined {
  if (device !== 'cpu' || !isInt8Precision(precision)) return undefined;
  if (cpuFlags === undefined)
    return `${precision} on CPU: the CPU's instruction-set flags could not be read, and int8 speed and accuracy depend on them (VNNI or not)`;
  if (arch !== 'x64' && arch !== 'ia32') return undefined;
  if (cpuFlags.some((flag) => VNNI_FLAGS.includes(flag))) return undefined;
  return (
    `${precision} on a CPU without VNNI (no avx512_vnni or avx_vnni; flags: ${cpuFlags.join(' ') || 'none of the int8 ones'}): ` +
    "ONNX Runtime's u8×s8 integer kernels can saturate 16-bit intermediates here, so outputs and speed may differ from a VNNI machine's"
  );
}
