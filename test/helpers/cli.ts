/** Runs the built CLI (bin/energy-score.js) the way a user does, for end-to-end tests. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** dist/test/helpers/cli.js → the repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = path.join(REPO_ROOT, 'bin', 'energy-score.js');
export const FAKE_NVIDIA_SMI = path.join(REPO_ROOT, 'test', 'fixtures', 'fake-nvidia-smi');

/** bench flags for estimated energy, fast: few queries, short windows, no idle wait. */
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
  '3',
];

export interface RunOutput {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * A generous limit for each call of the fake nvidia-smi (a Node script): on a loaded 2-core
 * machine its start alone can take longer than the 5 s a real nvidia-smi gets.
 */
export const PATIENT_NVIDIA_SMI = { ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S: '60' };

/** The test's environment without colour forcing, plus `vars`. */
export function cliEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...PATIENT_NVIDIA_SMI, ...vars };
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

export function cli(args: string[], env: NodeJS.ProcessEnv): Promise<RunOutput> {
  return startCli(args, env).done;
}

/** Asserts the exit code, and shows what the CLI printed when it is wrong. */
export function assertExit(run: RunOutput, code: number): void {
  assert.equal(
    run.code,
    code,
    `exit code ${run.code}, expected ${code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`,
  );
}
