import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { energySummary, energyWarnings } from '../src/render/energy-text.js';
import { formatSig } from '../src/render/numbers.js';
import { toCsv, toMarkdown } from '../src/export/formats.js';
import {
  blankResult,
  type ConfigResult,
  type EnergyMeasured,
  type RunDocument,
} from '../src/result/schema.js';
import { verdictLines } from '../src/render/verdict.js';

function energy(
  perQueryJ: number,
  status: 'measured' | 'estimated',
  domains: string[],
  warnings: string[] = [],
): EnergyMeasured {
  return {
    status,
    basis: { domains, figure: 'gross' },
    perQueryJ,
    whPer1k: (perQueryJ * 1000) / 3600,
    queriesPerJ: 1 / perQueryJ,
    ci95PerQueryJ: null,
    ci95Relative: null,
    net: { perQueryJ, whPer1k: (perQueryJ * 1000) / 3600 },
    avgPowerW: 10,
    peakPowerW: null,
    trials: 3,
    windowSeconds: 1,
    idleSeconds: 0,
    domains: {},
    meters: [
      {
        name: status === 'estimated' ? 'cpu-estimate' : 'nvml',
        domain: domains[0]!,
        method: status === 'estimated' ? 'estimated' : 'counter',
        devices: [],
        details: {},
      },
    ],
    warnings,
  };
}

function row(id: string, device: string, e: EnergyMeasured, task = 'text-classification'): ConfigResult {
  const [model, precision, batch] = id.split('/');
  return {
    ...blankResult({
      id,
      model: { name: model!, path: '', file: '', sha256: null, fileSizeBytes: null, parameters: null },
      task,
      taskSource: 'test',
      device,
      precision: precision!,
      batchSize: Number(batch!.slice(1)),
      threads: null,
    }),
    energy: e,
    throughputQps: 100,
  };
}

function doc(results: ConfigResult[]): RunDocument {
  return {
    schemaVersion: 1,
    tool: { name: 'energy-score', version: 'test' },
    createdAt: '2026-11-26T00:00:00.000Z',
    interrupted: false,
    complete: true,
    settings: {
      queries: null,
      warmup: 1,
      threads: null,
      seed: 0,
      batchSizes: [1],
      devices: ['cpu'],
      precisions: null,
    },
    environment: {
      os: 'Linux',
      platform: 'linux',
      arch: 'x64',
      cpu: 'CPU',
      cpuCores: 2,
      memoryGB: 1,
      nodeVersion: 'v20',
      onnxruntimeVersion: '1.30.0',
      toolVersion: 'test',
      hostname: 'h',
      gpus: [],
    },
    energyNotes: [],
    results,
  };
}

describe('reports', () => {
  test('significant digits without exponents', () => {
    assert.equal(formatSig(0.000123456, 3), '0.000123');
    assert.equal(formatSig(1234.5, 3), '1235');
    assert.equal(formatSig(0, 3), '0');
  });

  test('the verdict compares a model’s configurations on one device, never other models or devices', () => {
    const cpuA = row('a/fp32/b1/cpu', 'cpu', energy(2, 'estimated', ['cpu', 'dram']));
    const cpuQ = row('a/q8/b1/cpu', 'cpu', energy(0.5, 'estimated', ['cpu', 'dram']));
    const gpu = row('a/fp32/b1/cuda', 'cuda', energy(0.01, 'measured', ['gpu']));
    const cpuB = row('b/fp32/b1/cpu', 'cpu', energy(0.1, 'estimated', ['cpu', 'dram']));
    for (const r of [cpuA, cpuQ, gpu, cpuB]) (r.energy as EnergyMeasured).ci95PerQueryJ = 0.01;
    assert.deepEqual(verdictLines([cpuA, gpu, cpuB, cpuQ]), [
      'a q8 at batch 1: 4.0× less energy per query than fp32 at batch 1 (estimated energy); answers not compared (no fidelity figures): energy alone',
      '  against a fp32 at batch 1 (the reference):',
      '  q8 at batch 1: 4.0× less energy per query',
    ]);
    // One trial has no interval: nothing can be told apart.
    (cpuQ.energy as EnergyMeasured).ci95PerQueryJ = null;
    assert.deepEqual(verdictLines([cpuA, cpuQ]).slice(2), [
      '  q8 at batch 1: 4.0× less energy per query, not told apart (no 95 % interval: a single trial)',
    ]);
  });

  test('a run measured two ways is summarised as mixed, never as one', () => {
    const cpu = row('a/fp32/b1/cpu', 'cpu', energy(2, 'estimated', ['cpu']));
    const gpu = row('a/fp32/b1/cuda', 'cuda', energy(0.01, 'measured', ['gpu']));
    assert.match(energySummary(doc([cpu])), /^ESTIMATED \(not measured\): cpu-estimate \(cpu, estimated\)/);
    assert.match(
      energySummary(doc([cpu, gpu])),
      /^mixed: 1 row\(s\) ESTIMATED \(not measured\).*; 1 row\(s\) measured: nvml/,
    );
  });

  test('energy warnings shared by every row are said once; the rest by row', () => {
    const a = row(
      'a/fp32/b1/cpu',
      'cpu',
      energy(1, 'estimated', ['cpu'], ['estimated: model', 'high variance: ±9 %']),
    );
    const b = row('b/fp32/b1/cpu', 'cpu', energy(1, 'estimated', ['cpu'], ['estimated: model']));
    assert.deepEqual(energyWarnings([a, b]), {
      shared: ['estimated: model'],
      byRow: [['a/fp32/b1/cpu', 'high variance: ±9 %']],
    });
  });

  test('Markdown labels every estimated figure; CSV carries the energy warnings', () => {
    const a = row('a/fp32/b1/cpu', 'cpu', energy(0.0036, 'estimated', ['cpu'], ['estimated: model']));
    const md = toMarkdown(doc([a]));
    assert.match(md, /\| 0\.00100 \(estimated\) \| 0\.00360 \(estimated\) \|/);
    const csv = toCsv(doc([a]));
    assert.match(csv.split('\n')[1]!, /,estimated: model,/);
  });
});
