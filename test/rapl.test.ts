import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import {
  counterDeltaUj,
  NO_POWERCAP_REASON,
  RAPL_PERMISSION_FIX,
  readRaplCounters,
  scanRaplZones,
} from '../src/devices/rapl.js';
import { DeviceUnavailable } from '../src/devices/unavailable.js';
import { raplMeterFactories, raplMeterFactory, type RaplOptions } from '../src/meters/rapl.js';
import type { Availability, EnergyMeter, MeterInfo } from '../src/meters/types.js';

const MAX_UJ = 262143328850; // a typical max_energy_range_uj (~262 kJ)

const temps: string[] = [];
after(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});

/** A sysfs root with an empty class/powercap. */
function sysfs(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'energy-score-rapl-'));
  temps.push(root);
  mkdirSync(path.join(root, 'class', 'powercap'), { recursive: true });
  return root;
}

function zoneDir(root: string, zone: string): string {
  return path.join(root, 'class', 'powercap', zone);
}

function addZone(root: string, zone: string, name: string, energyUj: number, maxUj = MAX_UJ): void {
  const dir = zoneDir(root, zone);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'name'), `${name}\n`);
  writeFileSync(path.join(dir, 'energy_uj'), `${energyUj}\n`);
  writeFileSync(path.join(dir, 'max_energy_range_uj'), `${maxUj}\n`);
}

function setEnergy(root: string, zone: string, energyUj: number): void {
  writeFileSync(path.join(zoneDir(root, zone), 'energy_uj'), `${energyUj}\n`);
}

function infoOf(a: Availability): MeterInfo {
  if (!a.available) assert.fail(`expected available, got: ${a.reason}`);
  return a.info;
}

function unavailable(a: Availability): { reason: string; fix: string } {
  if (a.available) assert.fail('expected unavailable');
  return a;
}

/** A meter on a fake clock; `now` is what the next mark sees. */
async function meterAt(options: RaplOptions): Promise<{ meter: EnergyMeter; clock: { now: number } }> {
  const clock = { now: 100 };
  const meter = await raplMeterFactory({ ...options, clock: () => clock.now }).create();
  await meter.start();
  return { meter, clock };
}

describe('rapl counter arithmetic', () => {
  test('delta, and one wraparound undone with max_energy_range_uj + 1', () => {
    assert.equal(counterDeltaUj(1000, 5000, MAX_UJ), 4000);
    assert.equal(counterDeltaUj(MAX_UJ - 100, 50, MAX_UJ), 151);
    assert.equal(counterDeltaUj(7, 7, MAX_UJ), 0);
  });
});

describe('rapl device: zone scan and counter reads', () => {
  test('the zones of each domain, the ones left out, and every counter now', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:1', 'package-1', 2_000, 1_000_000);
    addZone(root, 'intel-rapl:0', 'package-0', 1_000);
    addZone(root, 'intel-rapl:0:0', 'core', 500);
    addZone(root, 'intel-rapl:0:1', 'dram', 300);
    const powercap = path.join(root, 'class', 'powercap');
    const cpu = await scanRaplZones('cpu', root);
    assert.deepEqual(cpu, {
      zones: [
        {
          zone: 'intel-rapl:0',
          zoneName: 'package-0',
          device: 'package-0',
          energyFile: path.join(powercap, 'intel-rapl:0', 'energy_uj'),
          maxEnergyUj: MAX_UJ,
        },
        {
          zone: 'intel-rapl:1',
          zoneName: 'package-1',
          device: 'package-1',
          energyFile: path.join(powercap, 'intel-rapl:1', 'energy_uj'),
          maxEnergyUj: 1_000_000,
        },
      ],
      skipped: ['intel-rapl:0:0 (core: part of its package)', 'intel-rapl:0:1 (dram)'],
    });
    assert.deepEqual(await readRaplCounters(cpu.zones), [1_000, 2_000]);
    const dram = await scanRaplZones('dram', root);
    assert.deepEqual(
      dram.zones.map((z) => [z.zone, z.device]),
      [['intel-rapl:0:1', 'dram-0']],
    );
    assert.deepEqual(await readRaplCounters(dram.zones), [300]);
  });

  test('unreadable hardware is a DeviceUnavailable with the reason and the fix', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 1_000);
    await assert.rejects(scanRaplZones('dram', root), (err: unknown) => {
      assert.ok(err instanceof DeviceUnavailable);
      assert.equal(
        err.reason,
        `RAPL has no dram zone in ${path.join(root, 'class', 'powercap')} (client CPUs and AMD CPUs do not report DRAM energy)`,
      );
      assert.equal(
        err.fix,
        'none: DRAM energy cannot be measured here; use --meter cpu-estimate for a RAM estimate',
      );
      return true;
    });
    const denied = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    await assert.rejects(
      scanRaplZones('cpu', root, async (file) => {
        if (file.endsWith('energy_uj')) throw denied;
        return 'package-0\n';
      }),
      (err: unknown) => err instanceof DeviceUnavailable && err.fix === RAPL_PERMISSION_FIX,
    );
  });
});

describe('rapl probe', () => {
  test('no powercap tree: unavailable, never a throw', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'energy-score-rapl-'));
    temps.push(root);
    const r = unavailable(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.equal(r.reason, `no ${path.join(root, 'class', 'powercap')} (no RAPL: a VM or a non-x86 CPU)`);
    assert.match(r.fix, /cpu-estimate/);
    assert.equal(NO_POWERCAP_REASON, 'no /sys/class/powercap (no RAPL: a VM or a non-x86 CPU)');
    await assert.rejects(raplMeterFactory({ sysfsRoot: root }).create(), EnergyScoreError);
  });

  test('ENERGY_SCORE_SYSFS_ROOT is the default root; the option wins over it', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 10);
    const saved = process.env.ENERGY_SCORE_SYSFS_ROOT;
    try {
      process.env.ENERGY_SCORE_SYSFS_ROOT = root;
      assert.deepEqual(infoOf(await raplMeterFactory().probe()).devices, ['package-0']);
      const empty = path.join(root, 'nothing');
      assert.equal((await raplMeterFactory({ sysfsRoot: empty }).probe()).available, false);
    } finally {
      if (saved === undefined) delete process.env.ENERGY_SCORE_SYSFS_ROOT;
      else process.env.ENERGY_SCORE_SYSFS_ROOT = saved;
    }
  });

  test('a powercap dir without intel-rapl zones', async () => {
    const root = sysfs();
    mkdirSync(zoneDir(root, 'dtpm'));
    const r = unavailable(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.match(r.reason, /no intel-rapl zones/);
  });

  test('package-0 with core and dram subzones: cpu reads the package only, dram the dram zone', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 1_000_000);
    addZone(root, 'intel-rapl:0:0', 'core', 500_000);
    addZone(root, 'intel-rapl:0:1', 'uncore', 200_000);
    addZone(root, 'intel-rapl:0:2', 'dram', 300_000);
    addZone(root, 'intel-rapl-mmio:0', 'package-0', 1_000_000); // the same package over MMIO: not read

    const [cpuFactory, dramFactory] = raplMeterFactories({ sysfsRoot: root });
    assert.equal(cpuFactory?.name, 'rapl');
    assert.equal(dramFactory?.name, 'rapl');
    assert.equal(cpuFactory?.domain, 'cpu');
    assert.equal(dramFactory?.domain, 'dram');

    const cpuInfo = infoOf(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.equal(cpuInfo.name, 'rapl');
    assert.equal(cpuInfo.domain, 'cpu');
    assert.equal(cpuInfo.method, 'counter');
    assert.equal(cpuInfo.updatePeriodS, 0.001);
    assert.deepEqual(cpuInfo.devices, ['package-0']);
    assert.equal(cpuInfo.details.zones, 'intel-rapl:0 (package-0)');
    assert.match(String(cpuInfo.details.notRead), /intel-rapl:0:0 \(core: part of its package\)/);
    assert.equal(cpuInfo.details.maxEnergyRangeJ, 262143.32885);

    const dramInfo = infoOf(await raplMeterFactory({ sysfsRoot: root, domain: 'dram' }).probe());
    assert.equal(dramInfo.domain, 'dram');
    assert.deepEqual(dramInfo.devices, ['dram-0']);

    const cpu = await meterAt({ sysfsRoot: root });
    const dram = await meterAt({ sysfsRoot: root, domain: 'dram' });
    const c0 = await cpu.meter.mark();
    const d0 = await dram.meter.mark();
    setEnergy(root, 'intel-rapl:0', 3_500_000);
    setEnergy(root, 'intel-rapl:0:0', 2_000_000);
    setEnergy(root, 'intel-rapl:0:2', 800_000);
    cpu.clock.now = 102;
    dram.clock.now = 102;
    const c1 = await cpu.meter.mark();
    const d1 = await dram.meter.mark();

    const rc = await cpu.meter.between(c0, c1);
    assert.equal(rc.meter, 'rapl');
    assert.equal(rc.domain, 'cpu');
    assert.equal(rc.durationS, 2);
    assert.equal(rc.energyJ, 2.5); // the package only: core's 1.5 J is inside it
    assert.equal(rc.avgPowerW, 1.25);
    assert.equal(rc.peakPowerW, null);
    assert.deepEqual(rc.devices, [{ device: 'package-0', energyJ: 2.5, peakPowerW: null, samples: 2 }]);
    assert.deepEqual(rc.warnings, []);

    const rd = await dram.meter.between(d0, d1);
    assert.equal(rd.domain, 'dram');
    assert.equal(rd.energyJ, 0.5);
    assert.deepEqual(
      rd.devices.map((d) => d.device),
      ['dram-0'],
    );
    await cpu.meter.stop();
    await cpu.meter.stop();
  });

  test('two packages: two devices, summed', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    addZone(root, 'intel-rapl:1', 'package-1', 10_000_000);
    addZone(root, 'intel-rapl:1:0', 'dram', 0);
    const { meter, clock } = await meterAt({ sysfsRoot: root });
    assert.deepEqual(meter.info.devices, ['package-0', 'package-1']);
    const m0 = await meter.mark();
    setEnergy(root, 'intel-rapl:0', 40_000_000);
    setEnergy(root, 'intel-rapl:1', 70_000_000);
    clock.now += 4;
    const r = await meter.between(m0, await meter.mark());
    assert.equal(r.energyJ, 100);
    assert.equal(r.avgPowerW, 25);
    assert.deepEqual(
      r.devices.map((d) => [d.device, d.energyJ]),
      [
        ['package-0', 40],
        ['package-1', 60],
      ],
    );
    const dram = infoOf(await raplMeterFactory({ sysfsRoot: root, domain: 'dram' }).probe());
    assert.deepEqual(dram.devices, ['dram-1']);
  });

  test('a wraparound between two reads gives the exact joules', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', MAX_UJ - 1_000_000);
    const { meter, clock } = await meterAt({ sysfsRoot: root });
    const m0 = await meter.mark();
    setEnergy(root, 'intel-rapl:0', 2_500_000);
    clock.now += 1;
    const r = await meter.between(m0, await meter.mark());
    // 1,000,000 µJ up to the max, 1 µJ to wrap to 0, then 2,500,000 µJ: 3,500,001 µJ.
    assert.equal(r.energyJ, 3.500001);
    assert.deepEqual(r.warnings, []);
  });

  test('a window over half the wrap period at the observed power is warned about', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0, 10_000_000); // wraps every 10 J
    const { meter, clock } = await meterAt({ sysfsRoot: root });
    const m0 = await meter.mark();
    setEnergy(root, 'intel-rapl:0', 8_000_000);
    clock.now += 10; // 0.8 W: wraps every 12.5 s, half of it 6.25 s < 10 s
    const r = await meter.between(m0, await meter.mark());
    assert.equal(r.energyJ, 8);
    assert.equal(r.warnings.length, 1);
    assert.match(
      r.warnings[0] ?? '',
      /package-0: window 10\.0 s is over half the counter's wrap period \(12\.5 s at 0\.8 W\)/,
    );
  });

  test('a counter that does not advance is warned about', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 5);
    const { meter, clock } = await meterAt({ sysfsRoot: root });
    const m0 = await meter.mark();
    clock.now += 1;
    const r = await meter.between(m0, await meter.mark());
    assert.equal(r.energyJ, 0);
    assert.match(r.warnings[0] ?? '', /package-0: counter did not advance/);
  });

  test('marks of another meter, or in reverse order, are refused', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 5);
    const a = await meterAt({ sysfsRoot: root });
    const b = await meterAt({ sysfsRoot: root });
    const ma = await a.meter.mark();
    a.clock.now += 1;
    const ma2 = await a.meter.mark();
    await assert.rejects(b.meter.between(ma, ma2), /did not make/);
    await assert.rejects(a.meter.between(ma2, ma), /reverse order/);
    await assert.rejects(a.meter.between({ timeS: 0, state: null }, ma2), EnergyScoreError);
  });

  test('psys is not read; a top-level dram zone is the dram domain', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    addZone(root, 'intel-rapl:1', 'psys', 0);
    addZone(root, 'intel-rapl:2', 'dram', 0);
    const cpu = infoOf(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.deepEqual(cpu.devices, ['package-0']);
    assert.match(String(cpu.details.notRead), /intel-rapl:1 \(psys\)/);
    const dram = infoOf(await raplMeterFactory({ sysfsRoot: root, domain: 'dram' }).probe());
    assert.deepEqual(dram.devices, ['dram-2']);
  });

  test('no dram zone: dram unavailable, cpu still available', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    addZone(root, 'intel-rapl:0:0', 'core', 0);
    assert.equal((await raplMeterFactory({ sysfsRoot: root }).probe()).available, true);
    const r = unavailable(await raplMeterFactory({ sysfsRoot: root, domain: 'dram' }).probe());
    assert.match(r.reason, /no dram zone/);
  });
});

describe('rapl unreadable counters', () => {
  test('permission denied (root-only since Linux 5.10): reason and the chmod fix', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    const readText = async (file: string): Promise<string> => {
      if (file.endsWith('energy_uj')) {
        throw Object.assign(new Error(`EACCES: permission denied, open '${file}'`), { code: 'EACCES' });
      }
      return (await import('node:fs/promises')).readFile(file, 'utf8');
    };
    const factory = raplMeterFactory({ sysfsRoot: root, readText });
    const r = unavailable(await factory.probe());
    assert.equal(
      r.reason,
      `cannot read ${path.join(root, 'class', 'powercap')}/intel-rapl:0/energy_uj: permission denied ` +
        '(RAPL counters are root-only since Linux 5.10, CVE-2020-8694)',
    );
    assert.equal(r.fix, RAPL_PERMISSION_FIX);
    assert.match(r.fix, /^sudo chmod a\+r \/sys\/class\/powercap\/intel-rapl:\*\/energy_uj/);
    assert.match(r.fix, /udev/);
    await assert.rejects(factory.create(), (err: unknown) => {
      assert.ok(err instanceof EnergyScoreError);
      assert.equal(err.hint, RAPL_PERMISSION_FIX);
      return true;
    });
  });

  test('energy_uj a directory (EISDIR) or a dangling symlink (ENOENT): unavailable with the cause', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    const file = path.join(zoneDir(root, 'intel-rapl:0'), 'energy_uj');
    rmSync(file);
    mkdirSync(file);
    let r = unavailable(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.match(r.reason, /intel-rapl:0\/energy_uj: EISDIR$/);
    assert.match(r.fix, /intel_rapl_msr/);

    rmSync(file, { recursive: true });
    symlinkSync(path.join(root, 'does-not-exist'), file);
    r = unavailable(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.match(r.reason, /intel-rapl:0\/energy_uj: ENOENT$/);
  });

  test('a counter that is not a number, or no max_energy_range_uj', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    setEnergy(root, 'intel-rapl:0', Number.NaN);
    let r = unavailable(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.match(r.reason, /not a counter value: "NaN"/);

    setEnergy(root, 'intel-rapl:0', 1);
    rmSync(path.join(zoneDir(root, 'intel-rapl:0'), 'max_energy_range_uj'));
    r = unavailable(await raplMeterFactory({ sysfsRoot: root }).probe());
    assert.match(r.reason, /max_energy_range_uj \(needed to undo the counter's wraparound\): ENOENT/);
  });

  test('a counter that turns unreadable after create(): mark() throws a run error with the fix', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 0);
    let denied = false;
    const readText = async (file: string): Promise<string> => {
      if (denied) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return (await import('node:fs/promises')).readFile(file, 'utf8');
    };
    const meter = await raplMeterFactory({ sysfsRoot: root, readText }).create();
    denied = true;
    await assert.rejects(meter.mark(), (err: unknown) => {
      assert.ok(err instanceof EnergyScoreError);
      assert.equal(err.kind, 'run');
      assert.equal(err.hint, RAPL_PERMISSION_FIX);
      return true;
    });
  });
});

describe("rapl: other processes' CPU use", () => {
  test('the package counter includes other processes: each reading records their CPU, in cores', async () => {
    const root = sysfs();
    addZone(root, 'intel-rapl:0', 'package-0', 1_000_000);
    const cpu = { ownS: 10, busyS: 100 };
    const cpuTimes = { ownS: () => cpu.ownS, machineBusyS: () => cpu.busyS, ownLabel: 'test' };
    const { meter, clock } = await meterAt({ sysfsRoot: root, cpuTimes });
    const m0 = await meter.mark();
    clock.now += 2;
    cpu.ownS += 1.5;
    cpu.busyS += 3.9; // 2.4 s of others' CPU in 2 s: 1.2 cores
    setEnergy(root, 'intel-rapl:0', 41_000_000);
    const r = await meter.between(m0, await meter.mark());
    assert.equal(r.energyJ, 40);
    assert.ok(Math.abs((r.otherCpuCores ?? NaN) - 1.2) < 1e-12);
    // The dram meter and a meter without CPU sources record nothing.
    const plain = await meterAt({ sysfsRoot: root });
    const p0 = await plain.meter.mark();
    plain.clock.now += 1;
    assert.equal((await plain.meter.between(p0, await plain.meter.mark())).otherCpuCores, undefined);
  });
});
