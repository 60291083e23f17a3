import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  cpuEstimateMeterFactories,
  cpuEstimateMeterFactory,
  ESTIMATE_WARNING,
  RAM_ESTIMATE_WARNING,
  type CpuEstimateOptions,
  type CpuIdentity,
} from '../src/meters/cpu-estimate.js';
import { BAND_CURVE } from '../src/meters/power-model.js';
import {
  CpuPowerTable,
  loadCpuPowerTable,
  normaliseCpuName,
  parseCpuPowerCsv,
} from '../src/devices/cpu-power-table.js';
import type { Availability, MeterInfo } from '../src/meters/types.js';

function close(actual: number, expected: number, tolerance = 1e-12, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

function infoOf(a: Availability): MeterInfo {
  if (!a.available) assert.fail(`expected available, got: ${a.reason}`);
  return a.info;
}

const identity =
  (manufacturer: string, brand: string, processors = 1): (() => Promise<CpuIdentity>) =>
  async () => ({ manufacturer, brand, processors });

describe('CPU power table', () => {
  test('the shipped table loads; rows without a usable TDP are left out', async () => {
    const table = await loadCpuPowerTable();
    assert.equal(table.entries.length, 4898);
    assert.ok(table.entries.some((e) => e.name === 'Intel EP80579 Integrated, 1066 MHz' && e.tdpW === 18));
  });

  test('parses quoted names and skips bad TDPs', () => {
    const parsed = parseCpuPowerCsv('Name,TDP\n"A, B 100",12.5\nC 200,27.29.5\nD 300,0.0\nE 400,65\n');
    assert.deepEqual(parsed.entries, [
      { name: 'A, B 100', tdpW: 12.5 },
      { name: 'E 400', tdpW: 65 },
    ]);
    assert.deepEqual(parsed.skipped, ['C 200,27.29.5', 'D 300,0.0']);
    assert.throws(() => parseCpuPowerCsv('Model,Watts\n'), /expected header/);
  });

  test('normalisation drops marks, vendor, CPU, Processor, clock and core count', () => {
    assert.equal(normaliseCpuName('Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz'), 'core i7 8700k');
    assert.equal(normaliseCpuName('Intel Core™ i7-8700K CPU @ 3.70GHz'), 'core i7 8700k');
    assert.equal(normaliseCpuName('AMD EPYC 8024P 8-Core Processor'), 'epyc 8024p');
    assert.equal(normaliseCpuName('Intel Xeon® Processor'), 'xeon');
  });

  test('matches names from the table and from systeminformation', async () => {
    const table = await loadCpuPowerTable();
    const cases: [string, string | null, number | null, string | null][] = [
      ['Intel Core i7-8700K', 'Intel Core i7-8700K', 95, 'exact'],
      ['intel core i7-8700k', 'Intel Core i7-8700K', 95, 'exact'],
      ['Intel Core™ i7-8700K CPU @ 3.70GHz', 'Intel Core i7-8700K', 95, 'normalised'],
      ['Intel(R) Core(TM) i7-8700K CPU @ 3.70GHz', 'Intel Core i7-8700K', 95, 'normalised'],
      ['Intel Core i7-8700', 'Intel Core i7-8700', 65, 'exact'],
      ['Intel Xeon® Processor', null, null, null],
      ['Intel Core i7', null, null, null],
      ['AMD EPYC 8024P 8-Core Processor', 'AMD EPYC 8024P', 90, 'normalised'],
      ['AMD Ryzen Threadripper 1950X 16-Core Processor', 'AMD Ryzen Threadripper 1950X', 180, 'normalised'],
      ['Intel(R) Xeon(R) CPU E3-1240 V2 @ 3.40GHz', 'Intel Xeon E3-1240 v2', 69, 'normalised'],
      ['Intel(R) Xeon(R) CPU E5-2620 v3 @ 2.40GHz', 'Intel Xeon E5-2620 v3', 85, 'normalised'],
      ['AMD Ryzen 7 5800H with Radeon Graphics', 'AMD Ryzen 7 5800H', 45, 'tokens'],
      ['11th Gen Intel(R) Core(TM) i7-1185G7 @ 3.00GHz', 'Intel Core i7-1185G7', 28, 'tokens'],
      ['Intel Xeon E5-2620', 'Intel Xeon E5-2620', 95, 'exact'],
    ];
    for (const [raw, name, tdpW, how] of cases) {
      const m = table.match(raw);
      assert.deepEqual(m && [m.name, m.tdpW, m.how], name === null ? null : [name, tdpW, how], raw);
    }
  });

  test('a token match tied between TDPs is no match; tied at one TDP is', () => {
    const table = new CpuPowerTable([
      { name: 'Acme X 100 v1', tdpW: 10 },
      { name: 'Acme X 100 v2', tdpW: 20 },
      { name: 'Acme Y 200 v1', tdpW: 30 },
      { name: 'Acme Y 200 v2', tdpW: 30 },
    ]);
    assert.equal(table.match('X 100'), null);
    assert.deepEqual(table.match('Y 200'), { name: 'Acme Y 200 v1', tdpW: 30, how: 'tokens' });
  });
});

describe('cpu-estimate meter', () => {
  function fixture(extra: Partial<CpuEstimateOptions> = {}) {
    const state = { timeS: 50, cpuUs: 1_000_000 };
    const options: CpuEstimateOptions = {
      cpuIdentity: identity('Intel', 'Core™ i7-8700K'),
      logicalCores: 4,
      clock: () => state.timeS,
      cpuUsage: () => ({ user: state.cpuUs * 0.75, system: state.cpuUs * 0.25 }),
      cpuinfoPath: '/nonexistent/cpuinfo',
      productNamePath: '/nonexistent/product_name',
      ...extra,
    };
    return { state, options };
  }

  test('info: estimated, the TDP and where it came from, the standing warning', async () => {
    const { options } = fixture();
    const info = infoOf(await cpuEstimateMeterFactory(options).probe());
    assert.equal(info.name, 'cpu-estimate');
    assert.equal(info.domain, 'cpu');
    assert.equal(info.method, 'estimated');
    assert.deepEqual(info.devices, ['cpu']);
    assert.equal(info.warnings[0], 'estimated from a CPU power model and CPU load, not measured');
    assert.equal(info.details.modelKind, 'curve-tdp');
    assert.equal(info.details.modelBand, BAND_CURVE);
    assert.equal(info.warnings[0], ESTIMATE_WARNING);
    assert.equal(info.details.tdpTotalW, 95);
    assert.equal(info.details.tableName, 'Intel Core i7-8700K');
    assert.match(String(info.details.tdpSource), /normalised match/);
    const labelled = infoOf(
      await cpuEstimateMeterFactory({ ...options, cpuUsageLabel: "the whole machine's CPU time" }).probe(),
    );
    assert.equal(
      labelled.details.load,
      "the whole machine's CPU time / (wall time × 4 logical CPUs), clamped to [0, 1]",
    );
  });

  test('energy between two marks with an injected clock and CPU time', async () => {
    const { state, options } = fixture();
    const meter = await cpuEstimateMeterFactory(options).create();
    await meter.start();
    const m0 = await meter.mark();
    state.timeS += 10; // 10 s wall
    state.cpuUs += 20_000_000; // 20 s CPU on 4 cores: load 0.5
    const m1 = await meter.mark();
    const r = await meter.between(m0, m1);
    // 95 W × (0.12 + 0.75 × 0.5^0.6) = 58.4156… W, × 10 s
    const w = 95 * (0.12 + 0.75 * 0.5 ** 0.6);
    assert.equal(r.meter, 'cpu-estimate');
    assert.equal(r.method, 'estimated');
    assert.equal(r.durationS, 10);
    close(r.avgPowerW, w, 1e-9);
    close(r.energyJ, w * 10, 1e-9);
    assert.equal(r.peakPowerW, null);
    assert.equal(r.devices.length, 1);
    close(r.devices[0]?.energyJ ?? NaN, w * 10, 1e-9);
    assert.deepEqual(r.warnings, []);

    // Idle: no CPU time in 2 s → 95 × 0.12 × 2 = 22.8 J.
    state.timeS += 2;
    const r2 = await meter.between(m1, await meter.mark());
    close(r2.energyJ, 22.8, 1e-9);
    await meter.stop();
    await meter.stop();
  });

  test('more CPU time than the machine has: clamped to full load, with a warning', async () => {
    const { state, options } = fixture();
    const meter = await cpuEstimateMeterFactory(options).create();
    const m0 = await meter.mark();
    state.timeS += 1;
    state.cpuUs += 5_000_000; // 5 s on 4 cores in 1 s
    const r = await meter.between(m0, await meter.mark());
    close(r.energyJ, 95 * 0.87, 1e-9);
    assert.match(r.warnings[0] ?? '', /clamped to 1/);
  });

  test('marks of another meter, or reversed, are refused', async () => {
    const { state, options } = fixture();
    const a = await cpuEstimateMeterFactory(options).create();
    const b = await cpuEstimateMeterFactory(options).create();
    const m0 = await a.mark();
    state.timeS += 1;
    const m1 = await a.mark();
    await assert.rejects(b.between(m0, m1), /did not make/);
    await assert.rejects(a.between(m1, m0), /reverse order/);
  });

  test('dram: 3 W per 8 GiB, constant, labelled estimated', async () => {
    const { state, options } = fixture({ memTotalBytes: 16 * 2 ** 30 });
    const [cpuF, dramF] = cpuEstimateMeterFactories(options);
    assert.equal(cpuF?.domain, 'cpu');
    assert.equal(dramF?.domain, 'dram');
    assert.equal(dramF?.name, 'cpu-estimate');
    const info = infoOf(await (dramF ?? assert.fail()).probe());
    assert.equal(info.domain, 'dram');
    assert.equal(info.method, 'estimated');
    assert.deepEqual(info.devices, ['ram']);
    assert.deepEqual(info.warnings, [RAM_ESTIMATE_WARNING]);
    assert.equal(info.details.powerW, 6);
    const meter = await (dramF ?? assert.fail()).create();
    const m0 = await meter.mark();
    state.timeS += 10;
    state.cpuUs += 40_000_000;
    const r = await meter.between(m0, await meter.mark());
    assert.equal(r.domain, 'dram');
    assert.equal(r.energyJ, 60);
  });
});
