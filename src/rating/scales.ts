/**
 * Star scales: where one energy figure falls among a cohort's figures, as 1 to 5 stars.
 *
 * Every scale cuts the cohort into five bands, band 0 (least energy, 5 stars) to band 4 (most
 * energy, 1 star): stars = 5 - band.
 *
 * - `aies`: AI Energy Score's rule, five equal-width bands of the cohort's linear range [lo, hi]:
 *   band = min(4, floor(5 * (E - lo) / (hi - lo))). It reproduces every star of the v1 leaderboard.
 *   One outlier stretches the range and pushes everyone else into 5 stars.
 * - `log`: the same rule on ln(E), so bands are equal ratios rather than equal differences.
 *   Every energy (the cohort's and the one rated) must be above zero.
 * - `quantile`: quintiles by model count; see `quantileBand`.
 *
 * Edge cases, the same on every scale:
 * - hi = lo (every cohort energy identical, including a cohort of one): AI Energy Score's rule
 *   divides by zero there. We give band 0, 5 stars: a model is "no worse than its peers". A cohort
 *   of one is also flagged `singleton: true`, as a rating against nobody else says little.
 * - A value outside [lo, hi] (a new result rated against a fixed reference cohort) is clamped to
 *   the nearest band and flagged: below lo → band 0 (5 stars), `clamped: 'below'`; above hi →
 *   band 4 (1 star), `clamped: 'above'`. This holds for hi = lo too: a value above a one-point
 *   range uses more energy than every peer, so it gets 1 star rather than the peers' 5.
 */
import { usageError } from '../errors.js';

import { SCALE_NAMES, type Band, type ScaleName, type Stars } from '../result/schema.js';

export { SCALE_NAMES, type Band, type ScaleName, type Stars } from '../result/schema.js';

export interface StarRating {
  stars: Stars;
  /** 0 (least energy) to 4 (most energy); stars = 5 - band. */
  band: Band;
  /** Set when the value lay outside the cohort's [lo, hi] and was put in the nearest band. */
  clamped: 'below' | 'above' | null;
  /** True when the cohort has one model: 5 stars for it, but a rating against nobody else. */
  singleton: boolean;
}

/** Names for error messages: the rated value's and each cohort value's (same order). */
export interface ValueNames {
  value?: string;
  cohort?: readonly string[];
}

export function isScaleName(name: string): name is ScaleName {
  return (SCALE_NAMES as readonly string[]).includes(name);
}

export function parseScaleName(name: string): ScaleName {
  if (!isScaleName(name))
    throw usageError(`unknown rating scale '${name}'`, `use one of: ${SCALE_NAMES.join(', ')}`);
  return name;
}

function toBand(n: number): Band {
  return Math.max(0, Math.min(4, Math.floor(n))) as Band;
}

function rating(band: Band, clamped: StarRating['clamped'], singleton: boolean): StarRating {
  return { stars: (5 - band) as Stars, band, clamped, singleton };
}

/** AI Energy Score's band: five equal-width bands of [lo, hi]; hi itself is in band 4. */
export function linearBand(value: number, lo: number, hi: number): Band {
  if (hi === lo) return 0;
  return toBand((5 * (value - lo)) / (hi - lo));
}

/**
 * Quintiles by model count. With the cohort's n values, the band of a value E is
 *
 *     band = min(4, floor(5 * below / n)),   below = how many cohort values are strictly less than E
 *
 * that is, "how many fifths of the cohort use less energy". Consequences:
 * - Ties: equal values have the same `below`, so they always get the same stars, the best their
 *   group's position allows (competition ranking: 1, 2, 2, 4).
 * - n divisible by 5 with distinct values: exactly n / 5 models per band.
 * - Other n with distinct values: every band holds floor(n / 5) or ceil(n / 5) models; the extra
 *   ones go where floor(5 * i / n) puts them (n = 18: 4, 4, 3, 4, 3 from 5 stars down).
 * - n < 5 leaves bands empty (n = 2: 5 stars and 3 stars).
 * - A value not in the cohort is placed the same way; above every value, below = n → band 4.
 */
export function quantileBand(value: number, sortedCohort: readonly number[]): Band {
  const n = sortedCohort.length;
  if (n === 0) return 0;
  return toBand((5 * countBelow(value, sortedCohort)) / n);
}

/** How many values of an ascending list are strictly less than `value` (binary search). */
function countBelow(value: number, sorted: readonly number[]): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function checkFinite(value: number, name: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw usageError(`${name}: energy must be a finite number, got ${String(value)}`);
  }
}

function checkPositiveForLog(value: number, name: string): void {
  if (!(value > 0)) {
    throw usageError(
      `${name}: the log scale needs every energy above zero, got ${value}`,
      'the aies and quantile scales take zero; or leave that model out',
    );
  }
}

/** A rater bound to one cohort and scale: validates and sorts the cohort once. */
export type Rater = (value: number, name?: string) => StarRating;

export function makeRater(cohort: readonly number[], scale: ScaleName, names: readonly string[] = []): Rater {
  if (cohort.length === 0) throw usageError('cannot rate against an empty cohort');
  const nameOf = (i: number): string => names[i] ?? `cohort value ${i + 1}`;
  cohort.forEach((v, i) => {
    checkFinite(v, nameOf(i));
    if (scale === 'log') checkPositiveForLog(v, nameOf(i));
  });
  const sorted = [...cohort].sort((a, b) => a - b);
  const lo = sorted[0] as number;
  const hi = sorted[sorted.length - 1] as number;
  const singleton = cohort.length === 1;
  const logLo = scale === 'log' ? Math.log(lo) : 0;
  const logHi = scale === 'log' ? Math.log(hi) : 0;

  return (value: number, name = 'rated value'): StarRating => {
    checkFinite(value, name);
    if (scale === 'log') checkPositiveForLog(value, name);
    if (value < lo) return rating(0, 'below', singleton);
    if (value > hi) return rating(4, 'above', singleton);
    switch (scale) {
      case 'aies':
        return rating(linearBand(value, lo, hi), null, singleton);
      case 'log':
        // A value equal to lo or hi maps to exactly logLo or logHi, so it stays in range.
        return rating(linearBand(Math.log(value), logLo, logHi), null, singleton);
      case 'quantile':
        return rating(quantileBand(value, sorted), null, singleton);
    }
  };
}

/** Rate one value against a cohort's values. */
export function rateValue(
  value: number,
  cohort: readonly number[],
  scale: ScaleName,
  names: ValueNames = {},
): StarRating {
  return makeRater(cohort, scale, names.cohort)(value, names.value);
}

/** Rate every value of a cohort within that cohort (never clamped). */
export function rateValues(
  cohort: readonly number[],
  scale: ScaleName,
  names: readonly string[] = [],
): StarRating[] {
  const rate = makeRater(cohort, scale, names);
  return cohort.map((v, i) => rate(v, names[i]));
}

/**
 * The stars at both ends of a value's 95 % interval (value × (1 ± ci95Relative)), fewest first;
 * null without an interval. When the two differ, the measurement cannot tell those ratings apart.
 */
export function starsWithinInterval(
  rate: Rater,
  value: number,
  ci95Relative: number | null,
): [Stars, Stars] | null {
  if (ci95Relative === null || !(ci95Relative >= 0) || !Number.isFinite(ci95Relative)) return null;
  // The log scale takes only energies above zero; an interval reaching zero is in the best band.
  const low = Math.max(value * (1 - ci95Relative), Number.MIN_VALUE);
  return [rate(value * (1 + ci95Relative)).stars, rate(low).stars];
}
