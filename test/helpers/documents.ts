/** Result documents for tests, made from the recorded CPU run by editing a copy. */
import fs from 'node:fs';
import path from 'node:path';

import type { GpuInventoryEntry } from '../../src/devices/gpu-inventory.js';
import type { ConfigResult, EnergyMeasured, RunDocument } from '../../src/result/schema.js';
import { REPO_ROOT } from './cli.js';

export const RECORDED_CPU_RESULT = path.join(
  REPO_ROOT,
  'test',
  'fixtures',
  'results',
  'encoder-tiny-cpu.json',
);

/** A fresh copy of the recorded document (6 configurations, estimated CPU+DRAM energy). */
export function recordedDocument(): RunDocument {
  return JSON.parse(fs.readFileSync(RECORDED_CPU_RESULT, 'utf8')) as RunDocument;
}

export function measuredEnergy(result: ConfigResult): EnergyMeasured {
  if (result.energy.status === 'not-measured') throw new Error(`${result.id} has no energy`);
  return result.energy;
}

/** Sets a configuration's headline energy to `whPer1k`, keeping the figures consistent. */
export function setEnergy(result: ConfigResult, whPer1k: number): void {
  const energy = measuredEnergy(result);
  energy.whPer1k = whPer1k;
  energy.perQueryJ = (whPer1k * 3600) / 1000;
  energy.queriesPerJ = 1 / energy.perQueryJ;
}

/** An nvidia-smi inventory entry as bench records it: an H100 unless named otherwise. */
export function gpuEntry(index: number, name = 'NVIDIA H100 80GB HBM3'): GpuInventoryEntry {
  return {
    index,
    name,
    uuid: `GPU-${index}`,
    busId: `00000000:00:0${index}.0`,
    architecture: 'Hopper',
    driverVersion: '550.54.15',
    cudaVersion: '12.4',
    powerLimitsW: { default: 700, enforced: 700, min: 200, max: 700 },
    memoryTotalMiB: 81559,
    instantPowerDraw: true,
  };
}

/**
 * The recorded document as if it had run on an H100 with the NVML meter: measured GPU energy,
 * the given GPU name, `whPer1k` per configuration in order.
 */
export function gpuDocument(gpuName: string, whPer1k: readonly number[]): RunDocument {
  const doc = recordedDocument();
  doc.environment.gpus = [gpuEntry(0, gpuName)];
  doc.results = doc.results.slice(0, whPer1k.length).map((result, i) => {
    const energy = measuredEnergy(result);
    const gpu = { ...energy.domains.cpu!, meter: 'nvml', method: 'counter' as const, devices: ['gpu0'] };
    result.device = 'cuda';
    result.id = result.id.replace(/cpu$/, 'cuda');
    result.energy = {
      ...energy,
      status: 'measured',
      basis: { domains: ['gpu'], figure: 'gross' },
      domains: { gpu },
    };
    setEnergy(result, whPer1k[i]!);
    return result;
  });
  return doc;
}
