/**
 * The output flags every command shares, with one meaning everywhere: `--json [file|-]`,
 * `--csv [file|-]`, `--markdown [file|-]` (a bare flag, or `-`, is stdout), `--html <file>`,
 * and `-o, --output <file|->`, the command's main output, its format taken from the extension.
 */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import type { OutputFormat, OutputRequest } from '../export/sink.js';

export interface OutputFlags {
  json?: string | boolean;
  csv?: string | boolean;
  markdown?: string | boolean;
  html?: string;
  output?: string;
}

const DESCRIPTIONS: Record<OutputFormat, string> = {
  json: 'write JSON to a file, or to stdout (bare --json or -)',
  csv: 'write CSV to a file, or to stdout (bare --csv or -)',
  markdown: 'write Markdown to a file, or to stdout (bare --markdown or -)',
  html: 'write a self-contained HTML page to a file',
  svg: 'write SVG',
  png: 'write PNG',
};

/** Adds `--<format>` for each format offered, then `-o`. */
export function addOutputOptions(
  command: Command,
  offered: readonly OutputFormat[],
  describe: Partial<Record<OutputFormat, string>> = {},
): Command {
  for (const format of offered) {
    if (format === 'svg' || format === 'png') continue;
    const value = format === 'html' ? '<file>' : '[file|-]';
    command.option(`--${format} ${value}`, describe[format] ?? DESCRIPTIONS[format]);
  }
  return command.option(
    '-o, --output <file|->',
    `the main output; its format from the extension (${offered.map(extensionOf).join(', ')}); - is ${offered[0]} on stdout`,
  );
}

function extensionOf(format: OutputFormat): string {
  return format === 'markdown' ? '.md' : `.${format}`;
}

/**
 * The sink's requests for the flags given. `-o` names a format by its extension; given with that
 * format's own flag too, it is a usage error at open.
 */
export async function outputRequests(
  flags: OutputFlags,
  offered: readonly OutputFormat[],
): Promise<OutputRequest[]> {
  const { formatOfOutput, targetOf } = await import('../export/sink.js');
  const requests: OutputRequest[] = [];
  for (const format of offered) {
    const value = (flags as Record<string, string | boolean | undefined>)[format];
    const target = targetOf(value);
    if (target !== undefined) requests.push({ format, target, flag: `--${format}` });
  }
  if (flags.output !== undefined) {
    const format = formatOfOutput(flags.output, offered);
    const same = requests.find((r) => r.format === format);
    if (same) {
      throw usageError(`-o ${flags.output} and ${same.flag} both ask for ${format}`, 'give one of them');
    }
    requests.push({ format, target: flags.output, flag: '-o' });
  }
  return requests;
}
