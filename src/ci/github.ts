/**
 * GitHub Actions output: the job summary (a Markdown file named by GITHUB_STEP_SUMMARY) and
 * `::error::` workflow commands, which GitHub shows as annotations on the run and the pull request.
 */
import { appendFile } from 'node:fs/promises';
import { errorMessage, runError } from '../errors.js';
import { printable } from '../util/text-safety.js';

/**
 * Appends `markdown` to the job summary when GITHUB_STEP_SUMMARY is set; false when it is not.
 * Appends, never truncates: other steps of the job write to the same file.
 */
export async function appendStepSummary(
  markdown: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<boolean> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (!file) return false;
  const text = markdown.endsWith('\n') ? markdown : `${markdown}\n`;
  try {
    // A blank line first, so a table never runs into what an earlier step left.
    await appendFile(file, `\n${text}`);
  } catch (err) {
    throw runError(
      `cannot append to the job summary GITHUB_STEP_SUMMARY=${file}: ${errorMessage(err)}`,
      'unset GITHUB_STEP_SUMMARY outside GitHub Actions',
      err,
    );
  }
  return true;
}

/** Whether workflow commands (annotations) should be printed: GitHub sets GITHUB_ACTIONS=true in every job. */
export function inGitHubActions(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.GITHUB_ACTIONS === 'true';
}

/** A workflow command's message: %, CR and LF are escaped (GitHub's toolkit escapeData). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A workflow command's property value: also : and , (GitHub's toolkit escapeProperty). */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export interface AnnotationProperties {
  title?: string;
  /** A file in the repository, so the annotation shows on that file in a pull request's diff. */
  file?: string;
  line?: number;
}

/** One `::error ...::message` line, newline included. */
export function errorAnnotation(message: string, properties: AnnotationProperties = {}): string {
  return annotation('error', message, properties);
}

/** One `::warning ...::message` line, newline included. */
export function warningAnnotation(message: string, properties: AnnotationProperties = {}): string {
  return annotation('warning', message, properties);
}

/**
 * GitHub's log shows a workflow command's text as a terminal would, colours included: every line
 * of it is made printable first (names in it come from result files), and its line breaks are
 * kept as the escapes GitHub turns back into lines.
 */
const printableLines = (text: string) =>
  text
    .split(/\r\n|\r|\n/)
    .map(printable)
    .join('\n');

function annotation(kind: 'error' | 'warning', message: string, properties: AnnotationProperties): string {
  const props = (['title', 'file', 'line'] as const)
    .filter((key) => properties[key] !== undefined && properties[key] !== '')
    .map((key) => `${key}=${escapeProperty(printableLines(String(properties[key])))}`);
  return `::${kind}${props.length ? ` ${props.join(',')}` : ''}::${escapeData(printableLines(message))}\n`;
}

/** GitHub shows at most this many error annotations per step (and as many warnings). */
export const MAX_ERROR_ANNOTATIONS = 10;

/**
 * GitHub shows at most 10 error annotations per step and drops the rest. The first `limit`
 * messages as annotations; with more, the first `limit - 1` and one saying how many were left out
 * and where the full list is, so every line printed is one GitHub shows.
 */
export function cappedErrorAnnotations(
  messages: readonly string[],
  properties: AnnotationProperties,
  fullListAt: string,
  limit = MAX_ERROR_ANNOTATIONS,
): string {
  if (messages.length <= limit) return messages.map((m) => errorAnnotation(m, properties)).join('');
  const shown = messages.slice(0, limit - 1);
  const left = messages.length - shown.length;
  return [
    ...shown.map((m) => errorAnnotation(m, properties)),
    errorAnnotation(
      `${left} more failure(s) not annotated (GitHub shows at most ${limit} error annotations per step): the full list is in ${fullListAt}`,
      properties,
    ),
  ].join('');
}
