/** GPU temperatures before and after a configuration, to warn when the figures may have drifted with heat. */
import { nvidiaSmiExecutable, runNvidiaSmi } from './nvidia-smi.js';

/** A rise (or fall) this large during the trials is worth a warning. */
export const DRIFT_WARN_C = 5;

/** Temperature per GPU index in °C, or null when nvidia-smi cannot tell. */
export async function readGpuTemperaturesC(
  env: NodeJS.ProcessEnv = process.env,
): Promise<Map<number, number> | null> {
  const out = await runNvidiaSmi(
    nvidiaSmiExecutable({ env }),
    ['--query-gpu=index,temperature.gpu', '--format=csv,noheader,nounits'],
    env,
    5,
  );
  if ('reason' in out) return null;
  const temperatures = new Map<number, number>();
  for (const line of out.stdout.split('\n')) {
    const [index, celsius] = line.split(',').map((p) => Number(p.trim()));
    if (Number.isInteger(index) && Number.isFinite(celsius)) temperatures.set(index!, celsius!);
  }
  return temperatures.size > 0 ? temperatures : null;
}

/** One warning per GPU whose temperature moved by DRIFT_WARN_C or more. */
export function thermalDriftWarnings(
  before: Map<number, number> | null,
  after: Map<number, number> | null,
): string[] {
  if (!before || !after) return [];
  const warnings: string[] = [];
  for (const [index, startC] of before) {
    const endC = after.get(index);
    if (endC !== undefined && Math.abs(endC - startC) >= DRIFT_WARN_C) {
      warnings.push(
        `thermal drift: GPU ${index} went from ${startC} °C to ${endC} °C during the trials; power rises with temperature, so warm up longer (--warmup) for steadier figures`,
      );
    }
  }
  return warnings;
}
