/** Threads as a configuration dimension: --threads 1,2 plans, names, tabulates and matches each count. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Chalk } from 'chalk';

import {
  collectEnvironment,
  DEFAULT_PROTOCOL,
  newDocument,
  parseOverrides,
  planBench,
  runBench,
} from '../src/index.js';
import type { BenchOptions } from '../src/app/bench-plan.js';
import { renderTable } from '../src/export/table.js';
import { verdictLines } from '../src/render/verdict.js';
import { matchConfigurations } from '../src/gate/match.js';
import { FakeMeter } from '../src/testing/fake-meter.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const options = (threads: BenchOptions['threads']): BenchOptions => ({
  models: [path.join(repoRoot, 'fixtures/zoo/encoder-tiny')],
  task: undefined,
  devices: ['cpu'],
  precisions: ['fp32', 'fp16'],
  batchSizes: [1],
  queries: 8,
  warmup: 1,
  threads,
  seed: 0,
  overrides: parseOverrides({}),
});

test('--threads 1,2: each count is a configuration, named in its id, its column and the verdict', async () => {
  const planned = await planBench(options([1, 2]));
  assert.deepEqual(
    planned.map((p) => [p.spec?.precision, p.spec?.threads]),
    [
      ['fp32', 1],
      ['fp32', 2],
      ['fp16', 1],
      ['fp16', 2],
    ],
  );
  const document = await runBench(
    planned,
    newDocument(options([1, 2]), await collectEnvironment()),
    {},
    {
      meters: [new FakeMeter({ domain: 'cpu', powerW: 30 })],
      idlePowerW: [null],
      idleSeconds: 0,
      protocol: { ...DEFAULT_PROTOCOL, minWindowS: 0.01, minTrials: 2, maxTrials: 2 },
    },
  );
  assert.deepEqual(
    document.results.map((r) => [r.id, r.threads]),
    [
      ['encoder-tiny/fp32/b1/cpu/t1', 1],
      ['encoder-tiny/fp32/b1/cpu/t2', 2],
      ['encoder-tiny/fp16/b1/cpu/t1', 1],
      ['encoder-tiny/fp16/b1/cpu/t2', 2],
    ],
  );
  assert.equal(document.settings.threads, null);
  assert.deepEqual(document.settings.threadCounts, [1, 2]);
  assert.equal(document.settings.threadsUsed, undefined);

  const table = renderTable(document, new Chalk({ level: 0 }));
  const header = table.split('\n')[0]!;
  assert.match(header, /^model\s+precision\s+batch\s+device\s+threads\s+stars/);
  assert.equal(
    verdictLines(document.results)[1],
    '  against encoder-tiny fp32 at batch 1 with 1 thread (the reference):',
  );
  assert.match(verdictLines(document.results).join('\n'), /^ {2}fp32 at batch 1 with 2 threads: /m);

  // A run matches another thread by thread.
  const named = { name: 'a.json', document };
  const matching = matchConfigurations(named, { name: 'b.json', document });
  assert.deepEqual(
    matching.pairs.map((p) => [p.base.id, p.current.id]),
    document.results.map((r) => [r.id, r.id]),
  );
});

test('one thread count (or none) keeps the ids and settings as they were', async () => {
  const planned = await planBench(options(2));
  assert.deepEqual(
    planned.map((p) => p.spec?.threadsInId),
    [false, false],
  );
  const document = newDocument(options([2]), await collectEnvironment(), {}, planned);
  assert.equal(document.settings.threads, 2);
  assert.equal(document.settings.threadCounts, undefined);
  assert.deepEqual(document.settings.threadsUsed, { count: 2, source: 'given' });
});
