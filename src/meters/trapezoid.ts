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

/** A stretch of time over a window that no power sample lies in, too long to interpolate across. */
export interface CoverageGap {
  /**
   * start: before the first sample, none lying at or before the window's start; end: after the
   * last, none lying at or after its end; all: no sample at or before the window's end; inside:
   * between two samples.
   */
  where: 'start' | 'inside' | 'end' | 'all';
  /** Where the stretch starts, in seconds from the window's start (negative: before it). */
  offsetS: number;
  seconds: number;
}

/**
 * The longest stretch without a sample that bears on [fromS, toS], when it is longer than
 * maxGapS; else null. Stretches run between the samples from the last at or before fromS to the
 * first at or after toS, and from a window edge to the nearest sample where none lies beyond
 * that edge. So a short window between two close samples is covered though none lies inside it,
 * and one held from a sample long before it is not. No samples at all is always a gap. Samples
 * sorted by time.
 */
export function coverageGap(
  samples: readonly PowerSample[],
  fromS: number,
  toS: number,
  maxGapS: number,
): CoverageGap | null {
  if (samples.length === 0) return { where: 'all', offsetS: 0, seconds: toS - fromS };
  let last = lastAtOrBefore(samples, toS);
  if (samples[last]?.timeS !== toS && last + 1 < samples.length) last++;
  const times = samples.slice(Math.max(0, lastAtOrBefore(samples, fromS)), last + 1).map((s) => s.timeS);
  const firstS = times[0]!;
  const lastS = times[times.length - 1]!;
  const stretches: CoverageGap[] = [];
  if (firstS > fromS) {
    stretches.push({ where: firstS >= toS ? 'all' : 'start', offsetS: 0, seconds: firstS - fromS });
  }
  for (let i = 1; i < times.length; i++) {
    stretches.push({ where: 'inside', offsetS: times[i - 1]! - fromS, seconds: times[i]! - times[i - 1]! });
  }
  if (lastS < toS) stretches.push({ where: 'end', offsetS: lastS - fromS, seconds: toS - lastS });
  let worst: CoverageGap | null = null;
  for (const stretch of stretches) {
    if (stretch.seconds > maxGapS && (worst === null || stretch.seconds > worst.seconds)) worst = stretch;
  }
  return worst;
}
