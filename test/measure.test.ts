/**
 * End-to-end tests of `energy-score measure`: the built CLI runs a command and reports its
 * duration, exit code and energy per domain. No RAPL or GPU here: the CPU estimate, the fake
 * nvidia-smi and the fake libnvidia-ml stand in. Needs `npm run build` first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { MeasureDocument } from '../src/app/measure.js';
import {
  assertExit,
  cli,
  cliEnv,
  cliProcess,
  FAKE_NVIDIA_SMI,
  REPO_ROOT,
  type RunOutput,
} from './helpers/cli.js';
import { buildFakeNvml } from './helpers/fake-nvml.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-measure-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** No RAPL, no nvidia-smi, no NVML: every figure here is the CPU estimate unless a test adds a fake. */
const BASE = {
  ENERGY_SCORE_SYSFS_ROOT: path.join(tmp, 'no-sysfs'),
  ENERGY_SCORE_NVIDIA_SMI: path.join(tmp, 'no-nvidia-smi'),
  ENERGY_SCORE_NVML_LIB: path.join(tmp, 'no-libnvidia-ml.so.1'),
};
const ENV = cliEnv(BASE);

const BUSY_S = 0.5;
/** A child that keeps one CPU busy for BUSY_S seconds. */
const BUSY = ['node', '-e', `const end = Date.now() + ${BUSY_S * 1000}; while (Date.now() < end);`];
/** A child that lasts as long and uses no CPU: for the GPU meters, whose figures come from fakes. */
const WAIT = ['sleep', String(BUSY_S)];

function readDoc(file: string): MeasureDocument {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as MeasureDocument;
}

function assertUsageError(run: RunOutput, pattern: RegExp): void {
  assertCommandError(run, 2, pattern);
}

/** Exit `code`, and stderr an error line matching `pattern` and a hint line. */
function assertCommandError(run: RunOutput, code: number, pattern: RegExp): void {
  assertExit(run, code);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `an error line and a hint line, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^energy-score: error: /);
  assert.match(lines[0]!, pattern);
  assert.match(lines[1]!, /^ {2}hint: \S/);
}

describe('measure', { concurrency: true }, () => {
  test('a busy child: duration, exit code, estimated cpu and dram energy', async () => {
    const json = path.join(tmp, 'busy.json');
    // The built CLI as a user runs it; the other tests without fake devices run in this process.
    const run = await cliProcess(['measure', '--idle', '0.2', '--json', json, '--', ...BUSY], ENV);
    assertExit(run, 0);
    const doc = readDoc(json);
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.kind, 'measure');
    assert.deepEqual(doc.command, BUSY);
    assert.ok(doc.durationS >= BUSY_S * 0.9 && doc.durationS < BUSY_S + 30, `durationS ${doc.durationS}`);
    assert.equal(doc.exitCode, 0);
    assert.equal(doc.signal, null);
    assert.ok(!Number.isNaN(Date.parse(doc.startedAt)));
    assert.equal(doc.idle.seconds, 0.2);
    assert.deepEqual(Object.keys(doc.idle.powerW).sort(), ['cpu-estimate:cpu', 'cpu-estimate:dram']);

    assert.deepEqual(
      doc.domains.map((d) => `${d.meter}:${d.domain}:${d.method}`),
      ['cpu-estimate:cpu:estimated', 'cpu-estimate:dram:estimated'],
    );
    for (const d of doc.domains) {
      assert.equal(d.estimated, true);
      assert.ok(d.energyJ > 0, `${d.domain} energyJ ${d.energyJ}`);
      assert.ok(d.netEnergyJ >= 0 && d.netEnergyJ <= d.energyJ, `${d.domain} net ${d.netEnergyJ}`);
      assert.ok(d.avgPowerW > 0);
    }
    const sum = doc.domains.reduce((s, d) => s + d.energyJ, 0);
    assert.ok(Math.abs(doc.estimatedEnergyJ! - sum) < 1e-9, `${doc.estimatedEnergyJ} vs ${sum}`);
    assert.equal(doc.measuredEnergyJ, null, 'no measured domain here');
    assert.ok(doc.warnings.some((w) => w.startsWith('estimated')));
    assert.ok(doc.notes.some((n) => /rapl is unavailable/.test(n)));
    assert.equal(typeof doc.environment.nodeVersion, 'string');

    // The report on stdout: every estimated line says so.
    assert.match(run.stdout, /^exit code\s+0$/m);
    for (const domain of ['cpu', 'dram']) {
      assert.match(
        run.stdout,
        new RegExp(`^${domain}\\s+cpu-estimate\\s+estimated\\s+[\\d.]+.*estimated$`, 'm'),
      );
    }
    assert.match(run.stdout, /^estimated energy\s+[\d.]+ J ±\d+ % \(model\) \(cpu \+ dram\) — estimated/m);
  });

  test("the child's exit code is measure's", async () => {
    const run = await cli(['measure', '--idle', '0', '--', 'sh', '-c', 'exit 3'], ENV);
    assertExit(run, 3);
    assert.match(run.stdout, /^exit code\s+3$/m);
  });

  test('a child killed by a signal: 128 + its number, and --json - on stdout', async () => {
    // A real process: its exit status is 128 + 15, as a shell's would be.
    const run = await cliProcess(
      ['measure', '--idle', '0', '--json', '-', '--', 'sh', '-c', 'kill -TERM $$'],
      ENV,
    );
    assertExit(run, 128 + os.constants.signals.SIGTERM);
    const doc = JSON.parse(run.stdout) as MeasureDocument;
    assert.equal(doc.exitCode, null);
    assert.equal(doc.signal, 'SIGTERM');
    assert.match(run.stderr, /^exit code\s+killed by SIGTERM$/m, 'the report goes to stderr');
  });

  test('options after the command are the command’s', async () => {
    // sh -c takes the words after its $0 as they come, a second -- among them.
    const script = 'test "$*" = "-- --json x"';
    const run = await cli(
      ['measure', '--meter', 'none', '--', 'sh', '-c', script, 'sh', '--', '--json', 'x'],
      ENV,
    );
    assertExit(run, 0);
    assert.ok(!fs.existsSync(path.join(REPO_ROOT, 'x')), '--json x was not taken as ours');
    assert.match(run.stdout, /^energy: not measured/m);
  });

  test('a command that does not exist: exit 127 as in a shell, naming it, before the idle wait', async () => {
    const started = performance.now();
    // An idle wait far longer than any start-up on a loaded machine: finishing well inside it
    // shows the check came first.
    const run = await cli(['measure', '--idle', '120', '--', 'no-such-command-xyz', '--flag'], ENV);
    assertCommandError(run, 127, /command not found: no-such-command-xyz/);
    assert.equal(run.stdout, '');
    assert.ok(performance.now() - started < 60_000, 'it did not wait out the 120 s idle measurement');
    assertCommandError(
      await cli(['measure', '--idle', '0', '--', './no/such/path'], ENV),
      127,
      /command not found: .\/no\/such\/path/,
    );
  });

  test('a command that is there but cannot run: exit 126 as in a shell, saying why', async () => {
    const plain = path.join(tmp, 'not-executable.sh');
    fs.writeFileSync(plain, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    assertCommandError(
      await cli(['measure', '--idle', '0', '--', plain], ENV),
      126,
      new RegExp(`^energy-score: error: ${plain.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not executable$`),
    );
    assertCommandError(
      await cli(['measure', '--idle', '0', '--', tmp], ENV),
      126,
      /is a folder, not a command$/,
    );
    const orphan = path.join(tmp, 'bad-interpreter.sh');
    fs.writeFileSync(orphan, '#!/no/such/interpreter\nexit 0\n', { mode: 0o755 });
    assertCommandError(
      await cli(['measure', '--idle', '0', '--', orphan], ENV),
      126,
      /cannot run .*bad-interpreter\.sh: the interpreter on its #! line, or a library it needs, is missing$/,
    );
    // Found on PATH but not executable there: the shell says so too, rather than "not found".
    const bin = fs.mkdtempSync(path.join(tmp, 'bin-'));
    fs.writeFileSync(path.join(bin, 'tool-xyz'), '#!/bin/sh\n', { mode: 0o644 });
    assertCommandError(
      await cli(
        ['measure', '--idle', '0', '--', 'tool-xyz'],
        cliEnv({ ...BASE, PATH: `${bin}:${process.env.PATH}` }),
      ),
      126,
      /tool-xyz is not executable$/,
    );
  });

  test('the help and the README give the exit codes 126 and 127', async () => {
    const help = (await cli(['measure', '--help'], ENV)).stdout.replace(/\s+/g, ' ');
    assert.match(help, /126 when the command is found but cannot run/);
    assert.match(help, /127 when it is not found/);
    const readme = fs.readFileSync(path.join(REPO_ROOT, 'README.md'), 'utf8').replace(/\s+/g, ' ');
    assert.match(
      readme,
      /`measure` exits with its command's code \(126 when the command cannot run, 127 when it is not found/,
    );
  });

  test('nothing after -- is a usage error', async () => {
    assertUsageError(await cli(['measure', '--'], ENV), /no command to measure/);
    assertUsageError(await cli(['measure'], ENV), /no command to measure/);
  });

  test('--json into a missing folder fails before the command runs', async () => {
    const marker = path.join(tmp, 'ran');
    const run = await cli(
      [
        'measure',
        '--json',
        path.join(tmp, 'no-such-dir', 'r.json'),
        '--',
        'node',
        '-e',
        `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
      ],
      ENV,
    );
    assertUsageError(run, /cannot write .*no-such-dir.*no such folder/);
    assert.ok(!fs.existsSync(marker), 'the command did not run');
  });

  test('--help shows the examples', async () => {
    const run = await cli(['measure', '--help'], ENV);
    assertExit(run, 0);
    assert.match(run.stdout, /^Usage: energy-score measure \[options\] -- <command> \[args\.\.\.\]/);
    assert.match(run.stdout, /energy-score measure -- python train\.py/);
    assert.match(run.stdout, /--meter nvml --gpus 0 --json run\.json -- \.\/serve\.sh/);
  });

  test('--meter nvidia-smi (the fake H100): a polled gpu domain at the recorded power', async () => {
    const json = path.join(tmp, 'smi.json');
    const env = cliEnv({
      ...BASE,
      ENERGY_SCORE_NVIDIA_SMI: FAKE_NVIDIA_SMI,
      FAKE_NVIDIA_SMI_TIMESTAMPS: 'now',
    });
    const run = await cli(
      ['measure', '--meter', 'nvidia-smi', '--idle', '0.2', '--json', json, '--', ...WAIT],
      env,
    );
    assertExit(run, 0);
    const doc = readDoc(json);
    assert.equal(doc.domains.length, 1);
    const gpu = doc.domains[0]!;
    assert.deepEqual(
      [gpu.meter, gpu.domain, gpu.method, gpu.estimated],
      ['nvidia-smi', 'gpu', 'polled', false],
    );
    assert.deepEqual(gpu.devices, ['gpu0']);
    // The recording idles near 120 W and peaks near 700 W: any figure in between is plausible.
    assert.ok(gpu.avgPowerW > 50 && gpu.avgPowerW < 800, `avg ${gpu.avgPowerW} W`);
    assert.ok(
      gpu.energyJ > 50 * doc.durationS && gpu.energyJ < 800 * (doc.durationS + 1),
      `${gpu.energyJ} J over ${doc.durationS} s`,
    );
    assert.ok(gpu.peakPowerW !== null && gpu.peakPowerW >= gpu.avgPowerW * 0.5);
    assert.equal(doc.measuredEnergyJ, gpu.energyJ);
    assert.equal(doc.estimatedEnergyJ, null, 'no estimated domain here');
    assert.match(run.stdout, /^gpu\s+nvidia-smi\s+polled\s+[\d.]+/m);
  });

  describe('--meter nvml (the fake libnvidia-ml)', () => {
    let lib = '';
    before(() => {
      const dir = fs.mkdtempSync(path.join(tmp, 'nvml-'));
      lib = buildFakeNvml(dir);
    });

    test('a counter gpu domain whose energy follows the clock', async () => {
      const json = path.join(tmp, 'nvml.json');
      const env = cliEnv({
        ...BASE,
        ENERGY_SCORE_NVML_LIB: lib,
        // Wall-clock mode: 6 s of steady ~690 W load start at this epoch of the recording.
        FAKE_NVML_START_EPOCH: '1795672737.85',
        FAKE_NVML_GPUS: '1',
      });
      const run = await cli(
        ['measure', '--meter', 'nvml', '--idle', '0.2', '--json', json, '--', ...WAIT],
        env,
      );
      assertExit(run, 0);
      const doc = readDoc(json);
      assert.equal(doc.domains.length, 1);
      const gpu = doc.domains[0]!;
      assert.deepEqual([gpu.meter, gpu.domain, gpu.method, gpu.estimated], ['nvml', 'gpu', 'counter', false]);
      assert.deepEqual(gpu.devices, ['gpu0']);
      assert.ok(gpu.energyJ > 0, `energyJ ${gpu.energyJ}`);
      assert.ok(gpu.avgPowerW > 100 && gpu.avgPowerW < 1500, `avg ${gpu.avgPowerW} W`);
      assert.equal(doc.measuredEnergyJ, gpu.energyJ);
      assert.ok(doc.idle.powerW['nvml:gpu']! > 0);
    });
  });
});
