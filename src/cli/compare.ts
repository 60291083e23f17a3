/** `energy-score compare`: one result against another, as ratios with their uncertainty. */
import type { Command } from 'commander';
import {
  compareDocuments,
  renderCompareJson,
  renderCompareMarkdown,
  renderCompareText,
} from '../gate/compare.js';
import { writeReport } from '../gate/outputs.js';
import { readRunDocument } from '../result/read.js';

interface CompareFlags {
  json?: string;
  markdown?: string;
}

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description("compare two results: b's energy per query and throughput as ratios of a's")
    .argument('<a.json>', 'the reference result (e.g. the main branch)')
    .argument('<b.json>', 'the result to compare with it (e.g. a pull request)')
    .option('--json <file|->', 'write the comparison as JSON to a file, or - for stdout')
    .option('--markdown <file|->', 'write the comparison as Markdown to a file, or - for stdout')
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
    .action(async (aPath: string, bPath: string, flags: CompareFlags) => {
      const a = { name: aPath, document: await readRunDocument(aPath) };
      const b = { name: bPath, document: await readRunDocument(bPath) };
      const report = compareDocuments(a, b);
      await writeReport(
        { json: flags.json, markdown: flags.markdown },
        {
          text: () => renderCompareText(report),
          json: () => renderCompareJson(report),
          markdown: () => renderCompareMarkdown(report),
        },
      );
    });
}
