import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { FakeClock, FakeMeter, FakeWorkload, ScriptedMeter } from '../src/testing/index.js';
import type { EnergyMeter } from '../src/meters/types.js';
import { DEFAULT_PROTOCOL, type ProtocolSettings } from '../src/runner/protocol.js';
import {
  budgetWarnings,
  runTrials,
  trialsEnergy,
  type TrialRun,
  type TrialsOutcome,
} from '../src/runner/trials.js';
import type { Turn } from '../src/runner/turns.js';

/**
 * The suite used throughout: a pass of three batches (4, 4 and 2 queries) of 250 ms each. With a
 * 1 s minimum window, a window is 4 batches, cycling through the suite where the last one
 * stopped: batches 0-3 (4 + 4 + 2 + 4 = 14 queries), 4-7 (4 + 2 + 4 + 4 = 14), 8-11 (2 + 4 + 4 + 2
 * = 12), then again. Every window is 1 s.
 */
function setup(
  protocol: Partial<ProtocolSettings>,
  meters: (clock: FakeClock) => EnergyMeter[],
  extra: Partial<TrialRun> = {},
  passQueries: readonly number[] = [4, 4, 2],
) {
  const clock = new FakeClock();
  const workload = new FakeWorkload({ clock, passQueries, batchMs: 250 });
  const run: TrialRun = {
    workload,
    passBatches: passQueries.length,
    device: 'cpu',
    meters: meters(clock),
    protocol: {
      ...DEFAULT_PROTOCOL,
      minWindowS: 1,
      minTrials: 3,
      maxTrials: 5,
      maxSeconds: 100,
      targetCi: 0.02,
      // The exact window counts below are of measured windows; warm-up has its own test.
      warmupWindows: 0,
      ...protocol,
    },
    clock,
    ...extra,
  };
  return { clock, workload, run };
}

const scripted =
  (energiesJ: number[], more: Partial<ConstructorParameters<typeof ScriptedMeter>[0]> = {}) =>
  (clock: FakeClock) => [new ScriptedMeter({ energiesJ, clock: () => clock.nowS(), ...more })];

const energies = (outcome: TrialsOutcome, meter = 0) =>
  outcome.trials.map((t) => t.readings[meter]?.energyJ ?? null);

const vanished = () => new Error('energy_uj vanished\n    at readEnergy (rapl.ts:40)');

describe('trials: when the loop stops', () => {
  test('identical trials stop at the minimum of 3 windows', async () => {
    const { run, workload } = setup({}, scripted([30]));
    const outcome = await runTrials(run);
    assert.equal(outcome.trials.length, 3);
    assert.deepEqual(energies(outcome), [30, 30, 30]);
    assert.deepEqual(
      outcome.trials.map((t) => t.queries),
      [14, 14, 12],
    );
    assert.equal(outcome.queries, 40);
    assert.equal(outcome.seconds, 3);
    assert.equal(outcome.batchesRun, 12);
    assert.equal(workload.batches, 12);
    assert.equal(outcome.windowS, 1);
    assert.equal(outcome.stoppedBy, 'target');
    assert.equal(outcome.interrupted, false);
  });

  test('a warm-up window runs before the first measured one, unmeasured and inside the budget', async () => {
    const { run, workload, clock } = setup({ warmupWindows: 1 }, scripted([30]));
    const outcome = await runTrials(run);
    // The warm-up took batches 0-3 (1 s): the measured windows start at batch 4 of the suite
    // (4 + 2 + 4 + 4 = 14 queries), then 8-11 (12).
    assert.deepEqual(
      outcome.trials.slice(0, 2).map((t) => t.queries),
      [14, 12],
    );
    assert.equal(workload.batches, outcome.batchesRun + 4, 'the warm-up batches are not counted');
    assert.equal(outcome.latenciesMs.length, outcome.batchesRun, 'nor timed');
    assert.equal(clock.nowS(), outcome.seconds + 1);
    // Inside the budget: with 2.5 s, the warm-up second leaves room for one measured window only.
    const tight = setup({ warmupWindows: 1, maxSeconds: 2.5, minTrials: 1 }, scripted([20, 40]));
    const cut = await runTrials(tight.run);
    assert.equal(cut.trials.length, 1);
    assert.equal(cut.stoppedBy, 'budget');
  });

  test('noisy trials (20 J, 40 J, …) run to the window cap of 5', async () => {
    const { run } = setup({}, scripted([20, 40]));
    const outcome = await runTrials(run);
    assert.deepEqual(energies(outcome), [20, 40, 20, 40, 20]);
    assert.equal(outcome.queries, 14 + 14 + 12 + 14 + 14);
    assert.equal(outcome.seconds, 5);
    assert.equal(outcome.stoppedBy, 'max-trials');
  });

  test('the budget is a hard cap: no window starts that would end after it', async () => {
    // After the second window 2 s are spent, and a third 1 s window would end at 3 s > 2.5 s.
    const { run } = setup({ minTrials: 2, maxSeconds: 2.5 }, scripted([20, 40]));
    const outcome = await runTrials(run);
    assert.equal(outcome.trials.length, 2);
    assert.equal(outcome.seconds, 2);
    assert.equal(outcome.stoppedBy, 'budget');
    // A budget that a window ends on exactly is spent there.
    const exact = await runTrials(setup({ minTrials: 2, maxSeconds: 3 }, scripted([20, 40])).run);
    assert.equal(exact.trials.length, 3);
    assert.equal(exact.stoppedBy, 'budget');
  });

  test('the budget cuts below the minimum, and the warnings say so', async () => {
    const { run } = setup({ minTrials: 3, maxSeconds: 2 }, scripted([20, 40]));
    const outcome = await runTrials(run);
    assert.equal(outcome.trials.length, 2);
    assert.equal(outcome.stoppedBy, 'budget');
    assert.deepEqual(budgetWarnings(outcome, 3, run.protocol), [
      'the 2 s budget (--max-seconds) left 2 windows, fewer than the 3 asked for (--min-trials)',
    ]);
  });

  test('the next window is expected to last as long as the longest so far', async () => {
    // Batch 4 takes 2 s, so the second window lasts 2 s; at 3 s another 2 s window would pass 4.5 s.
    const clock = new FakeClock();
    const workload = new FakeWorkload({ clock, passQueries: [1], batchMs: (i) => (i === 4 ? 2000 : 250) });
    const outcome = await runTrials({
      workload,
      passBatches: 1,
      device: 'cpu',
      meters: scripted([20, 40])(clock),
      protocol: {
        ...DEFAULT_PROTOCOL,
        warmupWindows: 0,
        minWindowS: 1,
        minTrials: 1,
        maxTrials: 10,
        maxSeconds: 4.5,
      },
      clock,
    });
    assert.deepEqual(
      outcome.trials.map((t) => t.readings[0]!.durationS),
      [1, 2],
    );
    assert.equal(outcome.stoppedBy, 'budget');
  });

  test('a window longer than the budget still runs once', async () => {
    const { run } = setup({ minTrials: 3, maxSeconds: 0.5 }, scripted([20]));
    const outcome = await runTrials(run);
    assert.equal(outcome.trials.length, 1);
    assert.equal(outcome.seconds, 1);
    assert.equal(outcome.stoppedBy, 'budget');
  });

  test('every batch of the suite runs at least once before the interval can stop the trials', async () => {
    // A pass of 10 batches and 0.5 s windows of 2 batches, each window 2 J a query: the
    // interval is tight after 2 windows, but the suite is run whole only after 5.
    const pass = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const meters = scripted([6, 14, 22, 30, 38]);
    const { run, workload } = setup({ minWindowS: 0.5, minTrials: 2, maxTrials: 100 }, meters, {}, pass);
    const outcome = await runTrials(run);
    assert.equal(outcome.trials.length, 5);
    assert.equal(workload.batches, 10);
    assert.deepEqual(
      outcome.trials.map((t) => t.queries),
      [3, 7, 11, 15, 19],
    );
    assert.equal(outcome.stoppedBy, 'target');
    assert.deepEqual(budgetWarnings(outcome, 10, run.protocol), []);
  });

  test('a budget spent before the suite ran whole says how much of it ran', async () => {
    const pass = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const { run } = setup({ minTrials: 1, maxSeconds: 2 }, scripted([30]), {}, pass);
    const outcome = await runTrials(run);
    assert.equal(outcome.batchesRun, 8);
    assert.equal(outcome.stoppedBy, 'budget');
    assert.deepEqual(budgetWarnings(outcome, 10, run.protocol), [
      "the 2 s budget (--max-seconds) ended the trials after 8 of the suite's 10 batches: the figure covers part of the suite",
    ]);
  });

  test('the stopping rule sees the trials read, and counts the one still being read', async () => {
    // After the third window, its 90 J is still being read: the interval of the first two (30 J,
    // 30 J over 14 queries each) is tight, so the loop stops at 3 though 90 J would have widened it.
    const { run } = setup({}, scripted([30, 30, 90, 30, 30]));
    const outcome = await runTrials(run);
    assert.deepEqual(energies(outcome), [30, 30, 90]);
  });
});

describe('trials: windows', () => {
  const batchesPerTrial = async (minWindowS: number, meters: (clock: FakeClock) => EnergyMeter[]) => {
    const { run, workload } = setup({ minWindowS, minTrials: 1, maxTrials: 1 }, meters);
    const outcome = await runTrials(run);
    return { batches: workload.batches, seconds: outcome.trials[0]!.readings[0]!.durationS };
  };

  test('a window is at least the minimum window long, and at least one batch', async () => {
    assert.deepEqual(await batchesPerTrial(1, scripted([1])), { batches: 4, seconds: 1 });
    assert.deepEqual(await batchesPerTrial(0.6, scripted([1])), { batches: 3, seconds: 0.75 });
    assert.deepEqual(await batchesPerTrial(0, scripted([1])), { batches: 1, seconds: 0.25 });
  });

  test('a window spans 20 update periods of the slowest headline meter', async () => {
    // 0.1 s updates: 2 s, so 8 batches.
    assert.deepEqual(await batchesPerTrial(1, scripted([1], { updatePeriodS: 0.1 })), {
      batches: 8,
      seconds: 2,
    });
    // A slow GPU meter beside a CPU configuration is read but does not stretch its windows.
    const withGpu = (clock: FakeClock) => [
      new ScriptedMeter({ energiesJ: [1], clock: () => clock.nowS() }),
      new ScriptedMeter({ domain: 'gpu', energiesJ: [1], clock: () => clock.nowS(), updatePeriodS: 1 }),
    ];
    assert.deepEqual(await batchesPerTrial(1, withGpu), { batches: 4, seconds: 1 });
  });

  test('every batch is timed on the clock, with its queries', async () => {
    const clock = new FakeClock();
    const workload = new FakeWorkload({ clock, passQueries: [4, 2], batchMs: (i) => [100, 50, 75][i % 3]! });
    const outcome = await runTrials({
      workload,
      passBatches: 2,
      device: 'cpu',
      meters: [new ScriptedMeter({ energiesJ: [1], clock: () => clock.nowS() })],
      protocol: { ...DEFAULT_PROTOCOL, warmupWindows: 0, minWindowS: 0.2, minTrials: 1, maxTrials: 1 },
      clock,
    });
    assert.deepEqual(outcome.latenciesMs, [100, 50, 75]);
    assert.deepEqual(outcome.batchQueries, [4, 2, 4]);
    assert.equal(outcome.queries, 10);
    assert.equal(outcome.seconds, 0.225);
  });

  test('a constant 50 W meter: 50 J a window, 6.25 J a query, 5 J net of 10 W idle', async () => {
    const { run } = setup(
      {},
      (clock) => [new FakeMeter({ powerW: 50, clock: () => clock.nowS(), steps: 1 })],
      {},
      [2, 2],
    );
    const outcome = await runTrials(run);
    const energy = trialsEnergy(
      { device: 'cpu', meters: run.meters, idlePowerW: [10], idleSeconds: 3, targetCi: 0.02 },
      outcome,
      [],
    );
    assert.ok(energy.status === 'measured');
    assert.equal(energy.trials, 3);
    assert.deepEqual(energy.perTrialJ, [6.25, 6.25, 6.25]);
    assert.equal(energy.perQueryJ, 6.25);
    assert.equal(energy.avgPowerW, 50);
    assert.equal(energy.windowSeconds, 1);
    // 150 J less 10 W × 3 s, over 24 queries.
    assert.equal(energy.net.perQueryJ, 5);
    assert.deepEqual(energy.warnings, []);
  });
});

describe('trials: each window is read while the next one runs', () => {
  test('a slow reading is awaited only after the next window has run', async () => {
    const log: string[] = [];
    const clock = new FakeClock();
    const workload = new FakeWorkload({
      clock,
      passQueries: [1],
      batchMs: 125,
      onBatch: (i) => log.push(`batch ${i}`),
    });
    const meter = new ScriptedMeter({ energiesJ: [1], clock: () => clock.nowS() });
    const between = meter.between.bind(meter);
    let reads = 0;
    // Answers on the next turn of the event loop, as a polled meter waiting for its sample does.
    meter.between = async (from, to) => {
      const n = reads++;
      log.push(`read ${n}`);
      await nextTurn();
      log.push(`read ${n} done`);
      return between(from, to);
    };
    const outcome = await runTrials({
      workload,
      passBatches: 1,
      device: 'cpu',
      meters: [meter],
      protocol: { ...DEFAULT_PROTOCOL, warmupWindows: 0, minWindowS: 0, minTrials: 3, maxTrials: 3 },
      clock,
    });
    assert.deepEqual(log, [
      'batch 0',
      'read 0',
      'batch 1',
      'read 0 done',
      'read 1',
      'batch 2',
      'read 1 done',
      'read 2',
      'read 2 done',
    ]);
    assert.deepEqual(
      outcome.trials.map((t) => t.readings[0]!.durationS),
      [0.125, 0.125, 0.125],
    );
  });
});

describe('trials: meters that fail', () => {
  test('a meter that fails mid-run is dropped with a warning, and the others carry on', async () => {
    // Batches of 5 queries: every window is 20.
    const { run } = setup(
      {},
      (clock) => [
        new ScriptedMeter({ domain: 'cpu', energiesJ: [10], clock: () => clock.nowS() }),
        new ScriptedMeter({
          name: 'rapl',
          domain: 'dram',
          energiesJ: [2],
          clock: () => clock.nowS(),
          failFromReading: 1,
          failure: vanished(),
        }),
      ],
      {},
      [5, 5, 5, 5],
    );
    const outcome = await runTrials(run);
    // The first trial's headline was cpu + dram (0.6 J a query); once dram is dropped every
    // trial is recomputed from cpu alone (0.5 J), so the interval is tight at 3 trials.
    assert.equal(outcome.trials.length, 3);
    assert.deepEqual(energies(outcome, 0), [10, 10, 10]);
    assert.deepEqual(energies(outcome, 1), [2, null, null]);
    assert.deepEqual(outcome.droppedMeters, [1]);
    assert.deepEqual(outcome.meterWarnings, ['meter rapl failed and was dropped: energy_uj vanished']);
    // Once dropped, the meter is not read again.
    assert.equal((run.meters[1] as ScriptedMeter).readings, 2);

    const energy = trialsEnergy(
      { device: 'cpu', meters: run.meters, idlePowerW: [null, null], idleSeconds: 1, targetCi: 0.02 },
      outcome,
      outcome.meterWarnings,
    );
    assert.ok(energy.status === 'measured');
    assert.deepEqual(Object.keys(energy.domains), ['cpu']);
    assert.deepEqual(energy.perTrialJ, [0.5, 0.5, 0.5]);
    assert.equal(energy.perQueryJ, 0.5);
    assert.deepEqual(energy.warnings, ['meter rapl failed and was dropped: energy_uj vanished']);
  });

  test('when every meter fails, energy is not measured and the reason says why', async () => {
    const { run } = setup(
      { minTrials: 1, maxTrials: 2 },
      scripted([1], { name: 'rapl', failFromReading: 0, failure: vanished() }),
    );
    const outcome = await runTrials(run);
    // With no meter left nothing can tighten the interval: the trials run to the cap.
    assert.equal(outcome.trials.length, 2);
    assert.deepEqual(outcome.droppedMeters, [0]);
    const energy = trialsEnergy(
      { device: 'cpu', meters: run.meters, idlePowerW: [null], idleSeconds: 1, targetCi: 0.02 },
      outcome,
      outcome.meterWarnings,
    );
    assert.deepEqual(energy, {
      status: 'not-measured',
      reason: 'every meter failed: meter rapl failed and was dropped: energy_uj vanished',
      perQueryJ: null,
      whPer1k: null,
      queriesPerJ: null,
    });
  });

  test('when the meters left cannot read the device, the reason also names the dropped ones', async () => {
    const { run } = setup({ minTrials: 1, maxTrials: 1 }, (clock) => [
      new ScriptedMeter({ domain: 'gpu', energiesJ: [5], clock: () => clock.nowS() }),
      new ScriptedMeter({
        name: 'rapl',
        domain: 'cpu',
        energiesJ: [1],
        clock: () => clock.nowS(),
        failFromReading: 0,
        failure: vanished(),
      }),
    ]);
    const outcome = await runTrials(run);
    const energy = trialsEnergy(
      { device: 'cpu', meters: run.meters, idlePowerW: [null, null], idleSeconds: 1, targetCi: 0.02 },
      outcome,
      [...outcome.meterWarnings, 'GPU 0 warmed by 12 °C'],
    );
    assert.equal(energy.status, 'not-measured');
    assert.equal(
      energy.status === 'not-measured' ? energy.reason : '',
      "no meter reads the cpu device's energy (cpu or dram); the meters used read fake (gpu): see energy-score doctor; " +
        'meter rapl failed and was dropped: energy_uj vanished; GPU 0 warmed by 12 °C',
    );
  });
});

describe('trials: interruption', () => {
  test('aborted before the first batch: interrupted, nothing run', async () => {
    const controller = new AbortController();
    controller.abort();
    const { run, workload } = setup({}, scripted([30]), { signal: controller.signal });
    const outcome = await runTrials(run);
    assert.equal(outcome.interrupted, true);
    assert.deepEqual(outcome.trials, []);
    assert.equal(outcome.queries, 0);
    assert.equal(outcome.seconds, 0);
    assert.deepEqual(outcome.latenciesMs, []);
    assert.equal(workload.batches, 0);
  });

  test('aborted in the second window: the first trial is kept, the second dropped after its batch in flight', async () => {
    const controller = new AbortController();
    const clock = new FakeClock();
    // Batches 0-3 are the first window; the abort comes as batch 5 starts, which still finishes.
    const workload = new FakeWorkload({
      clock,
      passQueries: [4, 4, 2],
      batchMs: 250,
      onBatch: (i) => (i === 5 ? controller.abort() : undefined),
    });
    const meter = new ScriptedMeter({ energiesJ: [30], clock: () => clock.nowS() });
    const outcome = await runTrials({
      workload,
      passBatches: 3,
      device: 'cpu',
      meters: [meter],
      protocol: { ...DEFAULT_PROTOCOL, warmupWindows: 0, minWindowS: 1, minTrials: 3, maxTrials: 5 },
      clock,
      signal: controller.signal,
    });
    assert.equal(outcome.interrupted, true);
    assert.equal(outcome.stoppedBy, null);
    assert.deepEqual(energies(outcome), [30]);
    assert.equal(outcome.queries, 14);
    assert.equal(outcome.seconds, 1);
    assert.equal(outcome.latenciesMs.length, 6);
    assert.equal(meter.readings, 1);
  });

  test('without meters: one pass, timed only; an abort mid-pass is interrupted', async () => {
    const { run } = setup({}, () => []);
    const once = await runTrials(run);
    assert.deepEqual(once.latenciesMs, [250, 250, 250]);
    assert.deepEqual(once.batchQueries, [4, 4, 2]);
    assert.equal(once.queries, 10);
    assert.equal(once.seconds, 0.75);
    assert.equal(once.interrupted, false);
    assert.deepEqual(once.trials, []);

    const controller = new AbortController();
    const clock = new FakeClock();
    const workload = new FakeWorkload({
      clock,
      passQueries: [4, 4, 2],
      batchMs: 250,
      onBatch: (i) => (i === 1 ? controller.abort() : undefined),
    });
    const cut = await runTrials({ ...run, workload, clock, signal: controller.signal });
    assert.equal(cut.interrupted, true);
    assert.equal(cut.queries, 0);
    assert.deepEqual(cut.latenciesMs, [250, 250]);
  });
});

describe('trials: progress', () => {
  test('progress reports the trials’ queries at most every 50 ms, and as each window ends', async () => {
    const clock = new FakeClock();
    const progress: number[] = [];
    // 20 ms batches and a 0.1 s window: 5 batches. In each window a report after the third batch
    // (60 ms into it) and one as it ends: 10 and 18 queries, then 28 and 34.
    const outcome = await runTrials({
      workload: new FakeWorkload({ clock, passQueries: [4, 4, 2], batchMs: 20 }),
      passBatches: 3,
      device: 'cpu',
      meters: [new ScriptedMeter({ energiesJ: [1], clock: () => clock.nowS() })],
      protocol: { ...DEFAULT_PROTOCOL, warmupWindows: 0, minWindowS: 0.1, minTrials: 1, maxTrials: 2 },
      clock,
      onProgress: (queries) => progress.push(queries),
    });
    assert.equal(outcome.trials.length, 2);
    assert.deepEqual(progress, [10, 18, 28, 34]);
  });

  test('a pass of no batches is refused, since it could never end', async () => {
    const { run } = setup({}, scripted([1]), { passBatches: 0 });
    await assert.rejects(runTrials(run), /a pass must hold at least one batch, not 0/);
  });
});

/** A turn of `slices` slices whose passes take `othersMs` of other configurations' time on `clock`. */
function fakeTurn(
  clock: FakeClock,
  slices: number,
  { othersMs = 10_000, othersRan = false, stopWhenSatisfied = false } = {},
) {
  const passes: boolean[] = [];
  const turn: Turn = {
    slices,
    pass: async (satisfied) => {
      passes.push(satisfied);
      clock.advance(othersMs);
      return { stop: stopWhenSatisfied && satisfied, othersRan };
    },
  };
  return { turn, passes };
}

describe('trials in interleaved rounds', () => {
  // One batch of 5 queries per pass: every 1 s window holds 20 queries and, at 30 J, the same
  // figure, so the interval is 0 as soon as there are two windows.
  const steady = (
    protocol: Partial<ProtocolSettings>,
    turnOf: (clock: FakeClock) => ReturnType<typeof fakeTurn>,
  ) => {
    const { run, clock } = setup({ maxTrials: 100, ...protocol }, scripted([30]), {}, [5]);
    const built = turnOf(clock);
    run.turn = built.turn;
    return { run, clock, passes: built.passes };
  };

  test('the budget is cut into slices; before the last, the target speaks only through the rotation', async () => {
    const { run, passes } = steady({ maxSeconds: 6 }, (clock) => fakeTurn(clock, 3));
    const outcome = await runTrials(run);
    // Slice 1 ends at 2 s (not yet two slices: not satisfied), slice 2 at 4 s (satisfied, but
    // the rotation does not stop); in slice 3 the target stops the trials after its first window.
    assert.deepEqual(passes, [false, true]);
    assert.deepEqual(
      outcome.trials.map((t) => t.round),
      [1, 1, 2, 2, 3],
    );
    assert.equal(outcome.stoppedBy, 'target');
    assert.equal(outcome.elapsedS, 5, 'the 20 s of the others’ turns are not counted');
  });

  test('when the rotation says every configuration has what it asked for, the trials end at once', async () => {
    const { run } = steady({ maxSeconds: 6 }, (clock) => fakeTurn(clock, 3, { stopWhenSatisfied: true }));
    const outcome = await runTrials(run);
    assert.deepEqual(
      outcome.trials.map((t) => t.round),
      [1, 1, 2, 2],
    );
    assert.equal(outcome.stoppedBy, 'target');
  });

  test('after the others ran, one unmeasured batch runs first, inside the budget; the wait is not in it', async () => {
    const elapsed: number[] = [];
    const { run, workload, clock } = setup(
      { maxSeconds: 4, maxTrials: 100, minTrials: 100, warmupWindows: 1 },
      scripted([20, 40]),
      { onProgress: (_queries, elapsedS) => elapsed.push(elapsedS) },
    );
    const { turn, passes } = fakeTurn(clock, 2, { othersRan: true });
    run.turn = turn;
    const outcome = await runTrials(run);
    // Warm-up window (1 s), window (2 s: slice 1 spent), the others' 10 s, one batch (2.25 s),
    // window (3.25 s): another would end at 4.25 s, after the budget.
    assert.deepEqual(passes, [false]);
    assert.deepEqual(
      outcome.trials.map((t) => t.round),
      [1, 2],
    );
    assert.equal(outcome.stoppedBy, 'budget');
    assert.equal(outcome.elapsedS, 3.25);
    assert.equal(clock.nowS(), 13.25);
    assert.equal(outcome.batchesRun, 8);
    assert.equal(workload.batches, 4 + 4 + 1 + 4, 'the warm-up window and the batch after the turn');
    assert.equal(elapsed.at(-1), 3.25);
    const energy = trialsEnergy(
      { device: 'cpu', meters: run.meters, idlePowerW: [null], idleSeconds: 1, targetCi: 0.02 },
      outcome,
      [],
    );
    assert.equal(energy.status, 'measured');
    assert.deepEqual(energy.status === 'measured' && energy.perTrialRound, [1, 2]);
  });

  test('when every meter has failed, the trials end before the machine is handed on', async () => {
    const { run, clock } = setup(
      { maxSeconds: 6, minTrials: 1, maxTrials: 100 },
      scripted([1], { name: 'rapl', failFromReading: 0, failure: vanished() }),
    );
    const { turn, passes } = fakeTurn(clock, 3);
    run.turn = turn;
    const outcome = await runTrials(run);
    // The first window's reading fails; it is known once the second window ends, at 2 s, which
    // is also where slice 1 ends: no turn is passed for windows that would measure nothing.
    assert.equal(outcome.stoppedBy, 'meters-failed');
    assert.deepEqual(passes, []);
    assert.equal(outcome.trials.length, 2);
  });

  test('without a turn, the windows carry no round and the result no perTrialRound', async () => {
    const { run } = setup({}, scripted([30]));
    const outcome = await runTrials(run);
    assert.ok(outcome.trials.every((t) => t.round === undefined));
    const energy = trialsEnergy(
      { device: 'cpu', meters: run.meters, idlePowerW: [null], idleSeconds: 1, targetCi: 0.02 },
      outcome,
      [],
    );
    assert.equal(energy.status === 'measured' && 'perTrialRound' in energy, false);
  });
});
