import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  cpuEstimateMeterFactories,
  cpuEstimateMeterFactory,
  demandEnergyJ,
  estimateDimmCount,
  ESTIMATE_WARNING,
  RAM_ESTIMATE_WARNING,
  ramPowerW,
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

/** /proc/stat with the aggregate line at `busyTicks` busy (user, nice, system, irq, softirq) and `idleTicks` idle. */
function procStat(busyTicks: number, idleTicks: number): string {
  // user nice system idle iowait irq softirq steal guest guest_nice; steal is neither busy nor idle.
  const u = Math.floor(busyTicks / 2);
  return `cpu  ${u} 0 ${busyTicks - u} ${idleTicks} 0 0 0 7 0 0\ncpu0 1 0 1 1 0 0 0 0 0 0\nintr 0\n`;
}

describe('cpu-estimate meter: attribution by CPU time', () => {
  // Intel Core i7-8700K: 95 W in the TDP table, no measured profile: P(U) = 95 × (0.12 + 0.75 × U^0.6).
  const P = (u: number) => 95 * (0.12 + 0.75 * u ** 0.6);

  async function fixture(extra: Partial<CpuEstimateOptions> = {}) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'es-cpu-estimate-'));
    const stat = path.join(dir, 'stat');
    // ownS: this process's CPU seconds; busyTicks: the machine's busy time (1/100 s).
    const state = { timeS: 50, ownS: 1, busyTicks: 100_000, idleTicks: 500_000 };
    const write = () => writeFileSync(stat, procStat(state.busyTicks, state.idleTicks));
    write();
    const options: CpuEstimateOptions = {
      cpuIdentity: identity('Intel', 'Core™ i7-8700K'),
      logicalCores: 4,
      clock: () => state.timeS,
      cpuUsage: () => ({ user: state.ownS * 0.75e6, system: state.ownS * 0.25e6 }),
      procStatPath: stat,
      cpuinfoPath: '/nonexistent/cpuinfo',
      productNamePath: '/nonexistent/product_name',
      ...extra,
    };
    const meter = await cpuEstimateMeterFactory(options).create();
    /** Advances the clock and both CPU times, writes /proc/stat, and marks. */
    const step = async (wallS: number, ownS: number, busyS: number) => {
      state.timeS += wallS;
      state.ownS += ownS;
      state.busyTicks += Math.round(busyS * 100);
      state.idleTicks += Math.round((4 * wallS - busyS) * 100);
      write();
      return meter.mark();
    };
    return { state, options, meter, step, stat };
  }

  test('info: estimated, the model, its band, and how energy is attributed', async () => {
    const { options } = await fixture();
    const info = infoOf(await cpuEstimateMeterFactory(options).probe());
    assert.equal(info.name, 'cpu-estimate');
    assert.equal(info.domain, 'cpu');
    assert.equal(info.method, 'estimated');
    assert.deepEqual(info.devices, ['cpu']);
    assert.equal(info.warnings[0], ESTIMATE_WARNING);
    assert.equal(info.details.modelKind, 'curve-tdp');
    assert.equal(info.details.modelBand, BAND_CURVE);
    assert.equal(info.details.tdpTotalW, 95);
    assert.equal(info.details.tableName, 'Intel Core i7-8700K');
    assert.match(String(info.details.tdpSource), /normalised match/);
    assert.match(
      String(info.details.attribution),
      /^CPU time from the given source \/ the machine's busy CPU time/,
    );
  });

  test('alone: the whole machine power at its load, since all the busy time is its own', async () => {
    const { meter, step } = await fixture();
    const m0 = await step(0, 0, 0);
    // 10 s, 20 s of CPU on 4 CPUs, nobody else: U = 0.5, share 1.
    const r = await meter.between(m0, await step(10, 20, 20));
    assert.equal(r.method, 'estimated');
    assert.equal(r.durationS, 10);
    close(r.energyJ, P(0.5) * 10, 1e-9, 'energy');
    close(r.devices[0]?.energyJ ?? NaN, P(0.5) * 10, 1e-9);
    assert.equal(r.otherCpuCores, 0);
    assert.deepEqual(r.warnings, []);
  });

  test('beside two busy loops: the same CPU time is charged its share of the full machine', async () => {
    const { meter, step } = await fixture();
    const m0 = await step(0, 0, 0);
    // 10 s, 20 s of its own CPU, 40 s busy in all (two loops took the other 20 s): U = 1, share 1/2.
    const r = await meter.between(m0, await step(10, 20, 40));
    close(r.energyJ, 0.5 * 95 * 0.87 * 10, 1e-9, 'energy'); // 413.25 J
    assert.equal(r.otherCpuCores, 2);
    // Idle while others work: nothing is charged.
    const m2 = await step(0, 0, 0);
    const idle = await meter.between(m2, await step(2, 0, 0.5));
    assert.equal(idle.energyJ, 0);
    close(idle.otherCpuCores ?? NaN, 0.25, 1e-12);
  });

  test('static power follows the share of busy time: a quarter of the busy time, a quarter of P(U)', async () => {
    const { meter, step } = await fixture();
    const m0 = await step(0, 0, 0);
    // 4 s, own 1 s of 4 s busy on 4 CPUs: U = 0.25, share 0.25.
    const r = await meter.between(m0, await step(4, 1, 4));
    close(r.energyJ, 0.25 * P(0.25) * 4, 1e-9);
  });

  test('the clocks tick apart: own time above the machine busy time counts as all of it', async () => {
    const { meter, step } = await fixture();
    const m0 = await step(0, 0, 0);
    const r = await meter.between(m0, await step(10, 20.004, 20));
    close(r.energyJ, P(20.004 / 40) * 10, 1e-9);
    assert.equal(r.otherCpuCores, 0);
  });

  test('no /proc/stat: the process is taken to be alone, and the reading says so once', async () => {
    const { meter, step } = await fixture({ procStatPath: '/nonexistent/stat' });
    const m0 = await step(0, 0, 0);
    const m1 = await step(10, 20, 40);
    const r = await meter.between(m0, m1);
    close(r.energyJ, P(0.5) * 10, 1e-9);
    assert.equal(r.otherCpuCores, undefined);
    assert.match(r.warnings[0] ?? '', /could not be read: the process is taken to be alone/);
    const again = await meter.between(m1, await step(1, 1, 1));
    assert.deepEqual(again.warnings, []);
  });

  test('more busy time than the machine has: clamped to full load, with a warning', async () => {
    const { meter, step } = await fixture();
    const m0 = await step(0, 0, 0);
    const r = await meter.between(m0, await step(1, 5, 5));
    close(r.energyJ, 95 * 0.87, 1e-9);
    assert.match(r.warnings[0] ?? '', /clamped to 1/);
  });

  /** A fake /proc/self/task with one thread whose run + wait seconds are `runnableS()`. */
  async function taskDir(runnableS: () => number) {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'es-task-'));
    mkdirSync(path.join(dir, '7'));
    const write = () =>
      writeFileSync(path.join(dir, '7', 'schedstat'), `${Math.round(runnableS() * 1e9)} 0 1\n`);
    write();
    return { dir, write };
  }

  test('with schedstat: charged at the load the process asks for, alone or beside two busy loops', async () => {
    const demand = { s: 0 };
    const task = await taskDir(() => demand.s);
    const { meter, step } = await fixture({ taskDir: task.dir });
    const m0 = await step(0, 0, 0);
    // Alone: 10 s, 20 s of CPU asked for and given on 4 CPUs: u = 0.5, P(0.5) per 2 CPU-seconds.
    demand.s += 20;
    task.write();
    const alone = await meter.between(m0, await step(10, 20, 20));
    close(alone.energyJ, P(0.5) * 10, 1e-9, 'alone');
    // Beside two busy loops: the same 20 s of CPU take 20 s of wall, its threads asked for 40 s
    // (run + wait): still u = 0.5, and the same energy, though the machine was full.
    const m1 = await step(0, 0, 0);
    demand.s += 40;
    task.write();
    const loaded = await meter.between(m1, await step(20, 20, 80));
    close(loaded.energyJ, alone.energyJ, 1e-9, 'loaded');
    assert.equal(loaded.otherCpuCores, 3);
    assert.match(String(meter.info.details.attribution), /as if it ran alone/);
  });

  test('with schedstat: more threads than CPUs ask for more than the machine, clamped to full load', async () => {
    const demand = { s: 0 };
    const task = await taskDir(() => demand.s);
    const { meter, step } = await fixture({ taskDir: task.dir });
    const m0 = await step(0, 0, 0);
    demand.s += 60;
    task.write();
    const r = await meter.between(m0, await step(10, 40, 40));
    close(r.energyJ, (40 * P(1)) / 4, 1e-9);
  });

  test('demand energy: P(u) / (u × CPUs) per CPU second; nothing for no CPU or no demand', () => {
    close(demandEnergyJ(3, 0.25, 4, P), (3 * P(0.25)) / 1, 1e-12);
    assert.equal(demandEnergyJ(0, 0.5, 4, P), 0);
    assert.equal(demandEnergyJ(2, 0, 4, P), 0);
  });

  test('marks of another meter, or reversed, are refused', async () => {
    const { options, meter, step } = await fixture();
    const other = await cpuEstimateMeterFactory(options).create();
    const m0 = await step(0, 0, 0);
    const m1 = await step(1, 0, 0);
    await assert.rejects(other.between(m0, m1), /did not make/);
    await assert.rejects(meter.between(m1, m0), /reverse order/);
  });
});

describe('cpu-estimate meter: RAM', () => {
  test("CodeCarbon's DIMM count and power", () => {
    const cases: [number, boolean, number, number][] = [
      [1, false, 1, 10],
      [8, false, 2, 10],
      [23.5, false, 4, 20],
      [64, false, 4, 20],
      [128, false, 8, 38],
      [256, false, 8, 38],
      [2048, false, 16, 70],
      [8, true, 2, 3],
      [64, true, 4, 6],
    ];
    for (const [gib, arm, dimms, watts] of cases) {
      assert.equal(estimateDimmCount(gib), dimms, `${gib} GiB`);
      close(ramPowerW(gib, arm), watts, 1e-9, `${gib} GiB ${arm ? 'ARM' : 'x86'}`);
    }
  });

  test("the machine's RAM power × the process's resident share of the installed memory", async () => {
    const state = { timeS: 10, rss: 2 ** 30 };
    const factory = cpuEstimateMeterFactory({
      domain: 'dram',
      memTotalBytes: 16 * 2 ** 30,
      arm: false,
      clock: () => state.timeS,
      rssBytes: () => state.rss,
    });
    const info = infoOf(await factory.probe());
    assert.equal(info.domain, 'dram');
    assert.equal(info.method, 'estimated');
    assert.deepEqual(info.devices, ['ram']);
    assert.deepEqual(info.warnings, [RAM_ESTIMATE_WARNING]);
    assert.equal(info.details.machinePowerW, 10);
    assert.equal(info.details.dimms, 2);
    assert.match(String(info.details.attribution), /^process: /);
    const meter = await factory.create();
    const m0 = await meter.mark();
    state.timeS += 10;
    state.rss = 3 * 2 ** 30;
    // Mean resident 2 GiB of 16: 10 W × 1/8 × 10 s.
    const r = await meter.between(m0, await meter.mark());
    assert.equal(r.domain, 'dram');
    assert.equal(r.energyJ, 12.5);
  });

  test("without the process's memory (measure): the whole machine's, said so", async () => {
    const state = { timeS: 0 };
    const [, dramF] = cpuEstimateMeterFactories({
      memTotalBytes: 16 * 2 ** 30,
      arm: false,
      clock: () => state.timeS,
      rssBytes: null,
    });
    const info = infoOf(await dramF!.probe());
    assert.match(String(info.details.attribution), /^machine: /);
    const meter = await dramF!.create();
    const m0 = await meter.mark();
    state.timeS += 10;
    assert.equal((await meter.between(m0, await meter.mark())).energyJ, 100);
  });
});
