/**
 * Meters that break: streams that die, stall or are killed, power that cannot be real, counters
 * that jump or vanish, clocks that step, probes that hang. A broken figure fails its reading (so
 * the runner drops the meter with the reason); it never becomes joules.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError } from '../src/errors.js';
import { queryNvidiaSmiGpus } from '../src/devices/nvidia-smi.js';
import { DeviceUnavailable } from '../src/devices/unavailable.js';
import {
  NvidiaSmiMeter,
  nvidiaSmiMeterFactory,
  type NvidiaSmiMeterOptions,
} from '../src/meters/nvidia-smi.js';
import { counterReading, nvmlMeterFactory } from '../src/meters/nvml.js';
import {
  gpuPowerCeiling,
  implausibleEnergyStep,
  implausiblePower,
  raplZoneCeiling,
} from '../src/meters/plausibility.js';
import { raplMeterFactory } from '../src/meters/rapl.js';
import { selectMeters } from '../src/meters/registry.js';
import { coverageGap } from '../src/meters/trapezoid.js';
import type {
  Availability,
  EnergyMeter,
  EnergyReading,
  Mark,
  MeterFactory,
  MeterInfo,
} from '../src/meters/types.js';
import { measureIdle } from '../src/runner/protocol.js';
import type { PowerSample } from '../src/devices/nvidia-smi-stream.js';
import { PATIENT_NVIDIA_SMI } from './helpers/cli.js';
import { buildFakeNvml } from './helpers/fake-nvml.js';
import { energyFile, raplRoot as makeRaplRoot } from './helpers/rapl-sysfs.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FAKE = path.join(repoRoot, 'test', 'fixtures', 'fake-nvidia-smi');
const TRACES = path.join(repoRoot, 'test', 'fixtures', 'traces', 'h100-sxm-580');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-meter-faults-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Samples at the given times, all at 100 W. */
const at = (...times: number[]): PowerSample[] => times.map((timeS) => ({ timeS, powerW: 100 }));
/** Every 1/8 s from `from` to `to` (binary fractions: exact arithmetic). */
const every8th = (from: number, to: number): PowerSample[] =>
  at(...Array.from({ length: Math.round((to - from) * 8) + 1 }, (_, i) => from + i / 8));

describe('window coverage: a window is integrated only where samples bound it', () => {
  test('covered windows, including a short one between two samples', () => {
    assert.equal(coverageGap(every8th(0, 3), 0.5, 2.5, 0.5), null);
    assert.equal(coverageGap(at(0, 0.125), 0.03125, 0.09375, 0.5), null);
    // Held for 0.25 s before the first sample: within the limit.
    assert.equal(coverageGap(every8th(0.25, 3), 0, 2, 0.5), null);
  });

  test('a stream that died early in the window leaves its end uncovered', () => {
    assert.deepEqual(coverageGap(at(0, 0.125, 0.25, 0.375), 0.0625, 2.0625, 0.5), {
      where: 'end',
      offsetS: 0.3125,
      seconds: 1.6875,
    });
    // One sample before the window, none in or after it: the whole window would be held.
    assert.deepEqual(coverageGap(at(0), 0.25, 3.25, 0.5), { where: 'end', offsetS: -0.25, seconds: 3.25 });
    // A short window is not covered by a sample long before it either.
    assert.deepEqual(coverageGap(at(0, 0.125), 1, 1.25, 0.5), {
      where: 'end',
      offsetS: -0.875,
      seconds: 1.125,
    });
  });

  test('a stream that started late, a gap inside, and no samples at all', () => {
    assert.deepEqual(coverageGap(every8th(1, 3), 0, 2, 0.5), { where: 'start', offsetS: 0, seconds: 1 });
    assert.deepEqual(coverageGap([...every8th(0, 1), ...every8th(2, 3)], 0.5, 2.5, 0.5), {
      where: 'inside',
      offsetS: 0.5,
      seconds: 1,
    });
    assert.deepEqual(coverageGap([], 0, 2, 0.5), { where: 'all', offsetS: 0, seconds: 2 });
  });
});

describe('plausible power', () => {
  test('ceilings: twice the enforced limit, else a fallback per GPU; a fixed ceiling per RAPL zone', () => {
    assert.deepEqual(gpuPowerCeiling('gpu0', 700), {
      device: 'gpu0',
      maxW: 1400,
      basis: '2 × the enforced power limit of 700 W',
    });
    assert.deepEqual(gpuPowerCeiling('gpu1', null), {
      device: 'gpu1',
      maxW: 2000,
      basis: 'no enforced power limit known: the ceiling for any GPU',
    });
    assert.deepEqual(raplZoneCeiling('package-0'), {
      device: 'package-0',
      maxW: 1000,
      basis: 'the ceiling for one CPU socket',
    });
  });

  test('power: negative, not a number, or above the ceiling, each said with the figure', () => {
    const h100 = gpuPowerCeiling('gpu0', 700);
    assert.equal(implausiblePower(h100, 'power.draw.instant', 879.99), null);
    assert.equal(
      implausiblePower(h100, 'power.draw.instant', 1e9),
      'gpu0: power.draw.instant of 1.00e+9 W is above 1400 W (2 × the enforced power limit of 700 W)',
    );
    assert.equal(
      implausiblePower(h100, 'power.draw.instant', -50),
      'gpu0: power.draw.instant of -50 W is negative',
    );
    assert.equal(implausiblePower(h100, 'power.draw', NaN), 'gpu0: power.draw of NaN W is not a number');
  });

  test('energy steps: negative, or more than the ceiling over the window and one update', () => {
    const h100 = gpuPowerCeiling('gpu0', 700);
    assert.equal(implausibleEnergyStep(h100, 'the NVML energy counter', 1470, 1, 0.1), null);
    assert.equal(
      implausibleEnergyStep(h100, 'the NVML energy counter', 2e9, 2, 0.1),
      'gpu0: the NVML energy counter rose by 2.00e+9 J in 2.000 s, over 9.52e+8 W, above 1400 W (2 × the enforced power limit of 700 W)',
    );
    assert.equal(
      implausibleEnergyStep(h100, 'the NVML energy counter', -102, 2, 0.1),
      'gpu0: the NVML energy counter went down by 102 J in 2.000 s',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// nvidia-smi through the fake

function fakeOptions(
  fakeEnv: Record<string, string>,
  extra: NvidiaSmiMeterOptions = {},
): NvidiaSmiMeterOptions {
  return {
    executable: FAKE,
    env: { ...process.env, ...PATIENT_NVIDIA_SMI, FAKE_NVIDIA_SMI_TRACES: TRACES, ...fakeEnv },
    ...extra,
  };
}

async function startedMeter(options: NvidiaSmiMeterOptions): Promise<NvidiaSmiMeter> {
  const factory = nvidiaSmiMeterFactory(options);
  const availability = await factory.probe();
  assert.ok(availability.available, JSON.stringify(availability));
  const meter = await factory.create();
  assert.ok(meter instanceof NvidiaSmiMeter);
  await meter.start();
  return meter;
}

async function window(meter: EnergyMeter, ms: number): Promise<EnergyReading> {
  const from = await meter.mark();
  await sleep(ms);
  return meter.between(from, await meter.mark());
}

/** Resolves once the process is gone. */
async function gone(pid: number | undefined): Promise<void> {
  assert.ok(pid !== undefined);
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(20);
  }
}

/** Asserts a run error whose message matches every pattern, and gives the message. */
async function rejectsWith(promise: Promise<unknown>, ...patterns: RegExp[]): Promise<string> {
  let message = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, String(err));
    assert.equal(err.kind, 'run');
    message = err.message;
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
  return message;
}

describe('nvidia-smi: a window the stream does not cover is not measured', { timeout: 120_000 }, () => {
  test('a stream that died just before the window: the reading fails, never holds the last power', async () => {
    // 3 samples (0.3 s), then "GPU is lost" and exit 15; the window starts as soon as it is gone,
    // a sample period or so after its last sample.
    const meter = await startedMeter(
      fakeOptions({ FAKE_NVIDIA_SMI_MODE: 'die', FAKE_NVIDIA_SMI_FAIL_AFTER: '3' }),
    );
    try {
      await gone(meter.childPid);
      await rejectsWith(
        window(meter, 1000),
        /^nvidia-smi meter: gpu0: no power sample since \d\.\d\d s before the \d\.\d\d s window/,
        /nvidia-smi exited with code 15: Unable to determine the device handle/,
      );
    } finally {
      await meter.stop();
    }
  });

  test('a stream that dies inside the window: the reading fails, naming the uncovered stretch', async () => {
    // 5 samples (0.5 s) then exit; the window starts at once and lasts 1.5 s.
    const meter = await startedMeter(
      fakeOptions({ FAKE_NVIDIA_SMI_MODE: 'die', FAKE_NVIDIA_SMI_FAIL_AFTER: '5' }),
    );
    try {
      await rejectsWith(
        window(meter, 1500),
        /gpu0: no power sample in the last \d\.\d\d s of the \d\.\d\d s window \(nvidia-smi exited with code 15/,
        /the last one is not held over it/,
      );
    } finally {
      await meter.stop();
    }
  });

  test('nvidia-smi killed (SIGKILL) mid-window: the reading fails and says it was killed', async () => {
    const meter = await startedMeter(fakeOptions({}));
    try {
      const from = await meter.mark();
      await sleep(300);
      process.kill(meter.childPid!, 'SIGKILL');
      await sleep(1200);
      await rejectsWith(
        meter.between(from, await meter.mark()),
        /gpu0: no power sample in the last \d\.\d\d s/,
        /nvidia-smi killed by SIGKILL/,
      );
    } finally {
      await meter.stop();
    }
  });

  test('idle power from 0.3 s of samples held over 1.5 s: the idle reading fails and is reported', async () => {
    const meter = await startedMeter(
      fakeOptions({ FAKE_NVIDIA_SMI_MODE: 'die', FAKE_NVIDIA_SMI_FAIL_AFTER: '3' }),
    );
    try {
      const failures: string[] = [];
      const idle = await measureIdle([meter], 1.5, undefined, (_, err) => failures.push(String(err)));
      assert.deepEqual(idle, [null]);
      assert.equal(failures.length, 1);
      assert.match(
        failures[0]!,
        /gpu0: no power sample (in the last \d\.\d\d s of|since \d\.\d\d s before) the 1\.5\d s window/,
      );
    } finally {
      await meter.stop();
    }
  });

  test('one of two GPUs lost mid-run: the whole reading fails rather than leave a GPU out', async () => {
    // From the 5th row on, gpu1 prints [GPU is lost] in every field; gpu0 goes on.
    const meter = await startedMeter(
      fakeOptions({
        FAKE_NVIDIA_SMI_GPU_COUNT: '2',
        FAKE_NVIDIA_SMI_LOST_GPU: '1',
        FAKE_NVIDIA_SMI_FAIL_AFTER: '5',
      }),
    );
    try {
      await sleep(800);
      await rejectsWith(window(meter, 1000), /gpu1: no power sample since \d\.\d\d s before the/);
    } finally {
      await meter.stop();
    }
  });
});

describe('nvidia-smi: power that cannot be real fails the reading', { timeout: 120_000 }, () => {
  test('the probe reads the enforced power limit; the ceiling is twice it', async () => {
    const found = await queryNvidiaSmiGpus(FAKE, { ...process.env, FAKE_NVIDIA_SMI_GPU_COUNT: '2' }, 5);
    assert.deepEqual(
      found.enforcedPowerLimitsW,
      new Map([
        [0, 700],
        [1, 700],
      ]),
    );
    const availability = await nvidiaSmiMeterFactory(fakeOptions({})).probe();
    assert.ok(availability.available);
    assert.equal(
      availability.info.details.powerCeilings,
      'gpu0: 1400 W (2 × the enforced power limit of 700 W)',
    );
    const unknown = await nvidiaSmiMeterFactory(
      fakeOptions({ FAKE_NVIDIA_SMI_POWER_LIMIT_W: '[N/A]' }),
    ).probe();
    assert.ok(unknown.available);
    assert.equal(
      unknown.info.details.powerCeilings,
      'gpu0: 2000 W (no enforced power limit known: the ceiling for any GPU)',
    );
  });

  test('1e9 W samples: the reading fails, naming the figure and the ceiling', async () => {
    const meter = await startedMeter(fakeOptions({ FAKE_NVIDIA_SMI_POWER_W: '1e9' }));
    try {
      await rejectsWith(
        window(meter, 600),
        /gpu0: power\.draw\.instant of 1\.00e\+9 W is above 1400 W \(2 × the enforced power limit of 700 W\)/,
      );
    } finally {
      await meter.stop();
    }
  });

  test('−50 W samples: the reading fails, saying power cannot be negative', async () => {
    const meter = await startedMeter(fakeOptions({ FAKE_NVIDIA_SMI_POWER_W: '-50' }));
    try {
      await rejectsWith(window(meter, 600), /gpu0: power\.draw\.instant of -50 W is negative/);
    } finally {
      await meter.stop();
    }
  });

  test('no enforced limit: the fallback ceiling still rejects 1e9 W', async () => {
    const meter = await startedMeter(
      fakeOptions({ FAKE_NVIDIA_SMI_POWER_W: '1e9', FAKE_NVIDIA_SMI_POWER_LIMIT_W: '[N/A]' }),
    );
    try {
      await rejectsWith(window(meter, 600), /is above 2000 W \(no enforced power limit known/);
    } finally {
      await meter.stop();
    }
  });
});

describe('nvidia-smi: a clock that steps', { timeout: 120_000 }, () => {
  for (const [name, jumpS] of [
    ['a second into the future', '1'],
    ['a second into the past', '-1'],
    ['an hour into the past', '-3600'],
  ] as const) {
    test(`timestamps that jump ${name}: arrival times, a warning, and the window still measured`, async () => {
      const meter = await startedMeter(
        fakeOptions({ FAKE_NVIDIA_SMI_JUMP_S: jumpS, FAKE_NVIDIA_SMI_JUMP_AFTER: '3' }),
      );
      try {
        await sleep(500);
        const reading = await window(meter, 1000);
        assert.ok(
          reading.warnings.some((w) => /sample times are arrival times/.test(w)),
          reading.warnings.join('\n'),
        );
        // The recording idles at 120 to 180 W from its start.
        assert.ok(reading.avgPowerW > 100 && reading.avgPowerW < 200, `avg ${reading.avgPowerW} W`);
      } finally {
        await meter.stop();
      }
    });
  }
});

describe('nvidia-smi that hangs: the probe is bounded', { timeout: 120_000 }, () => {
  test('every call hangs: unavailable within the limit, marked faulty, and not tried again', async () => {
    // A copy under its own name: the memory of an unresponsive executable is per path.
    const stuck = path.join(tmp, 'stuck-nvidia-smi');
    fs.symlinkSync(FAKE, stuck);
    const factory = nvidiaSmiMeterFactory({
      executable: stuck,
      env: { ...process.env, FAKE_NVIDIA_SMI_MODE: 'stuck' },
      probeTimeoutS: 1,
    });
    const availability = await factory.probe();
    assert.ok(!availability.available);
    assert.equal(availability.reason, `${stuck} --help-query-gpu did not finish within 1 s`);
    assert.equal(availability.faulty, true);
    await assert.rejects(
      queryNvidiaSmiGpus(stuck, process.env, 30),
      (err: unknown) =>
        err instanceof DeviceUnavailable &&
        err.reason === `${stuck} --help-query-gpu did not finish within 1 s (not tried again)`,
    );
  });

  test('--meter auto notes the meter it dropped and why; an absent one goes unmentioned', async () => {
    const stub = (name: 'nvml' | 'nvidia-smi' | 'cpu-estimate', a: Availability): MeterFactory => ({
      name,
      domain: name === 'cpu-estimate' ? 'cpu' : 'gpu',
      method: name === 'cpu-estimate' ? 'estimated' : name === 'nvml' ? 'counter' : 'polled',
      probe: async () => a,
      create: async () => new NullMeter(name, name === 'cpu-estimate' ? 'cpu' : 'gpu'),
    });
    const { meters, notes } = await selectMeters('auto', [
      stub('nvml', { available: false, reason: 'no NVIDIA driver', fix: 'install it' }),
      stub('nvidia-smi', {
        available: false,
        reason: 'nvidia-smi --help-query-gpu did not finish within 5 s',
        fix: 'install the NVIDIA driver',
        faulty: true,
      }),
      stub('cpu-estimate', { available: true, info: new NullMeter('cpu-estimate', 'cpu').info }),
    ]);
    assert.equal(meters.length, 1);
    assert.deepEqual(notes, [
      'nvidia-smi (gpu) was dropped: nvidia-smi --help-query-gpu did not finish within 5 s',
    ]);
  });
});

class NullMeter implements EnergyMeter {
  readonly info: MeterInfo;
  constructor(name: string, domain: 'cpu' | 'gpu') {
    this.info = {
      name,
      domain,
      method: 'estimated',
      devices: ['d0'],
      updatePeriodS: 0.001,
      details: {},
      warnings: [],
    };
  }
  async start(): Promise<void> {}
  async mark(): Promise<Mark> {
    return { timeS: 0, state: null };
  }
  async between(): Promise<EnergyReading> {
    throw new Error('not read here');
  }
  async stop(): Promise<void> {}
}

// ---------------------------------------------------------------------------------------------
// NVML

describe('nvml: counter steps and power reads that cannot be real', () => {
  const h100 = [gpuPowerCeiling('gpu0', 700)];

  test('a step of 2e9 J in 2 s fails the reading, naming the counter, the power and the ceiling', () => {
    assert.throws(
      () => counterReading(['gpu0'], [1000n], [1000n + 2_000_000_000_000n], 2, null, 0.1, h100),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.message ===
          'nvml meter: gpu0: the NVML energy counter rose by 2.00e+9 J in 2.000 s, over 9.52e+8 W, above 1400 W (2 × the enforced power limit of 700 W)',
    );
  });

  test('a counter that went backwards fails the reading instead of giving 0 J', () => {
    assert.throws(
      () => counterReading(['gpu0'], [5000n], [3000n], 2, null, 0.1, h100),
      /nvml meter: gpu0: the NVML energy counter went backwards \(5000 → 3000 mJ/,
    );
  });

  test('a power read far above the limit fails the reading; real figures pass', () => {
    const peak = { devicesW: [1e9], totalW: 1e9 };
    assert.throws(
      () => counterReading(['gpu0'], [0n], [1_400_000n], 2, peak, 0.1, h100),
      /gpu0: nvmlDeviceGetPowerUsage of 1\.00e\+9 W is above 1400 W/,
    );
    const ok = counterReading(
      ['gpu0'],
      [0n],
      [1_400_000n],
      2,
      { devicesW: [716.998], totalW: 716.998 },
      0.1,
      h100,
    );
    assert.equal(ok.energyJ, 1400);
    assert.equal(ok.peakPowerW, 716.998);
  });

  describe('through the fake libnvidia-ml', () => {
    let lib = '';
    before(() => {
      lib = buildFakeNvml(fs.mkdtempSync(path.join(tmp, 'nvml-')));
    });

    async function withEnv<T>(vars: Record<string, string>, fn: () => Promise<T>): Promise<T> {
      const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
      Object.assign(process.env, vars);
      try {
        return await fn();
      } finally {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k];
          else process.env[k] = v;
        }
      }
    }

    test('the enforced limit is read through NVML, with the fallback where NVML lacks it', async () => {
      await withEnv({ FAKE_NVML_GPUS: '1' }, async () => {
        const a = await nvmlMeterFactory({ libraryPath: lib }).probe();
        assert.ok(a.available);
        assert.equal(a.info.details.powerCeilings, 'gpu0: 1400 W (2 × the enforced power limit of 700 W)');
      });
      await withEnv({ FAKE_NVML_GPUS: '1', FAKE_NVML_POWER_LIMIT_MW: 'not_supported' }, async () => {
        const a = await nvmlMeterFactory({ libraryPath: lib }).probe();
        assert.ok(a.available);
        assert.equal(
          a.info.details.powerCeilings,
          'gpu0: 2000 W (no enforced power limit known: the ceiling for any GPU)',
        );
      });
    });

    test('a counter that jumps by a gigajoule between two marks: the reading fails', async () => {
      const trace = path.join(tmp, 'jump.csv');
      fs.writeFileSync(trace, 'epoch_s,total_energy_mj,power_mw\n1,1000,100000\n2,1000000001000,100000\n');
      await withEnv({ FAKE_NVML_GPUS: '1', FAKE_NVML_TRACE: trace }, async () => {
        const meter = await nvmlMeterFactory({ libraryPath: lib, powerPollS: 0 }).create();
        await meter.start();
        try {
          const m0 = await meter.mark();
          await sleep(200);
          await rejectsWith(
            meter.between(m0, await meter.mark()),
            /^nvml meter: gpu0: the NVML energy counter rose by 1\.00e\+9 J in 0\.\d+ s, over .* W, above 1400 W/,
          );
        } finally {
          await meter.stop();
        }
      });
    });
  });
});

// ---------------------------------------------------------------------------------------------
// RAPL

const raplRoot = (energyUj: number): string => makeRaplRoot(tmp, energyUj);

describe('rapl: counter steps that cannot be real', () => {
  test('a step implying 1e6 W over 2 s fails the reading, naming the zone and the ceiling', async () => {
    const root = raplRoot(0);
    const clock = { now: 100 };
    const meter = await raplMeterFactory({ sysfsRoot: root, clock: () => clock.now }).create();
    const m0 = await meter.mark();
    fs.writeFileSync(energyFile(root), `${2_000_000 * 1_000_000}\n`);
    clock.now += 2;
    const message = await rejectsWith(meter.between(m0, await meter.mark()));
    assert.equal(
      message,
      'rapl: package-0: the RAPL counter intel-rapl:0/energy_uj rose by 2.00e+6 J in 2.000 s, over 995025 W, above 1000 W (the ceiling for one CPU socket)',
    );
  });

  test('a counter reset read as a wrap (the counter fell): the reading fails instead of 262 kJ', async () => {
    const root = raplRoot(50_000_000);
    const clock = { now: 100 };
    const meter = await raplMeterFactory({ sysfsRoot: root, clock: () => clock.now }).create();
    const m0 = await meter.mark();
    fs.writeFileSync(energyFile(root), '1000\n');
    clock.now += 1;
    await rejectsWith(
      meter.between(m0, await meter.mark()),
      /package-0: the RAPL counter intel-rapl:0\/energy_uj rose by 262093 J in 1\.000 s/,
    );
  });
});
