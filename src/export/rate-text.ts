/** The text report of `energy-score rate`: each file's configurations with their energy and stars. */
import { ratingCell } from './table.js';
import type { RunDocument } from '../result/schema.js';
import { ratingCaveats } from '../render/flatten.js';
import { formatSig } from '../render/numbers.js';
import { displayName, printable } from '../util/text-safety.js';

export function renderRateText(documents: readonly { file: string; document: RunDocument }[]): string {
  const lines: string[] = [];
  for (const { file, document } of documents) {
    lines.push(printable(file));
    for (const result of document.results) {
      const energy =
        result.energy.status === 'not-measured'
          ? 'energy not measured'
          : `${formatSig(result.energy.whPer1k, 3)} Wh/1k${result.energy.status === 'estimated' ? ' (est.)' : ''}`;
      const r = result.rating;
      const detail =
        r.status === 'rated'
          ? [
              `${r.scale} scale`,
              r.cohort.kind === 'reference'
                ? r.cohort.source
                : `${r.cohort.size} in cohort (${r.cohort.source})`,
              ratingCaveats(r),
            ]
              .filter(Boolean)
              .join(', ')
          : r.reason;
      lines.push(`  ${displayName(result.id)}  ${energy}  ${ratingCell(result)}  ${printable(detail)}`);
    }
  }
  return lines.map((l) => `${l}\n`).join('');
}
