/**
 * Whether a power or energy figure can be real. A sensor or a driver that returns 1e9 W, −50 W or
 * a counter that jumps by a gigajoule is broken, and its figure must fail the reading (so the
 * runner drops the meter with the reason) rather than become joules. Each device has a ceiling:
 * a margin over its enforced power limit where the hardware reports one, else a sane maximum.
 */

/**
 * Power above this multiple of the enforced limit is not a reading. Instant samples of an H100
 * reached 1.26 × its 700 W limit in the recorded trace (test/fixtures/traces/h100-sxm-580).
 */
export const POWER_LIMIT_MARGIN = 2;
/** A GPU whose enforced limit is unknown: above every NVIDIA board's limit (up to 1,400 W), with room for spikes. */
export const GPU_CEILING_FALLBACK_W = 2000;
/**
 * One RAPL zone (a socket's package, or its DRAM): twice the largest TDP in CodeCarbon's CPU
 * table (500 W), which no socket sustains over a window.
 */
export const RAPL_ZONE_CEILING_W = 1000;

export interface PowerCeiling {
  device: string;
  maxW: number;
  /** Where maxW comes from, for messages: "2 × the enforced power limit of 700 W". */
  basis: string;
}

/** Watts as messages show them: a few significant figures, and exponents for absurd ones. */
export function formatWatts(powerW: number): string {
  return Math.abs(powerW) >= 1e6 ? powerW.toExponential(2) : String(Number(powerW.toPrecision(6)));
}

/** A GPU's ceiling: a margin over its enforced power limit, or the fallback when the limit is unknown. */
export function gpuPowerCeiling(device: string, enforcedLimitW: number | null): PowerCeiling {
  if (enforcedLimitW !== null && Number.isFinite(enforcedLimitW) && enforcedLimitW > 0) {
    return {
      device,
      maxW: POWER_LIMIT_MARGIN * enforcedLimitW,
      basis: `${POWER_LIMIT_MARGIN} × the enforced power limit of ${formatWatts(enforcedLimitW)} W`,
    };
  }
  return {
    device,
    maxW: GPU_CEILING_FALLBACK_W,
    basis: 'no enforced power limit known: the ceiling for any GPU',
  };
}

/** A RAPL zone's ceiling. */
export function raplZoneCeiling(device: string): PowerCeiling {
  return { device, maxW: RAPL_ZONE_CEILING_W, basis: 'the ceiling for one CPU socket' };
}

/** One line per ceiling, for a meter's details. */
export function ceilingsDetail(ceilings: readonly PowerCeiling[]): string {
  return ceilings.map((c) => `${c.device}: ${formatWatts(c.maxW)} W (${c.basis})`).join('; ');
}

/** Why a power figure cannot be real (not a number, negative, above the ceiling), or null when it can. */
export function implausiblePower(ceiling: PowerCeiling, figure: string, powerW: number): string | null {
  const what = `${ceiling.device}: ${figure} of ${formatWatts(powerW)} W`;
  if (!Number.isFinite(powerW)) return `${what} is not a number`;
  if (powerW < 0) return `${what} is negative`;
  if (powerW > ceiling.maxW) return `${what} is above ${formatWatts(ceiling.maxW)} W (${ceiling.basis})`;
  return null;
}

/**
 * Why an energy counter's step over a window cannot be real (it went down, or it implies power
 * above the ceiling), or null when it can. `slackS` widens the window by the counter's update
 * period, since a window can hold one update more than its length.
 */
export function implausibleEnergyStep(
  ceiling: PowerCeiling,
  figure: string,
  energyJ: number,
  durationS: number,
  slackS: number,
): string | null {
  const what = `${ceiling.device}: ${figure}`;
  if (!Number.isFinite(energyJ)) return `${what} gave ${energyJ} J, not a number`;
  if (energyJ < 0) return `${what} went down by ${formatWatts(-energyJ)} J in ${durationS.toFixed(3)} s`;
  const spanS = Math.max(0, durationS) + slackS;
  if (energyJ > ceiling.maxW * spanS) {
    return (
      `${what} rose by ${formatWatts(energyJ)} J in ${durationS.toFixed(3)} s, ` +
      `over ${formatWatts(energyJ / spanS)} W, above ${formatWatts(ceiling.maxW)} W (${ceiling.basis})`
    );
  }
  return null;
}
