/** `energy-score check`: a CI gate on a result file: exit 0 when it passes, 1 when it fails, 2 on bad input. */
import type { Command } from 'commander';
import { errorMessage, usageError } from '../errors.js';
import type { CheckLimits } from '../gate/check.js';
import { addFidelityLimitOptions, limitOverrides, type FidelityLimitFlags } from './fidelity-options.js';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';
import { positiveNumber } from './parse.js';

interface CheckFlags extends OutputFlags, FidelityLimitFlags {
  requireFidelity?: boolean;
  minStars?: number;
  maxWhPer1k?: number;
  maxJPerQuery?: number;
  baseline?: string;
  maxRegression?: number;
  allowMissing?: boolean;
  requireMeasured?: boolean;
}

const ANNOTATION_TITLE = 'energy-score check';

function starsCount(text: string): number {
  if (!/^[1-5]$/.test(text.trim())) {
    throw usageError(`--min-stars '${text}' is not a whole number from 1 to 5`, 'for example --min-stars 3');
  }
  return Number(text);
}

/** A percentage of 0 or more; a trailing % is allowed ("5" or "5%"). */
function regressionPct(text: string): number {
  const bare = text.trim().replace(/%$/, '');
  const n = Number(bare);
  if (bare === '' || !Number.isFinite(n) || n < 0) {
    throw usageError(
      `--max-regression '${text}' is not a percentage of 0 or more`,
      'for example --max-regression 5 (fail above +5 %)',
    );
  }
  return n;
}

export function registerCheck(program: Command): void {
  const command = program
    .command('check')
    .description('gate a result in CI: exit 1 when any configuration breaks a limit or regresses')
    .argument('<result.json>', 'a result written by `bench --json`')
    .option('--min-stars <n>', 'fail a configuration rated below n stars (1-5), or unrated', starsCount)
    .option('--max-wh-per-1k <x>', 'fail above x Wh per 1,000 queries', positiveNumber('--max-wh-per-1k'))
    .option('--max-j-per-query <x>', 'fail above x joules per query', positiveNumber('--max-j-per-query'))
    .option('--baseline <file>', 'an earlier result (e.g. the main branch) to test for a regression against')
    .option(
      '--max-regression <pct>',
      'fail when energy per query is significantly more than pct % above the baseline (95 %, one-sided)',
      regressionPct,
    )
    .option(
      '--allow-missing',
      'with --baseline: a configuration the baseline has but this run lacks (or skipped) is a note, not a failure',
    )
    .option('--require-measured', 'fail energy that was estimated rather than measured')
    .option(
      '--require-fidelity',
      'fail a configuration whose answers do not hold against its reference (its recorded fidelity; implied by --min-agreement and the other fidelity limits)',
    );
  addFidelityLimitOptions(command, 'recorded');
  addOutputOptions(command, ['json', 'markdown'], {
    json: 'write the check report as JSON to a file, or to stdout (bare --json or -)',
    markdown: 'write the check report as Markdown to a file, or to stdout (bare --markdown or -)',
  })
    .addHelpText(
      'after',
      `
Examples:
  energy-score check result.json --max-wh-per-1k 0.5 --require-measured
  energy-score check result.json --min-stars 3
  energy-score check new.json --baseline main.json --max-regression 5 --markdown report.md
  energy-score check result.json --require-fidelity --min-agreement 0.995

Regression: Welch's t-test, one-sided at 95 %, of H0: new <= (1 + pct/100) x baseline, on each
side's mean energy per query and its standard error: from the per-trial figures (the trial mean),
else from the recorded 95 % interval (half-width / t(0.975, trials - 1)). A side with one trial and
no interval cannot be tested: the configuration fails; bench with at least 2 trials.
Configurations match on model (file sha256 or name), task, precision, batch size and device; one
the baseline measured but this run lacks or skipped fails, unless --allow-missing.
Fidelity: each configuration's recorded agreement with its reference (bench's fidelity) is held
to its recorded thresholds, or to --min-agreement, --min-cosine, --max-relative-error,
--min-token-agreement and --max-kl where given; one without a record fails, except the reference.
A failed or interrupted configuration fails; so does one whose energy figures are not usable
numbers (missing, null, 0 or less). One with no energy or no rating fails the limits that need
them; a check that can evaluate no configuration at all is a usage error.

GitHub Actions: with GITHUB_STEP_SUMMARY set the Markdown report is appended to the job
summary (not with --markdown -: redirect it there yourself); with GITHUB_ACTIONS=true each
failure is also printed as an ::error:: annotation (at most 10; the tenth says how many more).

Exit codes: 0 every configuration passes, 1 any fails, 2 a usage error or unusable input.`,
    )
    .action(async (resultPath: string, flags: CheckFlags) => {
      process.exitCode = await check(resultPath, flags);
    });
}

async function check(resultPath: string, flags: CheckFlags): Promise<number> {
  const [
    { OutputSink, writeText },
    { checkFiles },
    { failureLines, renderCheckJson, renderCheckMarkdown, renderCheckText },
    github,
  ] = await Promise.all([
    import('../export/sink.js'),
    import('../app/check.js'),
    import('../export/check-report.js'),
    import('../ci/github.js'),
  ]);
  const sink = await OutputSink.open(await outputRequests(flags, ['json', 'markdown']), {
    reads: flags.baseline === undefined ? [resultPath] : [resultPath, flags.baseline],
  });
  const limits: CheckLimits = {
    minStars: flags.minStars,
    maxWhPer1k: flags.maxWhPer1k,
    maxJPerQuery: flags.maxJPerQuery,
    maxRegressionPct: flags.maxRegression,
    requireMeasured: flags.requireMeasured === true,
    allowMissing: flags.allowMissing === true,
  };
  const overrides = limitOverrides(flags);
  if (flags.requireFidelity || Object.keys(overrides).length > 0) limits.fidelity = { overrides };
  const report = await checkFiles({
    result: resultPath,
    ...(flags.baseline ? { baseline: flags.baseline } : {}),
    limits,
  });
  const markdown = renderCheckMarkdown(report);
  if (sink.has('json')) await sink.writeFile('json', renderCheckJson(report));
  if (sink.has('markdown')) await sink.writeFile('markdown', markdown);
  await sink.text(renderCheckText(report));
  if (sink.stdoutFormat === 'json') await sink.write('json', renderCheckJson(report));
  if (sink.stdoutFormat === 'markdown') await sink.write('markdown', markdown);
  // With --markdown - the report is on stdout, and `>> "$GITHUB_STEP_SUMMARY"` is how it gets
  // there: appending it as well would show it twice.
  let summarised = false;
  if (sink.stdoutFormat !== 'markdown') {
    try {
      summarised = await github.appendStepSummary(markdown);
    } catch (err) {
      // The job summary is a courtesy: the check's verdict stands without it.
      const message = `the check's report is not in the job summary: ${errorMessage(err)}`;
      await writeText(process.stderr, `energy-score: warning: ${message}\n`, 'stderr');
      if (github.inGitHubActions())
        process.stderr.write(github.warningAnnotation(message, { title: ANNOTATION_TITLE }));
    }
  }
  if (github.inGitHubActions()) {
    const where = summarised ? "the job summary and this step's log" : "this step's log";
    await sink.text(github.cappedErrorAnnotations(failureLines(report), { title: ANNOTATION_TITLE }, where));
  }
  return report.passed ? 0 : 1;
}
