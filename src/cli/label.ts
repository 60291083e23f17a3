/** `energy-score label`: an AI Energy Score-style label of one configuration, SVG or PNG. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { LABEL_HEIGHT_PX, LABEL_WIDTH_PX, labelSvg } from '../label/svg.js';
import type { ConfigResult, RunDocument } from '../result/schema.js';
import { displayName } from '../util/text-safety.js';

interface LabelFlags {
  output?: string;
  png?: boolean;
  config?: string;
}

export function registerLabel(program: Command): void {
  program
    .command('label')
    .description('draw an AI Energy Score-style label (SVG or PNG) for one configuration of a result file')
    .argument('<result.json>', 'a result file written by `bench --json`')
    .option(
      '-o, --output <file|->',
      'where to write it (default: label.svg, or label.png with --png); - for stdout (SVG)',
    )
    .option('--png', 'write PNG instead of SVG (also chosen by an -o ending in .png)')
    .option('--config <id>', 'the configuration to label, e.g. model/fp32/b1/cpu (default: the best-rated)')
    .addHelpText(
      'after',
      `
Examples:
  energy-score label result.json                         label.svg for the best-rated configuration
  energy-score label result.json --png                   label.png instead
  energy-score label result.json -o - > gpt2.svg         SVG on stdout
  energy-score label result.json --config gpt2/fp16/b1/cuda -o gpt2-fp16.png

The label is ${LABEL_WIDTH_PX}×${LABEL_HEIGHT_PX} px, in the style of the AI Energy Score label, and says which
scale and cohort rated the configuration and whether its energy was measured or estimated.
It is not an official AI Energy Score label.`,
    )
    .action(async (file: string, flags: LabelFlags) => {
      await label(file, flags);
    });
}

async function label(file: string, flags: LabelFlags): Promise<void> {
  const output = flags.output ?? (flags.png ? 'label.png' : 'label.svg');
  const png = flags.png === true || /\.png$/i.test(output);
  if (png && output === '-') {
    throw usageError(
      'PNG is not written to stdout',
      'give a file name, e.g. -o label.png, or leave out --png',
    );
  }
  if (png && /\.svg$/i.test(output)) {
    throw usageError(`--png was given, but ${output} ends in .svg`, 'name the file .png, or leave out --png');
  }
  const [{ OutputSink, writeText }, { readRunDocument }, { selectConfig }] = await Promise.all([
    import('../export/sink.js'),
    import('../result/read.js'),
    import('../label/select.js'),
  ]);
  const format = png ? 'png' : 'svg';
  const sink = await OutputSink.open([{ format, target: output, flag: '-o' }], { reads: [file] });
  const document = await readRunDocument(file);
  const result = selectConfig(document, file, flags.config);
  const svg = labelSvg(document, result);
  const chosen = flags.config === undefined ? choiceNote(document, result) : '';
  if (png) {
    const { labelPng } = await import('../label/png.js');
    await sink.write('png', await labelPng(svg));
  } else await sink.write('svg', svg);
  const where = output === '-' ? 'stdout' : output;
  await writeText(
    output === '-' ? process.stderr : process.stdout,
    `label for ${displayName(result.id)}${chosen} written to ${where}\n`,
    output === '-' ? 'stderr' : 'stdout',
  );
}

/** Why the default configuration was chosen, when there was a choice. */
function choiceNote(document: RunDocument, result: ConfigResult): string {
  const ok = document.results.filter((r) => r.status === 'ok').length;
  if (ok <= 1) return '';
  // The default sorts first: when it is unrated no configuration is, and when its energy is not
  // measured no unrated one's is.
  const [why, none] =
    result.rating.status === 'rated'
      ? ['best rated', '']
      : result.energy.status !== 'not-measured'
        ? ['least energy', ', none rated']
        : ['first', ', none rated or measured'];
  return ` (${why} of ${ok}${none}; --config picks another)`;
}
