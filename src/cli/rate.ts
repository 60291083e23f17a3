/** `energy-score rate`: re-rate stored results against cohorts, or among themselves. */
import type { Command } from 'commander';

import { rateItems, type RatedItem } from '../rating/assign.js';
import { readRunDocument } from '../result/read.js';
import { toJson } from '../export/formats.js';
import { ratingCell } from '../export/table.js';
import { ratingCaveats } from '../render/flatten.js';
import { printable } from '../util/text-safety.js';
import { formatSig } from '../render/numbers.js';
import type { RunDocument } from '../result/schema.js';
import { usageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { addRatingOptions, ratingPlan, type RatingFlags } from './rating-options.js';

interface RateFlags extends RatingFlags {
  within?: boolean;
  inPlace?: boolean;
  json?: string;
}

export function registerRate(program: Command): void {
  const command = program
    .command('rate')
    .description('rate stored results: against cohorts, the shipped reference, or among themselves')
    .argument('<results...>', 'result documents written by bench --json')
    .option('--within', 'rate the given results among themselves as cohorts')
    .option('--in-place', 'write the new ratings back into each result file (atomically)')
    .option('--json <file|->', 'write the rated document as JSON (one result file only)');
  addRatingOptions(command).addHelpText(
    'after',
    `
Examples:
  energy-score rate result.json                            one H100: against AI Energy Score v1 (five tasks)
  energy-score rate laptop.json --cohort old/*.json        against earlier results from this CPU
  energy-score rate runs/*.json --within --scale quantile  among themselves, quintiles
  energy-score rate result.json --cohort board.csv --in-place

A configuration is rated among its cohort: one task on one hardware, the same energy basis
(GPU, or CPU+DRAM) and method (measured or estimated). Where none fits it stays unrated and
says why; a star is never made up.`,
  );
  command.action(async (files: string[], flags: RateFlags) => {
    await rate(files, flags);
  });
}

async function rate(files: string[], flags: RateFlags): Promise<void> {
  if (flags.json && files.length > 1)
    throw usageError(
      '--json writes one result document, and several were given',
      'rate them one at a time with --json, or write each back with --in-place',
    );
  const documents: { file: string; document: RunDocument }[] = [];
  for (const file of files) documents.push({ file, document: await readRunDocument(file) });
  const plan = await ratingPlan(flags, {
    enabled: Boolean(flags.within),
    source: 'the results given',
    flag: '--within',
  });
  const items: RatedItem[] = documents.flatMap(({ file, document }) =>
    document.results.map((result) => ({ result, document, source: file })),
  );
  if (items.length === 0) throw usageError(`${files.join(', ')}: no configurations to rate`);
  rateItems(items, plan);

  const out = flags.json === '-' ? process.stderr : process.stdout;
  for (const { file, document } of documents) {
    out.write(`${printable(file)}\n`);
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
      out.write(`  ${printable(result.id)}  ${energy}  ${ratingCell(result)}  ${detail}\n`);
    }
  }
  if (flags.inPlace) {
    for (const { file, document } of documents) await writeFileAtomic(file, toJson(document));
    out.write(`ratings written back into ${files.length} file${files.length === 1 ? '' : 's'}\n`);
  }
  if (flags.json) {
    const text = toJson(documents[0]!.document);
    if (flags.json === '-') process.stdout.write(text);
    else await writeFileAtomic(flags.json, text);
  }
}
