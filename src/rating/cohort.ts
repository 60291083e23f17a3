/**
 * Cohorts: the models a result is rated among. A cohort is one task on one kind of hardware;
 * text generation is further split by model size (AI Energy Score's classes A, B, C), as a 70B
 * model and a 1B model are not rated against each other. Energies are kWh per 1,000 queries,
 * AI Energy Score's unit.
 */
import { usageError } from '../errors.js';
import type { TaskName } from '../workload/tasks.js';
import { makeRater, type ScaleName, type Stars, type StarRating } from './scales.js';

import type { SizeClass } from '../result/schema.js';

export { SIZE_CLASSES, type SizeClass } from '../result/schema.js';

/** Upper bounds of classes A and B, inclusive: A ≤ 20B parameters < B ≤ 66B parameters < C. */
export const SIZE_CLASS_A_MAX_PARAMETERS = 20e9;
export const SIZE_CLASS_B_MAX_PARAMETERS = 66e9;

export interface CohortEntry {
  model: string;
  energyKwhPer1k: number;
  /** Where the entry came from in `Cohort.file` (1-based line), for error messages. */
  line?: number;
}

export interface Cohort {
  task: TaskName;
  /** The hardware every entry was measured on, e.g. "NVIDIA H100 80GB". */
  hardware: string;
  /** Text generation only: the model-size class the cohort holds. */
  sizeClass?: SizeClass;
  entries: CohortEntry[];
  /** Provenance in words, e.g. "AI Energy Score v1 leaderboard (February 2025)". */
  source: string;
  /** The file the entries were read from, when there is one. */
  file?: string;
}

export interface RatedEntry {
  model: string;
  energyKwhPer1k: number;
  rating: StarRating;
}

/**
 * AI Energy Score's text-generation class for a parameter count: A up to and including 20B,
 * B above 20B up to and including 66B, C above 66B.
 */
export function sizeClassForParameters(parameters: number): SizeClass {
  if (!Number.isFinite(parameters) || parameters <= 0) {
    throw usageError(`parameter count must be a positive number, got ${parameters}`);
  }
  if (parameters <= SIZE_CLASS_A_MAX_PARAMETERS) return 'A';
  if (parameters <= SIZE_CLASS_B_MAX_PARAMETERS) return 'B';
  return 'C';
}

/** "file line N (model m)", or as much of it as is known. */
export function describeEntry(cohort: Pick<Cohort, 'file' | 'source'>, entry: Partial<CohortEntry>): string {
  const where = cohort.file ?? cohort.source;
  const line = entry.line !== undefined ? ` line ${entry.line}` : '';
  const model = entry.model !== undefined ? ` (model '${entry.model}')` : '';
  return `${where}${line}${model}`;
}

/**
 * An energy in kWh per 1,000 queries: a finite number, zero or more. Accepts a number, or text
 * that is wholly a decimal number (scientific notation included: "5.54E-05"); throws a usage error
 * naming `where` otherwise (empty text, "n/a", NaN, Infinity, negative).
 */
export function checkEnergyKwhPer1k(value: unknown, where: string): number {
  let n: number;
  if (typeof value === 'number') {
    n = value;
  } else if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) {
    n = Number(value);
  } else {
    throw usageError(
      `${where}: energy is not a number: ${typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
    );
  }
  if (!Number.isFinite(n)) throw usageError(`${where}: energy is not a finite number: ${n}`);
  if (n < 0) throw usageError(`${where}: energy cannot be negative: ${n}`);
  return n;
}

/** Check every entry of a cohort; throws a usage error naming the first bad one. */
export function validateCohort(cohort: Cohort): void {
  if (cohort.entries.length === 0)
    throw usageError(`${cohort.file ?? cohort.source}: the cohort has no models`);
  for (const entry of cohort.entries) {
    const energy: unknown = entry.energyKwhPer1k;
    const where = describeEntry(cohort, entry);
    // Entries may come from JSON: text is not accepted here, only numbers.
    if (typeof energy !== 'number')
      throw usageError(`${where}: energy is not a number: ${JSON.stringify(energy)}`);
    checkEnergyKwhPer1k(energy, where);
  }
}

function raterFor(cohort: Cohort, scale: ScaleName): (value: number, name?: string) => StarRating {
  validateCohort(cohort);
  return makeRater(
    cohort.entries.map((e) => e.energyKwhPer1k),
    scale,
    cohort.entries.map((e) => describeEntry(cohort, e)),
  );
}

/** Rate a new result (kWh per 1,000 queries) against a cohort; outside its range it is clamped and flagged. */
export function rateAgainst(cohort: Cohort, energyKwhPer1k: number, scale: ScaleName): StarRating {
  const energy: unknown = energyKwhPer1k;
  if (typeof energy !== 'number')
    throw usageError(`rated result: energy is not a number: ${JSON.stringify(energy)}`);
  const rate = raterFor(cohort, scale);
  return rate(checkEnergyKwhPer1k(energy, 'rated result'), 'rated result');
}

/** Rate every entry of a cohort within it, in the cohort's order. */
export function rateCohort(cohort: Cohort, scale: ScaleName): RatedEntry[] {
  const rate = raterFor(cohort, scale);
  return cohort.entries.map((e) => ({
    model: e.model,
    energyKwhPer1k: e.energyKwhPer1k,
    rating: rate(e.energyKwhPer1k, describeEntry(cohort, e)),
  }));
}

/** How many entries got each number of stars. */
export function starCounts(ratings: readonly { rating: StarRating }[]): Record<Stars, number> {
  const counts: Record<Stars, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 0 };
  for (const r of ratings) counts[r.rating.stars] += 1;
  return counts;
}
