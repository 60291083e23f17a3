/**
 * End-to-end: bench on models whose inputs are op parameters or have a domain, on a model with a
 * fixed batch, and what reaches stderr from ONNX Runtime. Runs the built CLI as a user does.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunDocument } from '../src/result/schema.js';
import { assertExit, cli, cliEnv } from './helpers/cli.js';

const ENV = cliEnv({});
const QUICK = ['--queries', '6', '--warmup', '1', '--meter', 'none'];
/** ONNX Runtime's own log line: its severity and source tag, or the colour it prints them in. */
const hasOrtLog = (text: string) => /\[[VIWEF]:onnxruntime:/.test(text) || text.includes('\u001b[');

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-inputs-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')) as RunDocument;

async function bench(model: string, extra: string[] = []) {
  const json = path.join(tmp, `${path.basename(model)}-${extra.join('_').replace(/\W/g, '')}.json`);
  const run = await cli(['bench', `fixtures/${model}`, ...QUICK, ...extra, '--json', json], ENV);
  return { run, json };
}

describe('inputs that are op parameters', () => {
  test('Resize scales, Reshape/Expand shapes, axes, a divisor, NMS limits and a string Cast all run', async () => {
    const { run, json } = await bench('misc/shape-inputs.onnx');
    assertExit(run, 0);
    const [result] = readJson(json).results;
    assert.equal(result!.status, 'ok', result!.reason ?? '');
    assert.ok(!hasOrtLog(run.stderr), run.stderr);
  });

  test('a --fill that the op rejects: failed, naming the input and the --fill that would do, and no ONNX Runtime log', async () => {
    const { run, json } = await bench('misc/shape-inputs.onnx', ['--fill', 'scales=-1']);
    assertExit(run, 1);
    const [result] = readJson(json).results;
    assert.equal(result!.status, 'failed');
    assert.match(result!.reason!, /^session\.run failed: .*Resize node/);
    assert.match(
      result!.reason!,
      /input 'scales' is Resize's scales and held the constant -1: pass the values the model expects with --fill scales=1/,
    );
    assert.ok(!hasOrtLog(run.stderr), run.stderr);
    assert.ok(!hasOrtLog(run.stdout), run.stdout);
  });

  test("--verbose keeps ONNX Runtime's own log lines", async () => {
    const { run } = await bench('misc/shape-inputs.onnx', ['--fill', 'scales=-1', '--verbose']);
    assertExit(run, 1);
    assert.match(run.stderr, /\[E:onnxruntime:/);
  });
});

describe('inputs with a domain', () => {
  test("a Log of an input is fed values inside the Log's domain, and runs", async () => {
    const { run, json } = await bench('misc/log-input.onnx');
    assertExit(run, 0);
    assert.equal(readJson(json).results[0]!.status, 'ok');
  });

  test('NaN from inputs outside the domain says so, not that the model is broken', async () => {
    const { run, json } = await bench('misc/log-input.onnx', ['--fill', 'x=-1']);
    assertExit(run, 1);
    const reason = readJson(json).results[0]!.reason!;
    assert.match(
      reason,
      /^output 'y' holds NaN \(4 of 4 values\): the inputs were outside the operator's domain/,
    );
    assert.match(
      reason,
      /input 'x' feeds Log and held the constant -1; pass values Log accepts, such as --fill x=1/,
    );
    assert.doesNotMatch(reason, /numerically broken/);
  });

  test('a model that is NaN whatever its inputs is still called broken', async () => {
    const { run, json } = await bench('bad/nan-output/model.onnx');
    assertExit(run, 1);
    assert.match(readJson(json).results[0]!.reason!, /the model is numerically broken on these inputs$/);
  });
});

describe('a model whose batch is fixed at 3', () => {
  test('without --batch it runs at batch 3, and the settings say so', async () => {
    const { run, json } = await bench('misc/fixed-batch-3.onnx');
    assertExit(run, 0);
    const document = readJson(json);
    assert.deepEqual(
      document.results.map((r) => [r.batchSize, r.status]),
      [[3, 'ok']],
    );
    assert.deepEqual(document.settings.batchSizes, [3]);
  });

  test('--batch that skips every configuration exits 1 and names the batch that runs', async () => {
    const { run, json } = await bench('misc/fixed-batch-3.onnx', ['--batch', '1,2']);
    assertExit(run, 1);
    assert.deepEqual(
      readJson(json).results.map((r) => r.status),
      ['skipped', 'skipped'],
    );
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(
      lines.at(-2),
      'energy-score: error: nothing was measured: all 2 configurations were skipped',
    );
    assert.match(lines.at(-1)!, /^ {2}hint: fixed-batch-3: .*batch is fixed at 3\): run it with --batch 3/);
  });
});
