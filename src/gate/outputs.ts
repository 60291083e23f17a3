/** Where a check or compare report goes: --json and --markdown files, or stdout for `-`. */
import { usageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';

export interface ReportTargets {
  json?: string;
  markdown?: string;
}

export interface ReportRenderers {
  text: () => string;
  json: () => string;
  markdown: () => string;
}

/** Writes the files, then the human text (to stderr when stdout carries JSON or Markdown). */
export async function writeReport(
  targets: ReportTargets,
  render: ReportRenderers,
): Promise<NodeJS.WriteStream> {
  if (targets.json === '-' && targets.markdown === '-') {
    throw usageError(
      'only one format can go to stdout, but --json and --markdown both ask for -',
      'send one to a file',
    );
  }
  if (targets.json && targets.json !== '-') await writeFileAtomic(targets.json, render.json());
  if (targets.markdown && targets.markdown !== '-')
    await writeFileAtomic(targets.markdown, render.markdown());
  const machine = targets.json === '-' ? render.json() : targets.markdown === '-' ? render.markdown() : null;
  const humanStream = machine === null ? process.stdout : process.stderr;
  humanStream.write(render.text());
  if (machine !== null) process.stdout.write(machine);
  return humanStream;
}
