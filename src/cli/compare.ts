/** `energy-score compare`: one result against another, as ratios with their uncertainty. */
import type { Command } from 'commander';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';

export function registerCompare(program: Command): void {
  const command = program
    .command('compare')
    .description("compare two results: b's energy per query and throughput as ratios of a's")
    .argument('<a.json>', 'the reference result (e.g. the main branch)')
    .argument('<b.json>', 'the result to compare with it (e.g. a pull request)');
  addOutputOptions(command, ['json', 'markdown'], {
    json: 'write the comparison as JSON to a file, or to stdout (bare --json or -)',
    markdown: 'write the comparison as Markdown to a file, or to stdout (bare --markdown or -)',
  })
    .addHelpText(
      'after',
      `
Examples:
  energy-score compare main.json pr.json
  energy-score compare fp32.json int8.json --json comparison.json
  energy-score compare main.json pr.json --markdown - >> "$GITHUB_STEP_SUMMARY"

Each matching configuration (model, task, precision, batch size, device) gets b / a of its
energy per query with a 95 % interval by the delta method, e.g. "1.32 ± 0.04 × more energy per
query". Whether the difference is real is decided by Welch's two-sided t-test at 95 % (p < 0.05),
on each side's mean and standard error from the per-trial figures (the trial mean), else from the
recorded 95 % interval: the same estimator as check --max-regression. "(within noise)" marks
p >= 0.05, and the line names the test and its p. A side with one trial and no interval cannot
be tested ("not tested"); one whose energy figures are not usable numbers gets no ratio, and
the row says why. Throughput is one figure per run, so its ratio has no interval.

Exit codes: 0 compared, 2 a usage error or results with no configuration in common.`,
    )
    .action(async (aPath: string, bPath: string, flags: OutputFlags) => {
      const [
        { OutputSink },
        { compareFiles },
        { renderCompareJson, renderCompareMarkdown, renderCompareText },
      ] = await Promise.all([
        import('../export/sink.js'),
        import('../app/compare.js'),
        import('../export/compare-report.js'),
      ]);
      const sink = await OutputSink.open(await outputRequests(flags, ['json', 'markdown']), {
        reads: [aPath, bPath],
      });
      const report = await compareFiles(aPath, bPath);
      if (sink.has('json')) await sink.writeFile('json', renderCompareJson(report));
      if (sink.has('markdown')) await sink.writeFile('markdown', renderCompareMarkdown(report));
      await sink.text(renderCompareText(report));
      if (sink.stdoutFormat === 'json') await sink.write('json', renderCompareJson(report));
      if (sink.stdoutFormat === 'markdown') await sink.write('markdown', renderCompareMarkdown(report));
    });
}
