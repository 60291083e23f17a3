import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { FakeMeter } from '../src/testing/fake-meter.js';
import type { EnergyMeter, EnergyReading, Mark } from '../src/meters/types.js';
import { inspectModel } from '../src/model/inspect.js';
import {
  DEFAULT_PROTOCOL,
  energyResult,
  headlineDomains,
  headlineMeterIndexes,
  markEach,
  netEnergyJ,
  readEach,
  measureIdle,
  relativeCi,
  stopReason,
  windowSeconds,
  type Trial,
} from '../src/runner/protocol.js';
import { runConfiguration, type ConfigSpec } from '../src/runner/run-config.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function reading(
  domain: 'gpu' | 'cpu' | 'dram',
  energyJ: number,
  durationS: number,
  meter: EnergyReading['meter'] = 'fake',
): EnergyReading {
  return {
    meter,
    domain,
    method: 'counter',
    durationS,
    energyJ,
    avgPowerW: energyJ / durationS,
    peakPowerW: null,
    devices: [{ device: 'd0', energyJ, peakPowerW: null, samples: 2 }],
    warnings: [],
  };
}

describe('protocol arithmetic', () => {
  test('windows span 20 update periods of the slowest meter, and at least the minimum', () => {
    const fast = new FakeMeter({ powerW: 1, updatePeriodS: 0.001 });
    const slow = new FakeMeter({ powerW: 1, updatePeriodS: 0.1 });
    assert.equal(windowSeconds([fast], 1), 1);
    assert.equal(windowSeconds([fast, slow], 1), 2);
    assert.equal(windowSeconds([fast, slow], 5), 5);
    assert.equal(windowSeconds([], 0.5), 0.5);
  });

  test('relative 95 % interval', () => {
    // mean 10, sample sd sqrt(4 / 3), n 4: t(0.975, 3) = 3.1824463052837086 (mpmath),
    // half-width t(3) * sqrt(4 / 3) / 2 = 1.837386231037079, relative to the mean 10.
    assert.ok(Math.abs(relativeCi([9, 11, 9, 11].map((v) => v + 0)) - 0.1837386231037079) < 1e-15);
    assert.ok(Number.isNaN(relativeCi([5])));
  });

  test('trials stop at the target, the window cap or the budget; the minimum and coverage hold them back', () => {
    const settings = { ...DEFAULT_PROTOCOL, minTrials: 3, maxTrials: 5, maxSeconds: 10, targetCi: 0.02 };
    const state = { perQueryJ: [1, 1, 1], trialsRun: 3, elapsedS: 0, nextWindowS: 1, suiteCovered: true };
    assert.equal(stopReason(state, settings), 'target', 'identical trials: zero width');
    assert.equal(
      stopReason({ ...state, perQueryJ: [1, 1], trialsRun: 2 }, settings),
      null,
      'below the minimum',
    );
    assert.equal(
      stopReason({ ...state, suiteCovered: false }, settings),
      null,
      'the suite not yet run whole',
    );
    assert.equal(stopReason({ ...state, perQueryJ: [1, 2, 1] }, settings), null, 'wide interval');
    assert.equal(stopReason({ ...state, perQueryJ: [1, 2, 1, 2, 1], trialsRun: 5 }, settings), 'max-trials');
    assert.equal(stopReason({ ...state, perQueryJ: [1, 2, 1], elapsedS: 9.5 }, settings), 'budget');
    assert.equal(
      stopReason({ ...state, perQueryJ: [1, 2, 1], elapsedS: 9 }, settings),
      null,
      'the window fits',
    );
    // The budget is a hard cap: it stops the trials below the minimum and before coverage too.
    assert.equal(stopReason({ ...state, perQueryJ: [1], trialsRun: 1, elapsedS: 9.5 }, settings), 'budget');
    assert.equal(stopReason({ ...state, suiteCovered: false, elapsedS: 9.5 }, settings), 'budget');
    // A trial still being read counts towards the minimum and the cap, not towards the interval.
    assert.equal(stopReason({ ...state, perQueryJ: [1, 1] }, settings), 'target', 'third trial pending');
    assert.equal(stopReason({ ...state, perQueryJ: [1, 2, 1, 2], trialsRun: 5 }, settings), 'max-trials');
  });

  test('headline domains follow the device', () => {
    assert.deepEqual(headlineDomains('cpu', ['gpu', 'cpu', 'dram']), ['cpu', 'dram']);
    assert.deepEqual(headlineDomains('cuda', ['gpu', 'cpu', 'dram']), ['gpu']);
    assert.deepEqual(headlineDomains('cpu', ['gpu']), []);
  });

  test('energy figures: gross, net of idle, per domain, headline and interval', () => {
    const cpu = new FakeMeter({ domain: 'cpu', powerW: 0 });
    const dram = new FakeMeter({ domain: 'dram', powerW: 0 });
    const gpu = new FakeMeter({ domain: 'gpu', powerW: 0 });
    const trials: Trial[] = [
      { queries: 100, readings: [reading('cpu', 30, 2), reading('dram', 4, 2), reading('gpu', 500, 2)] },
      { queries: 100, readings: [reading('cpu', 32, 2), reading('dram', 4, 2), reading('gpu', 520, 2)] },
    ];
    const e = energyResult('cpu', [cpu, dram, gpu], [5, 1, 70], 3, trials);
    assert.equal(e.status, 'measured');
    assert.deepEqual(e.basis, { domains: ['cpu', 'dram'], figure: 'gross' });
    // cpu 62 J + dram 8 J over 200 queries
    assert.equal(e.perQueryJ, 0.31 + 0.04);
    assert.equal(e.whPer1k, ((0.31 + 0.04) * 1000) / 3600);
    assert.equal(e.queriesPerJ, 1 / 0.35);
    // net: cpu 62 - 5 W * 4 s = 42, dram 8 - 1 * 4 = 4
    assert.ok(Math.abs(e.net.perQueryJ - (42 + 4) / 200) < 1e-12);
    assert.equal(e.domains.gpu!.perQueryJ, 1020 / 200);
    assert.equal(e.domains.gpu!.idlePowerW, 70);
    // per-trial headline: 0.34 and 0.36: sd sqrt(0.0002), t(0.975, 1) = tan(0.475π) =
    // 12.706204736174694, half-width t(1) * sqrt(0.0002) / sqrt(2) = t(1) / 100
    assert.ok(Math.abs(e.ci95PerQueryJ! - 0.12706204736174692) < 1e-14);
    assert.equal(e.trials, 2);
    assert.equal(e.windowSeconds, 2);
    assert.ok(e.warnings.some((w) => w.startsWith('high variance')));
  });

  test('the headline meters: the first of each of the device’s domains', () => {
    const gpu = new FakeMeter({ domain: 'gpu', powerW: 0 });
    const cpu = new FakeMeter({ domain: 'cpu', powerW: 0 });
    const cpu2 = new FakeMeter({ domain: 'cpu', powerW: 0 });
    const dram = new FakeMeter({ domain: 'dram', powerW: 0 });
    assert.deepEqual(headlineMeterIndexes('cpu', [gpu, cpu, cpu2, dram]), [1, 3]);
    assert.deepEqual(headlineMeterIndexes('cuda', [gpu, cpu, cpu2, dram]), [0]);
    assert.deepEqual(headlineMeterIndexes('cuda', [cpu, dram]), []);
    // A GPU meter beside a CPU configuration does not stretch its windows.
    const slowGpu = new FakeMeter({ domain: 'gpu', powerW: 0, updatePeriodS: 1 });
    const all = [slowGpu, cpu];
    assert.equal(
      windowSeconds(
        headlineMeterIndexes('cpu', all).map((i) => all[i]!),
        1,
      ),
      1,
    );
  });

  test('no meter for the device’s own domain: not measured, never a headline of 0 J', () => {
    const gpu = new FakeMeter({ domain: 'gpu', powerW: 0 });
    const e = energyResult('cpu', [gpu], [null], 0, [{ queries: 10, readings: [reading('gpu', 100, 1)] }]);
    assert.equal(e.status, 'not-measured');
    assert.match(
      e.status === 'not-measured' ? e.reason : '',
      /no meter reads the cpu device's energy \(cpu or dram\)/,
    );
  });

  test('the high-variance warning follows the target given', () => {
    const cpu = new FakeMeter({ domain: 'cpu', powerW: 0 });
    const trials: Trial[] = [1, 1.1, 0.9].map((j) => ({ queries: 1, readings: [reading('cpu', j, 1)] }));
    const loose = energyResult('cpu', [cpu], [null], 1, trials, 0.6);
    const tight = energyResult('cpu', [cpu], [null], 1, trials, 0.02);
    assert.ok(loose.status !== 'not-measured' && !loose.warnings.some((w) => w.startsWith('high variance')));
    assert.ok(tight.status !== 'not-measured' && tight.warnings.some((w) => w.startsWith('high variance')));
  });

  test('an estimated headline domain makes the whole figure estimated', () => {
    const estimate = new FakeMeter({ domain: 'cpu', powerW: 0 });
    Object.assign(estimate.info, { method: 'estimated' });
    const e = energyResult('cpu', [estimate], [null], 0, [{ queries: 10, readings: [reading('cpu', 1, 1)] }]);
    assert.equal(e.status, 'estimated');
    assert.ok(e.warnings.some((w) => w.startsWith('estimated')));
    assert.ok(e.warnings.some((w) => w.includes('--idle 0')));
    assert.equal(e.net.perQueryJ, e.perQueryJ);
  });

  test('idle power is each meter’s average over the idle wait', async () => {
    let now = 1000;
    const meter = new FakeMeter({ powerW: 42, clock: () => now });
    const idle = await measureIdle([meter], 3, async (ms) => {
      now += ms / 1000;
    });
    assert.equal(idle.length, 1);
    assert.ok(Math.abs(idle[0]! - 42) < 1e-9);
    assert.deepEqual(await measureIdle([meter], 0), [null]);
  });
});

class FailingMeter implements EnergyMeter {
  readonly info = { ...new FakeMeter({ domain: 'dram', powerW: 1 }).info, name: 'rapl' as const };
  async start() {}
  async mark(): Promise<Mark> {
    return { timeS: 0, state: null };
  }
  async between(): Promise<EnergyReading> {
    throw new Error('energy_uj vanished');
  }
  async stop() {}
}

describe('reading several meters', () => {
  test('net of idle: gross less idle power over the window, floored at zero', () => {
    assert.equal(netEnergyJ(100, 20, 3), 40);
    assert.equal(netEnergyJ(100, 50, 3), 0);
    assert.equal(netEnergyJ(100, null, 3), 100);
  });

  test('a failing meter gives null and is reported; the others are read', async () => {
    const good = new FakeMeter({ domain: 'cpu', powerW: 10 });
    const bad = new FailingMeter();
    const meters = [good, bad];
    const failures: number[] = [];
    const from = await markEach(meters);
    const to = await markEach(meters);
    const readings = await readEach(meters, from, to, (i) => failures.push(i));
    assert.equal(readings[0]?.meter, 'fake');
    assert.equal(readings[1], null);
    assert.deepEqual(failures, [1]);
    const skipped = await readEach(
      meters,
      from,
      to,
      () => assert.fail('not read'),
      () => true,
    );
    assert.deepEqual(skipped, [null, null]);
  });
});

describe('runConfiguration with meters', () => {
  const spec = async (): Promise<ConfigSpec> => ({
    modelName: 'encoder-tiny',
    precision: 'fp32',
    model: await inspectModel(path.join(repoRoot, 'fixtures/zoo/encoder-tiny/model.onnx')),
    task: getTask('text-classification'),
    taskSource: 'test',
    device: 'cpu',
    batchSize: 4,
    threads: 1,
    queries: 40,
    warmup: 1,
    seed: 0,
    overrides: NO_OVERRIDES,
  });

  test('a constant 50 W meter gives 50 W × loop time per query, over repeated trials', async () => {
    const meter = new FakeMeter({ domain: 'cpu', powerW: 50 });
    const protocol = { ...DEFAULT_PROTOCOL, minWindowS: 0.05, minTrials: 3, maxSeconds: 5 };
    const result = await runConfiguration({
      ...(await spec()),
      energy: { meters: [meter], idlePowerW: [10], idleSeconds: 1, protocol },
    });
    assert.equal(result.status, 'ok');
    const e = result.energy;
    assert.ok(e.status === 'measured');
    assert.ok(e.trials >= 3, `trials ${e.trials}`);
    // The trials run every query of the suite (40) at least once, in windows of at least 0.05 s.
    assert.ok(result.queries >= 40, `queries ${result.queries}`);
    assert.ok(e.windowSeconds >= 0.05);
    // Energy = 50 W × window; per query = 50 × window / queries; average power is the meter's 50 W.
    assert.ok(Math.abs(e.avgPowerW - 50) < 1e-9);
    assert.ok(Math.abs(e.perQueryJ - (50 * e.windowSeconds * e.trials) / result.queries) < 1e-9);
    assert.ok(Math.abs(e.net.perQueryJ - (40 * e.windowSeconds * e.trials) / result.queries) < 1e-9);
    assert.equal(e.ci95Relative !== null && e.ci95Relative >= 0, true);
    assert.deepEqual(
      e.meters.map((m) => m.name),
      ['fake'],
    );
  });

  test('a meter that fails is dropped with a warning and the others carry on', async () => {
    const good = new FakeMeter({ domain: 'cpu', powerW: 20 });
    const protocol = { ...DEFAULT_PROTOCOL, minWindowS: 0.02, minTrials: 2, maxTrials: 2 };
    const result = await runConfiguration({
      ...(await spec()),
      energy: { meters: [good, new FailingMeter()], idlePowerW: [null, null], idleSeconds: 0, protocol },
    });
    assert.equal(result.status, 'ok');
    assert.ok(result.energy.status === 'measured');
    assert.deepEqual(Object.keys(result.energy.domains), ['cpu']);
    assert.ok(
      result.energy.warnings.some((w) => w.includes('meter rapl failed and was dropped: energy_uj vanished')),
    );
  });

  test('when every meter fails the result says not measured, and why', async () => {
    const protocol = { ...DEFAULT_PROTOCOL, minWindowS: 0.01, minTrials: 1, maxTrials: 1 };
    const result = await runConfiguration({
      ...(await spec()),
      energy: { meters: [new FailingMeter()], idlePowerW: [null], idleSeconds: 0, protocol },
    });
    assert.equal(result.status, 'ok');
    assert.equal(result.energy.status, 'not-measured');
    assert.match(result.energy.status === 'not-measured' ? result.energy.reason : '', /every meter failed/);
  });
});
