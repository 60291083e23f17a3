/** `energy-score leaderboard`: merge results from many machines into one rated CSV. */
import { Option, type Command } from 'commander';

import { usageError } from '../errors.js';
import { formatOfOutput, targetOf, writeText } from '../export/sink.js';
import { parseScaleName, SCALE_NAMES, type ScaleName } from '../rating/scales.js';

interface LeaderboardFlags {
  output?: string;
  markdown?: string | boolean;
  scale: ScaleName;
}

export function registerLeaderboard(program: Command): void {
  program
    .command('leaderboard')
    .description('merge results from many machines into one rated leaderboard CSV')
    .argument('<files...>', 'result documents (.json) and leaderboard or AI Energy Score CSVs (.csv)')
    .option(
      '-o, --output <file|->',
      'the CSV to write (atomically; .md writes Markdown), or - for stdout (the default)',
    )
    .option('--markdown [file|-]', 'also write the board as a Markdown table, to a file or stdout')
    .addOption(
      new Option('--scale <scale>', `star scale: ${SCALE_NAMES.join(', ')}`)
        .default('aies')
        .argParser(parseScaleName),
    )
    .addHelpText(
      'after',
      `
Examples:
  energy-score leaderboard results/*.json -o leaderboard.csv
  energy-score leaderboard leaderboard.csv new-run.json -o leaderboard.csv --markdown board.md
  energy-score leaderboard a.json b.json --scale quantile

One row per model (by sha256) and configuration on each hardware: where several runs give the
same one, the newest is kept. Stars are recomputed within each cohort of the merged rows (one
task on one hardware, same energy basis and method). The CSV starts with AI Energy Score's
columns (model,total_gpu_energy,energy_score; kWh per 1,000 queries), then ours. Cells a
spreadsheet would run as formulas are defused with a leading quote. A board that is also an
input is read again under its lock (FILE.lock) just before it is written, so merges into one
board run at once keep every row.`,
    )
    .action(async (files: string[], flags: LeaderboardFlags) => {
      await leaderboard(files, flags);
    });
}

async function leaderboard(files: string[], flags: LeaderboardFlags): Promise<void> {
  const [{ OutputSink }, { readRowFiles }, { buildBoard }, { toLeaderboardCsv, toLeaderboardMarkdown }] =
    await Promise.all([
      import('../export/sink.js'),
      import('../sources/files.js'),
      import('../leaderboard/merge.js'),
      import('../export/leaderboard.js'),
    ]);
  const output = flags.output ?? '-';
  if (output === '-' && targetOf(flags.markdown) === '-')
    throw usageError('only one of -o and --markdown can be -', 'send the other to a file');
  const outputFormat = output === '-' ? 'csv' : formatOfOutput(output, ['csv', 'markdown']);
  const sink = await OutputSink.open(
    [
      { format: outputFormat, target: output, flag: '-o' },
      ...(outputFormat === 'markdown'
        ? []
        : [{ format: 'markdown' as const, target: targetOf(flags.markdown), flag: '--markdown' }]),
    ],
    { reads: files, updates: { format: 'csv', files } },
  );
  const read = await readRowFiles(files);
  const notes: string[] = [];
  for (const f of read) {
    for (const left of f.left) notes.push(`${f.file}: ${left.id} left out: ${left.reason}`);
  }
  await writeText(process.stderr, notes.map((n) => `${n}\n`).join(''), 'stderr');
  if (read.every((f) => f.rows.length === 0)) {
    throw usageError(
      `no rated energy in ${files.join(', ')}: every configuration was skipped, failed or had no energy measured`,
      'bench with an energy meter (see energy-score doctor) and merge the JSON it writes',
    );
  }
  // A board merged into itself is read again under its lock just before it is written, so rows
  // that another merge wrote since the first read are kept.
  const board = await sink.exclusive(async () => {
    const again = new Set(sink.rewrittenInputs());
    const fresh = again.size ? await readRowFiles([...again]) : [];
    const rows = read.flatMap((f) =>
      again.has(f.file) ? fresh.find((g) => g.file === f.file)!.rows : f.rows,
    );
    const built = buildBoard(rows, flags.scale);
    if (sink.has('csv')) await sink.write('csv', toLeaderboardCsv(built.rows));
    if (sink.has('markdown')) await sink.write('markdown', toLeaderboardMarkdown(built));
    return built;
  });
  const written = sink
    .fileFormats()
    .map((f) => sink.fileOf(f))
    .join(' and ');
  await writeText(
    process.stderr,
    `${board.rows.length} rows in ${board.cohorts.length} cohort${board.cohorts.length === 1 ? '' : 's'} from ${files.length} file${files.length === 1 ? '' : 's'}` +
      (board.duplicatesDropped
        ? `; ${board.duplicatesDropped} duplicate run(s) left out (older, or the same run given twice)`
        : '') +
      (written ? `; wrote ${written}` : '') +
      '\n' +
      board.cohorts
        .filter((c) => c.size === 1)
        .map((c) => `note: ${c.name} has one row: its 5 stars are against nobody else\n`)
        .join(''),
    'stderr',
  );
}
