/**
 * The leaderboard's columns: AI Energy Score's first (`model,total_gpu_energy,energy_score`, kWh
 * per 1,000 queries, 1–5 stars), then ours; export/leaderboard.ts writes them and
 * sources/leaderboard-csv.ts reads them back.
 *
 * `total_gpu_energy` holds GPU energy only: a CPU configuration (energy_basis cpu+dram) leaves it
 * empty and its energy is in `energy_kwh_per_1k`, which every row has.
 */
export const LEADERBOARD_COLUMNS = [
  'model',
  'total_gpu_energy',
  'energy_score',
  'task',
  'hardware',
  'device',
  'precision',
  'batch_size',
  'threads',
  'energy_kwh_per_1k',
  'wh_per_1k',
  'energy_method',
  'energy_basis',
  'protocol',
  'size_class',
  'j_per_query',
  'ci95_relative',
  'model_band_relative',
  'throughput_qps',
  'latency_p50_ms_per_query',
  'parameters',
  'sha256',
  'rating_scale',
  'cohort_size',
  'rating_note',
  'created_at',
  'tool_version',
  'source',
] as const;

export type LeaderboardColumn = (typeof LEADERBOARD_COLUMNS)[number];

/** Columns a board written by an older version lacks: read as empty. */
export const OPTIONAL_LEADERBOARD_COLUMNS: readonly LeaderboardColumn[] = ['model_band_relative', 'threads'];
