import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { planBench, type BenchOptions } from '../src/app/bench-plan.js';
import { inspect } from '../src/app/inspect.js';
import { inspectModel } from '../src/model/inspect.js';
import type { RunDocument } from '../src/result/schema.js';
import { documentProblems } from '../src/result/validate.js';
import { decodeSplit } from '../src/runner/generation-figures.js';
import { DEFAULT_PROTOCOL } from '../src/runner/protocol.js';
import { runConfiguration, type ConfigSpec } from '../src/runner/run-config.js';
import { FakeMeter } from '../src/testing/fake-meter.js';
import { detectLayout, readGenerativeFiles } from '../src/workload/generation-layout.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';
import { assertExit, cli, cliEnv, QUICK_ENERGY, REPO_ROOT } from './helpers/cli.js';
import { recordedDocument } from './helpers/documents.js';

const zoo = path.join(REPO_ROOT, 'fixtures', 'zoo');

describe('decodeSplit', () => {
  test('decode per token is generate − prefill over the tokens after the first, intervals in quadrature', () => {
    const split = decodeSplit(
      { perQueryJ: 1, ci95PerQueryJ: 0.1 },
      { perQueryJ: 0.28, ci95PerQueryJ: 0.05 },
      10,
    );
    assert.ok(Math.abs(split.perTokenJ! - 0.08) < 1e-15);
    assert.ok(Math.abs(split.ci95PerTokenJ! - Math.hypot(0.1, 0.05) / 9) < 1e-15);
    assert.equal(split.warning, undefined);
  });

  test('no decode figure for one token, a missing pass, or a prefill that costs as much as the whole', () => {
    assert.deepEqual(
      decodeSplit({ perQueryJ: 1, ci95PerQueryJ: 0.1 }, { perQueryJ: 1, ci95PerQueryJ: 0.1 }, 1),
      {
        perTokenJ: null,
        ci95PerTokenJ: null,
      },
    );
    assert.deepEqual(decodeSplit(null, { perQueryJ: 1, ci95PerQueryJ: null }, 10), {
      perTokenJ: null,
      ci95PerTokenJ: null,
    });
    const noise = decodeSplit(
      { perQueryJ: 0.5, ci95PerQueryJ: null },
      { perQueryJ: 0.6, ci95PerQueryJ: null },
      10,
    );
    assert.equal(noise.perTokenJ, null);
    assert.equal(
      noise.warning,
      "decode energy is not above the prefill's (generate 0.500 J/query, prefill 0.600 J/query): the difference is within the noise; try a larger --max-new-tokens or more --queries",
    );
  });
});

async function generationSpec(folder: string, file: string, maxNewTokens: number): Promise<ConfigSpec> {
  const model = await inspectModel(path.join(zoo, folder, file));
  const detection = await detectLayout({
    model,
    files: await readGenerativeFiles(path.join(zoo, folder)),
    overrides: NO_OVERRIDES,
    inspect: inspectModel,
  });
  assert.equal(detection.status, 'found');
  if (detection.status !== 'found') throw new Error('unreachable');
  return {
    modelName: folder,
    precision: 'fp32',
    model,
    task: getTask('text-generation'),
    taskSource: 'test',
    device: 'cpu',
    batchSize: 2,
    threads: 1,
    queries: 8,
    warmup: 1,
    seed: 0,
    overrides: NO_OVERRIDES,
    generation: { layout: detection.layout, maxNewTokens },
  };
}

describe('the generation workload through runConfiguration', () => {
  test('a constant 50 W meter: the whole generation per query, per token, and prefill on its own windows', async () => {
    const meter = new FakeMeter({ domain: 'cpu', powerW: 50 });
    const protocol = { ...DEFAULT_PROTOCOL, minWindowS: 0.05, minTrials: 2, maxTrials: 2 };
    const result = await runConfiguration({
      ...(await generationSpec('gpt-tiny', 'model.onnx', 4)),
      energy: { meters: [meter], idlePowerW: [null], idleSeconds: 0, protocol },
    });
    assert.equal(result.status, 'ok', result.reason);
    assert.equal(result.id, 'gpt-tiny/fp32/b2/cpu/n4');
    const e = result.energy;
    assert.ok(e.status === 'measured');
    assert.equal(e.trials, 2);
    assert.ok(Math.abs(e.perQueryJ - (50 * e.windowSeconds * e.trials) / result.queries) < 1e-9);
    const g = result.generation!;
    assert.equal(g.layout, 'single');
    assert.equal(g.newTokensPerQuery, 4);
    assert.equal(g.energyStatus, 'measured');
    assert.equal(g.perTokenJ, e.perQueryJ / 4);
    assert.equal(g.prefill.trials, 2);
    assert.ok(g.prefill.perQueryJ! > 0);
    if (g.decode.perTokenJ !== null) {
      assert.ok(Math.abs(g.decode.perTokenJ - (e.perQueryJ - g.prefill.perQueryJ!) / 3) < 1e-12);
    }
    assert.equal(g.decode.tokensPerQuery, 3);
    assert.ok(Math.abs(g.tokensPerSecond - (result.queries * 4) / result.measuredSeconds!) < 1e-9);
    assert.ok(g.timeToFirstTokenMs.p50 > 0 && g.timeToFirstTokenMs.p95 >= g.timeToFirstTokenMs.p50);
    assert.ok(g.interTokenLatencyMs!.p50 > 0);
    assert.ok(g.promptsClipped > 0, 'the suite holds prompts longer than the 252 tokens that fit');
    assert.ok(
      result.warnings.some((w) => w.includes("fit the model's context of 256 (config.json n_positions)")),
    );

    const document = recordedDocument();
    document.results = [result];
    assert.deepEqual(documentProblems(document), []);
    const broken = structuredClone(document);
    broken.results[0]!.generation!.newTokensPerQuery = 0;
    assert.deepEqual(documentProblems(broken), [
      'results[0].generation.newTokensPerQuery is 0, not a whole number of 1 or more',
    ]);
  });

  test('a budget the context cannot hold is skipped, naming the context', async () => {
    const result = await runConfiguration(await generationSpec('gpt-tiny-genai', 'model.onnx', 64));
    assert.equal(result.status, 'skipped');
    assert.equal(
      result.reason,
      "--max-new-tokens 64 leaves no room for a prompt in the model's context of 64 tokens (genai_config.json model.context_length): use a budget below 64",
    );
  });
});

describe('planBench for generative models', () => {
  const options = (models: string[], extra: Partial<BenchOptions> = {}): BenchOptions => ({
    models,
    task: undefined,
    devices: ['cpu'],
    precisions: undefined,
    batchSizes: [1, 8],
    queries: 4,
    warmup: 1,
    threads: undefined,
    seed: 0,
    overrides: NO_OVERRIDES,
    ...extra,
  });

  test('a legacy decoder pair folder plans one generation per batch size and budget', async () => {
    const planned = await planBench(
      options([path.join(zoo, 'gpt-tiny-legacy')], { maxNewTokens: [10, 100] }),
    );
    assert.deepEqual(
      planned.map((p) => [
        p.spec?.generation?.layout.kind,
        p.spec?.batchSize,
        p.spec?.generation?.maxNewTokens,
      ]),
      [
        ['pair', 1, 10],
        ['pair', 1, 100],
        ['pair', 8, 10],
        ['pair', 8, 100],
      ],
    );
  });

  test('a speech encoder-decoder is benched as speech recognition, generating from 30 s of features', async () => {
    const planned = await planBench(options([path.join(zoo, 'whisper-tiny')], { batchSizes: [1] }));
    assert.equal(planned.length, 1);
    const spec = planned[0]!.spec!;
    assert.equal(spec.task.name, 'automatic-speech-recognition');
    assert.equal(spec.taskSource, 'inferred: a speech encoder (input_features) and a text decoder');
    assert.equal(spec.generation?.layout.kind, 'seq2seq');
    const result = await runConfiguration({ ...spec, queries: 2 });
    assert.equal(result.status, 'ok', result.reason);
    assert.equal(result.generation!.promptTokensPerQueryMean, 0);
    assert.deepEqual(result.inputs!.dims, { batch_size: 1, input_features: '80x3000' });
  });

  test('a vision encoder-decoder is benched as image captioning, generating --max-new-tokens from pixels', async () => {
    const planned = await planBench(
      options([path.join(zoo, 'vit-gpt-tiny')], { batchSizes: [2], maxNewTokens: [4] }),
    );
    assert.equal(planned.length, 1);
    const spec = planned[0]!.spec!;
    assert.equal(spec.task.name, 'image-captioning');
    assert.equal(spec.taskSource, 'inferred: an image encoder (pixel_values) and a text decoder');
    assert.equal(spec.generation?.layout.kind, 'seq2seq');
    assert.equal(spec.generation?.maxNewTokens, 4);
    const result = await runConfiguration({ ...spec, queries: 4 });
    assert.equal(result.status, 'ok', result.reason);
    assert.equal(result.generation!.newTokensPerQuery, 4);
    assert.equal(result.generation!.promptTokensPerQueryMean, 0);
    assert.deepEqual(result.inputs!.dims, { batch_size: 2, pixel_values: '3x32x32' });
  });

  test('precision variants of a folder layout each use their own files', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-gen-'));
    try {
      fs.mkdirSync(path.join(tmp, 'onnx'));
      fs.copyFileSync(path.join(zoo, 'gpt-tiny-legacy', 'config.json'), path.join(tmp, 'config.json'));
      for (const suffix of ['', '_q4']) {
        for (const base of ['decoder_model', 'decoder_with_past_model']) {
          fs.copyFileSync(
            path.join(zoo, 'gpt-tiny-legacy', `${base}.onnx`),
            path.join(tmp, 'onnx', `${base}${suffix}.onnx`),
          );
        }
      }
      const planned = await planBench(options([tmp], { batchSizes: [1] }));
      assert.deepEqual(
        planned.map((p) => [
          p.spec?.precision,
          path.basename(p.spec!.generation!.layout.first.path),
          path.basename(p.spec!.generation!.layout.next.path),
        ]),
        [
          ['fp32', 'decoder_model.onnx', 'decoder_with_past_model.onnx'],
          ['q4', 'decoder_model_q4.onnx', 'decoder_with_past_model_q4.onnx'],
        ],
      );
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a text-generation task on a model without a generative layout runs one pass and says so', async () => {
    const planned = await planBench(
      options([path.join(zoo, 'encoder-tiny', 'model.onnx')], { task: 'text-generation', batchSizes: [1] }),
    );
    assert.equal(planned.length, 1);
    assert.equal(planned[0]!.spec?.generation, undefined);
    assert.deepEqual(planned[0]!.spec?.planWarnings, [
      'no generative layout (model.onnx gives logits of rank 2, not one row per token ([batch, sequence, vocab])): one forward pass per query, not a generation',
    ]);
  });
});

describe('bench of generative folders, as a user runs it', () => {
  test('the optimum legacy pair generates exactly --max-new-tokens per query, estimated energy labelled', async () => {
    const run = await cli(
      [
        'bench',
        'fixtures/zoo/gpt-tiny-legacy',
        ...QUICK_ENERGY,
        '--queries',
        '6',
        '--batch',
        '1,3',
        '--max-new-tokens',
        '3',
        '--meter',
        'cpu-estimate',
        '--json',
        '-',
      ],
      cliEnv({}),
    );
    assertExit(run, 0);
    const document = JSON.parse(run.stdout) as RunDocument;
    assert.deepEqual(documentProblems(document), []);
    assert.deepEqual(document.settings.maxNewTokens, [3]);
    assert.deepEqual(
      document.results.map((r) => [r.id, r.status, r.generation?.layout, r.generation?.newTokensPerQuery]),
      [
        ['gpt-tiny-legacy/fp32/b1/cpu/n3', 'ok', 'pair', 3],
        ['gpt-tiny-legacy/fp32/b3/cpu/n3', 'ok', 'pair', 3],
      ],
    );
    for (const r of document.results) {
      assert.equal(r.generation!.energyStatus, 'estimated');
      assert.equal(r.generation!.decode.tokensPerQuery, 2);
    }
    assert.match(run.stderr, /J\/token/);
    assert.match(run.stderr, /est\./);
  });
});

describe('inspect of generative folders', () => {
  test('a legacy decoder pair is inspected by its first file and says how bench generates with it', async () => {
    const report = await inspect(path.join(zoo, 'gpt-tiny-legacy'));
    assert.equal(path.basename(report.path), 'decoder_model.onnx');
    assert.deepEqual(report.generation, {
      status: 'found',
      layout: 'pair',
      description: 'decoder pair (decoder_model.onnx + decoder_with_past_model.onnx)',
      cacheInputs: 4,
      contextTokens: 256,
      contextSource: 'config.json n_positions',
      assumptions: [],
    });
    assert.equal((await inspect(path.join(zoo, 'encoder-tiny'))).generation, null);
  });
});
