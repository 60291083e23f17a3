/**
 * Merging rows from many machines into one board: one row per model and configuration on each
 * hardware (the newest run wins), stars recomputed within each cohort of the merged rows.
 */
import { dedupeRows, describeCohortKey, groupByCohort, rowLabel, type EnergyRow } from '../rating/rows.js';
import {
  makeRater,
  starsWithinInterval,
  type ScaleName,
  type Stars,
  type StarRating,
} from '../rating/scales.js';

/** A row of the board: its energy row and its rating within the board's cohort. */
export interface BoardRow {
  row: EnergyRow;
  rating: StarRating & { starsWithin95: [Stars, Stars] | null };
  scale: ScaleName;
  cohortSize: number;
}

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
