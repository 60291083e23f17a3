/**
 * systeminformation's CPU description, read once per process: each read runs lscpu twice and
 * dmidecode, and both the environment and the CPU estimate need it in every bench.
 */
import si from 'systeminformation';

let cached: Promise<si.Systeminformation.CpuData> | undefined;

export function systemCpu(): Promise<si.Systeminformation.CpuData> {
  cached ??= si.cpu().catch((err: unknown) => {
    // A failed read is not kept: the next caller tries again.
    cached = undefined;
    throw err;
  });
  return cached;
}
