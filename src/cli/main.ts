/** The CLI edge: parses the command line and turns every error into one line and an exit code. */
import { Command, CommanderError } from 'commander';
import { EnergyScoreError, errorMessage } from '../errors.js';
import { TOOL_VERSION } from '../env/environment.js';
import { registerBench } from './bench.js';
import { registerInspect } from './inspect.js';

const EXIT_USAGE = 2;
const EXIT_RUN = 1;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('energy-score')
    .description('Measure the inference energy of ONNX models and rate it, AI Energy Score-style.')
    .version(TOOL_VERSION)
    .option('--verbose', 'print stack traces with errors')
    .showHelpAfterError('  hint: run `energy-score --help` for usage')
    .exitOverride()
    // Commander's own errors (unknown option, missing argument) get the same prefix as ours.
    .configureOutput({
      outputError: (text, write) => write(text.replace(/^error: /, 'energy-score: error: ')),
    });
  registerBench(program);
  registerInspect(program);
  program.addHelpText(
    'after',
    `
Examples:
  energy-score bench                      run the built-in demo and print the report
  energy-score bench model.onnx --json -  measure a model, JSON on stdout
  energy-score inspect model.onnx         show a model's inputs, outputs and operators

Exit codes: 0 success, 1 a run failure, 2 a usage error, 130 interrupted.`,
  );
  for (const command of program.commands) {
    command
      .exitOverride()
      .showHelpAfterError(`  hint: run \`energy-score ${command.name()} --help\` for usage`);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  const verbose = argv.includes('--verbose');
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version are "errors" to commander but successes to the user; help shown
      // because no command was given (commander.help) is a usage error.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
      return EXIT_USAGE;
    }
    if (err instanceof EnergyScoreError) {
      process.stderr.write(`energy-score: error: ${err.message}\n`);
      if (err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
      if (verbose && err.cause) process.stderr.write(`${String((err.cause as Error).stack ?? err.cause)}\n`);
      if (verbose) process.stderr.write(`${err.stack}\n`);
      return err.exitCode;
    }
    process.stderr.write(`energy-score: unexpected error: ${errorMessage(err)}\n`);
    process.stderr.write(
      verbose
        ? `${(err as Error).stack}\n`
        : '  hint: run again with --verbose for the stack trace, and report it\n',
    );
    return EXIT_RUN;
  }
}

process.exitCode = await main(process.argv);
