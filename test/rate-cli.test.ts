import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunDocument } from '../src/result/schema.js';
import { assertExit, cli as cliIn, cliEnv, QUICK_ENERGY } from './helpers/cli.js';
import { gpuDocument, RECORDED_CPU_RESULT, recordedDocument } from './helpers/documents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-rate-'));
const ENV = cliEnv({});
const cli = (args: string[]) => cliIn(args, ENV);
const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as RunDocument;

describe('bench ratings', () => {
  test('--rate-within-run rates the run’s configurations among themselves', async () => {
    const json = path.join(tmp, 'within.json');
    const run = await cli([
      'bench',
      'fixtures/zoo/encoder-tiny',
      ...QUICK_ENERGY,
      '--rate-within-run',
      '--json',
      json,
    ]);
    assertExit(run, 0);
    const doc = readJson(json);
    assert.equal(doc.results.length, 3);
    for (const r of doc.results) {
      assert.equal(r.rating.status, 'rated', r.id);
      if (r.rating.status !== 'rated') continue;
      assert.equal(r.rating.cohort.kind, 'within-run');
      assert.equal(r.rating.cohort.size, 3);
      assert.equal(r.rating.energyStatus, 'estimated');
    }
    assert.ok(
      doc.results.some((r) => r.rating.stars === 5),
      'the lowest energy gets 5 stars',
    );
    assert.match(run.stdout, /^encoder-tiny\s+fp32\s+1\s+cpu\s+[★☆]{5}\s+\d/m);
    assert.match(run.stdout, /^ratings: aies scale against this run \(within-run\), on estimated energy$/m);
  });

  test('without a cohort, a CPU run is unrated and the table says how to rate it', async () => {
    const run = await cli(['bench', 'fixtures/zoo/encoder-tiny', '--precision', 'fp32', ...QUICK_ENERGY]);
    assertExit(run, 0);
    assert.match(run.stdout, /^encoder-tiny\s+fp32\s+1\s+cpu\s+unrated\s+\d/m);
    assert.match(
      run.stdout,
      /^ratings: unrated: no cohort for text-classification on .* To rate it: --rate-within-run/m,
    );
  });

  test('the demo rates its models within the run', async () => {
    const json = path.join(tmp, 'demo.json');
    const run = await cli(['bench', ...QUICK_ENERGY, '--max-seconds', '0.2', '--json', json]);
    assertExit(run, 0);
    const doc = readJson(json);
    assert.equal(doc.results.length, 9);
    assert.ok(doc.results.every((r) => r.rating.status === 'rated' && r.rating.cohort.size === 9));
  });

  test('a bad --cohort file fails before anything is measured', async () => {
    const json = path.join(tmp, 'never.json');
    const run = await cli(['bench', 'fixtures/zoo/encoder-tiny', '--cohort', 'nope.json', '--json', json]);
    assertExit(run, 2);
    assert.match(run.stderr, /^energy-score: error: cannot read nope\.json: no such file$/m);
    assert.equal(fs.existsSync(json), false);
  });

  test('--scale must be one of the scales', async () => {
    const run = await cli(['bench', 'fixtures/zoo/encoder-tiny', '--scale', 'stars']);
    assertExit(run, 2);
    assert.match(run.stderr, /unknown rating scale 'stars'/);
  });
});

describe('rate', () => {
  test('--within across files, printed per file', async () => {
    const run = await cli(['rate', RECORDED_CPU_RESULT, '--within']);
    assertExit(run, 0);
    assert.match(
      run.stdout,
      /^ {2}encoder-tiny\/q8\/b1\/cpu {2}0\.00130 Wh\/1k \(est\.\) {2}★★★★★ {2}aies scale, 6 in cohort \(the results given\)$/m,
    );
    assert.match(run.stdout, /^ {2}encoder-tiny\/fp16\/b8\/cpu {2}0\.00355 Wh\/1k \(est\.\) {2}★☆☆☆☆ /m);
  });

  test('an H100 result against the shipped reference, written back in place', async () => {
    const file = path.join(tmp, 'h100.json');
    fs.writeFileSync(file, JSON.stringify(gpuDocument('NVIDIA H100 80GB HBM3', [0.3, 12])));
    const run = await cli(['rate', file, '--in-place']);
    assertExit(run, 0);
    const doc = readJson(file);
    assert.deepEqual(
      doc.results.map((r) => r.rating.stars),
      [5, 3],
    );
    assert.match(run.stdout, /AI Energy Score v1 leaderboard \(February 2025\)/);
  });

  test('--json - writes the rated document on stdout', async () => {
    const run = await cli(['rate', RECORDED_CPU_RESULT, '--within', '--scale', 'quantile', '--json', '-']);
    assertExit(run, 0);
    const doc = JSON.parse(run.stdout) as RunDocument;
    assert.deepEqual(
      doc.results.map((r) => r.rating.stars),
      [5, 3, 4, 1, 5, 2],
    );
  });

  test('bad result files are usage errors', async () => {
    const corrupt = path.join(tmp, 'corrupt.json');
    fs.writeFileSync(corrupt, '{"schemaVersion": 1, "results": [');
    const v2 = path.join(tmp, 'v2.json');
    const doc = recordedDocument() as unknown as Record<string, unknown>;
    fs.writeFileSync(v2, JSON.stringify({ ...doc, schemaVersion: 2 }));
    for (const [file, pattern] of [
      [corrupt, /is not valid JSON/],
      [v2, /has schema version 2/],
      [path.join(tmp, 'missing.json'), /no such file/],
      [
        'fixtures/zoo/encoder-tiny/model.onnx',
        /^energy-score: error: fixtures\/zoo\/encoder-tiny\/model\.onnx is not a result document: it looks like a binary file \(an ONNX model\)\n {2}hint: give the JSON that bench writes: energy-score bench fixtures\/zoo\/encoder-tiny\/model\.onnx --json result\.json\n$/,
      ],
    ] as const) {
      const run = await cli(['rate', file]);
      assertExit(run, 2);
      assert.match(run.stderr, pattern);
    }
  });
});

describe('review cases', () => {
  test('rate --json with several files is a usage error', async () => {
    const run = await cli(['rate', RECORDED_CPU_RESULT, RECORDED_CPU_RESULT, '--json', '-']);
    assertExit(run, 2);
    assert.match(run.stderr, /--json writes one result document, and several were given/);
  });

  test('report --price alone keeps the run’s region', async () => {
    const file = path.join(tmp, 'fra.json');
    const doc = recordedDocument();
    doc.carbon = {
      gCo2ePerKwh: 56.039,
      kind: 'region',
      source: 'France (FRA), 2023, CodeCarbon global_energy_mix',
      region: { iso: 'FRA', country: 'France', gCo2ePerKwh: 56.039, year: 2023 },
      pricePerKwh: null,
    };
    fs.writeFileSync(file, JSON.stringify(doc));
    const run = await cli(['report', file, '--price', '0.3']);
    assertExit(run, 0);
    assert.match(
      run.stdout,
      /^carbon: grid carbon intensity 56\.0 gCO2e\/kWh: France \(FRA\).*electricity price 0\.3 per kWh/m,
    );
  });

  test('control characters in a model name cannot break the table', async () => {
    const file = path.join(tmp, 'names.json');
    const doc = recordedDocument();
    doc.results[0]!.model.name = 'evil\nname\u001b[31m';
    fs.writeFileSync(file, JSON.stringify(doc));
    const run = await cli(['report', file]);
    assertExit(run, 0);
    assert.match(run.stdout, /^evil\uFFFDname\uFFFD\[31m +fp32 /m);
    assert.ok(!run.stdout.includes('\u001b'), 'no escape character reaches the terminal');
  });
});
