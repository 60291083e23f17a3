/**
 * The CLI edge: parses the command line and turns every error into one line and an exit code,
 * and, in GitHub Actions, into one `::error::` annotation as well.
 */
import { Command, CommanderError, Option } from 'commander';
import { EnergyScoreError, errorMessage } from '../errors.js';
import { TOOL_VERSION } from '../env/version.js';
import { StdoutClosed, writeError } from '../export/sink.js';
import { errorAnnotation, inGitHubActions } from '../ci/github.js';
import { printable, printableLine, terminalText } from '../util/text-safety.js';
import { registerBench } from './bench.js';
import { registerCheck } from './check.js';
import { registerCompare } from './compare.js';
import { registerDoctor } from './doctor.js';
import { registerInspect } from './inspect.js';
import { registerLabel } from './label.js';
import { registerLeaderboard } from './leaderboard.js';
import { registerMeasure } from './measure.js';
import { registerRate } from './rate.js';
import { registerReport } from './report.js';

const EXIT_USAGE = 2;
const EXIT_RUN = 1;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('energy-score')
    .description('Measure the inference energy of ONNX models and rate it, AI Energy Score-style.')
    .version(TOOL_VERSION)
    .option('--verbose', 'print stack traces with errors')
    // Program options stop at the subcommand, so `measure -- cmd -x` hands `-x` to cmd, not to us.
    .enablePositionalOptions()
    .showHelpAfterError('  hint: run `energy-score --help` for usage')
    .exitOverride()
    // Commander's own errors (unknown option, missing argument) get the same prefix as ours; they
    // quote what was typed, which may hold escapes, and have no colour of their own.
    .configureOutput({
      outputError: (text, write) =>
        write(
          text
            .replace(/^error: /, 'energy-score: error: ')
            .split('\n')
            .map(printable)
            .join('\n'),
        ),
    });
  registerBench(program);
  registerRate(program);
  registerReport(program);
  registerLabel(program);
  registerLeaderboard(program);
  registerCheck(program);
  registerCompare(program);
  registerInspect(program);
  registerMeasure(program);
  registerDoctor(program);
  program.addHelpText(
    'after',
    `
Examples:
  energy-score bench                                   # the built-in demo, rated within the run
  energy-score bench model.onnx --json -               # measure a model, JSON on stdout
  energy-score rate result.json --within               # star ratings for stored results
  energy-score label result.json --png                 # an AI Energy Score-style label
  energy-score leaderboard runs/*.json -o board.csv    # merge results from many machines
  energy-score check new.json --baseline main.json --max-regression 5   # gate a release in CI
  energy-score compare main.json new.json              # energy and throughput ratios, with intervals
  energy-score report result.json --html report.html   # a stored result as a page with plots
  energy-score inspect model.onnx                      # a model's inputs, outputs and operators
  energy-score measure -- ./train.sh                   # the energy of any command, net of idle
  energy-score doctor                                  # which meters and providers work here

Exit codes: 0 success, 1 a run failure or a failed check, 2 a usage error, 130 interrupted;
measure exits with its command's code (126 when it cannot run, 127 when it is not found).`,
  );
  for (const command of program.commands) {
    command
      // --verbose is the program's, but is also accepted after the subcommand (positional options).
      .addOption(new Option('--verbose').hideHelp())
      .exitOverride()
      .showHelpAfterError(`  hint: run \`energy-score ${command.name()} --help\` for usage`);
  }
  return program;
}

/** The subcommand argv names, if it names one: program options before it take no values. */
function commandName(program: Command, argv: string[]): string | null {
  const args = argv.slice(2);
  const end = args.indexOf('--');
  const first = (end === -1 ? args : args.slice(0, end)).find((a) => !a.startsWith('-'));
  const command = program.commands.find((c) => c.name() === first || c.aliases().includes(first ?? ''));
  return command ? command.name() : null;
}

/**
 * A write to stdout that fails after its caller stopped waiting (commander's help, a stray
 * write) ends the process here with one line, never a stack trace. A reader that closed the pipe
 * (`energy-score --help | head -1`) gets nothing more, and the exit code stands.
 */
function guardStdout(): void {
  process.stdout.on('error', (err) => {
    const error = writeError('stdout', err);
    if (!(error instanceof StdoutClosed)) {
      writeErrorLines(error.message, error.hint);
      process.exit(error.exitCode);
    }
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

/**
 * An error as one line and its hint as another. Messages carry names and paths from files and
 * users, and text from libraries and tools: whatever they hold, each prints as one printable line.
 */
function writeErrorLines(message: string, hint: string | undefined, prefix = 'error'): void {
  process.stderr.write(`energy-score: ${prefix}: ${printableLine(message)}\n`);
  if (hint) process.stderr.write(`  hint: ${printableLine(hint)}\n`);
}

/**
 * Runs one command line (`argv` as process.argv gives it) and returns its exit code; the caller
 * sets it (bin/energy-score.js), so a test can run the CLI in its own process.
 */
export async function main(argv: string[]): Promise<number> {
  guardStdout();
  const program = buildProgram();
  // A --verbose after `--` belongs to the command `measure` runs.
  const end = argv.indexOf('--');
  const verbose = (end === -1 ? argv : argv.slice(0, end)).includes('--verbose');
  // Every error that fails the step is also said where GitHub shows a job's errors; once, here.
  const annotate = (message: string) => {
    if (!inGitHubActions()) return;
    const command = commandName(program, argv);
    process.stderr.write(errorAnnotation(message, { title: `energy-score${command ? ` ${command}` : ''}` }));
  };
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, `help [command]` and --version are "errors" to commander but successes to the
      // user; help shown because no command was given (commander.help, exit code 1) is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      if (err.code === 'commander.help' && err.exitCode === 0) return 0;
      // Commander has printed its message already; only the annotation is left to do.
      annotate(
        err.code === 'commander.help'
          ? 'no command given: run energy-score --help'
          : err.message.replace(/^error: /, ''),
      );
      return EXIT_USAGE;
    }
    if (err instanceof StdoutClosed) return typeof process.exitCode === 'number' ? process.exitCode : 0;
    if (err instanceof EnergyScoreError) {
      writeErrorLines(err.message, err.hint);
      if (verbose && err.cause)
        process.stderr.write(terminalText(`${String((err.cause as Error).stack ?? err.cause)}\n`));
      if (verbose) process.stderr.write(terminalText(`${err.stack}\n`));
      annotate(err.message);
      return err.exitCode;
    }
    writeErrorLines(
      errorMessage(err),
      verbose ? undefined : 'run again with --verbose for the stack trace, and report it',
      'unexpected error',
    );
    if (verbose) process.stderr.write(terminalText(`${(err as Error).stack}\n`));
    annotate(`unexpected error: ${errorMessage(err)}`);
    return EXIT_RUN;
  }
}
