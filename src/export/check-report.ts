/** The `check` report as text, Markdown (the CI job summary) and JSON. */
import { LIMIT_FLAGS } from '../fidelity/thresholds.js';
import { RUN, type CheckLimits, type CheckReport } from '../gate/check.js';
import { displayName, escapeMarkdown, markdownCode, printable } from '../util/text-safety.js';

function summaryLine(report: CheckReport): string {
  const result = displayName(report.result);
  const against = report.baseline ? ` against ${displayName(report.baseline)}` : '';
  if (report.passed) {
    return `energy-score check: passed: ${report.checkedConfigs} configuration(s) of ${result}${against} within every limit`;
  }
  const runFailed = report.outcomes.some((o) => o.config === RUN && !o.passed);
  const counts = `${report.failedConfigs} of ${report.checkedConfigs} configuration(s) fail`;
  return `energy-score check: FAILED: ${runFailed ? `the run is incomplete; ${counts}` : counts} (${result}${against})`;
}

/** One failure, as the text report and an annotation say it: the configuration by its shown name. */
export function failureLine(config: string, message: string): string {
  return `${displayName(config)}: ${printable(message)}`;
}

/** Each failure as one line, "id: message": what the CI annotations carry, whatever the report format. */
export function failureLines(report: CheckReport): string[] {
  return report.outcomes.filter((o) => !o.passed).map((o) => failureLine(o.config, o.message));
}

export function limitsText(limits: CheckLimits): string {
  const parts: string[] = [];
  if (limits.minStars !== undefined) parts.push(`--min-stars ${limits.minStars}`);
  if (limits.maxWhPer1k !== undefined) parts.push(`--max-wh-per-1k ${limits.maxWhPer1k}`);
  if (limits.maxJPerQuery !== undefined) parts.push(`--max-j-per-query ${limits.maxJPerQuery}`);
  if (limits.maxRegressionPct !== undefined) parts.push(`--max-regression ${limits.maxRegressionPct} %`);
  if (limits.requireMeasured) parts.push('--require-measured');
  if (limits.fidelity) {
    const overrides = Object.entries(limits.fidelity.overrides) as [keyof typeof LIMIT_FLAGS, number][];
    parts.push(
      overrides.length > 0
        ? `fidelity (${overrides.map(([k, v]) => `${LIMIT_FLAGS[k]} ${v}`).join(', ')}, else the recorded thresholds)`
        : 'fidelity (the recorded thresholds)',
    );
  }
  return parts.join(', ');
}

export function renderCheckText(report: CheckReport): string {
  const lines = [summaryLine(report), `limits: ${limitsText(report.limits)}`];
  for (const o of report.outcomes) {
    lines.push(`  ${o.passed ? 'pass' : 'FAIL'}  ${failureLine(o.config, o.message)}`);
  }
  if (report.notChecked.length > 0) {
    lines.push('not checked:');
    for (const n of report.notChecked) lines.push(`  -     ${failureLine(n.config, n.reason)}`);
  }
  for (const note of report.notes) lines.push(`note: ${printable(note)}`);
  return `${lines.join('\n')}\n`;
}

export function renderCheckMarkdown(report: CheckReport): string {
  const heading = report.passed ? '✅ passed' : '❌ failed';
  const against = report.baseline ? ` against the baseline ${markdownCode(report.baseline)}` : '';
  const lines = [
    `## energy-score check: ${heading}`,
    '',
    `${markdownCode(report.result)}${against}; limits: ${escapeMarkdown(limitsText(report.limits))}.`,
    '',
    report.passed
      ? `All ${report.checkedConfigs} configuration(s) checked are within every limit.`
      : `${report.failedConfigs} of ${report.checkedConfigs} configuration(s) fail${report.outcomes.some((o) => o.config === RUN && !o.passed) ? ', and the run is incomplete' : ''}.`,
    '',
    '| configuration | check | result | detail |',
    '| --- | --- | --- | --- |',
  ];
  for (const o of report.outcomes) {
    lines.push(
      `| ${escapeMarkdown(displayName(o.config))} | ${escapeMarkdown(o.check)} | ${o.passed ? '✅ pass' : '❌ fail'} | ${escapeMarkdown(o.message)} |`,
    );
  }
  const extra = [
    ...report.notChecked.map(
      (n) => `- not checked: ${escapeMarkdown(displayName(n.config))}: ${escapeMarkdown(n.reason)}`,
    ),
    ...report.notes.map((n) => `- note: ${escapeMarkdown(n)}`),
  ];
  if (extra.length > 0) lines.push('', ...extra);
  return `${lines.join('\n')}\n`;
}

export function renderCheckJson(report: CheckReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
