/** `energy-score report`: the table, Markdown and HTML of a stored result, with carbon and cost. */
import type { Command } from 'commander';

import { usageError } from '../errors.js';
import { addCarbonOptions, type CarbonFlags } from './carbon-options.js';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';

interface ReportFlags extends CarbonFlags, OutputFlags {}

export function registerReport(program: Command): void {
  const command = program
    .command('report')
    .description('show a stored result again: the table, and Markdown or a self-contained HTML page')
    .argument('<result>', 'a result document written by bench --json');
  addOutputOptions(command, ['html', 'markdown'], {
    html: 'write the HTML page: table, plots, label, carbon and cost',
    markdown: 'write the Markdown report, to a file or stdout',
  });
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
    const [{ OutputSink }, { readRunDocument }, { mergeCarbon }, { toMarkdown }, { makeChalk, renderTable }] =
      await Promise.all([
        import('../export/sink.js'),
        import('../result/read.js'),
        import('../carbon/carbon.js'),
        import('../export/formats.js'),
        import('../export/table.js'),
      ]);
    const sink = await OutputSink.open(await outputRequests(flags, ['html', 'markdown']), { reads: [file] });
    if (sink.stdoutFormat === 'html')
      throw usageError('--html takes a file name', 'for example --html report.html');
    const document = await readRunDocument(file);
    document.carbon = mergeCarbon(document.carbon, {
      carbonIntensity: flags.carbonIntensity,
      region: flags.region,
      price: flags.price,
    });
    await sink.text(renderTable(document, makeChalk(sink.textStream)));
    if (sink.has('markdown')) await sink.write('markdown', toMarkdown(document));
    if (sink.has('html')) {
      const { renderHtmlReport } = await import('../export/html.js');
      await sink.write('html', await renderHtmlReport(document, { carbon: document.carbon }));
    }
  });
}
