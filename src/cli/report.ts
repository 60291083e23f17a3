/** `energy-score report`: the table, Markdown and HTML of a stored result, with carbon and cost. */
import type { Command } from 'commander';

import { toMarkdown } from '../report/exporters.js';
import { renderHtmlReport } from '../report/html.js';
import { readRunDocument } from '../report/read-result.js';
import { makeChalk, renderTable } from '../report/table.js';
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

Carbon and cost use the flags given here; without them, the settings the run was made with, or
the world average (475 gCO2e/kWh), labelled.`,
  );
  command.action(async (file: string, flags: ReportFlags, cmd: Command) => {
    const document = await readRunDocument(file);
    const given = ['carbonIntensity', 'region', 'price'].some((k) => cmd.getOptionValueSource(k) === 'cli');
    if (given || !document.carbon) document.carbon = carbonFrom(flags);
    if (flags.html === '-') throw usageError('--html takes a file name', 'for example --html report.html');
    const tableStream = flags.markdown === '-' ? process.stderr : process.stdout;
    tableStream.write(renderTable(document, makeChalk(tableStream)));
    if (flags.markdown === '-') process.stdout.write(toMarkdown(document));
    else if (flags.markdown) await writeFileAtomic(flags.markdown, toMarkdown(document));
    if (flags.html)
      await writeFileAtomic(flags.html, await renderHtmlReport(document, { carbon: document.carbon }));
  });
}
