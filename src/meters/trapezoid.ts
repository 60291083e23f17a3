/**
 * Energy from power samples: the trapezoid rule over a window, with the power at the window's
 * edges interpolated between samples. This is metering, not device access: the device delivers
 * timed power samples, and how they become joules over a window (and what is held where the
 * samples do not reach) is a choice of the meter.
 */
import type { PowerSample } from '../devices/nvidia-smi-stream.js';
import { lastAtOrBefore } from '../util/sorted-times.js';

export interface Integration {
  energyJ: number;
  /** Highest power in [fromS, toS]: the samples inside and the interpolated values at the edges. */
  peakPowerW: number;
  /** Samples inside [fromS, toS]. */
  samples: number;
  /** Seconds at the start and at the end of the window outside the samples' span, where the nearest power was held. */
  heldStartS: number;
  heldEndS: number;
}

/** Power at t: linear between samples, the nearest sample's value outside their span. */
export function powerAt(samples: readonly PowerSample[], t: number): number {
  const i = lastAtOrBefore(samples, t);
  if (i < 0) return samples[0]!.powerW;
  const a = samples[i]!;
  const b = samples[i + 1];
  if (b === undefined || a.timeS === t) return a.powerW;
  return a.powerW + ((b.powerW - a.powerW) * (t - a.timeS)) / (b.timeS - a.timeS);
}

/**
 * Energy over [fromS, toS] from power samples sorted by time: the trapezoid rule between samples,
 * with the power at each edge interpolated between its neighbours (or held from the nearest sample
 * where the samples do not reach the edge). Throws a RangeError for no samples.
 */
export function integrateTrapezoid(samples: readonly PowerSample[], fromS: number, toS: number): Integration {
  if (samples.length === 0) throw new RangeError('integrateTrapezoid: no samples');
  if (!(toS >= fromS))
    throw new RangeError(`integrateTrapezoid: window ends (${toS}) before it starts (${fromS})`);
  let prevT = fromS;
  let prevP = powerAt(samples, fromS);
  let peak = prevP;
  let energyJ = 0;
  let count = 0;
  for (let i = lastAtOrBefore(samples, fromS) + 1; i < samples.length; i++) {
    const s = samples[i]!;
    if (s.timeS > toS) break;
    energyJ += ((prevP + s.powerW) / 2) * (s.timeS - prevT);
    prevT = s.timeS;
    prevP = s.powerW;
    peak = Math.max(peak, s.powerW);
    count++;
  }
  const endP = powerAt(samples, toS);
  energyJ += ((prevP + endP) / 2) * (toS - prevT);
  peak = Math.max(peak, endP);
  if (samples[lastAtOrBefore(samples, fromS)]?.timeS === fromS) count++;
  const first = samples[0]!.timeS;
  const last = samples[samples.length - 1]!.timeS;
  return {
    energyJ,
    peakPowerW: peak,
    samples: count,
    heldStartS: Math.max(0, Math.min(toS, first) - fromS),
    heldEndS: Math.max(0, toS - Math.max(fromS, last)),
  };
}

/** Highest summed power of several devices over [fromS, toS], at every sample time and both edges. */
export function peakOfSum(
  series: readonly (readonly PowerSample[])[],
  fromS: number,
  toS: number,
): number | null {
  const live = series.filter((s) => s.length > 0);
  if (live.length === 0) return null;
  const times = new Set<number>([fromS, toS]);
  for (const s of live) for (const p of s) if (p.timeS > fromS && p.timeS < toS) times.add(p.timeS);
  let peak = -Infinity;
  for (const t of times)
    peak = Math.max(
      peak,
      live.reduce((sum, s) => sum + powerAt(s, t), 0),
    );
  return peak;
}
