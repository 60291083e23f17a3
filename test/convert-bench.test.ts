import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { collectEnvironment } from '../src/index.js';
import { newDocument, planBench, runBench, type BenchOptions } from '../src/app/bench-plan.js';
import { cachedName, convertedVariant, defaultCacheDir } from '../src/convert/cache.js';
import { ConversionRefused } from '../src/convert/types.js';
import type { RunDocument } from '../src/result/schema.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { assertExit, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-convert-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A folder holding only the fp32 model.onnx of a zoo encoder (and its tokenizer). */
function fp32Folder(name: string, zooModel = 'encoder-tiny'): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir);
  for (const f of ['model.onnx', 'tokenizer.json', 'tokenizer_config.json', 'config.json'])
    fs.copyFileSync(path.join(REPO_ROOT, 'fixtures', 'zoo', zooModel, f), path.join(dir, f));
  return dir;
}

const options = (
  models: string[],
  cacheDir: string,
  precisions: BenchOptions['precisions'],
): BenchOptions => ({
  models,
  task: undefined,
  devices: ['cpu'],
  precisions,
  batchSizes: undefined,
  queries: 4,
  warmup: 1,
  threads: undefined,
  seed: 0,
  overrides: NO_OVERRIDES,
  cacheDir,
});

test('the default cache folder follows XDG_CACHE_HOME, else ~/.cache', () => {
  assert.equal(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, '/home/u'), '/x/cache/energy-score/converted');
  assert.equal(defaultCacheDir({}, '/home/u'), '/home/u/.cache/energy-score/converted');
  assert.equal(
    defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/u'),
    '/home/u/.cache/energy-score/converted',
  );
});

test('a missing fp16 variant is converted once and then taken from the cache', async () => {
  const dir = fp32Folder('plan');
  const cacheDir = path.join(tmp, 'plan-cache');
  const planned = await planBench(options([dir], cacheDir, ['fp32', 'fp16', 'int8']));
  const fp16 = planned.find((p) => p.spec?.precision === 'fp16')!;
  assert.ok(fp16.conversion, 'the fp16 configuration carries its conversion');
  assert.equal(fp16.conversion.sourceFile, path.join(dir, 'model.onnx'));
  assert.equal(path.dirname(fp16.conversion.cachedFile), cacheDir);
  assert.equal(
    path.basename(fp16.conversion.cachedFile),
    cachedName(fp16.conversion.sourceSha256, 'fp16', 'fp16-1'),
  );
  assert.equal(fp16.spec!.model.path, fp16.conversion.cachedFile);
  const int8 = planned.find((p) => p.spec?.precision === 'int8')!;
  assert.equal(
    path.basename(int8.conversion!.cachedFile),
    cachedName(int8.conversion!.sourceSha256, 'int8', 'quantize-dynamic-1'),
  );
  assert.match(int8.conversion!.recipe, /int8/);
  assert.equal(planned.find((p) => p.spec?.precision === 'fp32')?.conversion, undefined);

  const again = await convertedVariant(path.join(dir, 'model.onnx'), 'fp16', cacheDir);
  assert.equal(again.cacheHit, true);
  assert.equal(again.path, fp16.conversion.cachedFile);
  assert.deepEqual(again.conversion.opCountsAfter, fp16.conversion.opCountsAfter);
});

test('a refused conversion is skipped, naming the reason and the file for the user’s own variant', async () => {
  // An "fp32" file that already holds float16: the fp16 converter refuses it.
  const dir = path.join(tmp, 'refused');
  fs.mkdirSync(dir);
  fs.copyFileSync(
    path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model_fp16.onnx'),
    path.join(dir, 'model.onnx'),
  );
  const planned = await planBench(options([dir], path.join(tmp, 'refused-cache'), ['fp32', 'fp16']));
  const fp16 = planned.find((p) => p.skipped?.precision === 'fp16')!;
  assert.match(fp16.skipped!.reason!, /converter refused.*float16/);
  assert.match(fp16.skipped!.reason!, /model_fp16\.onnx/);
});

test('a generative folder has each of its files converted (bart: encoder, decoder, decoder with past)', async () => {
  const dir = path.join(tmp, 'bart');
  fs.mkdirSync(dir);
  for (const f of ['config.json', 'decoder_model.onnx', 'decoder_with_past_model.onnx', 'encoder_model.onnx'])
    fs.copyFileSync(path.join(REPO_ROOT, 'fixtures', 'zoo', 'bart-tiny', f), path.join(dir, f));
  const planned = await planBench(options([dir], path.join(tmp, 'bart-cache'), ['fp16']));
  assert.equal(planned.length, 1);
  const [item] = planned;
  assert.ok(item!.spec?.generation, 'benched through the generation loop');
  assert.equal(item!.conversion?.sourceFile, path.join(dir, 'decoder_model.onnx'));
  assert.match(
    item!.conversion!.recipe,
    /decoder_with_past_model\.onnx, encoder_model\.onnx converted alike/,
  );
  assert.equal(fs.readdirSync(path.join(tmp, 'bart-cache')).filter((f) => f.endsWith('.onnx')).length, 3);
});

test('a cache folder that cannot be written is a usage error naming it', async () => {
  const dir = fp32Folder('unwritable');
  const notAFolder = path.join(tmp, 'a-file');
  fs.writeFileSync(notAFolder, '');
  await assert.rejects(
    convertedVariant(path.join(dir, 'model.onnx'), 'fp16', notAFolder),
    (err: unknown) =>
      err instanceof Error && /cannot keep the converted fp16 model in .*a-file/.test(err.message),
  );
});

test('a cached file that changed is converted again, not reused', async () => {
  const dir = fp32Folder('changed');
  const cacheDir = path.join(tmp, 'changed-cache');
  const first = await convertedVariant(path.join(dir, 'model.onnx'), 'fp16', cacheDir);
  const good = fs.readFileSync(first.path);
  fs.writeFileSync(first.path, good.subarray(0, 100));
  const second = await convertedVariant(path.join(dir, 'model.onnx'), 'fp16', cacheDir);
  assert.equal(second.cacheHit, false);
  assert.deepEqual(fs.readFileSync(second.path), good);
});

test('a converted model that does not load is failed, with the recipe recorded', async () => {
  const dir = fp32Folder('broken');
  const bench = options([dir], path.join(tmp, 'broken-cache'), ['fp16']);
  const planned = await planBench(bench);
  const conversion = planned[0]!.conversion!;
  fs.writeFileSync(conversion.cachedFile, 'garbage'); // the file goes bad between plan and run
  const document = await runBench(planned, newDocument(bench, await collectEnvironment()));
  const result = document.results[0]!;
  assert.equal(result.status, 'failed');
  assert.equal(result.conversion?.recipe, conversion.recipe);
  assert.match(result.reason!, /the converted fp16 model \(fp16: onnxruntime float16\.py rules/);
});

test('a model the converter refuses (already fp16) is refused with the reason', async () => {
  await assert.rejects(
    convertedVariant(
      path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model_fp16.onnx'),
      'fp16',
      path.join(tmp, 'c'),
    ),
    (err: unknown) => err instanceof ConversionRefused && /already holds float16/.test(err.message),
  );
  const notOnnx = path.join(tmp, 'bad.onnx');
  fs.writeFileSync(notOnnx, 'not a model');
  await assert.rejects(
    convertedVariant(notOnnx, 'fp16', path.join(tmp, 'c')),
    (err: unknown) => err instanceof ConversionRefused && /not a readable ONNX model/.test(err.message),
  );
});

test('bench --precision fp32,fp16 on a folder with only model.onnx runs a converted fp16', async () => {
  const dir = fp32Folder('cli');
  const cacheDir = path.join(tmp, 'cli-cache');
  const json = path.join(tmp, 'cli.json');
  const run = await cli(
    [
      'bench',
      dir,
      '--precision',
      'fp32,fp16',
      '--cache-dir',
      cacheDir,
      '--queries',
      '4',
      '--warmup',
      '1',
    ].concat(['--meter', 'none', '--idle', '0', '--max-seconds', '1', '--json', json]),
    cliEnv({}),
  );
  assertExit(run, 0);
  assert.match(run.stdout, /fp16 \(converted\)/);
  const document = JSON.parse(fs.readFileSync(json, 'utf8')) as RunDocument;
  const fp16 = document.results.find((r) => r.precision === 'fp16')!;
  assert.equal(fp16.status, 'ok');
  assert.equal(fp16.conversion?.converted, true);
  assert.match(fp16.conversion!.recipe, /float16\.py rules/);
  assert.equal(fp16.conversion!.opCountsAfter.Cast, 2);
  assert.ok(fs.existsSync(fp16.conversion!.cachedFile));
  assert.equal(document.results.find((r) => r.precision === 'fp32')!.conversion, undefined);
});
