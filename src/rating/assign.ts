/**
 * Giving configurations their ratings. Each configuration is rated among its cohort (same task,
 * hardware, energy basis and method; see rows.ts), taken from, in order:
 *
 * 1. the rows of --cohort files and, when asked, the results being rated themselves (one pool,
 *    de-duplicated: the newest run of a configuration counts once);
 * 2. the shipped reference (AI Energy Score v1), for measured GPU energy on an H100;
 *
 * and otherwise is left unrated, with a reason that says how to get a rating. Never a made-up star.
 */
import type { ConfigResult, Rating, RatingCohort, RatingUnrated, RunDocument } from '../result/schema.js';
import { isSingleH100 } from '../result/hardware.js';
import { AIES_V1_FILES, type ReferenceCohort } from './reference.js';
import {
  cohortKey,
  groupByCohort,
  dedupeRows,
  describeCohortKey,
  isRow,
  ONE_PASS_TASKS,
  AIES_GENERATION_TOKENS,
  comparableProtocol,
  rowLabel,
  rowOfResult,
  type EnergyRow,
} from './rows.js';
import { makeRater, starsWithinInterval, type Rater, type ScaleName } from './scales.js';

export interface RatingPlan {
  scale: ScaleName;
  /** Rows read from --cohort files. */
  cohortRows: readonly EnergyRow[];
  /** The --cohort files in words, for the rating's provenance. */
  cohortSource: string;
  /** Rate the given results among themselves as well (bench --rate-within-run, rate --within). */
  within: boolean;
  /** What `within` covers, in words: "this run", "the results given". */
  withinSource: string;
  /** The shipped reference cohorts; empty to rate without them. */
  reference: readonly ReferenceCohort[];
  /** How to get a rating, for the unrated: the flags of the command at hand. */
  hint: string;
}

export interface RatedItem {
  result: ConfigResult;
  document: RunDocument;
  /** The file the document came from, or "this run". */
  source: string;
}

function unrated(reason: string): RatingUnrated {
  return { status: 'unrated', reason, stars: null, scale: null };
}

/** Why the shipped reference does not apply to a row, or null when it does. */
function referenceMismatch(row: EnergyRow): string | null {
  if (!Object.values(AIES_V1_FILES).includes(row.task as never))
    return `the shipped reference (AI Energy Score v1) has no ${row.task} cohort`;
  const generation = row.protocol.startsWith('generation-');
  if (
    ONE_PASS_TASKS.includes(row.task) &&
    (comparableProtocol(row) !== 'ai-energy-score' || (generation && row.batchSize !== 1))
  ) {
    if (row.protocol === 'energy-score')
      return `the ${row.task} suite runs one forward pass per query where AI Energy Score measured whole generations, so the shipped reference does not compare`;
    if (row.task !== 'text-generation')
      return `the shipped reference (AI Energy Score v1) compares generations in text generation only; a ${row.task} generation is rated within a run or against --cohort files`;
    return `the shipped reference (AI Energy Score v1) rates text generation at ${AIES_GENERATION_TOKENS} new tokens per query, batch 1, with a KV cache: run --max-new-tokens ${AIES_GENERATION_TOKENS} --batch 1 to compare with it`;
  }
  if (row.energyBasis !== 'gpu' || !isSingleH100(row.hardware))
    return 'the shipped reference (AI Energy Score v1) rates GPU energy measured on one NVIDIA H100';
  if (row.energyStatus !== 'measured')
    return 'the shipped reference (AI Energy Score v1) rates measured energy, not estimates';
  return null;
}

/** A cohort ready to rate against: its rater is built (validated and sorted) once. */
interface PreparedCohort {
  rate: Rater;
  size: number;
  rangeKwhPer1k: [number, number];
  kind: RatingCohort['kind'];
  source: string;
  hardware: string | null;
}

function prepare(
  energies: readonly number[],
  names: readonly string[],
  scale: ScaleName,
  described: Pick<PreparedCohort, 'kind' | 'source' | 'hardware'>,
): PreparedCohort {
  let lo = Infinity;
  let hi = -Infinity;
  // A loop, not Math.min(...): a cohort can hold more values than the stack takes arguments.
  for (const e of energies) {
    if (e < lo) lo = e;
    if (e > hi) hi = e;
  }
  return {
    rate: makeRater(energies, scale, names),
    size: energies.length,
    rangeKwhPer1k: [lo, hi],
    ...described,
  };
}

/** Sets `rating` on every item, in place. */
export function rateItems(items: readonly RatedItem[], plan: RatingPlan): void {
  const rows = items.map((item) => rowOfResult(item.result, item.document, item.source));
  const ownRows = rows.filter(isRow);
  // Where each pooled row came from is known by the row itself, not by what it measured: an
  // older run of the same configuration in a --cohort file is the file's, not this run's.
  const own = new Set<EnergyRow>(plan.within ? ownRows : []);
  const pool = dedupeRows([...plan.cohortRows, ...own]).rows;
  const cohorts = new Map<string, PreparedCohort>();
  for (const [key, group] of groupByCohort(pool)) {
    const fromOwn = group.some((r) => own.has(r));
    const fromFiles = group.some((r) => !own.has(r));
    cohorts.set(
      key,
      prepare(
        group.map((r) => r.energyKwhPer1k),
        group.map(rowLabel),
        plan.scale,
        {
          kind: fromFiles ? 'user' : 'within-run',
          source: [fromOwn ? plan.withinSource : '', fromFiles ? plan.cohortSource : '']
            .filter(Boolean)
            .join(' and '),
          hardware: null,
        },
      ),
    );
  }
  const references = new Map<string, PreparedCohort>();
  // Text generation is rated within its size class, so its reference is that class's cohort.
  const referenceFor = (task: string, sizeClass: EnergyRow['sizeClass']): PreparedCohort | undefined => {
    const key = `${task}|${sizeClass ?? ''}`;
    const found = references.get(key);
    if (found) return found;
    const reference = plan.reference.find((c) => c.task === task && (c.sizeClass ?? null) === sizeClass);
    if (!reference) return undefined;
    const prepared = prepare(
      reference.entries.map((e) => e.energyKwhPer1k),
      reference.entries.map((e) => `${reference.file} line ${e.line} (model '${e.model}')`),
      plan.scale,
      { kind: 'reference', source: reference.source, hardware: reference.hardware },
    );
    references.set(key, prepared);
    return prepared;
  };

  items.forEach((item, i) => {
    const row = rows[i]!;
    if (!isRow(row)) {
      item.result.rating = unrated(`not rated: ${row.reason}`);
      return;
    }
    const mismatch = referenceMismatch(row);
    const cohort =
      cohorts.get(cohortKey(row)) ?? (mismatch === null ? referenceFor(row.task, row.sizeClass) : undefined);
    if (!cohort) {
      const why = mismatch ?? 'the shipped reference cohorts were not used';
      item.result.rating = unrated(`no cohort for ${describeCohortKey(row)}: ${why}. ${plan.hint}`);
      return;
    }
    item.result.rating = rated(row, plan.scale, cohort);
  });
}

function rated(row: EnergyRow, scale: ScaleName, cohort: PreparedCohort): Rating {
  const star = cohort.rate(row.energyKwhPer1k, rowLabel(row));
  return {
    status: 'rated',
    stars: star.stars,
    band: star.band,
    scale,
    clamped: star.clamped,
    singleton: star.singleton,
    starsWithin95: starsWithinInterval(cohort.rate, row.energyKwhPer1k, row.ci95Relative),
    energyKwhPer1k: row.energyKwhPer1k,
    energyStatus: row.energyStatus,
    cohort: {
      kind: cohort.kind,
      source: cohort.source,
      task: row.task,
      hardware: cohort.hardware ?? row.hardware,
      sizeClass: row.sizeClass,
      size: cohort.size,
      rangeKwhPer1k: cohort.rangeKwhPer1k,
    },
  };
}
