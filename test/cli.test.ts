/**
 * End-to-end tests of the built CLI: each test runs `node bin/energy-score.js ...` the way a user
 * does and checks exit codes, stdout, stderr and the files written. Needs `npm run build` first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { FLAT_COLUMNS } from '../src/render/flatten.js';
import type { ConfigResult, RunDocument } from '../src/result/schema.js';
import { DEFAULT_OTHER_DIM } from '../src/workload/input-plan.js';
import {
  assertExit,
  cli as cliIn,
  cliEnv,
  REPO_ROOT,
  startCli as startCliIn,
  type RunOutput,
} from './helpers/cli.js';

const repoRoot = REPO_ROOT;
const ENV: NodeJS.ProcessEnv = cliEnv({});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Options that keep every bench short. */
const QUICK = ['--warmup', '1', '--meter', 'none'];

const startCli = (args: string[], env: NodeJS.ProcessEnv = ENV) => startCliIn(args, env);
const cli = (args: string[], env: NodeJS.ProcessEnv = ENV): Promise<RunOutput> => cliIn(args, env);

function readJson(file: string): RunDocument {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunDocument;
}

function sha256(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

/** RFC 4180 CSV: quoted fields may hold commas, doubled quotes and newlines. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else if (c !== '\r') field += c;
  }
  if (field !== '' || row.length > 0) rows.push([...row, field]);
  return rows;
}

function assertMeasured(result: ConfigResult, queries: number): void {
  assert.equal(result.status, 'ok', `${result.id}: ${result.reason ?? ''}`);
  assert.equal(result.queries, queries);
  const latency = result.latencyMs!;
  for (const key of ['mean', 'p50', 'p95', 'p99'] as const) {
    assert.equal(typeof latency[key], 'number', `${result.id} latencyMs.${key}`);
    assert.ok(
      Number.isFinite(latency[key]) && latency[key] > 0,
      `${result.id} latencyMs.${key} = ${latency[key]}`,
    );
  }
  assert.ok(latency.p50 <= latency.p95 && latency.p95 <= latency.p99, `${result.id}: p50 ≤ p95 ≤ p99`);
  assert.ok(result.throughputQps! > 0, `${result.id} throughputQps`);
  assert.deepEqual(result.energy, {
    ...result.energy,
    status: 'not-measured',
    perQueryJ: null,
    whPer1k: null,
    queriesPerJ: null,
  });
  assert.equal(result.rating.status, 'unrated');
  assert.equal(result.rating.stars, null);
}

/** A usage error: one error line, one hint line, no stack trace, nothing on stdout. */
function assertUsageError(run: RunOutput, pattern: RegExp, code = 2): string[] {
  assertExit(run, code);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 2, `an error line and a hint line, got:\n${run.stderr}`);
  assert.match(lines[0]!, /^energy-score: error: /);
  assert.match(lines[0]!, pattern);
  assert.match(lines[1]!, /^ {2}hint: \S/);
  assert.doesNotMatch(run.stderr, /^\s+at /m, 'no stack trace');
  assert.equal(run.stdout, '');
  return lines;
}

const ENCODER_TINY = 'fixtures/zoo/encoder-tiny';
const VARIANT_FILES: Record<string, string> = {
  fp32: 'model.onnx',
  fp16: 'model_fp16.onnx',
  q8: 'model_quantized.onnx',
};

describe('bench encoder-tiny with JSON, CSV and Markdown files', () => {
  const json = path.join(tmp, 'r.json');
  const csv = path.join(tmp, 'r.csv');
  const markdown = path.join(tmp, 'r.md');
  let run: RunOutput;
  let doc: RunDocument;

  before(async () => {
    run = await cli([
      'bench',
      ENCODER_TINY,
      '--queries',
      '30',
      ...QUICK,
      '--json',
      json,
      '--csv',
      csv,
      '--markdown',
      markdown,
    ]);
  });

  test('exits 0 and prints the table on stdout', () => {
    assertExit(run, 0);
    assert.match(run.stdout, /^model\s+precision\s+batch\s+device\s+stars\s+Wh\/1k\s+J\/query/m);
    for (const precision of ['fp32', 'fp16', 'q8']) {
      assert.match(
        run.stdout,
        // Wh/1k, J/query, queries/J and ±95% empty (no meter), then the fidelity cell.
        new RegExp(
          `^encoder-tiny\\s+${precision}\\s+1\\s+cpu\\s+unrated\\s+–\\s+–\\s+–\\s+–\\s+(reference|top-1 [\\d.]+ % ✓)\\s+\\d`,
          'm',
        ),
      );
    }
    assert.equal(run.stderr, '', 'nothing on stderr off a terminal');
  });

  test('JSON: one measured result per variant', () => {
    doc = readJson(json);
    assert.equal(doc.schemaVersion, 1);
    assert.equal(doc.interrupted, false);
    assert.equal(doc.complete, true, 'the last write marks the run complete');
    assert.deepEqual(
      doc.results.map((r) => r.precision),
      ['fp32', 'fp16', 'q8'],
    );
    for (const result of doc.results) {
      assert.equal(result.id, `encoder-tiny/${result.precision}/b1/cpu`);
      assert.equal(result.model.name, 'encoder-tiny');
      const file = path.join(repoRoot, ENCODER_TINY, VARIANT_FILES[result.precision]!);
      assert.equal(result.model.file, VARIANT_FILES[result.precision]);
      assert.equal(result.model.sha256, sha256(file));
      assert.equal(result.task, 'text-classification');
      assert.equal(result.device, 'cpu');
      assert.equal(result.batchSize, 1);
      assertMeasured(result, 30);
    }
  });

  test('CSV: the flat columns, one row per result', () => {
    const rows = parseCsv(fs.readFileSync(csv, 'utf8'));
    assert.deepEqual(rows[0], [...FLAT_COLUMNS]);
    const body = rows.slice(1);
    assert.equal(body.length, doc.results.length);
    body.forEach((row, i) => {
      assert.equal(row.length, FLAT_COLUMNS.length);
      const cell = (column: string) => row[FLAT_COLUMNS.indexOf(column as (typeof FLAT_COLUMNS)[number])];
      const result = doc.results[i]!;
      assert.equal(cell('id'), result.id);
      assert.equal(cell('status'), 'ok');
      assert.equal(cell('model_sha256'), result.model.sha256);
      assert.equal(cell('queries'), '30');
      assert.equal(cell('energy_status'), 'not-measured');
      assert.equal(cell('energy_wh_per_1k'), '');
      assert.ok(Number(cell('throughput_qps')) > 0);
    });
  });

  test('Markdown: a table row per configuration', () => {
    const text = fs.readFileSync(markdown, 'utf8');
    assert.match(text, /^\| model \| precision \| batch \| device \| status \|/m);
    const rows = text.split('\n').filter((line) => line.startsWith('| encoder-tiny |'));
    assert.equal(rows.length, 3);
    for (const [i, precision] of ['fp32', 'fp16', 'q8'].entries()) {
      assert.ok(rows[i]!.startsWith(`| encoder-tiny | ${precision} | 1 | cpu | ok |`), rows[i]);
    }
  });
});

describe('bench options', () => {
  test('precision and batch lists multiply into configurations', async () => {
    const json = path.join(tmp, 'lists.json');
    const run = await cli([
      'bench',
      ENCODER_TINY,
      '--precision',
      'fp32,q8',
      '--batch',
      '1,4',
      '--queries',
      '30',
      ...QUICK,
      '--json',
      json,
    ]);
    assertExit(run, 0);
    const doc = readJson(json);
    assert.deepEqual(
      doc.results.map((r) => r.id),
      [
        'encoder-tiny/fp32/b1/cpu',
        'encoder-tiny/fp32/b4/cpu',
        'encoder-tiny/q8/b1/cpu',
        'encoder-tiny/q8/b4/cpu',
      ],
    );
    assert.deepEqual(doc.settings.batchSizes, [1, 4]);
    assert.deepEqual(doc.settings.precisions, ['fp32', 'q8']);
    for (const result of doc.results) {
      assertMeasured(result, 30);
      // 30 queries in batches of 4: seven full batches and a last one of 2 queries.
      assert.equal(result.batches, result.batchSize === 4 ? 8 : 30);
    }
  });

  test('--json - puts the JSON on stdout and the table on stderr', async () => {
    const run = await cli([
      'bench',
      ENCODER_TINY,
      '--precision',
      'fp32',
      '--queries',
      '20',
      ...QUICK,
      '--json',
      '-',
    ]);
    assertExit(run, 0);
    const doc = JSON.parse(run.stdout) as RunDocument;
    assert.equal(doc.results.length, 1);
    assertMeasured(doc.results[0]!, 20);
    assert.match(run.stderr, /^model\s+precision/m);
    assert.match(run.stderr, /^encoder-tiny\s+fp32/m);
  });

  test('two formats on stdout is a usage error', async () => {
    const run = await cli(['bench', ENCODER_TINY, '--queries', '20', '--json', '-', '--csv', '-']);
    assertUsageError(run, /--json and --csv/);
  });

  test('cnn-small: image-classification is inferred', async () => {
    const json = path.join(tmp, 'cnn.json');
    const run = await cli([
      'bench',
      'fixtures/zoo/cnn-small',
      '--precision',
      'fp32',
      '--queries',
      '10',
      ...QUICK,
      '--json',
      json,
    ]);
    assertExit(run, 0);
    const [result] = readJson(json).results;
    assert.equal(result!.task, 'image-classification');
    assert.match(result!.taskSource, /^inferred/);
    assertMeasured(result!, 10);
  });

  test('cnn-small with --task text-classification is a usage error naming the task and the inputs', async () => {
    const run = await cli(['bench', 'fixtures/zoo/cnn-small', '--task', 'text-classification', ...QUICK]);
    assertUsageError(
      run,
      /--task text-classification takes text, but cnn-small's inputs take images \(pixel_values float32 \[batch_size, 3, 224, 224\]\)/,
    );
  });

  test('--task bogus is a usage error', async () => {
    const run = await cli(['bench', 'fixtures/zoo/cnn-small', '--task', 'bogus']);
    assertUsageError(run, /unknown task 'bogus'/);
  });

  test('all-dtypes: every input dtype is synthesized', async () => {
    const json = path.join(tmp, 'dtypes.json');
    const run = await cli([
      'bench',
      'fixtures/misc/all-dtypes.onnx',
      '--queries',
      '6',
      '--batch',
      '3',
      ...QUICK,
      '--fill',
      'sample_rate=8000',
      '--json',
      json,
    ]);
    assertExit(run, 0);
    const [result] = readJson(json).results;
    assertMeasured(result!, 6);
    assert.equal(result!.batches, 2);
    assert.equal(result!.inputs!.dims.num_features, DEFAULT_OTHER_DIM);
  });

  test('the default demo runs the three bundled encoders', async () => {
    const json = path.join(tmp, 'demo.json');
    const run = await cli(['bench', '--queries', '20', ...QUICK, '--json', json]);
    assertExit(run, 0);
    const doc = readJson(json);
    assert.deepEqual(
      [...new Set(doc.results.map((r) => r.model.name))],
      ['encoder-tiny', 'encoder-small', 'encoder-medium'],
    );
    for (const result of doc.results) assertMeasured(result, 20);
  });
});

describe('bad input: one error line, a hint, the right exit code', { concurrency: 2 }, () => {
  const emptyDir = fs.mkdtempSync(path.join(tmp, 'empty-'));
  const cases: [string, string[], RegExp][] = [
    ['a missing file', ['bench', 'fixtures/zoo/no-such-model.onnx'], /model not found/],
    ['an empty directory', ['bench', emptyDir], /no \.onnx model in/],
    ['a file that is not ONNX', ['bench', 'fixtures/bad/not-onnx.onnx'], /not an ONNX model/],
    ['an unknown precision', ['bench', ENCODER_TINY, '--precision', 'fp64'], /unknown precision 'fp64'/],
    [
      'a precision the model lacks',
      ['bench', 'fixtures/misc/all-dtypes.onnx', '--precision', 'fp16'],
      /nothing to run/,
    ],
    ['a malformed --dim', ['bench', ENCODER_TINY, '--dim', 'x'], /malformed --dim 'x'/],
    ['a malformed --shape', ['bench', ENCODER_TINY, '--shape', 'input_ids=1xq'], /--shape input_ids: 'q'/],
    [
      'a non-number --fill for an int input',
      ['bench', ENCODER_TINY, '--fill', 'input_ids=abc'],
      /--fill input_ids=abc/,
    ],
    ['--batch 0', ['bench', ENCODER_TINY, '--batch', '0'], /--batch '0'/],
    ['--batch a', ['bench', ENCODER_TINY, '--batch', 'a'], /--batch 'a'/],
    ['--queries -5', ['bench', ENCODER_TINY, '--queries', '-5'], /--queries '-5'/],
    ['an unknown option', ['bench', ENCODER_TINY, '--frobnicate'], /unknown option '--frobnicate'/],
    ['inspect without a model', ['inspect'], /missing required argument 'model'/],
    ['an unknown command', ['frobnicate'], /unknown command 'frobnicate'/],
    // cnn-small fixes height and width at 224: a pin that contradicts the model is refused.
    [
      'a shape against fixed dims',
      [
        'bench',
        'fixtures/zoo/cnn-small',
        '--precision',
        'fp32',
        '--shape',
        'pixel_values=1x3x60000x60000',
        '--queries',
        '1',
      ],
      /fixes it at 224/,
    ],
    [
      'an unwritable --json',
      ['bench', ENCODER_TINY, '--queries', '5', '--json', path.join(tmp, 'no-such-dir', 'x.json')],
      /cannot write .*no-such-dir\/x\.json: no such folder$/m,
    ],
  ];
  for (const [name, args, pattern] of cases) {
    test(name, async () => {
      assertUsageError(await cli(args), pattern);
    });
  }

  test('--dim with a name the model lacks lists the named dims', async () => {
    const lines = assertUsageError(await cli(['bench', ENCODER_TINY, '--dim', 'nosuchdim=3']), /nosuchdim/);
    assert.match(lines[1]!, /batch_size, sequence_length/);
  });

  test('a batch too large for memory', async () => {
    const run = await cli([
      'bench',
      ENCODER_TINY,
      '--precision',
      'fp32',
      '--dim',
      'sequence_length=1000000000000',
      '--queries',
      '1',
    ]);
    const lines = assertUsageError(run, /free memory/);
    assert.match(lines[1]!, /lower --batch/);
  });

  test('--device cuda without the CUDA provider', async () => {
    // An empty folder stands in for onnxruntime-node's binaries, so the provider is missing everywhere.
    const run = await cli(['bench', ENCODER_TINY, '--device', 'cuda'], {
      ...ENV,
      ENERGY_SCORE_ORT_BIN_DIR: emptyDir,
    });
    const lines = assertUsageError(run, /--device cuda/);
    if (process.platform === 'linux' && process.arch === 'x64')
      assert.match(lines[1]!, /ONNXRUNTIME_NODE_INSTALL=cuda12/);
  });

  test('--verbose adds the stack trace', async () => {
    const run = await cli(['bench', ENCODER_TINY, '--batch', '0', '--verbose']);
    assertExit(run, 2);
    assert.match(run.stderr, /^energy-score: error: --batch '0'/);
    assert.match(run.stderr, /^\s+at /m);
  });
});

describe('run failures', () => {
  test('a model that outputs NaN fails with exit 1 and a failed result', async () => {
    const json = path.join(tmp, 'nan.json');
    const run = await cli([
      'bench',
      'fixtures/bad/nan-output/model.onnx',
      '--queries',
      '5',
      ...QUICK,
      '--json',
      json,
    ]);
    assertExit(run, 1);
    assert.doesNotMatch(run.stdout + run.stderr, /^\s+at /m);
    assert.match(run.stdout, /failed/);
    const [result] = readJson(json).results;
    assert.equal(result!.status, 'failed');
    assert.match(result!.reason!, /NaN/);
  });

  test('a fixed-batch model runs batch 1 and skips batch 4', async () => {
    const json = path.join(tmp, 'fixed.json');
    const run = await cli([
      'bench',
      'fixtures/bad/fixed-batch/model.onnx',
      '--batch',
      '1,4',
      '--queries',
      '5',
      ...QUICK,
      '--json',
      json,
    ]);
    assertExit(run, 0);
    const [b1, b4] = readJson(json).results;
    assertMeasured(b1!, 5);
    assert.equal(b1!.batchSize, 1);
    assert.equal(b4!.batchSize, 4);
    assert.equal(b4!.status, 'skipped');
    assert.match(b4!.reason!, /batch is fixed at 1/);
    assert.match(run.stdout, /skipped/);
  });
});

describe('inspect', () => {
  test('text', async () => {
    const run = await cli(['inspect', ENCODER_TINY]);
    assertExit(run, 0);
    assert.match(run.stdout, /input_ids\s+int64 \[batch_size, sequence_length\]/);
    assert.match(run.stdout, /attention_mask\s+int64 \[batch_size, sequence_length\]/);
    assert.match(run.stdout, /vocabulary 1000/);
    assert.match(run.stdout, /^operators \(\d+ nodes\)$/m);
    assert.match(run.stdout, /^\s+\d+\s+MatMul$/m);
  });

  test('--json', async () => {
    const run = await cli(['inspect', ENCODER_TINY, '--json']);
    assertExit(run, 0);
    const info = JSON.parse(run.stdout) as {
      inputs: { name: string; shape: unknown[] }[];
      opsets: { domain: string; version: number }[];
      sha256: string;
      parameterCount: number;
      variants: { precision: string }[];
      inferredTask: { task: string };
    };
    assert.deepEqual(
      info.inputs.map((i) => [i.name, i.shape]),
      [
        ['input_ids', ['batch_size', 'sequence_length']],
        ['attention_mask', ['batch_size', 'sequence_length']],
      ],
    );
    assert.ok(info.opsets.some((o) => o.domain === 'ai.onnx' && o.version > 0));
    assert.equal(info.sha256, sha256(path.join(repoRoot, ENCODER_TINY, 'model.onnx')));
    assert.ok(Number.isInteger(info.parameterCount) && info.parameterCount > 0);
    assert.deepEqual(
      info.variants.map((v) => v.precision),
      ['fp32', 'fp16', 'q8'],
    );
    assert.equal(info.inferredTask.task, 'text-classification');
  });
});

describe('checks before running', () => {
  test('a pin that one of several models cannot take fails before any configuration runs, naming it', async () => {
    const json = path.join(tmp, 'never.json');
    const run = await cli([
      'bench',
      ENCODER_TINY,
      'fixtures/zoo/cnn-small',
      '--dim',
      'sequence_length=64',
      '--meter',
      'none',
      '--json',
      json,
    ]);
    assertExit(run, 2);
    assert.match(
      run.stderr,
      /energy-score: error: cnn-small \(fp32\): .*no dynamic dim named 'sequence_length'/,
    );
    assert.equal(fs.existsSync(json), false, 'nothing was measured or written');
  });

  test(
    'a named meter list that fails part-way stops what it started and exits',
    { timeout: 120_000 },
    async () => {
      const env = {
        ...ENV,
        ENERGY_SCORE_NVIDIA_SMI: path.join(repoRoot, 'test', 'fixtures', 'fake-nvidia-smi'),
        FAKE_NVIDIA_SMI_TIMESTAMPS: 'now',
        ENERGY_SCORE_SYSFS_ROOT: path.join(tmp, 'no-sysfs'),
      };
      const run = await cli(['bench', ENCODER_TINY, '--queries', '5', '--meter', 'nvidia-smi,rapl'], env);
      assertExit(run, 2);
      assert.match(run.stderr, /--meter rapl cannot work here/);
    },
  );
});

describe('energy', () => {
  test('with no RAPL or GPU here, bench estimates CPU and DRAM energy and labels it', async () => {
    const json = path.join(tmp, 'energy.json');
    const run = await cli([
      'bench',
      ENCODER_TINY,
      '--precision',
      'fp32',
      '--queries',
      '40',
      '--warmup',
      '1',
      '--idle',
      '0.2',
      '--min-window',
      '0.2',
      '--max-trials',
      '3',
      '--json',
      json,
    ]);
    assertExit(run, 0);
    const doc = JSON.parse(fs.readFileSync(json, 'utf8')) as RunDocument;
    const e = doc.results[0]!.energy;
    assert.equal(e.status, 'estimated');
    if (e.status !== 'estimated') return;
    assert.ok(e.perQueryJ > 0);
    assert.equal(e.whPer1k, (e.perQueryJ * 1000) / 3600);
    assert.equal(e.queriesPerJ, 1 / e.perQueryJ);
    assert.equal(e.trials, 3);
    assert.deepEqual(e.basis.domains, ['cpu', 'dram']);
    assert.deepEqual(
      e.meters.map((m) => `${m.name}:${m.domain}:${m.method}`),
      ['cpu-estimate:cpu:estimated', 'cpu-estimate:dram:estimated'],
    );
    assert.ok(e.net.perQueryJ <= e.perQueryJ);
    assert.equal(e.idleSeconds, 0.2);
    assert.ok(e.warnings.some((w) => w.startsWith('estimated')));
    assert.ok(doc.energyNotes.some((n) => /rapl is unavailable/.test(n)));
    // Every estimated figure in the table carries its label.
    assert.match(run.stdout, /^encoder-tiny\s+fp32\s+1\s+cpu\s+unrated\s+[\d.]+ est\.\s+[\d.]+ est\./m);
    assert.match(run.stdout, /energy: ESTIMATED \(not measured\)/);
  });

  for (const [meter, pattern] of [
    ['rapl', /--meter rapl cannot work here: no .*no-sysfs\/class\/powercap \(no RAPL/],
    ['nvml', /--meter nvml cannot work here: .*libnvidia-ml/],
    ['nvidia-smi', /--meter nvidia-smi cannot work here/],
    ['bogus', /unknown meter 'bogus'/],
  ] as const) {
    test(`--meter ${meter} that cannot work here is a usage error`, async () => {
      const env = {
        ...ENV,
        ENERGY_SCORE_SYSFS_ROOT: path.join(tmp, 'no-sysfs'),
        ENERGY_SCORE_NVIDIA_SMI: path.join(tmp, 'no-nvidia-smi'),
        ENERGY_SCORE_NVML_LIB: path.join(tmp, 'no-libnvidia-ml.so.1'),
      };
      const run = await cli(['bench', ENCODER_TINY, '--queries', '5', '--meter', meter], env);
      assertExit(run, 2);
      assert.match(run.stderr, pattern);
      assert.match(run.stderr, /hint: /);
    });
  }
});

describe('help and version', () => {
  for (const args of [['--help'], ['bench', '--help'], ['inspect', '--help']]) {
    test(args.join(' '), async () => {
      const run = await cli(args);
      assertExit(run, 0);
      assert.match(run.stdout, /^Usage: energy-score/);
      assert.match(run.stdout, /Examples:/);
      assert.equal(run.stderr, '');
    });
  }

  test('no command prints help and is a usage error', async () => {
    const run = await cli([]);
    assertExit(run, 2);
    assert.match(run.stderr, /Usage: energy-score/);
  });

  test('--version', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const run = await cli(['--version']);
    assertExit(run, 0);
    assert.equal(run.stdout.trim(), pkg.version);
  });
});

describe('interruption', () => {
  test('SIGINT exits 130 and leaves valid files', { timeout: 180_000 }, async () => {
    const json = path.join(tmp, 'interrupted.json');
    const queries = 400;
    // The first configuration is the cheapest model; three costlier ones follow (encoder-medium
    // takes several times longer per query), so on any machine, fast or loaded, the run is still
    // going when the first result appears and the signal lands: at 400 queries the rest of the
    // run takes as long again as everything before the first result (~2.6 s each on a 2-core VM),
    // against a 50 ms poll.
    const { child, done } = startCli([
      'bench',
      'fixtures/zoo/encoder-tiny',
      'fixtures/zoo/encoder-medium',
      '--precision',
      'fp32,q8',
      '--queries',
      String(queries),
      ...QUICK,
      '--json',
      json,
    ]);
    let exited = false;
    void done.then(() => (exited = true));
    try {
      // Wait for the first result in the written JSON, not for a fixed time: the deadline only
      // bounds a hang, and is generous because a busy machine starts the CLI slowly.
      const deadline = Date.now() + 120_000;
      for (;;) {
        assert.ok(!exited, 'the run ended before it was interrupted');
        // Files are replaced atomically: whenever the file exists it must parse.
        if (fs.existsSync(json) && readJson(json).results.length > 0) break;
        assert.ok(Date.now() < deadline, 'no result within 120 s');
        await sleep(50);
      }
      child.kill('SIGINT');
      const run = await done;
      assertExit(run, 130);
      assert.match(run.stderr, /interrupted \(SIGINT\): finishing the batch in flight/);
      const doc = readJson(json);
      assert.equal(doc.interrupted, true);
      assert.equal(doc.complete, false);
      assert.ok(doc.results.length >= 1);
      // What was measured before the signal is kept whole.
      assert.equal(doc.results[0]!.id, 'encoder-tiny/fp32/b1/cpu');
      assert.equal(doc.results[0]!.status, 'ok');
      assert.equal(doc.results[0]!.queries, queries);
      for (const result of doc.results)
        assert.ok(['ok', 'interrupted'].includes(result.status), result.status);
    } finally {
      if (!exited) child.kill('SIGKILL');
    }
  });
});
