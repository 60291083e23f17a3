/** One flat row per configuration: the shape shared by CSV and Markdown. */
import type { ConfigResult, RatingRated, Stars } from '../result/schema.js';

export interface FlatRow {
  id: string;
  status: string;
  model: string;
  model_sha256: string;
  task: string;
  device: string;
  precision: string;
  /** The converter's recipe where the tool made this variant from the fp32 file; '' otherwise. */
  conversion_recipe: string;
  batch_size: number;
  queries: number;
  latency_mean_ms: number | null;
  latency_p50_ms: number | null;
  latency_p95_ms: number | null;
  latency_p99_ms: number | null;
  latency_per_query_p50_ms: number | null;
  throughput_qps: number | null;
  session_load_ms: number | null;
  peak_rss_mb: number | null;
  energy_status: string;
  energy_per_query_j: number | null;
  energy_wh_per_1k: number | null;
  queries_per_j: number | null;
  energy_ci95_relative: number | null;
  /** Estimated rows: the power model's held-out mean abs error (a fraction) and its method. */
  energy_model_band_relative: number | null;
  energy_model_method: string;
  /** Other processes' CPU use during the trials, the highest, in cores. */
  other_cpu_max_cores: number | null;
  energy_net_per_query_j: number | null;
  gpu_j_per_query: number | null;
  cpu_j_per_query: number | null;
  dram_j_per_query: number | null;
  energy_meters: string;
  energy_warnings: string;
  rating_status: string;
  stars: Stars | null;
  rating_scale: string;
  rating_cohort: string;
  rating_note: string;
  reason: string;
  warnings: string;
  /** Generative configurations only (empty otherwise): the budget and the per-token figures. */
  max_new_tokens: number | null;
  prompt_tokens_mean: number | null;
  generation_layout: string;
  energy_per_token_j: number | null;
  prefill_per_query_j: number | null;
  decode_per_token_j: number | null;
  tokens_per_s: number | null;
  ttft_p50_ms: number | null;
  ttft_p95_ms: number | null;
  itl_p50_ms: number | null;
  itl_p95_ms: number | null;
  /** The headline fidelity figure against the reference (empty for the reference and where not compared). */
  fidelity_metric: string;
  fidelity_value: number | null;
  fidelity_threshold: number | null;
  /** `true` or `false`; empty where not compared. */
  fidelity_pass: string;
  /** The reference configuration's id. */
  fidelity_reference: string;
  /** `same-model`, or `other-model`: agreement with another model (--reference), not accuracy. */
  fidelity_relation: string;
}

const round = (value: number | null | undefined, digits: number): number | null =>
  value === null || value === undefined ? null : Number(value.toFixed(digits));

export function flatten(result: ConfigResult): FlatRow {
  const measured = result.energy.status === 'not-measured' ? undefined : result.energy;
  const g = result.generation;
  const f = result.fidelity;
  return {
    id: result.id,
    status: result.status,
    model: result.model.name,
    model_sha256: result.model.sha256 ?? '',
    task: result.task,
    device: result.device,
    precision: result.precision,
    conversion_recipe: result.conversion?.recipe ?? '',
    batch_size: result.batchSize,
    queries: result.queries,
    latency_mean_ms: round(result.latencyMs?.mean, 6),
    latency_p50_ms: round(result.latencyMs?.p50, 6),
    latency_p95_ms: round(result.latencyMs?.p95, 6),
    latency_p99_ms: round(result.latencyMs?.p99, 6),
    latency_per_query_p50_ms: round(result.latencyPerQueryMs?.p50, 6),
    throughput_qps: round(result.throughputQps, 3),
    session_load_ms: round(result.sessionLoadMs, 1),
    peak_rss_mb: result.peakRssMB,
    energy_status: result.energy.status,
    energy_per_query_j: result.energy.perQueryJ,
    energy_wh_per_1k: result.energy.whPer1k,
    queries_per_j: result.energy.queriesPerJ,
    energy_ci95_relative: measured ? round(measured.ci95Relative, 6) : null,
    energy_model_band_relative: measured?.modelBand ? measured.modelBand.relative : null,
    energy_model_method: measured?.modelBand ? measured.modelBand.method : '',
    other_cpu_max_cores: measured?.otherCpu ? round(measured.otherCpu.maxCores, 3) : null,
    energy_net_per_query_j: measured ? measured.net.perQueryJ : null,
    gpu_j_per_query: measured?.domains.gpu?.perQueryJ ?? null,
    cpu_j_per_query: measured?.domains.cpu?.perQueryJ ?? null,
    dram_j_per_query: measured?.domains.dram?.perQueryJ ?? null,
    energy_meters: measured ? measured.meters.map((m) => `${m.name}:${m.domain}:${m.method}`).join(' ') : '',
    energy_warnings: measured ? measured.warnings.join(' | ') : '',
    rating_status: result.rating.status,
    stars: result.rating.stars,
    rating_scale: result.rating.scale ?? '',
    rating_cohort:
      result.rating.status === 'rated' ? `${result.rating.cohort.source} (${result.rating.cohort.size})` : '',
    rating_note: result.rating.status === 'rated' ? ratingCaveats(result.rating) : result.rating.reason,
    reason: result.reason ?? '',
    warnings: result.warnings.join(' | '),
    max_new_tokens: g?.newTokensPerQuery ?? null,
    prompt_tokens_mean: round(g?.promptTokensPerQueryMean, 3),
    generation_layout: g?.layout ?? '',
    energy_per_token_j: g?.perTokenJ ?? null,
    prefill_per_query_j: g?.prefill.perQueryJ ?? null,
    decode_per_token_j: g?.decode.perTokenJ ?? null,
    tokens_per_s: round(g?.tokensPerSecond, 3),
    ttft_p50_ms: round(g?.timeToFirstTokenMs.p50, 6),
    ttft_p95_ms: round(g?.timeToFirstTokenMs.p95, 6),
    itl_p50_ms: round(g?.interTokenLatencyMs?.p50, 6),
    itl_p95_ms: round(g?.interTokenLatencyMs?.p95, 6),
    fidelity_metric: f?.metric ?? '',
    fidelity_value: f?.value ?? null,
    fidelity_threshold: f?.threshold ?? null,
    fidelity_pass: f ? String(f.pass) : '',
    fidelity_reference: f?.reference ?? '',
    fidelity_relation: f?.relation ?? '',
  };
}

/** Column order of CSV and Markdown exports. */
export const FLAT_COLUMNS: readonly (keyof FlatRow)[] = [
  'id',
  'status',
  'model',
  'model_sha256',
  'task',
  'device',
  'precision',
  'batch_size',
  'queries',
  'latency_mean_ms',
  'latency_p50_ms',
  'latency_p95_ms',
  'latency_p99_ms',
  'latency_per_query_p50_ms',
  'throughput_qps',
  'session_load_ms',
  'peak_rss_mb',
  'energy_status',
  'energy_per_query_j',
  'energy_wh_per_1k',
  'queries_per_j',
  'energy_ci95_relative',
  'energy_model_band_relative',
  'energy_model_method',
  'other_cpu_max_cores',
  'energy_net_per_query_j',
  'gpu_j_per_query',
  'cpu_j_per_query',
  'dram_j_per_query',
  'energy_meters',
  'energy_warnings',
  'rating_status',
  'stars',
  'rating_scale',
  'rating_cohort',
  'rating_note',
  'reason',
  'warnings',
  'max_new_tokens',
  'prompt_tokens_mean',
  'generation_layout',
  'energy_per_token_j',
  'prefill_per_query_j',
  'decode_per_token_j',
  'tokens_per_s',
  'ttft_p50_ms',
  'ttft_p95_ms',
  'itl_p50_ms',
  'itl_p95_ms',
  'fidelity_metric',
  'fidelity_value',
  'fidelity_threshold',
  'fidelity_pass',
  'fidelity_reference',
  'fidelity_relation',
  'conversion_recipe',
];

/** What qualifies a star rating: outside the cohort's range, or a cohort of one. */
export function ratingCaveats(rating: Pick<RatingRated, 'clamped' | 'singleton' | 'starsWithin95'>): string {
  const notes: string[] = [];
  if (rating.clamped) notes.push(`${rating.clamped} the cohort's range: put in the nearest band`);
  if (rating.singleton) notes.push('alone in its cohort: a rating against nobody else');
  const range = rating.starsWithin95;
  if (range && range[0] !== range[1])
    notes.push(`the energy's 95 % interval spans ${range[0]} to ${range[1]} stars`);
  return notes.join('; ');
}
