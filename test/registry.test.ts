import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { autoPicks, selectMeters, stopMeters } from '../src/meters/registry.js';
import type {
  Availability,
  EnergyDomain,
  EnergyMeter,
  EnergyReading,
  Mark,
  MeterFactory,
  MeterInfo,
  MeterMethod,
  MeterName,
} from '../src/meters/types.js';

type Status = { domain: EnergyDomain; method: MeterMethod; available: boolean };

const GPU_COUNTER: Status = { domain: 'gpu', method: 'counter', available: false };
const GPU_POLLED: Status = { domain: 'gpu', method: 'polled', available: true };
const CPU_RAPL: Status = { domain: 'cpu', method: 'counter', available: true };
const DRAM_RAPL: Status = { domain: 'dram', method: 'counter', available: false };
const CPU_ESTIMATE: Status = { domain: 'cpu', method: 'estimated', available: true };
const DRAM_ESTIMATE: Status = { domain: 'dram', method: 'estimated', available: true };

describe('autoPicks: the one rule for --meter auto', () => {
  test('the first available meter per domain, in factory order', () => {
    const statuses = [GPU_COUNTER, GPU_POLLED, CPU_RAPL, DRAM_RAPL, CPU_ESTIMATE, DRAM_ESTIMATE];
    assert.deepEqual(autoPicks(statuses), { gpu: 1, cpu: 2, dram: null });
    assert.deepEqual(autoPicks([...statuses.slice(0, 3), { ...DRAM_RAPL, available: true }]), {
      gpu: 1,
      cpu: 2,
      dram: 3,
    });
  });

  test('an estimated DRAM figure only beside an estimated CPU figure', () => {
    const noRapl = [GPU_COUNTER, GPU_POLLED, { ...CPU_RAPL, available: false }, DRAM_RAPL, CPU_ESTIMATE];
    assert.deepEqual(autoPicks([...noRapl, DRAM_ESTIMATE]), { gpu: 1, cpu: 4, dram: 5 });
    assert.deepEqual(autoPicks([CPU_RAPL, DRAM_ESTIMATE]), { gpu: null, cpu: 0, dram: null });
    assert.deepEqual(autoPicks([DRAM_ESTIMATE]), { gpu: null, cpu: null, dram: null });
  });

  test('skipped indexes (meters that failed to start) are passed over, and DRAM follows the CPU pick', () => {
    const statuses = [GPU_COUNTER, GPU_POLLED, CPU_RAPL, DRAM_RAPL, CPU_ESTIMATE, DRAM_ESTIMATE];
    assert.deepEqual(autoPicks(statuses, new Set([2])), { gpu: 1, cpu: 4, dram: 5 });
    assert.deepEqual(autoPicks(statuses, new Set([1, 2, 4])), { gpu: null, cpu: null, dram: null });
  });
});

class StubMeter implements EnergyMeter {
  readonly info: MeterInfo;
  stopped = 0;

  constructor(
    name: MeterName,
    domain: EnergyDomain,
    method: MeterMethod,
    private readonly startError: string | null,
  ) {
    this.info = { name, domain, method, devices: ['d0'], updatePeriodS: 0.001, details: {}, warnings: [] };
  }

  async start(): Promise<void> {
    if (this.startError !== null) throw new Error(this.startError);
  }
  async mark(): Promise<Mark> {
    return { timeS: 0, state: null };
  }
  async between(): Promise<EnergyReading> {
    throw new Error('not read in these tests');
  }
  async stop(): Promise<void> {
    this.stopped++;
  }
}

function factory(
  name: MeterName,
  status: Status,
  options: { reason?: string; startError?: string } = {},
): MeterFactory & { made: StubMeter[] } {
  const made: StubMeter[] = [];
  return {
    name,
    domain: status.domain,
    method: status.method,
    made,
    async probe(): Promise<Availability> {
      const meter = new StubMeter(name, status.domain, status.method, null);
      return status.available
        ? { available: true, info: meter.info }
        : { available: false, reason: options.reason ?? 'absent', fix: 'none' };
    },
    async create(): Promise<EnergyMeter> {
      const meter = new StubMeter(name, status.domain, status.method, options.startError ?? null);
      made.push(meter);
      return meter;
    },
  };
}

describe('selectMeters auto follows autoPicks', () => {
  test('a pick that fails to start is stopped, noted, and the next pick is taken; DRAM follows', async () => {
    const rapl = factory('rapl', CPU_RAPL, { startError: 'energy_uj vanished' });
    const factories = [
      factory('nvml', GPU_COUNTER, { reason: 'no NVIDIA driver' }),
      factory('nvidia-smi', GPU_POLLED),
      rapl,
      factory('rapl', DRAM_RAPL, { reason: 'no dram zone' }),
      factory('cpu-estimate', CPU_ESTIMATE),
      factory('cpu-estimate', DRAM_ESTIMATE),
    ];
    const { meters, notes } = await selectMeters('auto', factories);
    assert.deepEqual(
      meters.map((m) => `${m.info.name}:${m.info.domain}`),
      ['nvidia-smi:gpu', 'cpu-estimate:cpu', 'cpu-estimate:dram'],
    );
    assert.deepEqual(notes, [
      'gpu: NVML counter unavailable (no NVIDIA driver), using nvidia-smi',
      'rapl (cpu) failed to start and was skipped: energy_uj vanished',
      'cpu: rapl is unavailable (failed), using cpu-estimate',
      'dram: rapl is unavailable (no dram zone), using cpu-estimate',
    ]);
    assert.deepEqual(
      rapl.made.map((m) => m.stopped),
      [1],
    );
    await stopMeters(meters);
  });

  test('with RAPL started for the CPU, no estimated DRAM figure is picked', async () => {
    const factories = [
      factory('rapl', CPU_RAPL),
      factory('rapl', DRAM_RAPL, { reason: 'no dram zone' }),
      factory('cpu-estimate', CPU_ESTIMATE),
      factory('cpu-estimate', DRAM_ESTIMATE),
    ];
    const { meters, notes } = await selectMeters('auto', factories);
    assert.deepEqual(
      meters.map((m) => `${m.info.name}:${m.info.domain}`),
      ['rapl:cpu'],
    );
    assert.deepEqual(notes, []);
  });
});
