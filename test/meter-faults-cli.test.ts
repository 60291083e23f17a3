/**
 * Broken meters end to end, through the built CLI: a stream that dies, power that cannot be real,
 * an nvidia-smi that hangs. The run goes on and says what happened; no broken figure becomes
 * joules, and no reason says "--meter none" when a meter was asked for. Needs `npm run build`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { MeasureDocument } from '../src/app/measure.js';
import type { RunDocument } from '../src/result/schema.js';
import { assertExit, cli, cliEnv, FAKE_NVIDIA_SMI, QUICK_ENERGY } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-meter-faults-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** No RAPL, no NVML; nvidia-smi is the fake, in the mode each test sets. */
function env(fake: Record<string, string>, nvidiaSmi = FAKE_NVIDIA_SMI): NodeJS.ProcessEnv {
  return cliEnv({
    ENERGY_SCORE_SYSFS_ROOT: path.join(tmp, 'no-sysfs'),
    ENERGY_SCORE_NVML_LIB: path.join(tmp, 'no-libnvidia-ml.so.1'),
    ENERGY_SCORE_NVIDIA_SMI: nvidiaSmi,
    ...fake,
  });
}

const read = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;
const ENCODER_TINY = 'fixtures/zoo/encoder-tiny';

describe('measure with a broken nvidia-smi', { concurrency: true }, () => {
  test('a stream that dies as the command starts: not measured, a warning, no joules', async () => {
    const json = path.join(tmp, 'died.json');
    const run = await cli(
      ['measure', '--meter', 'nvidia-smi', '--idle', '0', '--json', json, '--', 'sleep', '2'],
      env({ FAKE_NVIDIA_SMI_MODE: 'die', FAKE_NVIDIA_SMI_FAIL_AFTER: '2' }),
    );
    assertExit(run, 0);
    const doc = read<MeasureDocument>(json);
    assert.deepEqual(doc.domains, []);
    assert.equal(doc.measuredEnergyJ, null);
    assert.ok(
      doc.warnings.some((w) =>
        /^nvidia-smi \(gpu\): could not read energy: nvidia-smi meter: gpu0: no power sample .*exited with code 15/.test(
          w,
        ),
      ),
      doc.warnings.join('\n'),
    );
    assert.doesNotMatch(run.stdout, /measured energy/);
  });

  test('a stream that dies during the idle wait: dropped with a note, the command still measured for time', async () => {
    const json = path.join(tmp, 'idle.json');
    const run = await cli(
      ['measure', '--meter', 'nvidia-smi', '--idle', '2', '--json', json, '--', 'sleep', '0.5'],
      env({ FAKE_NVIDIA_SMI_MODE: 'die', FAKE_NVIDIA_SMI_FAIL_AFTER: '3' }),
    );
    assertExit(run, 0);
    const doc = read<MeasureDocument>(json);
    assert.equal(doc.measuredEnergyJ, null);
    assert.ok(doc.durationS >= 0.5);
    assert.ok(
      doc.notes.some((n) =>
        /^nvidia-smi \(gpu\) failed while measuring idle power and was dropped: nvidia-smi meter: gpu0: no power sample/.test(
          n,
        ),
      ),
      doc.notes.join('\n'),
    );
  });

  for (const [powerW, why] of [
    [
      '1e9',
      /gpu0: power\.draw\.instant of 1\.00e\+9 W is above 1400 W \(2 × the enforced power limit of 700 W\)/,
    ],
    ['-50', /gpu0: power\.draw\.instant of -50 W is negative/],
  ] as const) {
    test(`samples of ${powerW} W: not measured, and the warning names the figure`, async () => {
      const json = path.join(tmp, `power${powerW}.json`);
      const run = await cli(
        ['measure', '--meter', 'nvidia-smi', '--idle', '0', '--json', json, '--', 'sleep', '0.5'],
        env({ FAKE_NVIDIA_SMI_POWER_W: powerW }),
      );
      assertExit(run, 0);
      const doc = read<MeasureDocument>(json);
      assert.equal(doc.measuredEnergyJ, null);
      assert.deepEqual(doc.domains, []);
      assert.ok(
        doc.warnings.some(
          (w) => w.startsWith('nvidia-smi (gpu): could not read energy: nvidia-smi meter: ') && why.test(w),
        ),
        doc.warnings.join('\n'),
      );
    });
  }
});

describe('bench with a broken nvidia-smi', { concurrency: true }, () => {
  test('--meter nvidia-smi dropped during idle: the reason says so, not "--meter none"', async () => {
    const json = path.join(tmp, 'bench-idle.json');
    const run = await cli(
      [
        'bench',
        ENCODER_TINY,
        '--precision',
        'fp32',
        ...QUICK_ENERGY.filter((_, i, all) => all[i] !== '--idle' && all[i - 1] !== '--idle'),
        '--idle',
        '2',
        '--meter',
        'nvidia-smi',
        '--json',
        json,
      ],
      env({ FAKE_NVIDIA_SMI_MODE: 'die', FAKE_NVIDIA_SMI_FAIL_AFTER: '3' }),
    );
    assertExit(run, 0);
    const doc = read<RunDocument>(json);
    const energy = doc.results[0]!.energy;
    assert.equal(energy.status, 'not-measured');
    const reason = energy.status === 'not-measured' ? energy.reason : '';
    assert.match(
      reason,
      /^no energy meter was left: nvidia-smi \(gpu\) failed while measuring idle power and was dropped: nvidia-smi meter: gpu0: no power sample/,
    );
    assert.doesNotMatch(reason, /--meter none/);
    assert.doesNotMatch(run.stdout, /--meter none/);
  });

  test('--meter auto with an nvidia-smi that hangs: bounded, and the notes say which meter was dropped and why', async () => {
    const stuck = path.join(tmp, 'stuck-nvidia-smi');
    fs.symlinkSync(FAKE_NVIDIA_SMI, stuck);
    const json = path.join(tmp, 'bench-stuck.json');
    const run = await cli(
      ['bench', ENCODER_TINY, '--precision', 'fp32', ...QUICK_ENERGY, '--json', json],
      env({ FAKE_NVIDIA_SMI_MODE: 'stuck', ENERGY_SCORE_NVIDIA_SMI_TIMEOUT_S: '1' }, stuck),
    );
    assertExit(run, 0);
    const doc = read<RunDocument>(json);
    assert.ok(
      doc.energyNotes.includes(
        `nvidia-smi (gpu) was dropped: ${stuck} --help-query-gpu did not finish within 1 s`,
      ),
      doc.energyNotes.join('\n'),
    );
    // The GPU list did not wait out a limit of its own on the same hung executable.
    assert.deepEqual(doc.environment.gpus, []);
    assert.equal(doc.results[0]!.energy.status, 'estimated');
  });
});
