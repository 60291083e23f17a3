import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

import {
  BAND_CURVE,
  BAND_CURVE_W_PER_THREAD,
  BAND_PROFILE,
  codecarbonCpuPowerW,
  curvePowerW,
  CURVE_A,
  CURVE_B,
  CURVE_K,
  linearCpuPowerW,
  resolvePowerModel,
  teadsCpuPowerW,
  type CpuIdentity,
} from '../src/meters/power-model.js';

function close(actual: number, expected: number, tolerance = 1e-9, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

const identity =
  (manufacturer: string, brand: string, processors = 1): (() => Promise<CpuIdentity>) =>
  async () => ({ manufacturer, brand, processors });

async function files(cpuinfo: string | null, product: string | null) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'es-power-model-'));
  const cpuinfoPath = path.join(dir, 'cpuinfo');
  const productNamePath = path.join(dir, 'product_name');
  if (cpuinfo !== null) await writeFile(cpuinfoPath, cpuinfo);
  if (product !== null) await writeFile(productNamePath, product);
  return { cpuinfoPath, productNamePath };
}

const EMERALD_RAPIDS =
  'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 207\nmodel name\t: Intel(R) Xeon(R) Processor\nstepping\t: 2\nflags\t\t: fpu avx512f amx_tile\n';
const SKYLAKE_SP =
  'processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel\t\t: 85\nmodel name\t: Intel(R) Xeon(R) Processor\nstepping\t: 4\n';

describe('power curves', () => {
  test('the fitted curve at 0, 0.5, 1 and clamped outside', () => {
    assert.deepEqual([CURVE_A, CURVE_B, CURVE_K], [0.12, 0.75, 0.6]);
    close(curvePowerW(100, 0), 12);
    close(curvePowerW(100, 0.5), 100 * (0.12 + 0.75 * 0.5 ** 0.6));
    close(curvePowerW(100, 1), 87);
    close(curvePowerW(100, 3), 87);
    close(curvePowerW(100, -1), 12);
  });

  test('the comparison models', () => {
    close(codecarbonCpuPowerW(100, 0.5), 21.25);
    close(linearCpuPowerW(100, 0.5), 43);
    close(teadsCpuPowerW(100, 0.3), 53.5);
  });
});

describe('power model resolution', () => {
  test('an EC2 instance type on a measured platform: its profile × the vCPU share', async () => {
    const paths = await files(SKYLAKE_SP, 'm5.large\n');
    const m = await resolvePowerModel({
      cpuIdentity: identity('Intel', 'Xeon® Platinum 8175M CPU @ 2.50GHz'),
      logicalCores: 2,
      ...paths,
    });
    assert.equal(m.kind, 'instance-profile');
    assert.equal(m.band, BAND_PROFILE);
    assert.equal(m.details.profile, 'xeon-platinum-8175m/stress');
    // 2 of 96 vCPUs of 57.93 / 146.57 / 343.69 / 478.02 W.
    close(m.powerW(0), (57.9296 * 2) / 96, 1e-4);
    close(m.powerW(1), (478.0173 * 2) / 96, 1e-4);
    assert.match(String(m.details.microarchitecture), /^Skylake-SP \(CPUID family 6 model 85/);
  });

  test("a CPU model with a profile: its some_cores sweep × this machine's share of its threads", async () => {
    const paths = await files(null, null);
    const m = await resolvePowerModel({
      cpuIdentity: identity('Intel', 'Xeon® E3-1240 V2 @ 3.40GHz'),
      logicalCores: 4,
      ...paths,
    });
    assert.equal(m.kind, 'cpu-profile');
    assert.equal(m.details.profile, 'xeon-e3-1240-v2/some-cores');
    assert.equal(m.details.share, 0.5);
    close(m.powerW(1), 49.6471 / 2, 1e-4);
    assert.equal(m.details.microarchitecture, 'unknown');
  });

  test('a CPU in the TDP table only: the curve × TDP × sockets', async () => {
    const paths = await files(null, null);
    const m = await resolvePowerModel({
      cpuIdentity: identity('Intel', 'Core™ i7-8700K'),
      logicalCores: 12,
      ...paths,
    });
    assert.equal(m.kind, 'curve-tdp');
    assert.equal(m.band, BAND_CURVE);
    assert.equal(m.details.tdpTotalW, 95);
    close(m.powerW(1), 95 * 0.87);
  });

  test("an unnamed VM CPU: its microarchitecture's median W per thread, or every server part's", async () => {
    const skylake = await resolvePowerModel({
      cpuIdentity: identity('Intel', 'Xeon® Processor'),
      logicalCores: 2,
      ...(await files(SKYLAKE_SP, null)),
    });
    assert.equal(skylake.kind, 'curve-w-per-thread');
    assert.equal(skylake.band, BAND_CURVE_W_PER_THREAD);
    assert.equal(skylake.details.tdpTotalW, 7.32);
    assert.match(String(skylake.details.tdpSource), /3\.66 W per thread \(the median of 5 Skylake-SP parts/);

    const emerald = await resolvePowerModel({
      cpuIdentity: identity('Intel', 'Xeon® Processor'),
      logicalCores: 2,
      ...(await files(EMERALD_RAPIDS, null)),
    });
    assert.equal(emerald.details.microarchitecture, 'Emerald Rapids (CPUID family 6 model 207 stepping 2)');
    assert.equal(emerald.details.tdpTotalW, 8.24);
    assert.match(String(emerald.details.tdpSource), /none listed for Emerald Rapids/);
    assert.match(emerald.warnings.join('\n'), /no measured profile and no TDP/);
  });

  test('a failing CPU identity is a warning, not a throw', async () => {
    const m = await resolvePowerModel({
      cpuIdentity: async () => {
        throw new Error('no /proc/cpuinfo');
      },
      logicalCores: 3,
      ...(await files(null, null)),
    });
    assert.equal(m.kind, 'curve-w-per-thread');
    close(Number(m.details.tdpTotalW), 12.36);
    assert.match(m.warnings.join('\n'), /no \/proc\/cpuinfo/);
  });
});

describe('environment', () => {
  test('records the microarchitecture where CPUID tells it', async () => {
    const { collectEnvironment } = await import('../src/env/environment.js');
    const { readCpuInfo, microarchitecture } = await import('../src/devices/cpuid.js');
    const info = await readCpuInfo();
    const arch = info ? microarchitecture(info) : null;
    const env = await collectEnvironment();
    assert.equal(env.cpuMicroarchitecture, arch ? `${arch.name} (${arch.how})` : undefined);
  });
});
