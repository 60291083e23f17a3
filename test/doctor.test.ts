/**
 * End-to-end tests of `energy-score doctor`: providers, meters with reasons and fixes, the GPU
 * inventory and the automatic picks, against fakes (an empty ONNX Runtime folder, an empty or a
 * built powercap tree, the fake nvidia-smi, a missing libnvidia-ml). Needs `npm run build` first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { DoctorReport, MeterDiagnosis } from '../src/app/doctor.js';
import { CUDA_INSTALL_COMMAND } from '../src/runner/providers.js';
import { assertExit, cli, cliEnv, FAKE_NVIDIA_SMI, type RunOutput } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-doctor-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const emptyOrtDir = fs.mkdtempSync(path.join(tmp, 'ort-'));
const emptySysfs = fs.mkdtempSync(path.join(tmp, 'sysfs-empty-'));

/** A sysfs root with one RAPL package zone and no dram zone (a client CPU). */
function powercapTree(): string {
  const root = fs.mkdtempSync(path.join(tmp, 'sysfs-rapl-'));
  const zone = path.join(root, 'class', 'powercap', 'intel-rapl:0');
  fs.mkdirSync(zone, { recursive: true });
  fs.writeFileSync(path.join(zone, 'name'), 'package-0\n');
  fs.writeFileSync(path.join(zone, 'energy_uj'), '1000000\n');
  fs.writeFileSync(path.join(zone, 'max_energy_range_uj'), '262143328850\n');
  return root;
}

function env(sysfsRoot: string): NodeJS.ProcessEnv {
  return cliEnv({
    ENERGY_SCORE_ORT_BIN_DIR: emptyOrtDir,
    ENERGY_SCORE_SYSFS_ROOT: sysfsRoot,
    ENERGY_SCORE_NVIDIA_SMI: FAKE_NVIDIA_SMI,
    ENERGY_SCORE_NVML_LIB: path.join(tmp, 'no-libnvidia-ml.so.1'),
  });
}

function meter(report: DoctorReport, name: string, domain: string): MeterDiagnosis {
  const found = report.meters.find((m) => m.name === name && m.domain === domain);
  assert.ok(found, `${name} (${domain}) is listed`);
  return found;
}

describe('doctor', { concurrency: true }, () => {
  let plain: RunOutput;
  let withRapl: RunOutput;
  let text: RunOutput;

  before(async () => {
    [plain, withRapl, text] = await Promise.all([
      cli(['doctor', '--json'], env(emptySysfs)),
      cli(['doctor', '--json'], env(powercapTree())),
      cli(['doctor'], env(emptySysfs)),
    ]);
  });

  test('--json: providers, cpu always, cuda not installed with the install command as fix', () => {
    assertExit(plain, 0);
    const report = JSON.parse(plain.stdout) as DoctorReport;
    assert.deepEqual(Object.keys(report).sort(), ['auto', 'gpus', 'meters', 'providers']);
    const cpu = report.providers.find((p) => p.name === 'cpu');
    assert.equal(cpu?.available, true);
    assert.match(cpu?.details.onnxruntimeVersion ?? '', /^\d+\.\d+/);
    const cuda = report.providers.find((p) => p.name === 'cuda');
    assert.equal(cuda?.available, false);
    if (process.platform === 'linux' && process.arch === 'x64') {
      assert.match(cuda?.reason ?? '', /not installed/);
      assert.ok(cuda?.fix?.endsWith(`run: ${CUDA_INSTALL_COMMAND}`), cuda?.fix);
    }
  });

  test('--json: every meter, with the reason and fix of those that cannot work', () => {
    const report = JSON.parse(plain.stdout) as DoctorReport;
    assert.deepEqual(
      report.meters.map((m) => `${m.name}:${m.domain}`),
      ['nvml:gpu', 'nvidia-smi:gpu', 'rapl:cpu', 'rapl:dram', 'cpu-estimate:cpu', 'cpu-estimate:dram'],
    );
    for (const domain of ['cpu', 'dram']) {
      const rapl = meter(report, 'rapl', domain);
      assert.equal(rapl.available, false);
      assert.equal(
        rapl.reason,
        `no ${path.join(emptySysfs, 'class', 'powercap')} (no RAPL: a VM or a non-x86 CPU)`,
      );
      assert.ok(rapl.fix);
    }
    const nvml = meter(report, 'nvml', 'gpu');
    assert.equal(nvml.available, false);
    assert.match(nvml.reason ?? '', /no-libnvidia-ml/);
    assert.ok(nvml.fix);

    const smi = meter(report, 'nvidia-smi', 'gpu');
    assert.equal(smi.available, true);
    assert.deepEqual(smi.devices, ['gpu0']);
    assert.equal(smi.details?.field, 'power.draw.instant');
    const estimate = meter(report, 'cpu-estimate', 'cpu');
    assert.equal(estimate.available, true);
    assert.equal(typeof estimate.details?.tdpTotalW, 'number');

    assert.equal(report.gpus.reason, null);
    assert.equal(report.gpus.devices.length, 1);
    assert.equal(report.gpus.devices[0]?.name, 'NVIDIA H100 80GB HBM3');
    assert.equal(report.gpus.devices[0]?.powerLimitsW.max, 700);
  });

  test('--json: auto picks nvidia-smi for the gpu, and the estimate without RAPL', () => {
    const report = JSON.parse(plain.stdout) as DoctorReport;
    assert.deepEqual(report.auto, { gpu: 'nvidia-smi', cpu: 'cpu-estimate', dram: 'cpu-estimate' });
    assert.deepEqual(
      report.meters.filter((m) => m.auto).map((m) => `${m.name}:${m.domain}`),
      ['nvidia-smi:gpu', 'cpu-estimate:cpu', 'cpu-estimate:dram'],
    );
  });

  test('--json with a powercap tree: rapl available and picked; no estimated dram beside it', () => {
    assertExit(withRapl, 0);
    const report = JSON.parse(withRapl.stdout) as DoctorReport;
    const rapl = meter(report, 'rapl', 'cpu');
    assert.equal(rapl.available, true);
    assert.deepEqual(rapl.devices, ['package-0']);
    assert.equal(meter(report, 'rapl', 'dram').available, false);
    // An estimated DRAM figure is only picked beside an estimated CPU figure.
    assert.deepEqual(report.auto, { gpu: 'nvidia-smi', cpu: 'rapl', dram: null });
  });

  test('text: aligned ✓/✗ lines, a fix: line under each unavailable item, exit 0', () => {
    assertExit(text, 0);
    const out = text.stdout;
    assert.ok(!out.includes('\u001b['), 'no colour off a terminal');
    assert.match(out, /^ {2}✓ cpu {3}ONNX Runtime \d/m);
    assert.match(out, /^ {2}✗ cuda {2}\S/m);
    assert.match(out, /^ {2}✓ nvidia-smi +gpu +polled +auto$/m);
    assert.match(out, /^ {2}✗ rapl +cpu +counter +no .*powercap/m);
    assert.match(out, /^ {2}✓ gpu0 {2}NVIDIA H100 80GB HBM3 {2}driver /m);
    assert.match(out, /^--meter auto picks: gpu nvidia-smi, cpu cpu-estimate \(estimated\)/m);
    const lines = out.split('\n');
    const unavailable = lines.flatMap((l, i) => (/^ {2}✗ /.test(l) ? [i] : []));
    assert.ok(unavailable.length >= 4, 'cuda, nvml, rapl cpu, rapl dram');
    for (const i of unavailable) assert.match(lines[i + 1] ?? '', /^\s+fix: \S/, `a fix under: ${lines[i]}`);
    // The columns line up: every meter's domain starts at the same place.
    const meterLines = lines.filter((l) => / (nvml|nvidia-smi|rapl|cpu-estimate) +(gpu|cpu|dram) /.test(l));
    assert.equal(meterLines.length, 6);
    assert.equal(new Set(meterLines.map((l) => l.search(/ (gpu|cpu|dram) /))).size, 1);
  });

  test('--help shows an example', async () => {
    const run = await cli(['doctor', '--help'], env(emptySysfs));
    assertExit(run, 0);
    assert.match(run.stdout, /^Usage: energy-score doctor/);
    assert.match(run.stdout, /Examples:\n {2}energy-score doctor/);
  });
});
