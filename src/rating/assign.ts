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
import type { ConfigResult, Rating, RatingCohort, RatingUnrated, RunDocument } from '../report/result.js';
import { isH100 } from '../report/hardware.js';
import { AIES_V1_FILES, type ReferenceCohort } from './reference.js';
import {
  cohortKey,
  groupByCohort,
  dedupeRows,
  describeCohortKey,
  identityKey,
  isRow,
  rowLabel,
  rowOfResult,
  type EnergyRow,
} from './rows.js';
import { makeRater, type Rater, type ScaleName, type Stars, type StarRating } from './scales.js';

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

/**
 * Tasks whose suites run one forward pass per query where AI Energy Score measured whole
 * generations (10 new tokens, full transcriptions, captions, diffusion runs): a figure of ours is
 * a fraction of theirs, so rating it against theirs would flatter it.
 */
const ONE_PASS_TASKS: readonly string[] = [
  'summarization',
  'text-generation',
  'automatic-speech-recognition',
  'image-captioning',
  'image-generation',
];

/** Why the shipped reference does not apply to a row, or null when it does. */
function referenceMismatch(row: EnergyRow): string | null {
  if (!Object.values(AIES_V1_FILES).includes(row.task as never))
    return `the shipped reference (AI Energy Score v1) has no ${row.task} cohort`;
  if (ONE_PASS_TASKS.includes(row.task))
    return `the ${row.task} suite runs one forward pass per query where AI Energy Score measured whole generations, so the shipped reference does not compare`;
  if (row.energyBasis !== 'gpu' || !isH100(row.hardware))
    return 'the shipped reference (AI Energy Score v1) rates GPU energy measured on an NVIDIA H100';
  if (row.energyStatus !== 'measured')
    return 'the shipped reference (AI Energy Score v1) rates measured energy, not estimates';
  return null;
}

/** Sets `rating` on every item, in place. */
export function rateItems(items: readonly RatedItem[], plan: RatingPlan): void {
  const rows = items.map((item) => rowOfResult(item.result, item.document, item.source));
  const ownRows = rows.filter(isRow);
  const ownKeys = new Set(ownRows.map(identityKey));
  const pool = dedupeRows([...plan.cohortRows, ...(plan.within ? ownRows : [])]).rows;
  const groups = groupByCohort(pool);

  items.forEach((item, i) => {
    const row = rows[i]!;
    item.result.rating = isRow(row)
      ? rateRow(row, groups.get(cohortKey(row)), ownKeys, plan)
      : unrated(`not rated: ${row.reason}`);
  });
}

function rateRow(
  row: EnergyRow,
  group: readonly EnergyRow[] | undefined,
  ownKeys: ReadonlySet<string>,
  plan: RatingPlan,
): Rating {
  const base = { task: row.task, hardware: row.hardware, sizeClass: row.sizeClass };
  if (group) {
    const energies = group.map((r) => r.energyKwhPer1k);
    const rate = makeRater(energies, plan.scale, group.map(rowLabel));
    const fromFiles = group.some((r) => !ownKeys.has(identityKey(r)));
    const fromOwn = group.some((r) => ownKeys.has(identityKey(r)));
    const source = [fromOwn ? plan.withinSource : '', fromFiles ? plan.cohortSource : '']
      .filter(Boolean)
      .join(' and ');
    const cohort: RatingCohort = {
      kind: fromFiles ? 'user' : 'within-run',
      source,
      ...base,
      size: group.length,
      rangeKwhPer1k: [Math.min(...energies), Math.max(...energies)],
    };
    return rated(rate(row.energyKwhPer1k, rowLabel(row)), row, plan.scale, cohort, rate);
  }
  const mismatch = referenceMismatch(row);
  const reference =
    mismatch === null
      ? plan.reference.find(
          (c) => c.task === row.task && (row.task !== 'text-generation' || c.sizeClass === row.sizeClass),
        )
      : undefined;
  if (!reference) {
    const why = mismatch ?? `the shipped reference cohorts were not used`;
    return unrated(`no cohort for ${describeCohortKey(row)}: ${why}. ${plan.hint}`);
  }
  const energies = reference.entries.map((e) => e.energyKwhPer1k);
  const cohort: RatingCohort = {
    kind: 'reference',
    source: reference.source,
    ...base,
    hardware: reference.hardware,
    size: reference.entries.length,
    rangeKwhPer1k: [Math.min(...energies), Math.max(...energies)],
  };
  const rate = makeRater(
    energies,
    plan.scale,
    reference.entries.map((e) => `${reference.file} line ${e.line} (model '${e.model}')`),
  );
  return rated(rate(row.energyKwhPer1k, rowLabel(row)), row, plan.scale, cohort, rate);
}

/** The stars at both ends of the row's 95 % interval, fewest first; null without an interval. */
function starsWithin95(row: EnergyRow, rate: Rater): [Stars, Stars] | null {
  if (row.ci95Relative === null || !(row.ci95Relative >= 0)) return null;
  const high = row.energyKwhPer1k * (1 + row.ci95Relative);
  // The log scale takes only energies above zero; an interval reaching zero is at the best band.
  const low = Math.max(row.energyKwhPer1k * (1 - row.ci95Relative), Number.MIN_VALUE);
  return [rate(high).stars, rate(low).stars];
}

function rated(
  star: StarRating,
  row: EnergyRow,
  scale: ScaleName,
  cohort: RatingCohort,
  rate: Rater,
): Rating {
  return {
    status: 'rated',
    stars: star.stars,
    band: star.band,
    scale,
    clamped: star.clamped,
    singleton: star.singleton,
    starsWithin95: starsWithin95(row, rate),
    energyKwhPer1k: row.energyKwhPer1k,
    energyStatus: row.energyStatus,
    cohort,
  };
}
