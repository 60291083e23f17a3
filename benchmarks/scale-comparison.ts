/**
 * How the three star scales spread the AI Energy Score v1 leaderboard: stars per cohort under
 * aies, log and quantile, and how many published stars the aies scale reproduces. Prints a
 * Markdown table (docs/ratings.md quotes it).
 *
 *   npm run bench:scales
 */
import { rateCohort, starCounts } from '../src/rating/cohort.js';
import { loadReferenceCohorts } from '../src/sources/aies.js';
import { SCALE_NAMES } from '../src/rating/scales.js';

const cohorts = await loadReferenceCohorts();
const lines = [
  '| cohort | models | range (Wh/1k) | aies ★5…★1 | log ★5…★1 | quantile ★5…★1 |',
  '| --- | --- | --- | --- | --- | --- |',
];
let reproduced = 0;
let total = 0;
for (const cohort of cohorts) {
  const energies = cohort.entries.map((e) => e.energyKwhPer1k * 1000);
  const cells = SCALE_NAMES.map((scale) => {
    const counts = starCounts(rateCohort(cohort, scale));
    return [5, 4, 3, 2, 1].map((s) => counts[s as 1 | 2 | 3 | 4 | 5]).join(' / ');
  });
  const aies = rateCohort(cohort, 'aies');
  aies.forEach((r, i) => {
    total += 1;
    if (r.rating.stars === cohort.entries[i]!.publishedStars) reproduced += 1;
  });
  const name = `${cohort.task}${cohort.sizeClass ? ` ${cohort.sizeClass}` : ''}`;
  const range = `${Math.min(...energies).toPrecision(3)}–${Math.max(...energies).toPrecision(3)}`;
  lines.push(`| ${name} | ${cohort.entries.length} | ${range} | ${cells.join(' | ')} |`);
}
console.log(lines.join('\n'));
console.log(`\naies scale: ${reproduced} of ${total} published stars reproduced`);
