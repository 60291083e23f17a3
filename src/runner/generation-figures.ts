/**
 * The `generation` block of a result, from the generate trials (the headline) and the
 * prefill-only trials: energy per token over the whole generation, prefill energy per query,
 * decode energy per token as generate − prefill over the tokens after the first (as
 * optimum-benchmark's energy_star scenario splits it), tokens per second and token latencies.
 */
import type { EnergyMeasured, EnergyNotMeasured, GenerationFigures } from '../result/schema.js';
import { quantiles, type GenerationWorkload } from './generation-workload.js';
import type { TrialsOutcome } from './trials.js';

type Energy = EnergyMeasured | EnergyNotMeasured;

const measuredJ = (energy: Energy | null) => (energy && energy.status !== 'not-measured' ? energy : null);

export interface DecodeSplit {
  perTokenJ: number | null;
  ci95PerTokenJ: number | null;
  /** Why there is no decode figure although both passes were measured. */
  warning?: string;
}

/**
 * Decode energy per token = (generate − prefill) per query ÷ (budget − 1); its interval adds
 * the two passes' intervals in quadrature (their trials are independent windows).
 */
export function decodeSplit(
  generate: { perQueryJ: number; ci95PerQueryJ: number | null } | null,
  prefill: { perQueryJ: number; ci95PerQueryJ: number | null } | null,
  maxNewTokens: number,
): DecodeSplit {
  if (!generate || !prefill || maxNewTokens < 2) return { perTokenJ: null, ci95PerTokenJ: null };
  const decodeTokens = maxNewTokens - 1;
  const difference = generate.perQueryJ - prefill.perQueryJ;
  if (!(difference > 0)) {
    return {
      perTokenJ: null,
      ci95PerTokenJ: null,
      warning: `decode energy is not above the prefill's (generate ${generate.perQueryJ.toPrecision(3)} J/query, prefill ${prefill.perQueryJ.toPrecision(3)} J/query): the difference is within the noise; try a larger --max-new-tokens or more --queries`,
    };
  }
  const ci =
    generate.ci95PerQueryJ !== null && prefill.ci95PerQueryJ !== null
      ? Math.hypot(generate.ci95PerQueryJ, prefill.ci95PerQueryJ) / decodeTokens
      : null;
  return { perTokenJ: difference / decodeTokens, ci95PerTokenJ: ci };
}

export function generationFigures(
  workload: GenerationWorkload,
  energy: Energy,
  prefillEnergy: Energy | null,
  outcome: Pick<TrialsOutcome, 'queries' | 'seconds'>,
  prefill: Pick<TrialsOutcome, 'trials' | 'latenciesMs' | 'batchQueries'>,
): { figures: GenerationFigures; warning?: string } {
  const layout = workload.layout;
  const budget = workload.maxNewTokens;
  const generate = measuredJ(energy);
  const prefillMeasured = measuredJ(prefillEnergy);
  const split = decodeSplit(generate, prefillMeasured, budget);
  const energyStatus: GenerationFigures['energyStatus'] = !generate
    ? 'not-measured'
    : generate.status === 'estimated' || prefillMeasured?.status === 'estimated'
      ? 'estimated'
      : 'measured';
  const prefillQueries = prefill.batchQueries.reduce((a, b) => a + b, 0);
  const prefillMs = prefill.latenciesMs.reduce((a, b) => a + b, 0);
  const ttft = quantiles(workload.times.firstTokenMs);
  const figures: GenerationFigures = {
    layout: layout.kind,
    layoutDescription: layout.description,
    cached: layout.kind !== 'no-cache',
    newTokensPerQuery: budget,
    promptTokensPerQueryMean: workload.promptTokensPerQueryMean,
    contextTokens: layout.contextTokens,
    contextSource: layout.contextSource,
    promptsClipped: workload.promptsClipped,
    energyStatus,
    perTokenJ: generate ? generate.perQueryJ / budget : null,
    ci95PerTokenJ: generate?.ci95PerQueryJ != null ? generate.ci95PerQueryJ / budget : null,
    prefill: {
      perQueryJ: prefillMeasured?.perQueryJ ?? null,
      ci95PerQueryJ: prefillMeasured?.ci95PerQueryJ ?? null,
      trials: prefill.trials.length,
      latencyPerQueryMs: prefillQueries > 0 ? prefillMs / prefillQueries : null,
    },
    decode: { perTokenJ: split.perTokenJ, ci95PerTokenJ: split.ci95PerTokenJ, tokensPerQuery: budget - 1 },
    tokensPerSecond: outcome.seconds > 0 ? (outcome.queries * budget) / outcome.seconds : 0,
    timeToFirstTokenMs: ttft ?? { p50: 0, p95: 0 },
    interTokenLatencyMs: budget > 1 ? quantiles(workload.times.interTokenMs) : null,
    assumptions: layout.assumptions,
  };
  return split.warning ? { figures, warning: split.warning } : { figures };
}
