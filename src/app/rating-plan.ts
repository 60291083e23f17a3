/** Turning a rating request into a plan: the --cohort files read and the shipped reference loaded. */
import type { RatingPlan } from '../rating/assign.js';
import type { ScaleName } from '../rating/scales.js';
import { loadReferenceCohorts } from '../sources/aies.js';
import { readRowFiles } from '../sources/files.js';

export interface RatingRequest {
  scale: ScaleName;
  /** Result JSON, leaderboard CSVs or AI Energy Score CSVs to rate against. */
  cohortFiles: readonly string[];
  /** Rate against the shipped AI Energy Score v1 reference where it applies. */
  reference: boolean;
  /** Rate the results among themselves as well. */
  within: boolean;
  /** What `within` covers, in words ("this run", "the results given"). */
  withinSource: string;
  /** The flag that asks for `within`, for the unrated's hint. */
  withinFlag: string;
}

/** Reads the cohort files and the shipped reference; a bad file fails here, before any work. */
export async function ratingPlan(request: RatingRequest): Promise<RatingPlan> {
  const files = await readRowFiles(request.cohortFiles);
  return {
    scale: request.scale,
    cohortRows: files.flatMap((f) => f.rows),
    cohortSource: files.map((f) => f.file).join(', '),
    within: request.within,
    withinSource: request.withinSource,
    reference: request.reference ? await loadReferenceCohorts() : [],
    hint: `To rate it: ${request.withinFlag} (among ${request.withinSource}), or --cohort FILE… with results from the same hardware`,
  };
}
