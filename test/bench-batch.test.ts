/** A model whose batch is fixed: the batch it runs without --batch, and a run that skipped everything. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { planBench, type BenchOptions } from '../src/app/bench-plan.js';
import { benchExitCode, nothingMeasured } from '../src/app/bench.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { recordedDocument } from './helpers/documents.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (relative: string) => path.join(repoRoot, 'fixtures', ...relative.split('/'));

describe('fixed batch', () => {
  const options = (batchSizes: number[] | undefined): BenchOptions => ({
    models: [fixture('misc/fixed-batch-3.onnx')],
    task: undefined,
    devices: ['cpu'],
    precisions: undefined,
    batchSizes,
    queries: 6,
    warmup: 1,
    threads: undefined,
    seed: 0,
    overrides: NO_OVERRIDES,
  });

  test('without --batch, a model whose batch is fixed runs at that batch', async () => {
    const planned = await planBench(options(undefined));
    assert.deepEqual(
      planned.map((p) => p.spec?.batchSize),
      [3],
    );
    assert.deepEqual(
      (await planBench(options([1, 3]))).map((p) => p.spec?.batchSize),
      [1, 3],
    );
  });

  test('a run that skipped every configuration exits 1 and says what would run', () => {
    const document = recordedDocument();
    document.results = document.results.slice(0, 2).map((result) => ({
      ...result,
      status: 'skipped' as const,
      reason: 'batch is fixed at 3: run it with --batch 3',
      model: { ...result.model, name: 'fixed' },
    }));
    assert.equal(benchExitCode(document), 1);
    const error = nothingMeasured(document)!;
    assert.equal(error.exitCode, 1);
    assert.equal(error.message, 'nothing was measured: all 2 configurations were skipped');
    assert.equal(error.hint, 'fixed: batch is fixed at 3: run it with --batch 3');
    document.interrupted = true;
    assert.equal(nothingMeasured(document), undefined);
    assert.equal(benchExitCode(document), 130);
  });
});
