/**
 * The CLI's entry (src/cli/main.ts) run in the test's own process, as bin/energy-score.js runs it
 * in a child: a child costs 0.3-1 s of CPU to start and load its modules, which most CLI tests
 * (a command's output and exit code) do not need. For the length of a run the process looks as a
 * child's would: argv, the environment (exactly the one given), the working directory, stdout and
 * stderr that are pipes (no TTY, captured), an empty stdin; all of it is put back afterwards,
 * with process.exitCode and the signal listeners. Runs take turns, since that state is global.
 */
import { Readable, Writable } from 'node:stream';

import type { RunOutput } from './cli.js';

interface InProcessOptions {
  /** The working directory of the run. */
  cwd: string;
  /** argv[1], as a child started as `node BIN ...` sees it. */
  bin: string;
}

type Main = (argv: string[]) => Promise<number>;
let mainModule: Promise<Main> | undefined;

/** dist/test/helpers/ → dist/src/cli/main.js, the module the bin imports. */
function loadMain(): Promise<Main> {
  mainModule ??= import(new URL('../../src/cli/main.js', import.meta.url).href).then(
    (mod: { main: Main }) => mod.main,
  );
  return mainModule;
}

/** A pipe's end as the CLI sees it: no TTY, everything written kept. */
class Capture extends Writable {
  private readonly chunks: Buffer[] = [];
  constructor() {
    super({
      write: (chunk: Buffer, _encoding, callback) => {
        this.chunks.push(chunk);
        callback();
      },
    });
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** process.exit inside a run: ends the run with that code instead of the test process. */
class ExitCalled extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

const STREAMS = ['stdin', 'stdout', 'stderr'] as const;
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function replaceEnv(next: NodeJS.ProcessEnv): void {
  for (const key of Object.keys(process.env)) if (!(key in next)) delete process.env[key];
  for (const [key, value] of Object.entries(next)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
}

let turn: Promise<unknown> = Promise.resolve();

export function runCliInProcess(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: InProcessOptions,
): Promise<RunOutput> {
  const run = turn.then(() => runOnce(args, env, options));
  turn = run.catch(() => undefined);
  return run;
}

async function runOnce(
  args: string[],
  env: NodeJS.ProcessEnv,
  options: InProcessOptions,
): Promise<RunOutput> {
  const main = await loadMain();
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Readable.from([]);
  const saved = {
    argv: process.argv,
    env: { ...process.env },
    cwd: process.cwd(),
    exitCode: process.exitCode,
    exit: process.exit,
    streams: STREAMS.map((name) => Object.getOwnPropertyDescriptor(process, name)!),
    listeners: SIGNALS.map((signal) => process.listeners(signal)),
  };
  const fakes = { stdin, stdout, stderr };
  // The global console takes process.stdout and stderr on its first use and keeps them: bound
  // now, it keeps the real ones (the test's output), never a run's capture. (The CLI writes to
  // the streams, not through console, whose output here would not be captured.)
  void Reflect.get(console, '_stdout');
  void Reflect.get(console, '_stderr');
  let code: number;
  try {
    for (const name of STREAMS)
      Object.defineProperty(process, name, { configurable: true, enumerable: true, get: () => fakes[name] });
    process.argv = [process.execPath, options.bin, ...args];
    replaceEnv(env);
    process.chdir(options.cwd);
    process.exitCode = undefined;
    process.exit = (exitCode?: string | number | null): never => {
      throw new ExitCalled(Number(exitCode ?? process.exitCode ?? 0));
    };
    try {
      code = await main(process.argv);
    } catch (err) {
      if (!(err instanceof ExitCalled)) throw err;
      code = err.code;
    }
    // Writes the command started but did not wait for land before a child would have exited.
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    STREAMS.forEach((name, i) => Object.defineProperty(process, name, saved.streams[i]!));
    process.argv = saved.argv;
    replaceEnv(saved.env);
    process.chdir(saved.cwd);
    process.exitCode = saved.exitCode;
    process.exit = saved.exit;
    SIGNALS.forEach((signal, i) => {
      for (const listener of process.listeners(signal))
        if (!saved.listeners[i]!.includes(listener)) process.off(signal, listener);
    });
  }
  return { code, signal: null, stdout: stdout.text(), stderr: stderr.text() };
}
