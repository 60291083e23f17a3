/** `energy-score measure -- <command>`: the energy of any command, per domain, net of idle. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ChalkInstance } from 'chalk';
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { stopMeters } from '../meters/registry.js';
import { formatSig } from '../render/numbers.js';
import { makeChalk } from '../export/table.js';
import { findCommand, measureCommand, shellExitCode, type MeasureDocument } from '../app/measure.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { addMeterOptions, startMeters, type EnergyFlags } from './energy-options.js';

interface MeasureFlags extends Pick<EnergyFlags, 'meter' | 'gpus' | 'idle'> {
  json?: string;
}

export function registerMeasure(program: Command): void {
  const command = program
    .command('measure')
    .usage('[options] -- <command> [args...]')
    .description('run any command and report its duration, exit code and energy per domain, net of idle')
    .argument('[command...]', 'the command to run and its arguments, after --')
    .option('--json <file|->', 'write the result JSON to a file, or - for stdout (the report goes to stderr)')
    // Everything from the command's name on is the command's, even words that look like our options.
    .passThroughOptions();
  addMeterOptions(command)
    .addHelpText(
      'after',
      `
Examples:
  energy-score measure -- python train.py
  energy-score measure --meter nvml --gpus 0 --json run.json -- ./serve.sh
  energy-score measure --idle 0 --meter rapl -- make -j8

The command runs without a shell, with this terminal's stdin, stdout and stderr. Idle power is
measured first (--idle seconds) and subtracted in the net figures. Ctrl-C and SIGTERM are passed
on to the command. With --json -, the JSON follows the command's own output on stdout.
Exit code: the command's own (128 + the signal's number if a signal ended it); 2 for a usage
error, such as a command that is not found.`,
    )
    .action(async (commandLine: string[], flags: MeasureFlags) => {
      process.exitCode = await measure(commandLine, flags);
    });
}

async function measure(commandLine: string[], flags: MeasureFlags): Promise<number> {
  if (commandLine.length === 0 || commandLine[0] === '') {
    throw usageError(
      'no command to measure',
      'put it after --, e.g. energy-score measure -- python train.py',
    );
  }
  if (flags.json !== undefined && flags.json !== '-') await checkWritableFolder(flags.json);
  await findCommand(commandLine[0]!);

  // 'system': the command is another process, so the CPU estimate follows the whole machine.
  const started = await startMeters(flags, 'system', (seconds) => {
    if (process.stderr.isTTY)
      process.stderr.write(`measuring idle power for ${seconds} s (--idle 0 skips this)\n`);
  });
  let document: MeasureDocument;
  try {
    document = await measureCommand({
      command: commandLine,
      meters: started.meters,
      idlePowerW: started.idlePowerW,
      idleSeconds: started.idleSeconds,
      notes: started.notes,
    });
  } finally {
    await stopMeters(started.meters);
  }

  const json = JSON.stringify(document, null, 2) + '\n';
  const reportStream = flags.json === '-' ? process.stderr : process.stdout;
  reportStream.write(renderMeasure(document, makeChalk(reportStream)));
  if (flags.json === '-') process.stdout.write(json);
  else if (flags.json !== undefined) await writeFileAtomic(flags.json, json);
  return shellExitCode(document.exitCode, document.signal);
}

/** Fails before the command runs, rather than after, when the JSON file cannot be written. */
async function checkWritableFolder(file: string): Promise<void> {
  const folder = path.dirname(path.resolve(file));
  const info = await stat(folder).catch(() => null);
  if (!info?.isDirectory()) {
    throw usageError(`cannot write ${file}: no such folder`, 'check that the folder exists and is writable');
  }
}

/** Quotes an argument the way a POSIX shell would need it, for display. */
function shellQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const fig = (value: number | null, digits = 4): string => (value === null ? '–' : formatSig(value, digits));

export function renderMeasure(doc: MeasureDocument, chalk: ChalkInstance): string {
  const lines: string[] = [];
  const ended = doc.exitCode !== null ? String(doc.exitCode) : `killed by ${doc.signal ?? 'a signal'}`;
  const facts: [string, string][] = [
    ['command', doc.command.map(shellQuote).join(' ')],
    ['exit code', ended],
    ['duration', `${fig(doc.durationS)} s`],
    [
      'idle',
      doc.idle.seconds > 0
        ? `${doc.idle.seconds} s measured before the command; net = gross − idle W × duration`
        : 'not measured (--idle 0): net = gross',
    ],
  ];
  const keyWidth = Math.max(...facts.map(([k]) => k.length));
  for (const [key, value] of facts) lines.push(`${chalk.bold(key.padEnd(keyWidth))}  ${value}`);
  lines.push('');

  if (doc.domains.length === 0) {
    lines.push('energy: not measured (no meter was used, or every meter failed)');
  } else {
    const header = ['domain', 'meter', 'method', 'energy J', 'net J', 'avg W', 'peak W', 'idle W', ''];
    const right = [false, false, false, true, true, true, true, true, false];
    const rows = doc.domains.map((d) => [
      d.domain,
      d.meter,
      d.method,
      fig(d.energyJ),
      fig(d.netEnergyJ),
      fig(d.avgPowerW),
      fig(d.peakPowerW),
      fig(d.idlePowerW),
      d.estimated ? 'estimated' : '',
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    const line = (cells: string[]) =>
      cells
        .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    lines.push(chalk.bold(line(header)));
    rows.forEach((r, i) => {
      const text = line(r);
      lines.push(doc.domains[i]!.estimated ? chalk.yellow(text) : text);
    });
    lines.push('');
    const measured = doc.domains.filter((d) => !d.estimated).map((d) => d.domain);
    const estimated = doc.domains.filter((d) => d.estimated).map((d) => d.domain);
    lines.push(
      measured.length > 0
        ? `measured energy   ${fig(doc.totalEnergyJ)} J (${[...new Set(measured)].join(' + ')})`
        : 'measured energy   – (no measured domain)',
    );
    if (estimated.length > 0) {
      lines.push(
        chalk.yellow(
          `estimated energy  ${fig(doc.estimatedEnergyJ)} J (${[...new Set(estimated)].join(' + ')}) — estimated, not measured; never added to the measured figure`,
        ),
      );
    }
  }
  if (doc.notes.length > 0) {
    lines.push('', chalk.bold('notes'));
    for (const n of doc.notes) lines.push(`  ${n}`);
  }
  if (doc.warnings.length > 0) {
    lines.push('', chalk.bold('warnings'));
    for (const w of doc.warnings) lines.push(chalk.yellow(`  ${w}`));
  }
  return lines.join('\n') + '\n';
}
