/**
 * The hardware a configuration ran on, in words: what cohorts, leaderboards and labels group by.
 * A GPU configuration names the GPUs its energy was read from (gpu0, gpu1… are nvidia-smi
 * indexes); a CPU configuration names the CPU.
 */
import type { ConfigResult, Environment } from './schema.js';

export function hardwareOf(
  result: Pick<ConfigResult, 'device' | 'energy'>,
  environment: Pick<Environment, 'cpu' | 'gpus'>,
): string {
  if (result.device === 'cpu') return environment.cpu;
  const metered = result.energy.status === 'not-measured' ? [] : (result.energy.domains.gpu?.devices ?? []);
  const indexes = metered.map((d) => Number(/^gpu(\d+)$/.exec(d)?.[1])).filter((i) => Number.isInteger(i));
  const gpus = indexes.length
    ? environment.gpus.filter((g) => indexes.includes(g.index))
    : environment.gpus.slice(0, 1);
  if (gpus.length === 0) return 'unknown NVIDIA GPU';
  const names = [...new Set(gpus.map((g) => g.name))];
  const name = names.join(' + ');
  return gpus.length > 1 && names.length === 1 ? `${gpus.length}× ${name}` : name;
}

/**
 * Whether a hardware name is one NVIDIA H100 (any memory size or form factor), the reference's
 * GPU; "2× NVIDIA H100 …" is energy summed over two, and is not.
 */
export function isSingleH100(hardware: string): boolean {
  return /\bH100\b/i.test(hardware) && !/^\s*\d+\s*×/.test(hardware);
}
