/**
 * The leaderboard as CSV and Markdown. Numbers are written in full (String(n)) so a file read
 * back gives the same rows, and merging a leaderboard with its own inputs changes nothing.
 */
import { stringify } from 'csv-stringify/sync';

import { LEADERBOARD_COLUMNS, type LeaderboardColumn } from '../leaderboard/columns.js';
import type { Board, BoardRow } from '../leaderboard/merge.js';
import { formatSig } from '../render/numbers.js';
import { ratingCaveats } from '../render/flatten.js';
import { starString } from '../render/stars.js';
import { defuseFormula, displayName, escapeMarkdown } from '../util/text-safety.js';

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
    threads: r.threads ?? null,
    energy_kwh_per_1k: r.energyKwhPer1k,
    // Derived for people; 12 digits hide the float noise of the conversion (0.21602200000000002).
    wh_per_1k: Number((r.energyKwhPer1k * 1000).toPrecision(12)),
    energy_method: r.energyStatus,
    energy_basis: r.energyBasis,
    protocol: r.protocol,
    size_class: r.sizeClass,
    j_per_query: r.perQueryJ,
    ci95_relative: r.ci95Relative,
    model_band_relative: r.modelBandRelative ?? null,
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

export function toLeaderboardMarkdown(board: Board): string {
  const lines = [
    '## energy-score leaderboard',
    '',
    '| task | hardware | model | precision | batch | Wh/1k queries | stars | cohort |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { row, rating, cohortSize } of board.rows) {
    const band = row.modelBandRelative;
    const estimated =
      row.energyStatus !== 'estimated'
        ? ''
        : band === null || band === undefined
          ? ' (estimated)'
          : ` (estimated, ±${Math.round(band * 100)} % model)`;
    const energy = `${formatSig(row.energyKwhPer1k * 1000, 3)}${estimated}`;
    const stars = starString(rating.stars);
    const cells = [
      row.task,
      row.hardware,
      displayName(row.model),
      row.precision || '–',
      row.batchSize === null ? '–' : String(row.batchSize),
      energy,
      stars,
      cohortSize === 1 ? '1 (alone)' : String(cohortSize),
    ];
    lines.push(`| ${cells.map(escapeMarkdown).join(' | ')} |`);
  }
  const scale = board.rows[0]?.scale ?? 'aies';
  lines.push(
    '',
    `Stars on the \`${scale}\` scale within each cohort (one task on one hardware, same energy basis and method). ` +
      `Energy is AI Energy Score's unit, Wh per 1,000 queries; estimated energy is marked.`,
  );
  if (board.duplicatesDropped > 0)
    lines.push(
      '',
      `${board.duplicatesDropped} other run(s) of configurations already listed (older, or the same run given twice) were left out.`,
    );
  return lines.join('\n') + '\n';
}
