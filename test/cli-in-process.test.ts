/** The in-process CLI runner (test/helpers/cli-in-process.ts) against the built CLI as a child. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { BIN, cliEnv, cliProcess, REPO_ROOT } from './helpers/cli.js';
import { runCliInProcess } from './helpers/cli-in-process.js';
import { RECORDED_CPU_RESULT } from './helpers/documents.js';

const ENV = cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' });
const inProcess = (args: string[], env = ENV) => runCliInProcess(args, env, { cwd: REPO_ROOT, bin: BIN });

describe('the CLI in this process', () => {
  test('prints and exits as the child does: a result, a failed check, a usage error', async () => {
    const cases = [
      ['check', RECORDED_CPU_RESULT, '--max-wh-per-1k', '100', '--json', '-'],
      ['check', RECORDED_CPU_RESULT, '--max-j-per-query', '0.000001'],
      ['rate', RECORDED_CPU_RESULT, '--frobnicate'],
    ];
    const codes: (number | null)[] = [];
    for (const args of cases) {
      const here = await inProcess(args);
      const child = await cliProcess(args, ENV);
      assert.deepEqual(here, child, args.join(' '));
      codes.push(here.code);
    }
    assert.deepEqual(codes, [0, 1, 2]);
  });

  test('puts back what it changed: argv, environment, cwd, exit code, stdio, signal listeners', async () => {
    const before = {
      argv: [...process.argv],
      env: { ...process.env },
      cwd: process.cwd(),
      exitCode: process.exitCode,
      stdout: process.stdout,
      stderr: process.stderr,
      stdin: process.stdin,
      exit: process.exit,
      sigint: process.listenerCount('SIGINT'),
    };
    const run = await inProcess(['check', 'no-such.json', '--min-stars', '3'], {
      ...ENV,
      ENERGY_SCORE_IN_PROCESS_PROBE: 'x',
    });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^energy-score: error: cannot read no-such\.json/);
    assert.equal(run.stdout, '');
    assert.deepEqual(process.argv, before.argv);
    assert.deepEqual({ ...process.env }, before.env);
    assert.equal(process.cwd(), before.cwd);
    assert.equal(process.exitCode, before.exitCode);
    assert.equal(process.stdout, before.stdout);
    assert.equal(process.stderr, before.stderr);
    assert.equal(process.stdin, before.stdin);
    assert.equal(process.exit, before.exit);
    assert.equal(process.listenerCount('SIGINT'), before.sigint);
  });

  test('sees exactly the environment it is given', async () => {
    // GITHUB_ACTIONS=true in the given environment, not in the test's: the check annotates.
    const args = ['check', RECORDED_CPU_RESULT, '--max-j-per-query', '0.000001'];
    const annotated = await inProcess(args, { ...ENV, GITHUB_ACTIONS: 'true' });
    assert.match(annotated.stdout, /^::error /m);
    const plain = await inProcess(args);
    assert.doesNotMatch(plain.stdout + plain.stderr, /::error/);
  });

  test('runs take turns', async () => {
    const args = ['check', RECORDED_CPU_RESULT, '--max-wh-per-1k', '100'];
    const [a, b] = await Promise.all([inProcess(args), inProcess(args)]);
    assert.equal(a.code, 0);
    assert.deepEqual(a, b);
  });
});
