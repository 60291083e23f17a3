/**
 * The measurement protocol around the meters: idle power before the run, windows long enough
 * for the slowest meter, trials until the 95 % interval of energy per query is tight, and the
 * figures a result reports (gross and net of idle, per domain, headline by device).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ENERGY_NOT_MEASURED,
  type DomainEnergy,
  type EnergyMeasured,
  type EnergyNotMeasured,
  type ModelBand,
  type OtherCpuLoad,
  type ProtocolSettings,
} from '../result/schema.js';
import { perQueryInterval } from '../stats/batch-means.js';
import type { EnergyDomain, EnergyMeter, EnergyReading, Mark } from '../meters/types.js';

export type { ProtocolSettings } from '../result/schema.js';

export const DEFAULT_PROTOCOL: ProtocolSettings = {
  idleS: 3,
  // Windows are as short as the headline meters allow (20 update periods); this floor keeps
  // the marks' own cost small beside a window.
  minWindowS: 0.1,
  targetCi: 0.02,
  minTrials: 10,
  maxTrials: 1000,
  maxSeconds: 30,
  warmupWindows: 1,
};

/** The demo (bench with no model) caps each configuration's trials so it finishes in about a minute. */
export const DEMO_MAX_SECONDS = 4;

/**
 * Interleaved rounds when --rounds is left out and two or more configurations are measured.
 * Over the demo at 1-minute loads of 2.2-3.9, 8 rounds (one warm-up batch a turn) gave round
 * by round log ratios of median spread 9.2 % against 11.9 % with 4 (and a warm-up window a
 * turn), and 18 windows per configuration against 15; with 8 the pair's t is 2.36, not 3.18.
 */
export const DEFAULT_ROUNDS = 8;

/** Update periods a window must span for the meter's quantisation to stay small. */
export const PERIODS_PER_WINDOW = 20;

/**
 * Sized by the meters of the headline only: a GPU meter beside a CPU configuration is reported
 * but does not stretch its windows.
 */
export function windowSeconds(meters: readonly EnergyMeter[], minWindowS: number): number {
  const slowest = Math.max(0, ...meters.map((m) => m.info.updatePeriodS));
  return Math.max(minWindowS, PERIODS_PER_WINDOW * slowest);
}

/**
 * Which meters make the headline: the first (best) meter of each of the device's domains.
 * The trial loop's stopping rule and the reported figures both use this one choice.
 */
export function headlineMeterIndexes(device: string, meters: readonly EnergyMeter[]): number[] {
  const wanted = headlineDomains(
    device,
    meters.map((m) => m.info.domain),
  );
  const seen = new Set<EnergyDomain>();
  return meters.flatMap((m, i) => {
    if (!wanted.includes(m.info.domain) || seen.has(m.info.domain)) return [];
    seen.add(m.info.domain);
    return [i];
  });
}

/** One trial's headline energy per query. */
export function trialPerQueryJ(trial: Trial, headline: readonly number[]): number {
  return headline.reduce((s, i) => s + (trial.readings[i]?.energyJ ?? 0), 0) / trial.queries;
}

/** Relative half-width of that interval; NaN until there are two windows. */
export function relativeCi(perQueryJ: readonly number[], queries?: readonly number[]): number {
  const interval = perQueryInterval(perQueryJ, queries);
  return interval === null || interval.mean === 0 ? NaN : interval.halfWidth / Math.abs(interval.mean);
}

/** Why the trials of a configuration ended. */
export type StopReason = 'target' | 'budget' | 'max-trials' | 'meters-failed';

/** Where the trials stand after a window, for the stopping rule. */
export interface TrialState {
  /** Energy per query of the windows read so far (the last window may still be being read). */
  perQueryJ: readonly number[];
  /** Their queries, index-aligned; without them the interval is that of the figures' mean. */
  queries?: readonly number[];
  /** Windows run, the one still being read included. */
  trialsRun: number;
  /** Seconds since the trials started. */
  elapsedS: number;
  /** How long the next window is expected to take, seconds. */
  nextWindowS: number;
  /** Whether every batch of the suite has run at least once. */
  suiteCovered: boolean;
}

/**
 * Whether to stop repeating trials, and why; null to run another window. The budget is a hard
 * cap: no window starts that would end after it, whatever the minimum or the suite's coverage
 * (the result then warns). Otherwise the trials run until every batch of the suite has run once
 * and the minimum number of windows is reached, then until the interval is tight or the window
 * cap is reached.
 */
export function stopReason(state: TrialState, settings: ProtocolSettings): StopReason | null {
  if (state.trialsRun >= settings.maxTrials) return 'max-trials';
  if (state.elapsedS + state.nextWindowS > settings.maxSeconds) return 'budget';
  return targetMet(state, settings) ? 'target' : null;
}

/**
 * Whether the trials have what they were asked for: the whole suite run, the minimum number of
 * windows, and the 95 % interval within the target.
 */
export function targetMet(
  state: Pick<TrialState, 'perQueryJ' | 'queries' | 'trialsRun' | 'suiteCovered'>,
  settings: Pick<ProtocolSettings, 'minTrials' | 'targetCi'>,
): boolean {
  if (!state.suiteCovered || state.trialsRun < settings.minTrials) return false;
  return relativeCi(state.perQueryJ, state.queries) <= settings.targetCi;
}

/** Marks every meter; a meter whose mark fails shows as rejected, and the others still mark. */
export type Marks = PromiseSettledResult<Mark>[];

export function markEach(meters: readonly EnergyMeter[]): Promise<Marks> {
  return Promise.allSettled(meters.map((m) => m.mark()));
}

/**
 * Each meter's energy between two sets of marks. A meter that fails (its mark or its reading)
 * gives null and is reported through `onFailure`, so one broken meter never stops the others;
 * meters for which `skip` says so (already dropped) give null without being read.
 */
export function readEach(
  meters: readonly EnergyMeter[],
  from: Marks,
  to: Marks,
  onFailure: (index: number, error: unknown) => void,
  skip: (index: number) => boolean = () => false,
): Promise<(EnergyReading | null)[]> {
  return Promise.all(
    meters.map(async (meter, i) => {
      if (skip(i)) return null;
      const a = from[i]!;
      const b = to[i]!;
      try {
        if (a.status === 'rejected') throw a.reason;
        if (b.status === 'rejected') throw b.reason;
        return await meter.between(a.value, b.value);
      } catch (err) {
        onFailure(i, err);
        return null;
      }
    }),
  );
}

/** Energy net of idle: gross less idle power over the window, never below zero; gross when idle is unknown. */
export function netEnergyJ(energyJ: number, idlePowerW: number | null, seconds: number): number {
  return idlePowerW === null ? energyJ : Math.max(0, energyJ - idlePowerW * seconds);
}

/**
 * Idle power per meter (by index), measured while the process waits. A meter that fails gives
 * null and is reported through `onFailure`, so one broken meter does not stop the others.
 */
export async function measureIdle(
  meters: readonly EnergyMeter[],
  seconds: number,
  wait: (ms: number) => Promise<unknown> = sleep,
  onFailure: (index: number, error: unknown) => void = () => undefined,
): Promise<(number | null)[]> {
  if (seconds <= 0 || meters.length === 0) return meters.map(() => null);
  const from = await markEach(meters);
  await wait(seconds * 1000);
  const readings = await readEach(meters, from, await markEach(meters), onFailure);
  return readings.map((r) => r?.avgPowerW ?? null);
}

/** The domains the headline figures add up: the device's own, as AI Energy Score rates GPU energy. */
export function headlineDomains(device: string, available: readonly EnergyDomain[]): EnergyDomain[] {
  const wanted: EnergyDomain[] = device === 'cpu' ? ['cpu', 'dram'] : ['gpu'];
  return wanted.filter((d) => available.includes(d));
}

export interface Trial {
  queries: number;
  /** The round of an interleaved run the window was measured in, from 1; absent when not interleaved. */
  round?: number;
  /** One reading per meter, in the order of the meters; null where the meter failed. */
  readings: (EnergyReading | null)[];
}

const J_PER_WH = 3600;

/** Other processes may use this much CPU (cores) while a whole-package meter measures, and no more. */
export const OTHER_CPU_LIMIT_CORES = 0.1;

/** The band of the estimated CPU meter among the headline's, from its details; null when there is none. */
export function modelBandOf(meters: readonly EnergyMeter[], headline: readonly number[]): ModelBand | null {
  for (const i of headline) {
    const info = meters[i]?.info;
    if (!info || info.method !== 'estimated' || info.domain !== 'cpu') continue;
    const { modelBand, modelKind, modelBandSource } = info.details;
    if (typeof modelBand !== 'number') return null;
    return {
      relative: modelBand,
      method: String(modelKind ?? 'unknown'),
      source: String(modelBandSource ?? ''),
    };
  }
  return null;
}

/**
 * Other processes' CPU use per trial, from the first headline meter that reads it; `loaded` when
 * a measured (not estimated) CPU meter ran beside more than the limit. Null where no meter reads it.
 */
export function otherCpuOf(
  meters: readonly EnergyMeter[],
  headline: readonly number[],
  trials: readonly Trial[],
): OtherCpuLoad | null {
  const source = headline.find((i) => trials.some((t) => t.readings[i]?.otherCpuCores !== undefined));
  if (source === undefined) return null;
  const cores = trials
    .map((t) => t.readings[source]?.otherCpuCores)
    .filter((c): c is number => c !== undefined && Number.isFinite(c));
  if (cores.length === 0) return null;
  const maxCores = Math.max(...cores);
  const measuredPackage = headline.some(
    (i) => meters[i]?.info.domain === 'cpu' && meters[i]?.info.method !== 'estimated',
  );
  return {
    meanCores: cores.reduce((a, c) => a + c, 0) / cores.length,
    maxCores,
    limitCores: OTHER_CPU_LIMIT_CORES,
    loaded: measuredPackage && maxCores > OTHER_CPU_LIMIT_CORES,
  };
}

/** Turns trials into the result's energy object. Meters and idle powers are index-aligned with readings. */
export function energyResult(
  device: string,
  meters: readonly EnergyMeter[],
  idlePowerW: readonly (number | null)[],
  idleSeconds: number,
  trials: readonly Trial[],
  targetCi: number = DEFAULT_PROTOCOL.targetCi,
): EnergyMeasured | EnergyNotMeasured {
  const totalQueries = trials.reduce((n, t) => n + t.queries, 0);
  const totalSeconds = trials.reduce((s, t) => s + (t.readings.find((r) => r)?.durationS ?? 0), 0);
  const domains: Partial<Record<EnergyDomain, DomainEnergy>> = {};
  const warnings = new Set<string>();

  meters.forEach((meter, i) => {
    const readings = trials.map((t) => t.readings[i]).filter((r): r is EnergyReading => r != null);
    const energyJ = readings.reduce((s, r) => s + r.energyJ, 0);
    const seconds = readings.reduce((s, r) => s + r.durationS, 0);
    const idleW = idlePowerW[i] ?? null;
    const netJ = netEnergyJ(energyJ, idleW, seconds);
    const peaks = readings.map((r) => r.peakPowerW).filter((p): p is number => p !== null);
    const domain = meter.info.domain;
    // One meter per domain is the rule (the registry picks the best); a second one is ignored.
    if (domains[domain]) return;
    domains[domain] = {
      meter: meter.info.name,
      method: meter.info.method,
      devices: meter.info.devices,
      perQueryJ: energyJ / totalQueries,
      netPerQueryJ: netJ / totalQueries,
      avgPowerW: seconds > 0 ? energyJ / seconds : 0,
      peakPowerW: peaks.length ? Math.max(...peaks) : null,
      idlePowerW: idleW,
    };
    for (const w of meter.info.warnings) warnings.add(`${meter.info.name}: ${w}`);
    for (const r of readings) for (const w of r.warnings) warnings.add(`${meter.info.name}: ${w}`);
  });

  const basis = headlineDomains(device, Object.keys(domains) as EnergyDomain[]);
  if (basis.length === 0) {
    const wanted = headlineDomains(device, ['gpu', 'cpu', 'dram']).join(' or ');
    const have = meters.map((m) => `${m.info.name} (${m.info.domain})`).join(', ');
    return {
      ...ENERGY_NOT_MEASURED,
      reason: `no meter reads the ${device} device's energy (${wanted}); the meters used read ${have}: see energy-score doctor`,
    };
  }
  const headline = headlineMeterIndexes(device, meters);
  const perTrial = trials.map((t) => trialPerQueryJ(t, headline));
  const perQueryJ = basis.reduce((s, d) => s + domains[d]!.perQueryJ, 0);
  const netPerQueryJ = basis.reduce((s, d) => s + domains[d]!.netPerQueryJ, 0);
  const estimated = basis.some((d) => domains[d]!.method === 'estimated');
  const ciHalf =
    perQueryInterval(
      perTrial,
      trials.map((t) => t.queries),
    )?.halfWidth ?? null;
  const peaks = basis.map((d) => domains[d]!.peakPowerW).filter((p): p is number => p !== null);

  const modelBand = estimated ? modelBandOf(meters, headline) : null;
  const otherCpu = otherCpuOf(meters, headline, trials);
  if (estimated) {
    warnings.add(
      `estimated: the headline energy comes from a model of power, not a meter${modelBand ? `; model uncertainty ±${Math.round(modelBand.relative * 100)} % (${modelBand.source})` : ''}`,
    );
  }
  if (otherCpu?.loaded) {
    warnings.add(
      `other processes used up to ${otherCpu.maxCores.toFixed(2)} cores while the package was measured (limit ${OTHER_CPU_LIMIT_CORES}): their energy is in the figure, so compare and check will not call a difference real`,
    );
  }
  if (idleSeconds <= 0) warnings.add('no idle measurement (--idle 0): net figures equal gross');
  const ciRelative = ciHalf !== null && perQueryJ > 0 ? ciHalf / perQueryJ : null;
  if (ciRelative === null) warnings.add('one trial only: no confidence interval');
  else if (ciRelative > targetCi) {
    warnings.add(
      `high variance: the 95 % interval is ±${(ciRelative * 100).toFixed(1)} % after ${trials.length} trials`,
    );
  }

  return {
    status: estimated ? 'estimated' : 'measured',
    basis: { domains: basis, figure: 'gross' },
    perQueryJ,
    whPer1k: (perQueryJ * 1000) / J_PER_WH,
    queriesPerJ: perQueryJ > 0 ? 1 / perQueryJ : 0,
    ci95PerQueryJ: ciHalf,
    ci95Relative: ciRelative,
    perTrialJ: perTrial,
    perTrialQueries: trials.map((t) => t.queries),
    ...(trials.some((t) => t.round !== undefined) ? { perTrialRound: trials.map((t) => t.round ?? 1) } : {}),
    net: { perQueryJ: netPerQueryJ, whPer1k: (netPerQueryJ * 1000) / J_PER_WH },
    avgPowerW: totalSeconds > 0 ? (perQueryJ * totalQueries) / totalSeconds : 0,
    peakPowerW: peaks.length ? peaks.reduce((a, b) => a + b, 0) : null,
    trials: trials.length,
    windowSeconds: trials.length ? totalSeconds / trials.length : 0,
    idleSeconds,
    domains,
    modelBand,
    otherCpu,
    meters: meters.map((m) => ({
      name: m.info.name,
      domain: m.info.domain,
      method: m.info.method,
      devices: m.info.devices,
      details: m.info.details,
    })),
    warnings: [...warnings],
  };
}
