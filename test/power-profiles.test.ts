import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  buildProfileTable,
  loadPowerProfiles,
  parseCodecarbonSweep,
  parseTeadsInstances,
  parseWattsPerThread,
  profileForCpu,
  profileForInstance,
  profilePowerW,
  splitCsvLine,
} from '../src/devices/power-profiles.js';
import { microarchitecture, parseCpuInfo } from '../src/devices/cpuid.js';

function close(actual: number, expected: number, tolerance = 1e-9, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

const SWEEP_HEADER =
  'task_name,load_type,cpu_name,timestamp,cores_used,cpu_load,temperature,cpu_freq,rapl_power,rapl_energy,estimated_power,estimated_energy,tapo_power,tapo_energy,tapo_time_delta,duration';
// Two steps: 36 W over 10 s (1e-4 kWh) at 50 %, 7.2 W over 5 s (1e-5 kWh) at 0 %, given out of order.
const SWEEP = `${SWEEP_HEADER}
x,some_cores,Acme 100 CPU,0,2,50.0,0,0,1,0.0001,0,0,0,0,0,10
x,some_cores,Acme 100 CPU,0,0,0.0,0,0,1,0.00001,0,0,0,0,0,5
`;
const CPUS = `id,source,name,sockets,threads,tdp_w_per_socket,tdp_source,microarchitecture
acme-100,codecarbon,Acme 100 CPU,1,4,50,test,Rome
acme-200,teads,Acme 200,2,8,100,test,Milan
`;
const TEADS_HEADER =
  'Instance type,Instance vCPU,Platform Total Number of vCPU,Platform CPU Name,PkgWatt @ Idle,PkgWatt @ 10%,PkgWatt @ 50%,PkgWatt @ 100%';
const TEADS = `${TEADS_HEADER}
a.small,2,8,Acme 200,"2,5","5,0","10,0","20,0"
a.big,8,8,Acme 200,"10,0","20,0","40,0","80,0"
b.small,2,8,Other 300,"1,0","2,0","3,0","4,0"
`;
const PER_THREAD = `code_name,cpus,median_w_per_thread
Rome,25,3.52
all Xeon and EPYC,307,4.12
`;

describe('power profile parsers', () => {
  test('CSV cells: quotes, commas inside them, doubled quotes', () => {
    assert.deepEqual(splitCsvLine('a,"1,5","say ""hi""",'), ['a', '1,5', 'say "hi"', '']);
  });

  test('a CodeCarbon sweep: power from RAPL energy over duration, sorted by load', () => {
    const s = parseCodecarbonSweep(SWEEP, 'test.csv');
    assert.equal(s.cpuName, 'Acme 100 CPU');
    assert.equal(s.pattern, 'some-cores');
    assert.deepEqual(
      s.points.map((p) => [p.load, Number(p.powerW.toFixed(9))]),
      [
        [0, 7.2],
        [0.5, 36],
      ],
    );
    assert.throws(() => parseCodecarbonSweep(SWEEP.replace(/some_cores/g, 'odd'), 'x'), /unknown load_type/);
  });

  test("Teads: a platform's watts are each instance's × platform/instance vCPUs, averaged", () => {
    const { instances, points } = parseTeadsInstances(TEADS, new Map([['Acme 200', 'acme-200/stress']]));
    assert.deepEqual(
      instances.map((i) => [i.type, i.vcpus, i.platformVcpus]),
      [
        ['a.small', 2, 8],
        ['a.big', 8, 8],
      ],
    );
    // a.small × 4 = 10 / 20 / 40 / 80; a.big the same: the mean is that.
    assert.deepEqual(
      points.get('acme-200/stress')?.map((p) => [p.load, p.powerW]),
      [
        [0, 10],
        [0.1, 20],
        [0.5, 40],
        [1, 80],
      ],
    );
  });

  test('the table: profiles per CPU and pattern, TDP × sockets, instances on measured platforms only', () => {
    const t = buildProfileTable(CPUS, [{ file: 's.csv', text: SWEEP }], TEADS, PER_THREAD);
    assert.deepEqual(
      t.profiles.map((p) => [p.id, p.tdpW, p.threads, p.pattern]),
      [
        ['acme-100/some-cores', 50, 4, 'some-cores'],
        ['acme-200/stress', 200, 8, 'stress'],
      ],
    );
    assert.deepEqual(
      t.instances.map((i) => i.type),
      ['a.small', 'a.big'],
    );
    assert.deepEqual(parseWattsPerThread(PER_THREAD).all, {
      microarchitecture: 'all Xeon and EPYC',
      cpus: 307,
      medianW: 4.12,
    });
    assert.equal(profileForInstance(t, 'b.small'), null);
    assert.equal(profileForInstance(t, 'a.small\n')?.profile.id, 'acme-200/stress');
    assert.equal(profileForCpu(t, 'ACME(R) 200 @ 2.0GHz')?.id, 'acme-200/stress');
    assert.equal(profileForCpu(t, 'Acme 999'), null);
  });

  test('interpolation: linear between points, flat beyond the ends', () => {
    const pts = [
      { load: 0.1, powerW: 10 },
      { load: 0.5, powerW: 30 },
      { load: 1, powerW: 40 },
    ];
    assert.equal(profilePowerW(pts, 0), 10);
    assert.equal(profilePowerW(pts, 0.3), 20);
    assert.equal(profilePowerW(pts, 0.75), 35);
    assert.equal(profilePowerW(pts, 1.5), 40);
  });
});

describe('shipped profiles', () => {
  test('four CodeCarbon CPUs × two patterns and seven Teads Xeons', async () => {
    const t = await loadPowerProfiles();
    assert.equal(t.profiles.length, 15);
    assert.equal(t.profiles.filter((p) => p.source === 'teads').length, 7);
    const e3 = t.profiles.find((p) => p.id === 'xeon-e3-1240-v2/some-cores');
    // The corrected sweep: 49.6 W at full load on a 69 W part, not the double-counted ~92 W.
    close(e3?.points.at(-1)?.powerW ?? NaN, 49.6471, 1e-4, 'E3 full load');
    const cl = t.profiles.find((p) => p.id === 'xeon-platinum-8259cl/stress');
    assert.deepEqual(
      cl?.points.map((p) => Number(p.powerW.toFixed(1))),
      [54.7, 137.9, 306.9, 445.4],
    );
    assert.equal(
      profileForCpu(t, 'Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz')?.id,
      'xeon-platinum-8259cl/stress',
    );
    assert.equal(profileForCpu(t, 'Intel Xeon E3-1240 v2')?.id, 'xeon-e3-1240-v2/some-cores');
    assert.equal(profileForCpu(t, 'AMD EPYC'), null);
    const m5 = profileForInstance(t, 'm5.large');
    assert.deepEqual(
      [m5?.instance.vcpus, m5?.instance.platformVcpus, m5?.profile.id],
      [2, 96, 'xeon-platinum-8175m/stress'],
    );
    // Extrapolated platforms (m6i: Xeon 8375C) are not profiles.
    assert.equal(profileForInstance(t, 'm6i.large'), null);
  });
});

describe('microarchitecture from CPUID', () => {
  const info = (vendor: string, family: number | null, model: number | null, flags = '', stepping = 2) =>
    parseCpuInfo(
      `processor\t: 0\nvendor_id\t: ${vendor}\n` +
        (family === null ? '' : `cpu family\t: ${family}\n`) +
        (model === null ? '' : `model\t\t: ${model}\n`) +
        `model name\t: Intel(R) Xeon(R) Processor\nstepping\t: ${stepping}\nflags\t\t: fpu ${flags}\n\nprocessor\t: 1\n`,
    );

  test('Intel family 6 models, Skylake/Cascade Lake by stepping, AMD families', () => {
    assert.deepEqual(microarchitecture(info('GenuineIntel', 6, 207)), {
      name: 'Emerald Rapids',
      how: 'CPUID family 6 model 207 stepping 2',
    });
    assert.equal(microarchitecture(info('GenuineIntel', 6, 0x8f))?.name, 'Sapphire Rapids');
    assert.equal(microarchitecture(info('GenuineIntel', 6, 0x55, '', 4))?.name, 'Skylake-SP');
    assert.equal(microarchitecture(info('GenuineIntel', 6, 0x55, '', 7))?.name, 'Cascade Lake-SP');
    assert.equal(microarchitecture(info('AuthenticAMD', 0x17, 0x31))?.name, 'Rome');
    assert.equal(microarchitecture(info('AuthenticAMD', 0x19, 0x11))?.name, 'Genoa');
    assert.equal(microarchitecture(info('AuthenticAMD', 26, 2))?.name, 'Turin');
  });

  test('masked family and model: the flags; nothing known: null', () => {
    assert.equal(
      microarchitecture(info('GenuineIntel', null, null, 'avx512f amx_tile'))?.name,
      'Sapphire Rapids',
    );
    assert.equal(
      microarchitecture(info('GenuineIntel', null, null, 'avx512f avx512_vnni vaes'))?.name,
      'Ice Lake-SP',
    );
    assert.equal(microarchitecture(info('GenuineIntel', null, null, 'avx512f'))?.name, 'Skylake-SP');
    assert.equal(microarchitecture(info('GenuineIntel', 6, 1)), null);
    assert.equal(microarchitecture(parseCpuInfo('')), null);
  });
});
