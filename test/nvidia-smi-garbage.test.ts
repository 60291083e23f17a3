/**
 * nvidia-smi answering with garbage (the fake's FAKE_NVIDIA_SMI_BAD): rows that are not GPUs are
 * refused, XML that does not parse is one printable line, and `doctor` shows neither a GPU named
 * by noise nor a control character.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseGpuInventoryXml, readGpuInventory } from '../src/devices/gpu-inventory.js';
import { NVIDIA_SMI_FIX, queryNvidiaSmiGpus } from '../src/devices/nvidia-smi.js';
import { DeviceUnavailable } from '../src/devices/unavailable.js';
import { assertExit, cli, cliEnv, FAKE_NVIDIA_SMI, REPO_ROOT } from './helpers/cli.js';

const TRACES = path.join(REPO_ROOT, 'test', 'fixtures', 'traces', 'h100-sxm-580');
const RECORDED_XML = fs.readFileSync(path.join(TRACES, 'nvidia-smi-q.xml'), 'utf8');
const R = '\uFFFD';

const env = (bad: string) => ({ ...process.env, FAKE_NVIDIA_SMI_TRACES: TRACES, FAKE_NVIDIA_SMI_BAD: bad });

describe('nvidia-smi garbage', { concurrency: true }, () => {
  test('-q -x that is not XML: no GPU, and the parser error as one printable line', async () => {
    const inventory = await readGpuInventory({ executable: FAKE_NVIDIA_SMI, env: env('xml-noise') });
    assert.deepEqual(inventory, {
      gpus: [],
      reason: `could not read ${FAKE_NVIDIA_SMI} -q -x: Non-whitespace before first tag. Line: 0 Column: 1 Char: ${R}`,
      fix: 'check that nvidia-smi -q -x prints XML',
    });
  });

  test('-q -x whose <gpu> entries are not GPUs: every one refused, and the reason says so', async () => {
    const inventory = await readGpuInventory({ executable: FAKE_NVIDIA_SMI, env: env('xml-junk') });
    assert.deepEqual(inventory, {
      gpus: [],
      reason: `${FAKE_NVIDIA_SMI} -q -x lists 4 <gpu> entries, none of them a GPU (a GPU has a product name and a GPU- UUID)`,
      fix: 'check that nvidia-smi -q -x prints XML',
    });
  });

  test('a real GPU among entries that are not: only it is kept, at its place in the list', async () => {
    const junk = '<gpu>not a gpu</gpu>\n<gpu id="x"><product_name>not a time, abc</product_name></gpu>\n';
    const gpus = await parseGpuInventoryXml(RECORDED_XML.replace(/(<gpu id=)/, `${junk}$1`));
    assert.deepEqual(
      gpus.map((g) => [g.index, g.name, g.uuid]),
      [[2, 'NVIDIA H100 80GB HBM3', 'GPU-b3cbce16-47a3-c8d8-f9de-510e1d18e988']],
    );
  });

  test('--query-gpu=index,name rows that are not GPUs are refused', async () => {
    await assert.rejects(queryNvidiaSmiGpus(FAKE_NVIDIA_SMI, env('list-junk'), 5), (err: unknown) => {
      assert.ok(err instanceof DeviceUnavailable);
      assert.equal(
        err.reason,
        'nvidia-smi lists no GPU: none of its 6 lines is an index and a GPU name (the first: "0, not a time, abc")',
      );
      return true;
    });
  });

  test('doctor: no GPU named by noise, no control character, every reason on one line', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-garbage-'));
    try {
      const run = await cli(
        ['doctor'],
        cliEnv({
          ENERGY_SCORE_ORT_BIN_DIR: tmp,
          ENERGY_SCORE_SYSFS_ROOT: tmp,
          ENERGY_SCORE_NVIDIA_SMI: FAKE_NVIDIA_SMI,
          ENERGY_SCORE_NVML_LIB: path.join(tmp, 'no-libnvidia-ml.so.1'),
          FAKE_NVIDIA_SMI_BAD: 'xml-noise,list-junk',
        }),
      );
      assertExit(run, 0);
      assert.ok(!/(?!\n)\p{Cc}/u.test(run.stdout), JSON.stringify(run.stdout));
      assert.ok(!/gpus: 0: not a time/.test(run.stdout), run.stdout);
      assert.match(
        run.stdout,
        new RegExp(
          `^ {2}✗ none: could not read .*fake-nvidia-smi -q -x: Non-whitespace before first tag\\. Line: 0 Column: 1 Char: ${R}$`,
          'm',
        ),
      );
      assert.match(
        run.stdout,
        /^ {2}✗ nvidia-smi +gpu +polled +nvidia-smi lists no GPU: none of its 6 lines/m,
      );
      assert.equal(NVIDIA_SMI_FIX, 'install the NVIDIA driver, or set ENERGY_SCORE_NVIDIA_SMI');
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
