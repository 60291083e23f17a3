/**
 * Merging rows from many machines into one board: one row per model and configuration on each
 * hardware (the newest run wins), stars recomputed within each cohort of the merged rows.
 */
import { starString } from '../render/stars.js';
import { formatSig } from '../render/numbers.js';
import { escapeMarkdown } from '../util/text-safety.js';
import { dedupeRows, describeCohortKey, groupByCohort, rowLabel, type EnergyRow } from '../rating/rows.js';
import { makeRater, starsWithinInterval, type ScaleName } from '../rating/scales.js';
import type { BoardRow } from './csv.js';

export interface Board {
  rows: BoardRow[];
  /** Rows dropped as older runs of a configuration already on the board. */
  duplicatesDropped: number;
  /** Each cohort in words with its size, in board order. */
  cohorts: { name: string; size: number }[];
}

export function buildBoard(input: readonly EnergyRow[], scale: ScaleName): Board {
  const { rows, dropped } = dedupeRows(input);
  const groups = groupByCohort(rows);
  const keys = [...groups.keys()].sort();
  const board: BoardRow[] = [];
  const cohorts: Board['cohorts'] = [];
  for (const key of keys) {
    const group = [...groups.get(key)!].sort(
      (a, b) => a.energyKwhPer1k - b.energyKwhPer1k || rowLabel(a).localeCompare(rowLabel(b)),
    );
    const rate = makeRater(
      group.map((r) => r.energyKwhPer1k),
      scale,
      group.map((r) => `${r.source}: ${rowLabel(r)}`),
    );
    cohorts.push({ name: describeCohortKey(group[0]!), size: group.length });
    for (const row of group) {
      const rating = rate(row.energyKwhPer1k, rowLabel(row));
      const starsWithin95 = starsWithinInterval(rate, row.energyKwhPer1k, row.ci95Relative);
      board.push({ row, rating: { ...rating, starsWithin95 }, scale, cohortSize: group.length });
    }
  }
  return { rows: board, duplicatesDropped: dropped, cohorts };
}

export function toLeaderboardMarkdown(board: Board): string {
  const lines = [
    '## energy-score leaderboard',
    '',
    '| task | hardware | model | precision | batch | Wh/1k queries | stars | cohort |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const { row, rating, cohortSize } of board.rows) {
    const energy = `${formatSig(row.energyKwhPer1k * 1000, 3)}${row.energyStatus === 'estimated' ? ' (estimated)' : ''}`;
    const stars = starString(rating.stars);
    const cells = [
      row.task,
      row.hardware,
      row.model,
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
