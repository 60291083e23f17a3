/** `energy-score report`: the table, Markdown and HTML of a stored result, with carbon and cost. */
import type { Command } from 'commander';

import { toMarkdown } from '../export/formats.js';
import { renderHtmlReport } from '../export/html.js';
import { readRunDocument } from '../result/read.js';
import { makeChalk, renderTable } from '../export/table.js';
import { usageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { addCarbonOptions, carbonFrom, type CarbonFlags } from './carbon-options.js';

interface ReportFlags extends CarbonFlags {
  html?: string;
  markdown?: string;
}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('show a stored result again: the table, and Markdown or a self-contained HTML page')
    .argument('<result>', 'a result document written by bench --json')
    .option('--html <file>', 'write the HTML page: table, plots, label, carbon and cost')
    .option('--markdown <file|->', 'write the Markdown report');
  addCarbonOptions(command).addHelpText(
    'after',
    `
Examples:
  energy-score report result.json
  energy-score report result.json --html report.html --region DEU --price 0.30
  energy-score report result.json --markdown - >> "$GITHUB_STEP_SUMMARY"

Carbon and cost: the settings the run was made with, with the flags given here replacing what
they name (--price alone keeps the run's grid intensity); for an older file without settings,
the world average (475 gCO2e/kWh), labelled.`,
  );
  command.action(async (file: string, flags: ReportFlags) => {
    const document = await readRunDocument(file);
    // Flags given here replace only what they name: --price alone keeps the run's grid intensity.
    const givenIntensity = flags.carbonIntensity !== undefined || flags.region !== undefined;
    const fresh = carbonFrom(flags);
    const stored = document.carbon;
    document.carbon =
      stored && !givenIntensity
        ? { ...stored, pricePerKwh: flags.price !== undefined ? fresh.pricePerKwh : stored.pricePerKwh }
        : {
            ...fresh,
            pricePerKwh: flags.price !== undefined || !stored ? fresh.pricePerKwh : stored.pricePerKwh,
          };
    if (flags.html === '-') throw usageError('--html takes a file name', 'for example --html report.html');
    const tableStream = flags.markdown === '-' ? process.stderr : process.stdout;
    tableStream.write(renderTable(document, makeChalk(tableStream)));
    if (flags.markdown === '-') process.stdout.write(toMarkdown(document));
    else if (flags.markdown) await writeFileAtomic(flags.markdown, toMarkdown(document));
    if (flags.html)
      await writeFileAtomic(flags.html, await renderHtmlReport(document, { carbon: document.carbon }));
  });
}
