/**
 * Runs the CLI for tests: `cli` in this process where a child process adds nothing
 * (./cli-in-process.ts), `cliProcess` and `startCli` as the built bin/energy-score.js the way a
 * user runs it, for the end-to-end tests of what only a real process shows.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { runCliInProcess } from './cli-in-process.js';

/** dist/test/helpers/cli.js → the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = path.join(REPO_ROOT, 'bin', 'energy-score.js');
export const FAKE_NVIDIA_SMI = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-nvidia-smi');

/**
 * bench flags for estimated energy, fast: few queries, short windows, no idle wait, and one
 * measured window per configuration (after the protocol's unmeasured warm-up window). The tests
 * that use them check what an energy figure leads to (ratings, reports, notes, write errors),
 * not its interval; the energy test in cli.test.ts runs three windows and checks the interval.
 */
export const QUICK_ENERGY = [
  '--queries',
  '20',
  '--warmup',
  '1',
  '--idle',
  '0',
  '--min-window',
  '0.1',
  '--max-trials',
  '1',
];

export interface RunOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A generous limit for each call of the fake nvidia-smi (Node, for its streams): on a loaded 2-core
 * machine its start alone can take longer than the 5 s a real nvidia-smi gets.
 */
export const PATIENT_NVIDIA_SMI = { ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S: '60' };

/** Converted variants go to a folder of the test run's, not the user's ~/.cache. */
const TEST_CACHE_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-test-cache-'));

/** The test's environment without colour forcing, plus `vars`. */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    XDG_CACHE_HOME: TEST_CACHE_HOME,
    ...PATIENT_NVIDIA_SMI,
    ...vars,
  };
  delete env.FORCE_COLOR;
  return env;
}

/** Starts the CLI and gives the child (to signal it) and its outcome. */
export function startCli(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<RunOutput>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done };
}

/** The built CLI as a child process, always: for what only a real process shows. */
export function cliProcess(args: string[], env: NodeJS.ProcessEnv): Promise<RunOutput> {
  return startCli(args, env).done;
}

/**
 * Commands whose run in this process could differ from a child's: none given (`--help` and
 * `--version` are the startup tests). `measure` runs here too; its command inherits this
 * process's stdio, not the captured one, so a test that reads what the command itself prints
 * runs it with cliProcess.
 */
const SPAWNED_COMMANDS = new Set<string | null>([null]);

/**
 * Variables that point the meters at devices whose module keeps per-process state keyed by them:
 * an NVML library is loaded once, and an nvidia-smi that did not answer within its limit is not
 * asked again (src/devices/nvml.ts, src/devices/nvidia-smi.ts). A run with a fake NVML library,
 * a fake nvidia-smi in its stuck mode, or a PATH or LD_* of its own gets a process of its own.
 * A path that names nothing leaves nothing loaded or remembered (each call looks again), an
 * nvidia-smi that answers leaves nothing either, and a sysfs root is read afresh at each use, as
 * are the limits and the onnxruntime folder: those runs stay in this process.
 */
const STATELESS = new Set([
  'ENERGY_SCORE_SYSFS_ROOT',
  'ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S',
  'ENERGY_SCORE_LOCK_WAIT_S',
  'ENERGY_SCORE_ORT_BIN_DIR',
]);

function fakesDevices(env: NodeJS.ProcessEnv): boolean {
  const exists = (file: string | undefined) =>
    file !== undefined && fs.existsSync(path.resolve(REPO_ROOT, file));
  return Object.keys({ ...env, ...process.env }).some((key) => {
    if (env[key] === process.env[key] || STATELESS.has(key)) return false;
    if (key === 'ENERGY_SCORE_NVML_LIB') return env[key] === undefined || exists(env[key]);
    if (key === 'ENERGY_SCORE_NVIDIA_SMI')
      return env[key] === undefined || (exists(env[key]) && env.FAKE_NVIDIA_SMI_MODE === 'stuck');
    return key === 'PATH' || key.startsWith('LD_') || key.startsWith('ENERGY_SCORE_');
  });
}

/** The subcommand the arguments name (the first that is not an option), or null. */
function commandOf(args: readonly string[]): string | null {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).find((a) => !a.startsWith('-')) ?? null;
}

/**
 * Runs the CLI and gives what it printed and its exit code. It runs in this process (the same
 * dist code, argv, environment, working directory and captured stdio a child would have) unless
 * a child process is what the run tests: no command, devices kept per process, or `--verbose`
 * (onnxruntime's native log goes to the real stderr). Runs in this process take turns, so a
 * test of runs at once starts them with startCli. ENERGY_SCORE_TEST_CLI=spawn runs every call
 * as a child process, to check that the two agree.
 */
export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<RunOutput> {
  const spawned =
    process.env.ENERGY_SCORE_TEST_CLI === 'spawn' ||
    SPAWNED_COMMANDS.has(commandOf(args)) ||
    args.includes('--verbose') ||
    fakesDevices(env);
  return spawned ? cliProcess(args, env) : runCliInProcess(args, env, { cwd: REPO_ROOT, bin: BIN });
}

/** Asserts the exit code, and shows what the CLI printed when it is wrong. */
export function assertExit(run: RunOutput, code: number): void {
  assert.equal(
    run.code,
    code,
    `exit code ${run.code}, expected ${code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
  );
}
