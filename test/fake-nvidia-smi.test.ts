/**
 * The fake nvidia-smi's shell front (test/fixtures/fake-nvidia-smi) answers the one-shot calls
 * itself and hands the rest to fake-nvidia-smi-node: for every call it answers, the bytes and the
 * exit code must be those of the Node fake (FAKE_NVIDIA_SMI_NODE=1), or the tests that use it
 * would test against a different nvidia-smi.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { FAKE_NVIDIA_SMI } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-fake-smi-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const GPU_LIST = ['--query-gpu=index,enforced.power.limit,name', '--format=csv,noheader,nounits'];

function call(executable: string, args: string[], vars: Record<string, string>) {
  const run = spawnSync(executable, args, { env: { ...process.env, ...vars }, encoding: 'buffer' });
  return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
}

describe('the shell front of the fake nvidia-smi', () => {
  const cases: [string, string[], Record<string, string>][] = [
    ['the field list', ['--help-query-gpu'], {}],
    ['the XML', ['-q', '-x'], {}],
    ['the GPU list', GPU_LIST, {}],
    [
      'three GPUs, no power limit',
      GPU_LIST,
      { FAKE_NVIDIA_SMI_GPU_COUNT: '3', FAKE_NVIDIA_SMI_POWER_LIMIT_W: '[N/A]' },
    ],
    ['a driver that is not loaded', ['--help-query-gpu'], { FAKE_NVIDIA_SMI_MODE: 'fail' }],
    // Variables that change other calls' answers, not these.
    ['the field list beside a bad XML', ['--help-query-gpu'], { FAKE_NVIDIA_SMI_BAD: 'xml-noise,list-junk' }],
    ['the GPU list of a driver without instant power', GPU_LIST, { FAKE_NVIDIA_SMI_NO_INSTANT: '1' }],
  ];
  for (const [name, args, vars] of cases) {
    test(`${name}: the same bytes and exit code as the Node fake`, () => {
      const front = call(FAKE_NVIDIA_SMI, args, vars);
      const node = call(FAKE_NVIDIA_SMI, args, { ...vars, FAKE_NVIDIA_SMI_NODE: '1' });
      assert.ok(node.stdout.length > 0, 'the Node fake printed something');
      assert.deepEqual(front, node);
    });
  }

  test('through a symlink under another name it finds the traces beside the real file', () => {
    const link = path.join(tmp, 'nvidia-smi');
    fs.symlinkSync(FAKE_NVIDIA_SMI, link);
    const run = call(link, ['--help-query-gpu'], {});
    assert.equal(run.status, 0);
    assert.match(run.stdout.toString('utf8'), /^"power\.draw\.instant"/m);
  });

  test('stuck: prints nothing, outlives SIGTERM, ends on SIGKILL', async () => {
    const child = spawn(FAKE_NVIDIA_SMI, ['--help-query-gpu'], {
      env: { ...process.env, FAKE_NVIDIA_SMI_MODE: 'stuck' },
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const ended = new Promise<NodeJS.Signals | null>((resolve) =>
      child.on('exit', (_code, signal) => resolve(signal)),
    );
    // SIGTERM is ignored from the moment the shell execs sleep: wait for that (Linux shows it in
    // /proc), so that the signal does not land while the shell is still starting.
    const cmdline = `/proc/${child.pid}/cmdline`;
    for (let waitedMs = 0; waitedMs < 10_000; waitedMs += 20) {
      if (!fs.existsSync('/proc/self/cmdline')) {
        await sleep(1000);
        break;
      }
      if (fs.readFileSync(cmdline, 'utf8').startsWith('sleep')) break;
      await sleep(20);
    }
    child.kill('SIGTERM');
    await sleep(200);
    assert.equal(child.exitCode, null, 'still running after SIGTERM');
    assert.equal(child.signalCode, null);
    child.kill('SIGKILL');
    assert.equal(await ended, 'SIGKILL');
    assert.equal(output, '');
  });
});
