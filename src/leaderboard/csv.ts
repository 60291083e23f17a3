/**
 * The leaderboard CSV: AI Energy Score's columns first (`model,total_gpu_energy,energy_score`, kWh
 * per 1,000 queries, 1–5 stars), then ours. Numbers are written in full (String(n)) so a file read
 * back gives the same rows, and merging a leaderboard with its own inputs changes nothing.
 *
 * `total_gpu_energy` holds GPU energy only: a CPU configuration (energy_basis cpu+dram) leaves it
 * empty and its energy is in `energy_kwh_per_1k`, which every row has.
 */
import { stringify } from 'csv-stringify/sync';

import type { EnergyRow } from '../rating/rows.js';
import type { ScaleName, Stars, StarRating } from '../rating/scales.js';
import { ratingCaveats } from '../render/flatten.js';
import { defuseFormula } from '../util/text-safety.js';

export const LEADERBOARD_COLUMNS = [
  'model',
  'total_gpu_energy',
  'energy_score',
  'task',
  'hardware',
  'device',
  'precision',
  'batch_size',
  'energy_kwh_per_1k',
  'wh_per_1k',
  'energy_method',
  'energy_basis',
  'protocol',
  'size_class',
  'j_per_query',
  'ci95_relative',
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

/** A row of the board: its energy row and its rating within the board's cohort. */
export interface BoardRow {
  row: EnergyRow;
  rating: StarRating & { starsWithin95: [Stars, Stars] | null };
  scale: ScaleName;
  cohortSize: number;
}

function cells(board: BoardRow): Record<LeaderboardColumn, string | number | null> {
  const r = board.row;
  return {
    model: r.model,
    total_gpu_energy: r.energyBasis === 'gpu' ? r.energyKwhPer1k : null,
    energy_score: board.rating.stars,
    task: r.task,
    hardware: r.hardware,
    device: r.device,
    precision: r.precision,
    batch_size: r.batchSize,
    energy_kwh_per_1k: r.energyKwhPer1k,
    // Derived for people; 12 digits hide the float noise of the conversion (0.21602200000000002).
    wh_per_1k: Number((r.energyKwhPer1k * 1000).toPrecision(12)),
    energy_method: r.energyStatus,
    energy_basis: r.energyBasis,
    protocol: r.protocol,
    size_class: r.sizeClass,
    j_per_query: r.perQueryJ,
    ci95_relative: r.ci95Relative,
    throughput_qps: r.throughputQps,
    latency_p50_ms_per_query: r.latencyP50MsPerQuery,
    parameters: r.parameters,
    sha256: r.sha256,
    rating_scale: board.scale,
    cohort_size: board.cohortSize,
    rating_note: ratingCaveats(board.rating),
    created_at: r.createdAt,
    tool_version: r.toolVersion,
    source: r.source,
  };
}

export function toLeaderboardCsv(rows: readonly BoardRow[]): string {
  const records = rows.map((board) => {
    const c = cells(board);
    return LEADERBOARD_COLUMNS.map((name) => {
      const value = c[name];
      return typeof value === 'string' ? defuseFormula(value) : value;
    });
  });
  return stringify(records, {
    header: true,
    columns: [...LEADERBOARD_COLUMNS],
    cast: { number: (n) => String(n) },
  });
}
