/**
 * Two configurations measured in the same interleaved rounds, compared round by round: in each
 * round both ran within one turn of each other, so a drift of the machine (a co-tenant, a clock
 * that steps down) moves both figures alike and cancels in their ratio. The interval is
 * Student's t over the rounds' log ratios: a paired comparison (a randomised block design with
 * the round as the block), whose spread holds the windows' noise and whatever of the drift did
 * not cancel.
 */
import { studentTQuantile } from './student-t.js';
import { mean, stddev } from './summary.js';

/** One configuration's windows: energy per query, queries and round of each, index-aligned. */
export interface RoundSeries {
  perTrialJ: readonly number[];
  perTrialQueries: readonly number[];
  perTrialRound: readonly number[];
}

export interface PairedRatio {
  /** Geometric mean over the rounds of a's J/query ÷ b's. */
  ratio: number;
  /** The 95 % interval of that ratio. */
  low: number;
  high: number;
  /** Rounds both measured. */
  rounds: number;
}

/** Fewest rounds for a paired interval: below three, one degree of freedom gives t = 12.7. */
export const MIN_PAIRED_ROUNDS = 3;

/** Energy per query of each round (its windows' joules over their queries), by round. */
export function perRoundJ(series: RoundSeries): Map<number, number> {
  const joules = new Map<number, number>();
  const queries = new Map<number, number>();
  series.perTrialRound.forEach((round, i) => {
    joules.set(round, (joules.get(round) ?? 0) + series.perTrialJ[i]! * series.perTrialQueries[i]!);
    queries.set(round, (queries.get(round) ?? 0) + series.perTrialQueries[i]!);
  });
  return new Map([...joules].map(([round, j]) => [round, j / queries.get(round)!]));
}

/**
 * a's energy per query over b's, round by round, with its 95 % interval; null where the two
 * share fewer than MIN_PAIRED_ROUNDS rounds, or a series is inconsistent (lengths differ, a
 * figure not above 0).
 */
export function pairedRatio95(a: RoundSeries, b: RoundSeries): PairedRatio | null {
  const usable = (s: RoundSeries) =>
    s.perTrialJ.length === s.perTrialQueries.length &&
    s.perTrialJ.length === s.perTrialRound.length &&
    s.perTrialJ.every((j) => Number.isFinite(j) && j > 0) &&
    s.perTrialQueries.every((q) => q > 0);
  if (!usable(a) || !usable(b)) return null;
  const [ra, rb] = [perRoundJ(a), perRoundJ(b)];
  const logs = [...ra.keys()].filter((k) => rb.has(k)).map((k) => Math.log(ra.get(k)! / rb.get(k)!));
  if (logs.length < MIN_PAIRED_ROUNDS) return null;
  const centre = mean(logs);
  const half = (studentTQuantile(0.975, logs.length - 1) * stddev(logs)) / Math.sqrt(logs.length);
  return {
    ratio: Math.exp(centre),
    low: Math.exp(centre - half),
    high: Math.exp(centre + half),
    rounds: logs.length,
  };
}
