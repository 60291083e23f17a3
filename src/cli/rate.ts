/** `energy-score rate`: re-rate stored results against cohorts, or among themselves. */
import type { Command } from 'commander';

import { usageError } from '../errors.js';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';
import { addRatingOptions, ratingRequest, type RatingFlags } from './rating-options.js';

interface RateFlags extends RatingFlags, OutputFlags {
  within?: boolean;
  inPlace?: boolean;
}

export function registerRate(program: Command): void {
  const command = program
    .command('rate')
    .description('rate stored results: against cohorts, the shipped reference, or among themselves')
    .argument('<results...>', 'result documents written by bench --json')
    .option('--within', 'rate the given results among themselves as cohorts')
    .option('--in-place', 'write the new ratings back into each result file (atomically)');
  addOutputOptions(command, ['json'], {
    json: 'write the rated document as JSON (one result file only), to a file or stdout',
  });
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
  const [{ rateFiles }, { OutputSink }, { toJson }, { renderRateText }] = await Promise.all([
    import('../app/rate.js'),
    import('../export/sink.js'),
    import('../export/formats.js'),
    import('../export/rate-text.js'),
  ]);
  const sink = await OutputSink.open(await outputRequests(flags, ['json']), {
    reads: [...files, ...(flags.cohort ?? [])],
    updates: { format: 'json', files },
  });
  if (sink.has('json') && files.length > 1)
    throw usageError(
      '--json writes one result document, and several were given',
      'rate them one at a time with --json, or write each back with --in-place',
    );
  // The files written back are locked from before they are read until they are written, so two
  // commands rewriting one file take turns instead of one undoing the other.
  await sink.exclusive(
    async () => {
      const documents = await rateFiles(
        files,
        ratingRequest(flags, {
          within: Boolean(flags.within),
          withinSource: 'the results given',
          withinFlag: '--within',
        }),
      );
      await sink.text(renderRateText(documents));
      if (flags.inPlace) {
        for (const { file, document } of documents) await sink.writeBack(file, toJson(document));
        await sink.text(`ratings written back into ${files.length} file${files.length === 1 ? '' : 's'}\n`);
      }
      if (sink.has('json')) await sink.write('json', toJson(documents[0]!.document));
    },
    flags.inPlace ? files : [],
  );
}
