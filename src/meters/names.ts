/**
 * The meters' names and the --meter parser, apart from the meters themselves so that parsing a
 * command line loads no hardware code.
 */
import { usageError } from '../errors.js';
import type { MeterName } from './types.js';

export const METER_NAMES: readonly MeterName[] = ['nvml', 'nvidia-smi', 'rapl', 'cpu-estimate'];

export function parseMeterList(text: string): MeterName[] | 'auto' | 'none' {
  const names = text
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  if (names.length === 1 && (names[0] === 'auto' || names[0] === 'none')) return names[0];
  for (const name of names) {
    if (!(METER_NAMES as readonly string[]).includes(name)) {
      throw usageError(`unknown meter '${name}'`, `use auto, none, or a list of: ${METER_NAMES.join(', ')}`);
    }
  }
  if (names.length === 0) throw usageError('--meter is empty', 'use auto, none, or a list such as nvml,rapl');
  return names as MeterName[];
}
