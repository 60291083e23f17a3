/** Starting the meters a run uses, and measuring idle power before any work: bench's and measure's first step. */
import { errorMessage } from '../errors.js';
import { meterFactories, selectMeters, stopMeters, type MeterOptions } from '../meters/registry.js';
import type { EnergyMeter, MeterName } from '../meters/types.js';
import { ENERGY_NOT_MEASURED } from '../result/schema.js';
import { measureIdle } from '../runner/protocol.js';

export interface MeterRequest {
  /** `auto` (the best per domain), `none`, or the meters to use, which must work. */
  meter: MeterName[] | 'auto' | 'none';
  /** GPU indices the GPU meters read; all when absent. */
  gpus?: number[];
  /** Idle measurement before the work, seconds; 0 skips it. */
  idleS: number;
}

export interface StartedMeters {
  meters: EnergyMeter[];
  /** How the meters were chosen (fallbacks, meters unavailable here, meters dropped). */
  notes: string[];
  /** Idle power per meter (index-aligned with `meters`); null where not measured. */
  idlePowerW: (number | null)[];
  idleSeconds: number;
  /** Why energy goes unmeasured when `meters` is empty: --meter none, or every meter failed. */
  unmeteredReason: string;
}

/**
 * Picks and starts the meters, then measures idle power while nothing else runs. A meter that
 * fails during the idle measurement is stopped and left out, with a note; the others carry on.
 */
export async function startMeters(
  request: MeterRequest,
  cpuLoad: MeterOptions['cpuLoad'],
  onIdle?: (seconds: number) => void,
): Promise<StartedMeters> {
  const selection = await selectMeters(request.meter, meterFactories({ gpus: request.gpus, cpuLoad }));
  const notes = [...selection.notes];
  const idleSeconds = selection.meters.length > 0 ? request.idleS : 0;
  if (idleSeconds > 0) onIdle?.(idleSeconds);
  const failed = new Set<number>();
  const idle = await measureIdle(selection.meters, idleSeconds, undefined, (i, err) => {
    failed.add(i);
    const meter = selection.meters[i]!;
    notes.push(
      `${meter.info.name} (${meter.info.domain}) failed while measuring idle power and was dropped: ${errorMessage(err)}`,
    );
  });
  await stopMeters(selection.meters.filter((_, i) => failed.has(i)));
  const keep = (_: unknown, i: number) => !failed.has(i);
  const unmeteredReason =
    request.meter === 'none'
      ? ENERGY_NOT_MEASURED.reason
      : `no energy meter was left: ${notes.length > 0 ? notes.join('; ') : 'none could start'}`;
  return {
    meters: selection.meters.filter(keep),
    notes,
    idlePowerW: idle.filter(keep),
    idleSeconds,
    unmeteredReason,
  };
}
