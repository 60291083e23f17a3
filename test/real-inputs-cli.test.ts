/** Real inputs through the CLI, as a user runs it: --data, the bundled sets, tasks and modalities. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { inspectModel } from '../src/model/inspect.js';
import { documentProblems } from '../src/result/validate.js';
import type { ConfigResult, RunDocument } from '../src/result/schema.js';
import { dataText, renderTable } from '../src/export/table.js';
import { verdictTexts } from '../src/render/verdict.js';
import { toMarkdown } from '../src/export/formats.js';
import { checkTaskFits, inputKinds } from '../src/workload/modality.js';
import { getTask } from '../src/workload/tasks.js';
import { EnergyScoreError } from '../src/errors.js';
import { assertExit, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';
import { recordedDocument } from './helpers/documents.js';
import { Chalk } from 'chalk';

const ENV = cliEnv({});
const QUICK = ['--warmup', '1', '--meter', 'none', '--precision', 'fp32'];
const zoo = (name: string) => path.join(REPO_ROOT, 'fixtures', 'zoo', name);

describe('bench on real inputs (CLI)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-real-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('--data FILE.csv --data-column: the queries go through the model’s tokenizer, and the result says so', async () => {
    const data = path.join(tmp, 'reviews.csv');
    fs.writeFileSync(
      data,
      'id,review\n1,"Call me Ishmael."\n2,"It is a way I have of driving off the spleen."\n',
    );
    const run = await cli(
      [
        'bench',
        zoo('encoder-tiny'),
        '--queries',
        '6',
        ...QUICK,
        '--data',
        data,
        '--data-column',
        'review',
        '--json',
        '-',
      ],
      ENV,
    );
    assertExit(run, 0);
    const document = JSON.parse(run.stdout) as RunDocument;
    assert.deepEqual(documentProblems(document), []);
    const inputs = document.results[0]!.inputs!;
    assert.equal(inputs.data?.source, `file:${data}`);
    assert.equal(inputs.data?.tokenizer, path.join(zoo('encoder-tiny'), 'tokenizer.json'));
    assert.equal(inputs.data?.queries, 2);
    // [CLS] call me is ##h ##m ##a ##e ##l . [SEP]: 11; [CLS] it is a way i have of d ##r ##i ##v ##i
    // ##n ##g off the s ##p ##l ##e ##e ##n . [SEP]: 25 (the 1,000-token vocabulary spells rare words)
    assert.equal(inputs.tokensPerQueryMean, (11 + 25) / 2);
    assert.match(
      run.stderr,
      /data: file:.*reviews.csv \(2 items\), through .*tokenizer.json, preprocessing \d+\.\d\d ms per item/,
    );
  });

  test('--data with a column that does not exist, or of the wrong kind, is a usage error (exit 2)', async () => {
    const data = path.join(tmp, 'q.csv');
    fs.writeFileSync(data, 'a,b\n1,2\n');
    const missing = await cli(
      ['bench', zoo('encoder-tiny'), ...QUICK, '--data', data, '--data-column', 'text'],
      ENV,
    );
    assertExit(missing, 2);
    assert.match(missing.stderr, /q.csv has no column 'text'\n {2}hint: its columns are: a, b/);
    const images = await cli(
      ['bench', zoo('encoder-tiny'), ...QUICK, '--data', path.join(REPO_ROOT, 'data', 'inputs', 'images')],
      ENV,
    );
    assertExit(images, 2);
    assert.match(images.stderr, /holds images, but .*model.onnx takes text \(input 'input_ids'\)/);
  });

  test('--task whose modality the model cannot take is a usage error naming both; the run does not start', async () => {
    const run = await cli(['bench', zoo('encoder-tiny'), '--task', 'image-classification', ...QUICK], ENV);
    assertExit(run, 2);
    assert.match(run.stderr, /--task image-classification takes images, but encoder-tiny's inputs take text/);
    assert.match(run.stderr, /hint: leave --task out to run it as text-classification/);
  });

  test('the Whisper-style encoder runs on log-mel features of the bundled speech', async () => {
    const run = await cli(
      ['bench', zoo('speech-encoder'), '--queries', '3', '--warmup', '1', '--meter', 'none', '--json', '-'],
      ENV,
    );
    assertExit(run, 0);
    const result = (JSON.parse(run.stdout) as RunDocument).results[0]!;
    assert.equal(result.status, 'ok');
    assert.equal(result.task, 'automatic-speech-recognition');
    assert.equal(result.inputs?.data?.source, 'bundled:speech');
    assert.equal(result.inputs?.data?.queries, 3);
    assert.equal(result.inputs?.bytesPerBatchMax, 80 * 3000 * 4);
  });
});

describe('tasks and modalities', () => {
  test('what the zoo’s inputs take', async () => {
    assert.deepEqual(
      [...inputKinds(await inspectModel(path.join(zoo('encoder-tiny'), 'model.onnx')))],
      ['text'],
    );
    assert.deepEqual(
      [...inputKinds(await inspectModel(path.join(zoo('cnn-small'), 'model.onnx')))],
      ['image'],
    );
    assert.deepEqual(
      [...inputKinds(await inspectModel(path.join(zoo('speech-encoder'), 'model.onnx')))],
      ['audio'],
    );
    const custom = await inspectModel(path.join(REPO_ROOT, 'fixtures', 'misc', 'fixed-batch-3.onnx'));
    assert.deepEqual([...inputKinds(custom)], [], 'an unknown model takes any task');
    checkTaskFits(custom, 'fixed-batch-3', getTask('text-classification'));
  });

  test('a task of another modality is refused; custom and image generation fit any model', async () => {
    const speech = await inspectModel(path.join(zoo('speech-encoder'), 'model.onnx'));
    assert.throws(
      () => checkTaskFits(speech, 'speech-encoder', getTask('text-generation')),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.exitCode === 2 &&
        err.message ===
          "--task text-generation takes text, but speech-encoder's inputs take audio (input_features float32 [batch_size, 80, 3000])",
    );
    checkTaskFits(speech, 'speech-encoder', getTask('automatic-speech-recognition'));
    checkTaskFits(speech, 'speech-encoder', getTask('custom'));
  });

  test('a run over two tasks: a task column in the table and the Markdown, one verdict per task', () => {
    const document = recordedDocument();
    const image = structuredClone(document.results.slice(0, 2)) as ConfigResult[];
    for (const r of image) {
      r.task = 'image-classification';
      r.id = r.id.replace('encoder-tiny', 'cnn-small');
      r.model.name = 'cnn-small';
    }
    document.results.push(...image);
    const lines = verdictTexts(document.results).map((v) => v.headline);
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^text-classification: encoder-tiny /);
    assert.match(lines[1]!, /^image-classification: cnn-small /);
    const table = renderTable(document, new Chalk({ level: 0 }));
    assert.match(table.split('\n')[0]!, /^model\s+task\s+precision/);
    assert.match(table, /cnn-small\s+image-classification\s+/);
    assert.match(toMarkdown(document), /\| model \| task \| precision \|/);
    assert.equal(verdictTexts(recordedDocument().results).length, 1);
    assert.doesNotMatch(renderTable(recordedDocument(), new Chalk({ level: 0 })).split('\n')[0]!, /task/);
  });

  test('the footer’s data line', () => {
    assert.equal(dataText(undefined), undefined);
    assert.equal(
      dataText({
        source: 'bundled:images',
        tokenizer: null,
        preprocessing: 'm/preprocessor_config.json',
        queries: 8,
        sha256: 'x',
        preprocessMs: 80,
        preprocessMsPerItem: 10,
        note: null,
      }),
      'bundled:images (8 items), through m/preprocessor_config.json, preprocessing 10.00 ms per item before the measured loop',
    );
    assert.equal(
      dataText({
        source: 'synthetic',
        tokenizer: null,
        preprocessing: null,
        queries: 0,
        sha256: null,
        preprocessMs: 0,
        preprocessMsPerItem: null,
        note: 'no tokenizer.json beside the model: synthetic token ids',
      }),
      'synthetic values, no tokenizer.json beside the model: synthetic token ids',
    );
  });
});
