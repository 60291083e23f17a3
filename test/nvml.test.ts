import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { EnergyScoreError } from '../src/errors.js';
import {
  NVML_COUNTER_UPDATE_PERIOD_S,
  NVML_LIBRARY_ENV,
  NvmlSession,
  resolveNvmlLibraryPath,
} from '../src/devices/nvml.js';
import { DeviceUnavailable } from '../src/devices/unavailable.js';
import {
  counterReading,
  MIN_WINDOW_UPDATES,
  nvmlMeterFactory,
  type NvmlMeterOptions,
} from '../src/meters/nvml.js';
import type { Availability, EnergyMeter, MeterInfo } from '../src/meters/types.js';
import { buildFakeNvml, NVML_COUNTER_CSV, NVML_TRACES } from './helpers/fake-nvml.js';

const COUNTER_CSV = NVML_COUNTER_CSV;
const WINDOWS_JSON = join(NVML_TRACES, 'nvml-windows.json');

interface Row {
  epochS: number;
  energyMj: bigint;
  powerMw: number;
}

function readTrace(path: string): Row[] {
  return readFileSync(path, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => {
      const [epoch, mj, mw] = line.split(',');
      return { epochS: Number(epoch), energyMj: BigInt(mj ?? ''), powerMw: Number(mw) };
    });
}

function row(rows: Row[], i: number): Row {
  const r = rows[i];
  assert.ok(r !== undefined, `trace row ${i}`);
  return r;
}

/** What fake GPU k reports for a row: the recorded counter and power divided by 2^k. */
function fakeMj(r: Row, gpu: number): bigint {
  return r.energyMj >> BigInt(gpu);
}
function fakeW(r: Row, gpu: number): number {
  return (r.powerMw >> gpu) / 1000;
}

/** The fake reads its environment at nvmlInit; set it for one test and put it back after. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (values: Record<string, string | undefined>): void => {
    for (const [k, v] of Object.entries(values)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
  set(vars);
  try {
    return await fn();
  } finally {
    set(saved);
  }
}

function unavailable(a: Availability): { reason: string; fix: string } {
  assert.equal(a.available, false, 'expected the meter to be unavailable');
  if (a.available) throw new Error('unreachable');
  return a;
}

function available(a: Availability): MeterInfo {
  if (!a.available) assert.fail(`expected available, got: ${a.reason} — ${a.fix}`);
  return a.info;
}

async function withMeter<T>(options: NvmlMeterOptions, fn: (meter: EnergyMeter) => Promise<T>): Promise<T> {
  const meter = await nvmlMeterFactory(options).create();
  await meter.start();
  try {
    return await fn(meter);
  } finally {
    await meter.stop();
  }
}

const FAKE_ENV_KEYS = [
  'FAKE_NVML_TRACE',
  'FAKE_NVML_GPUS',
  'FAKE_NVML_START_ROW',
  'FAKE_NVML_ROWS_PER_CALL',
  'FAKE_NVML_START_EPOCH',
  'FAKE_NVML_MODE',
  'FAKE_NVML_POWER_LIMIT_MW',
  NVML_LIBRARY_ENV,
];

/**
 * Advance-per-call serves a row of the recording per read, not per 10 ms of real time, so the
 * counter rises faster than any GPU could between marks milliseconds apart: these tests of the
 * arithmetic lift the fake's power limit (mW), and with it the plausibility ceiling, out of the way.
 */
const UNLIMITED = { FAKE_NVML_POWER_LIMIT_MW: '4000000000' };

describe('NVML meter against a fake libnvidia-ml (real FFI)', () => {
  let dir = '';
  let lib = '';
  const rows = readTrace(COUNTER_CSV);
  const clean: Record<string, undefined> = Object.fromEntries(FAKE_ENV_KEYS.map((k) => [k, undefined]));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'energy-score-fake-nvml-'));
    lib = buildFakeNvml(dir, COUNTER_CSV);
  });

  after(() => {
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  test('probe: available, two GPUs with their names, the counter metadata', async () => {
    await withEnv(clean, async () => {
      const info = available(await nvmlMeterFactory({ libraryPath: lib }).probe());
      assert.equal(info.name, 'nvml');
      assert.equal(info.domain, 'gpu');
      assert.equal(info.method, 'counter');
      assert.deepEqual(info.devices, ['gpu0', 'gpu1']);
      assert.equal(info.updatePeriodS, NVML_COUNTER_UPDATE_PERIOD_S);
      assert.equal(info.details.gpu0, 'Fake NVIDIA H100 80GB HBM3 #0');
      assert.equal(info.details.gpu1, 'Fake NVIDIA H100 80GB HBM3 #1');
      assert.equal(info.details.library, lib);
    });
  });

  test('device session: the open GPUs, and each read of their counters and power', async () => {
    await withEnv({ ...clean, FAKE_NVML_START_ROW: '100', FAKE_NVML_ROWS_PER_CALL: '50' }, async () => {
      const session = await NvmlSession.open({ libraryPath: lib, gpus: [1, 0] });
      try {
        assert.equal(session.libraryPath, lib);
        assert.deepEqual(session.gpus, [
          { index: 1, device: 'gpu1', name: 'Fake NVIDIA H100 80GB HBM3 #1' },
          { index: 0, device: 'gpu0', name: 'Fake NVIDIA H100 80GB HBM3 #0' },
        ]);
        const [r0, r1] = [row(rows, 100), row(rows, 150)];
        assert.deepEqual(session.readEnergyMj(), [fakeMj(r0, 1), fakeMj(r0, 0)]);
        assert.deepEqual(session.readPowerW(), [fakeW(r0, 1), fakeW(r0, 0)]);
        assert.deepEqual(session.readEnergyMj(), [fakeMj(r1, 1), fakeMj(r1, 0)]);
      } finally {
        session.close();
      }
    });
    await withEnv({ ...clean, FAKE_NVML_MODE: 'init_fail' }, async () => {
      await assert.rejects(NvmlSession.open({ libraryPath: lib }), (err: unknown) => {
        assert.ok(err instanceof DeviceUnavailable);
        assert.equal(err.reason, 'NVML did not initialise: Driver Not Loaded (NVML error 9)');
        assert.equal(err.fix, 'load the NVIDIA kernel driver (nvidia-smi must work), or use another --meter');
        return true;
      });
    });
  });

  test('the library path comes from ENERGY_SCORE_NVML_LIB when no option is given', async () => {
    await withEnv({ ...clean, [NVML_LIBRARY_ENV]: lib }, async () => {
      const info = available(await nvmlMeterFactory().probe());
      assert.equal(info.details.library, lib);
    });
  });

  test('marks and between: exact differences of the recorded counter, per GPU (advance-per-call)', async () => {
    // Each energy read serves the GPU's next row: marks see rows 100, 150, 200.
    await withEnv({ ...clean, ...UNLIMITED, FAKE_NVML_START_ROW: '100', FAKE_NVML_ROWS_PER_CALL: '50' }, () =>
      withMeter({ libraryPath: lib }, async (meter) => {
        const m0 = await meter.mark();
        const m1 = await meter.mark();
        const m2 = await meter.mark();
        const [r0, r1, r2] = [row(rows, 100), row(rows, 150), row(rows, 200)];

        const first = await meter.between(m0, m1);
        const gpu0J = Number(fakeMj(r1, 0) - fakeMj(r0, 0)) / 1000;
        const gpu1J = Number(fakeMj(r1, 1) - fakeMj(r0, 1)) / 1000;
        assert.equal(gpu0J, Number(r1.energyMj - r0.energyMj) / 1000);
        assert.ok(gpu0J > 0 && gpu1J > 0);
        assert.deepEqual(
          first.devices.map((d) => [d.device, d.energyJ, d.samples]),
          [
            ['gpu0', gpu0J, 2],
            ['gpu1', gpu1J, 2],
          ],
        );
        assert.equal(first.energyJ, gpu0J + gpu1J);
        assert.equal(first.meter, 'nvml');
        assert.equal(first.durationS, m1.timeS - m0.timeS);
        assert.equal(first.avgPowerW, first.energyJ / first.durationS);
        // Power is read at each mark (and polled between, where it is still the earlier row's).
        assert.equal(first.devices[0]?.peakPowerW, Math.max(fakeW(r0, 0), fakeW(r1, 0)));
        assert.equal(first.devices[1]?.peakPowerW, Math.max(fakeW(r0, 1), fakeW(r1, 1)));
        const tickW = (r: Row): number => 0 + fakeW(r, 0) + fakeW(r, 1);
        assert.equal(first.peakPowerW, Math.max(tickW(r0), tickW(r1)));
        // Marks milliseconds apart: far shorter than 20 counter updates.
        assert.equal(first.warnings.length, 1);
        assert.match(first.warnings[0] ?? '', /shorter than 2 s/);

        const whole = await meter.between(m0, m2);
        assert.equal(whole.devices[0]?.energyJ, Number(r2.energyMj - r0.energyMj) / 1000);
        assert.equal(whole.devices[1]?.energyJ, Number(fakeMj(r2, 1) - fakeMj(r0, 1)) / 1000);

        await assert.rejects(meter.between(m1, m0), /out of order/);
      }),
    );
  });

  test('GPU selection: gpus [1] reads only GPU 1', async () => {
    await withEnv(
      { ...clean, ...UNLIMITED, FAKE_NVML_START_ROW: '300', FAKE_NVML_ROWS_PER_CALL: '100' },
      async () => {
        const info = available(await nvmlMeterFactory({ libraryPath: lib, gpus: [1] }).probe());
        assert.deepEqual(info.devices, ['gpu1']);
        assert.equal(info.details.gpu0, undefined);
        await withMeter({ libraryPath: lib, gpus: [1] }, async (meter) => {
          const reading = await meter.between(await meter.mark(), await meter.mark());
          const expectedJ = Number(fakeMj(row(rows, 400), 1) - fakeMj(row(rows, 300), 1)) / 1000;
          assert.deepEqual(
            reading.devices.map((d) => [d.device, d.energyJ]),
            [['gpu1', expectedJ]],
          );
          assert.equal(reading.energyJ, expectedJ);
        });
      },
    );
  });

  test('a GPU index out of range: unavailable, saying how many GPUs there are', async () => {
    await withEnv(clean, async () => {
      const factory = nvmlMeterFactory({ libraryPath: lib, gpus: [0, 5] });
      const a = unavailable(await factory.probe());
      assert.match(a.reason, /GPU index 5 out of range: NVML sees 2 GPUs \(indices 0 to 1\)/);
      assert.match(a.fix, /--gpus from 0 to 1/);
      await assert.rejects(factory.create(), (err: unknown) => {
        assert.ok(err instanceof EnergyScoreError);
        assert.match(err.message, /out of range/);
        return true;
      });
      assert.match(
        unavailable(await nvmlMeterFactory({ libraryPath: lib, gpus: [] }).probe()).reason,
        /no GPUs/,
      );
    });
  });

  test('nvmlInit failure: unavailable with NVML’s error string', async () => {
    await withEnv({ ...clean, FAKE_NVML_MODE: 'init_fail' }, async () => {
      const a = unavailable(await nvmlMeterFactory({ libraryPath: lib }).probe());
      assert.match(a.reason, /NVML did not initialise: Driver Not Loaded \(NVML error 9\)/);
      assert.match(a.fix, /driver/);
    });
  });

  test('no energy counter (pre-Volta): unavailable, pointing at nvidia-smi', async () => {
    await withEnv({ ...clean, FAKE_NVML_MODE: 'not_supported' }, async () => {
      const a = unavailable(await nvmlMeterFactory({ libraryPath: lib }).probe());
      assert.match(a.reason, /gpu0 \(Fake NVIDIA H100 80GB HBM3 #0\) has no NVML energy counter/);
      assert.match(a.reason, /Not Supported/);
      assert.match(a.reason, /Volta/);
      assert.equal(a.fix, 'use --meter nvidia-smi');
    });
  });

  test('a missing library: unavailable, no crash', async () => {
    const missing = join(dir, 'absent', 'libnvidia-ml.so.1');
    await withEnv(clean, async () => {
      const a = unavailable(await nvmlMeterFactory({ libraryPath: missing }).probe());
      assert.match(a.reason, /cannot load the NVML library/);
      assert.ok(a.reason.includes(missing));
    });
    await withEnv({ ...clean, [NVML_LIBRARY_ENV]: missing }, async () => {
      const a = unavailable(await nvmlMeterFactory().probe());
      assert.ok(a.reason.includes(missing));
      assert.match(a.fix, new RegExp(NVML_LIBRARY_ENV));
      await assert.rejects(nvmlMeterFactory().create(), EnergyScoreError);
    });
  });

  test('a counter that goes backwards (driver reloaded, GPU reset): the reading fails, never 0 J', async () => {
    const trace = join(dir, 'backwards.csv');
    writeFileSync(trace, 'epoch_s,total_energy_mj,power_mw\n1,1000,100000\n2,5000,100000\n3,3000,100000\n');
    await withEnv({ ...clean, FAKE_NVML_TRACE: trace }, () =>
      withMeter({ libraryPath: lib }, async (meter) => {
        const m0 = await meter.mark();
        const m1 = await meter.mark();
        const m2 = await meter.mark();
        assert.deepEqual(
          (await meter.between(m0, m1)).devices.map((d) => d.energyJ),
          [4, 2],
        );
        await assert.rejects(meter.between(m1, m2), (err: unknown) => {
          assert.ok(err instanceof EnergyScoreError);
          assert.equal(err.kind, 'run');
          assert.match(err.message, /gpu0: the NVML energy counter went backwards \(5000 → 3000 mJ/);
          assert.match(err.message, /gpu1: the NVML energy counter went backwards \(2500 → 1500 mJ/);
          return true;
        });
      }),
    );
  });

  test('lifecycle: mark before start or after stop fails; stop twice is safe; foreign marks refused', async () => {
    await withEnv(clean, async () => {
      const factory = nvmlMeterFactory({ libraryPath: lib });
      const meter = await factory.create();
      await assert.rejects(meter.mark(), /before start/);
      await meter.start();
      const other = await factory.create();
      await other.start();
      const mine = await meter.mark();
      const theirs = await other.mark();
      await assert.rejects(meter.between(mine, theirs), /did not make/);
      await other.stop();
      await meter.stop();
      await meter.stop();
      await assert.rejects(meter.mark(), /after stop/);
    });
  });

  test('wall-clock mode: the counter follows the recording in real time', async () => {
    // 6 s of steady ~690 W bf16 matrix multiplies start at this epoch in the recording.
    await withEnv({ ...clean, FAKE_NVML_START_EPOCH: '1795672737.85' }, () =>
      withMeter({ libraryPath: lib, gpus: [0] }, async (meter) => {
        const m0 = await meter.mark();
        await sleep(400);
        const reading = await meter.between(m0, await meter.mark());
        // 0.4 s is 3 to 5 counter steps: 350 to 1000 W by the steps alone.
        assert.ok(reading.avgPowerW > 300 && reading.avgPowerW < 1100, `avg ${reading.avgPowerW} W`);
      }),
    );
  });
});

describe('library path', () => {
  test('option, then ENERGY_SCORE_NVML_LIB, then the driver library by platform', () => {
    const env = { [NVML_LIBRARY_ENV]: '/opt/nvml/libnvidia-ml.so.1' };
    assert.deepEqual(resolveNvmlLibraryPath({ libraryPath: '/x/lib.so' }, env, 'linux'), {
      path: '/x/lib.so',
      source: 'option',
    });
    assert.deepEqual(resolveNvmlLibraryPath({}, env, 'linux'), {
      path: '/opt/nvml/libnvidia-ml.so.1',
      source: 'env',
    });
    assert.deepEqual(resolveNvmlLibraryPath({}, {}, 'linux'), {
      path: 'libnvidia-ml.so.1',
      source: 'default',
    });
    assert.deepEqual(resolveNvmlLibraryPath({}, { [NVML_LIBRARY_ENV]: '' }, 'win32'), {
      path: 'nvml.dll',
      source: 'default',
    });
  });
});

describe('counter window arithmetic', () => {
  test('a window of 20 updates or more has no warning; a counter that did not move does', () => {
    const long = counterReading(['gpu0', 'gpu1'], [1000n, 0n], [3001n, 500n], 2.5);
    assert.equal(long.energyJ, 2.001 + 0.5);
    assert.equal(long.avgPowerW, long.energyJ / 2.5);
    assert.equal(long.peakPowerW, null);
    assert.deepEqual(long.warnings, []);
    assert.equal(MIN_WINDOW_UPDATES * NVML_COUNTER_UPDATE_PERIOD_S, 2);

    const stuck = counterReading(['gpu0'], [7n], [7n], 3);
    assert.equal(stuck.energyJ, 0);
    assert.deepEqual(stuck.warnings, ['gpu0: the NVML energy counter did not advance in 3.000 s']);
  });

  test('the recorded H100 counter reproduces every window of nvml-windows.json', () => {
    // The counter is a step function (it changes every ~0.1 s) polled every ~13 ms, and the
    // windows' own reads fell between two polls: at each edge the counter read there is the
    // poll at or before the edge, unless it stepped between that poll and the edge. So linear
    // interpolation between polls is the wrong model (it gives −24 % on window 8); holding the
    // last poll is right, and the truth is always one of the bracketing polls.
    const rows = readTrace(COUNTER_CSV);
    const windows = JSON.parse(readFileSync(WINDOWS_JSON, 'utf8')) as {
      kind: string;
      start: number;
      end: number;
      seconds: number;
      joules: number;
    }[];
    assert.equal(windows.length, 13);
    const bracket = (t: number): [Row, Row] => {
      let i = rows.findIndex((r) => r.epochS > t) - 1;
      if (i < 0) i = t < row(rows, 0).epochS ? 0 : rows.length - 1; // before or after the trace: hold
      return [row(rows, i), row(rows, Math.min(i + 1, rows.length - 1))];
    };
    const joules = (from: Row, to: Row, seconds: number): number =>
      counterReading(['gpu0'], [from.energyMj], [to.energyMj], seconds).energyJ;
    let straddling = 0;
    for (const [k, w] of windows.entries()) {
      const [startBefore, startAfter] = bracket(w.start);
      const [endBefore, endAfter] = bracket(w.end);
      const held = joules(startBefore, endBefore, w.seconds);
      const candidates = [startBefore, startAfter].flatMap((s) =>
        [endBefore, endAfter].map((e) => joules(s, e, w.seconds)),
      );
      assert.ok(
        candidates.some((j) => Math.abs(j - w.joules) < 1e-9),
        `window ${k} (${w.kind}): ${w.joules} J is not a difference of the bracketing polls (${candidates.join(', ')})`,
      );
      const steppedAtEdge =
        startBefore.energyMj !== startAfter.energyMj || endBefore.energyMj !== endAfter.energyMj;
      if (steppedAtEdge) {
        // Then holding the last poll is off by at most the step(s) it missed.
        straddling++;
        const missedJ =
          Number(startAfter.energyMj - startBefore.energyMj + endAfter.energyMj - endBefore.energyMj) / 1000;
        assert.ok(Math.abs(held - w.joules) <= missedJ, `window ${k}: ${held} J vs ${w.joules} J`);
        continue;
      }
      const errorPct = (100 * Math.abs(held - w.joules)) / w.joules;
      assert.ok(
        errorPct <= 1,
        `window ${k} (${w.kind} ${w.seconds.toFixed(2)} s): ${held} J vs ${w.joules} J`,
      );
    }
    // Windows 7 and 8 share an edge where the counter stepped between two polls.
    assert.equal(straddling, 2);
  });
});
