/**
 * The runner when meters break: a meter that fails mid-run is dropped and the configuration goes
 * on; a configuration without energy says why (every meter dropped, interrupted, --meter none).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { raplMeterFactory } from '../src/meters/rapl.js';
import { inspectModel } from '../src/model/inspect.js';
import { DEFAULT_PROTOCOL } from '../src/runner/protocol.js';
import { runConfiguration, type ConfigSpec } from '../src/runner/run-config.js';
import { runTrials, trialsEnergy } from '../src/runner/trials.js';
import { FakeClock, FakeMeter, FakeWorkload } from '../src/testing/index.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';
import { energyFile, raplRoot as makeRaplRoot } from './helpers/rapl-sysfs.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-run-faults-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const raplRoot = (energyUj: number): string => makeRaplRoot(tmp, energyUj);

describe('a meter that fails mid-run', () => {
  test('energy_uj vanishes mid-run: the trial loop drops the meter with the reason, keeping the trial before', async () => {
    const root = raplRoot(0);
    const clock = new FakeClock();
    let energyUj = 0;
    // 250 ms batches at 40 W: 10 J a batch; the file goes during the second window.
    const workload = new FakeWorkload({
      clock,
      passQueries: [4, 4, 2],
      batchMs: 250,
      onBatch: (i) => {
        if (i === 5) fs.rmSync(energyFile(root));
        else if (i < 5) fs.writeFileSync(energyFile(root), `${(energyUj += 10_000_000)}\n`);
      },
    });
    const meter = await raplMeterFactory({ sysfsRoot: root, clock: () => clock.nowS() }).create();
    const outcome = await runTrials({
      workload,
      passBatches: 3,
      device: 'cpu',
      meters: [meter],
      // Batches counted from the first measured window: no warm-up window before it.
      protocol: { ...DEFAULT_PROTOCOL, minWindowS: 1, minTrials: 3, maxTrials: 3, warmupWindows: 0 },
      clock,
    });
    assert.deepEqual(
      outcome.trials.map((t) => t.readings[0]?.energyJ ?? null),
      [40, null],
    );
    // Once every meter has failed, no more windows are run for nothing.
    assert.equal(outcome.trials.length, 2);
    assert.deepEqual(outcome.droppedMeters, [0]);
    assert.equal(outcome.meterWarnings.length, 1);
    assert.match(
      outcome.meterWarnings[0]!,
      /^meter rapl failed and was dropped: rapl: cannot read a counter: ENOENT/,
    );
    const energy = trialsEnergy(
      { device: 'cpu', meters: [meter], idlePowerW: [null], idleSeconds: 0, targetCi: 0.02 },
      outcome,
      outcome.meterWarnings,
    );
    assert.equal(energy.status, 'not-measured');
    assert.match(
      energy.status === 'not-measured' ? energy.reason : '',
      /every meter failed: meter rapl failed/,
    );
  });
});

describe('a configuration without energy says why, never "--meter none" by default', () => {
  const spec = async (): Promise<ConfigSpec> => ({
    modelName: 'encoder-tiny',
    precision: 'fp32',
    model: await inspectModel(path.join(repoRoot, 'fixtures/zoo/encoder-tiny/model.onnx')),
    task: getTask('text-classification'),
    taskSource: 'test',
    device: 'cpu',
    batchSize: 4,
    threads: 1,
    queries: 8,
    warmup: 1,
    seed: 0,
    overrides: NO_OVERRIDES,
  });

  test('interrupted before its trials finished', async () => {
    const meter = new FakeMeter({ domain: 'cpu', powerW: 50 });
    const result = await runConfiguration(
      {
        ...(await spec()),
        energy: { meters: [meter], idlePowerW: [null], idleSeconds: 0, protocol: DEFAULT_PROTOCOL },
      },
      { signal: AbortSignal.abort() },
    );
    assert.equal(result.status, 'interrupted');
    assert.deepEqual(result.energy, {
      status: 'not-measured',
      reason: 'interrupted before its trials finished: a partial run is not reported',
      perQueryJ: null,
      whPer1k: null,
      queriesPerJ: null,
    });
  });

  test('no meter: the reason the run gives, else --meter none', async () => {
    const dropped = await runConfiguration({
      ...(await spec()),
      unmeteredReason: 'no energy meter was left: nvidia-smi (gpu) failed while measuring idle power',
    });
    assert.equal(dropped.status, 'ok');
    assert.equal(
      dropped.energy.status === 'not-measured' ? dropped.energy.reason : '',
      'no energy meter was left: nvidia-smi (gpu) failed while measuring idle power',
    );
    const none = await runConfiguration(await spec());
    assert.equal(
      none.energy.status === 'not-measured' ? none.energy.reason : '',
      '--meter none: no energy meter was used',
    );
  });
});
