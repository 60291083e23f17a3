/** The library API as the README shows it: the CLI is one consumer of these exports. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  DEFAULT_PROTOCOL,
  DEFAULT_ROUNDS,
  SCHEMA_VERSION,
  buildBoard,
  collectEnvironment,
  ConversionRefused,
  convertToFloat16,
  decodeModel,
  encodeModel,
  newDocument,
  quantizeDynamic,
  parseOverrides,
  planBench,
  rateItems,
  readRowFile,
  readRunDocument,
  runBench,
  toCsv,
  toLeaderboardCsv,
  type BenchOptions,
} from '../src/index.js';
import { FakeMeter } from '../src/testing/fake-meter.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

test('plan, run and export a bench through the library, with an injected meter', async () => {
  const options: BenchOptions = {
    models: [path.join(repoRoot, 'fixtures/zoo/encoder-tiny')],
    task: undefined,
    devices: ['cpu'],
    precisions: ['fp32', 'q8'],
    batchSizes: [2],
    queries: 20,
    warmup: 1,
    threads: 1,
    seed: 0,
    overrides: parseOverrides({}),
  };
  const seen: string[] = [];
  const meter = new FakeMeter({ domain: 'cpu', powerW: 30 });
  const document = await runBench(
    await planBench(options),
    newDocument(options, await collectEnvironment()),
    { onConfigEnd: (result) => void seen.push(result.id) },
    {
      meters: [meter],
      idlePowerW: [5],
      idleSeconds: 1,
      protocol: { ...DEFAULT_PROTOCOL, minWindowS: 0.05, minTrials: 2, maxTrials: 2 },
    },
  );
  assert.equal(document.schemaVersion, SCHEMA_VERSION);
  assert.deepEqual(seen, ['encoder-tiny/fp32/b2/cpu', 'encoder-tiny/q8/b2/cpu']);
  for (const result of document.results) {
    assert.equal(result.status, 'ok');
    assert.equal(result.energy.status, 'measured');
    if (result.energy.status !== 'measured') continue;
    assert.ok(Math.abs(result.energy.avgPowerW - 30) < 1e-9);
    assert.equal(result.energy.trials, 2);
  }
  assert.equal(toCsv(document).trim().split('\n').length, 3);
});

test('rate a stored result within itself and merge it into a leaderboard through the library', async () => {
  const file = path.join(repoRoot, 'test/fixtures/results/encoder-tiny-cpu.json');
  const document = await readRunDocument(file);
  rateItems(
    document.results.map((result) => ({ result, document, source: file })),
    {
      scale: 'aies',
      cohortRows: [],
      cohortSource: '',
      within: true,
      withinSource: 'the file',
      reference: [],
      hint: '',
    },
  );
  assert.deepEqual(
    document.results.map((r) => r.rating.stars),
    [5, 2, 5, 1, 5, 1],
  );
  const board = buildBoard((await readRowFile(file)).rows, 'aies');
  assert.equal(toLeaderboardCsv(board.rows).trim().split('\n').length, 7);
});

test('the README example: bench a model through the library use-case, with the best meter here', async () => {
  const { bench, benchExitCode, carbonSettings } = await import('../src/index.js');
  const written: number[] = [];
  const document = await bench(
    {
      options: {
        models: [path.join(repoRoot, 'fixtures/zoo/encoder-tiny/model.onnx')],
        task: undefined,
        devices: ['cpu'],
        precisions: undefined,
        batchSizes: [1, 8],
        queries: 40,
        warmup: 1,
        threads: 1,
        seed: 0,
        overrides: parseOverrides({}),
      },
      meters: { meter: 'auto', idleS: 0.2 },
      // One measured window each: the test checks the figures' labels and ratings, not an interval.
      protocol: { ...DEFAULT_PROTOCOL, idleS: 0.2, minWindowS: 0.1, maxTrials: 1 },
      rating: {
        scale: 'aies',
        cohortFiles: [],
        reference: true,
        within: true,
        withinSource: 'this run',
        withinFlag: 'within: true',
      },
      carbon: carbonSettings({}),
    },
    { onResult: (doc) => void written.push(doc.results.length) },
  );
  assert.deepEqual(written, [1, 2], 'the document is handed out after every configuration');
  assert.equal(document.complete, true);
  assert.equal(benchExitCode(document), 0);
  // Two configurations whose sessions fit: measured in interleaved rounds, as recorded.
  assert.deepEqual(document.settings.protocol, {
    ...DEFAULT_PROTOCOL,
    idleS: 0.2,
    minWindowS: 0.1,
    maxTrials: 1,
    rounds: DEFAULT_ROUNDS,
  });
  assert.deepEqual(document.settings.meter, 'auto');
  assert.deepEqual(document.settings.threadsUsed, { count: 1, source: 'given' });
  for (const result of document.results) {
    // No RAPL or GPU on a test machine: the estimate, labelled; with RAPL, measured.
    assert.ok(result.energy.status === 'estimated' || result.energy.status === 'measured', result.id);
    assert.ok(result.energy.perQueryJ !== null && result.energy.perQueryJ > 0);
    assert.equal(result.rating.status, 'rated');
  }
});

test('a --warmup below 1 is a usage error before anything runs', async () => {
  await assert.rejects(
    planBench({
      models: [path.join(repoRoot, 'fixtures/zoo/encoder-tiny')],
      task: undefined,
      devices: ['cpu'],
      precisions: ['fp32'],
      batchSizes: [1],
      queries: 5,
      warmup: 0,
      threads: 1,
      seed: 0,
      overrides: parseOverrides({}),
    }),
    { message: '--warmup 0: at least 1 warm-up batch is run (its outputs are checked for NaN)' },
  );
});

test('the README converter example: int8 and fp16 from a decoded fp32 model, refusals thrown', async () => {
  const { readFileSync } = await import('node:fs');
  const fp32 = decodeModel(
    readFileSync(path.join(repoRoot, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx')),
  );
  const { model, report } = quantizeDynamic(fp32, { weightType: 'int8' });
  assert.ok((report.opCountsAfter.MatMulInteger ?? 0) > 0);
  assert.equal(report.opCountsBefore.MatMulInteger, undefined);
  const again = decodeModel(encodeModel(model));
  assert.deepEqual(again.graph?.node?.length, model.graph?.node?.length);
  const fp16 = convertToFloat16(fp32);
  assert.throws(() => convertToFloat16(fp16.model), ConversionRefused);
});
