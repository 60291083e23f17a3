/** `energy-score measure -- <command>`: the energy of any command, per domain, net of idle. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import { addMeterOptions, meterRequest, type EnergyFlags } from './energy-options.js';
import { addOutputOptions, outputRequests, type OutputFlags } from './output-options.js';

interface MeasureFlags extends Pick<EnergyFlags, 'meter' | 'gpus' | 'idle'>, OutputFlags {}

export function registerMeasure(program: Command): void {
  const command = program
    .command('measure')
    .usage('[options] -- <command> [args...]')
    .description('run any command and report its duration, exit code and energy per domain, net of idle')
    .argument('[command...]', 'the command to run and its arguments, after --')
    // Everything from the command's name on is the command's, even words that look like our options.
    .passThroughOptions();
  addOutputOptions(command, ['json'], {
    json: 'write the result JSON to a file, or to stdout (bare --json or -; the report then goes to stderr)',
  });
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
Exit code: the command's own (128 + the signal's number if a signal ended it); as in a shell,
126 when the command is found but cannot run (not executable, a folder, a missing #! interpreter)
and 127 when it is not found; 2 for another usage error.`,
    )
    .action(async (commandLine: string[], flags: MeasureFlags) => {
      process.exitCode = await runMeasureCommand(commandLine, flags);
    });
}

async function runMeasureCommand(commandLine: string[], flags: MeasureFlags): Promise<number> {
  if (commandLine.length === 0 || commandLine[0] === '') {
    throw usageError(
      'no command to measure',
      'put it after --, e.g. energy-score measure -- python train.py',
    );
  }
  const [{ measure, shellExitCode }, { OutputSink }, { renderMeasureText }, { makeChalk }] =
    await Promise.all([
      import('../app/measure.js'),
      import('../export/sink.js'),
      import('../export/measure-text.js'),
      import('../export/table.js'),
    ]);
  // The outputs are checked before the command runs, rather than after.
  const sink = await OutputSink.open(await outputRequests(flags, ['json']));
  const document = await measure({
    command: commandLine,
    meters: meterRequest(flags),
    onIdle: (seconds) => {
      if (process.stderr.isTTY)
        process.stderr.write(`measuring idle power for ${seconds} s (--idle 0 skips this)\n`);
    },
  });
  await sink.text(renderMeasureText(document, makeChalk(sink.textStream)));
  await sink.write('json', JSON.stringify(document, null, 2) + '\n');
  return shellExitCode(document.exitCode, document.signal);
}
