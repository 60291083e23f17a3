/** The rating flags `bench` and `rate` share, and the plan they make. */
import { Option, type Command } from 'commander';

import type { RatingRequest } from '../app/rating-plan.js';
import { parseScaleName, SCALE_NAMES, type ScaleName } from '../rating/scales.js';

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

/** The rating a command asked for; `within` says whether and how it rates among its own results. */
export function ratingRequest(
  flags: RatingFlags,
  within: Pick<RatingRequest, 'within' | 'withinSource' | 'withinFlag'>,
): RatingRequest {
  return { scale: flags.scale, cohortFiles: flags.cohort ?? [], reference: flags.reference, ...within };
}
