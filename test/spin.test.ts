import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError } from '../src/errors.js';
import { inspectModel } from '../src/model/inspect.js';
import { OrtWorkload } from '../src/runner/ort-workload.js';
import { DEFAULT_PROTOCOL } from '../src/runner/protocol.js';
import { defaultSpin, spinSessionOptions } from '../src/runner/spin.js';
import { parseSpin } from '../src/cli/parse.js';
import { protocolFrom, type EnergyFlags } from '../src/cli/energy-options.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

describe('intra-op spinning', () => {
  test('the default: off on a CPU estimate or a shared machine, else on', () => {
    assert.deepEqual(defaultSpin({ cpuEstimated: true, loadAverage1: 0 }), {
      value: 'off',
      source: 'default: off, as the CPU energy is estimated from CPU time',
    });
    assert.deepEqual(defaultSpin({ cpuEstimated: false, loadAverage1: 0.5 }), {
      value: 'off',
      source: 'default: off, as the machine is shared (1-minute load average 0.50 before the run)',
    });
    assert.deepEqual(defaultSpin({ cpuEstimated: false, loadAverage1: 0.49 }), {
      value: 'on',
      source: "default: on, ONNX Runtime's own, on a quiet machine with a measured CPU meter",
    });
  });

  test("the session option is ONNX Runtime's session.intra_op.allow_spinning", () => {
    assert.deepEqual(spinSessionOptions('off'), {
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    assert.deepEqual(spinSessionOptions('on'), { extra: { session: { intra_op: { allow_spinning: '1' } } } });
  });

  test('ONNX Runtime takes the option: a session with spinning off runs', async () => {
    const workload = new OrtWorkload({
      modelName: 'encoder-tiny',
      precision: 'fp32',
      model: await inspectModel(path.join(repoRoot, 'fixtures/zoo/encoder-tiny/model.onnx')),
      task: getTask('text-classification'),
      device: 'cpu',
      batchSize: 1,
      threads: 2,
      queries: 4,
      warmup: 1,
      seed: 0,
      overrides: NO_OVERRIDES,
      spin: 'off',
    });
    try {
      assert.deepEqual(await workload.prepare(), { status: 'ready', passBatches: 4 });
      assert.equal((await workload.runBatch()).queries, 1);
    } finally {
      await workload.release();
    }
  });

  test('--spin takes on or off', () => {
    assert.equal(parseSpin('on'), 'on');
    assert.equal(parseSpin(' OFF '), 'off');
    assert.throws(
      () => parseSpin('auto'),
      (err) => err instanceof EnergyScoreError && err.message === "--spin 'auto' is neither on nor off",
    );
  });
});

describe('trial flags', () => {
  const flags: EnergyFlags = {
    meter: 'auto',
    idle: 3,
    minWindow: 0.1,
    targetCi: 2,
    maxTrials: 1000,
    maxSeconds: 30,
  };

  test('--min-trials and --max-seconds go into the protocol; the default minimum follows a lower --max-trials', () => {
    assert.deepEqual(protocolFrom({ ...flags, minTrials: 4, maxSeconds: 4 }), {
      ...DEFAULT_PROTOCOL,
      minTrials: 4,
      maxSeconds: 4,
    });
    assert.equal(protocolFrom({ ...flags, maxTrials: 3 }).minTrials, 3);
    assert.equal(protocolFrom(flags).minTrials, DEFAULT_PROTOCOL.minTrials);
  });

  test('--min-trials above --max-trials is a usage error', () => {
    assert.throws(
      () => protocolFrom({ ...flags, minTrials: 5, maxTrials: 3 }),
      (err) =>
        err instanceof EnergyScoreError &&
        err.kind === 'usage' &&
        err.message === '--min-trials 5 is above --max-trials 3',
    );
  });
});
