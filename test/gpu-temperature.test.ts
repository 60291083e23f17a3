import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { readGpuTemperaturesC, thermalDriftWarnings } from '../src/devices/gpu-temperature.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const FAKE = path.join(repoRoot, 'test', 'fixtures', 'fake-nvidia-smi');

describe('GPU temperature and thermal drift', () => {
  test('reads temperatures through nvidia-smi (the fake replays the H100 trace)', async () => {
    const temperatures = await readGpuTemperaturesC({ ...process.env, ENERGY_SCORE_NVIDIA_SMI: FAKE });
    assert.deepEqual(temperatures, new Map([[0, 52]]));
  });

  test('no nvidia-smi: null, not an error', async () => {
    const env = { ...process.env, ENERGY_SCORE_NVIDIA_SMI: path.join(repoRoot, 'no-such-nvidia-smi') };
    assert.equal(await readGpuTemperaturesC(env), null);
  });

  test('warns at a change of 5 °C or more, per GPU', () => {
    const before = new Map([
      [0, 52],
      [1, 60],
    ]);
    const after = new Map([
      [0, 56],
      [1, 66],
    ]);
    const warnings = thermalDriftWarnings(before, after);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^thermal drift: GPU 1 went from 60 °C to 66 °C/);
    assert.deepEqual(thermalDriftWarnings(null, after), []);
    assert.deepEqual(thermalDriftWarnings(before, null), []);
  });
});
