/** The rating flags `bench` and `rate` share, and the plan they make. */
import { Option, type Command } from 'commander';

import type { RatingPlan } from '../rating/assign.js';
import { loadReferenceCohorts } from '../rating/reference.js';
import { parseScaleName, SCALE_NAMES, type ScaleName } from '../rating/scales.js';
import { readRowFiles } from '../sources/files.js';

export interface RatingFlags {
  cohort?: string[];
  scale: ScaleName;
  reference: boolean;
}

export function addRatingOptions(command: Command): Command {
  return command
    .option(
      '--cohort <files...>',
      'rate against these results: result JSON, leaderboard CSVs or AI Energy Score CSVs (takes files up to the next option)',
    )
    .addOption(
      new Option('--scale <scale>', `star scale: ${SCALE_NAMES.join(', ')} (see docs/ratings.md)`)
        .default('aies')
        .argParser(parseScaleName),
    )
    .option(
      '--no-reference',
      'do not rate H100 GPU results against the shipped AI Energy Score v1 reference',
    );
}

/** Reads the --cohort files and the shipped reference into a plan. */
export async function ratingPlan(
  flags: RatingFlags,
  within: { enabled: boolean; source: string; flag: string },
): Promise<RatingPlan> {
  const files = await readRowFiles(flags.cohort ?? []);
  return {
    scale: flags.scale,
    cohortRows: files.flatMap((f) => f.rows),
    cohortSource: files.map((f) => f.file).join(', '),
    within: within.enabled,
    withinSource: within.source,
    reference: flags.reference ? await loadReferenceCohorts() : [],
    hint: `To rate it: ${within.flag} (among ${within.source}), or --cohort FILE… with results from the same hardware`,
  };
}
