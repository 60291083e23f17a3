import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { parseReference, planFidelity, type FidelityRequest } from '../src/app/fidelity.js';
import type { PlannedConfig } from '../src/app/bench-plan.js';
import { EnergyScoreError } from '../src/errors.js';
import { DEFAULT_LIMITS } from '../src/fidelity/thresholds.js';
import { fileURLToPath } from 'node:url';

import { inspectModel, type ModelInfo } from '../src/model/inspect.js';
import { blankResult, type ConfigResult } from '../src/result/schema.js';
import type { ConfigSpec, RunHooks } from '../src/runner/run-config.js';
import type { OutputSample } from '../src/runner/workload.js';
import { FakeClock, FakeWorkload } from '../src/testing/index.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';

function spec(
  modelName: string,
  precision: string,
  batchSize: number,
  task = 'text-classification',
): ConfigSpec {
  return {
    modelName,
    precision,
    model: { path: `/models/${modelName}/${precision}.onnx` } as ModelInfo,
    task: getTask(task),
    taskSource: 'given with --task',
    device: 'cpu',
    batchSize,
    threads: undefined,
    queries: 4,
    warmup: 1,
    seed: 0,
    overrides: NO_OVERRIDES,
  };
}

/** Logits per query: class `winners[q]` scores 1, the other 0. */
function logits(winners: number[]): OutputSample {
  return {
    kind: 'tensors',
    queries: winners.map((w) => ({
      logits: { dims: [2], data: Float32Array.from(w === 0 ? [1, 0] : [0, 1]) },
    })),
  };
}

const REFERENCE = [0, 1, 0, 1];

/** Answers per model/precision; a fake workload for each, as the bench loop would run it. */
class Harness {
  readonly opened: string[] = [];
  readonly workloads: FakeWorkload[] = [];
  constructor(private readonly answers: Record<string, number[] | OutputSample>) {}

  workload(s: ConfigSpec): FakeWorkload {
    const answer = this.answers[`${s.modelName}/${s.precision}`] ?? REFERENCE;
    const clock = new FakeClock();
    const w = new FakeWorkload({
      clock,
      passQueries: [s.batchSize],
      batchMs: 5,
      sample: (count) => {
        const sample = Array.isArray(answer) ? logits(answer) : answer;
        return sample.kind === 'tensors' ? { ...sample, queries: sample.queries.slice(0, count) } : sample;
      },
    });
    this.workloads.push(w);
    return w;
  }

  open = (s: ConfigSpec) => {
    this.opened.push(`${s.modelName}/${s.precision}/b${s.batchSize}`);
    return this.workload(s);
  };

  /** What runBench's `run` does: prepare, the trials (three batches), then afterTrials, then release. */
  run(s: ConfigSpec) {
    return async (extra: RunHooks): Promise<ConfigResult> => {
      const w = this.workload(s);
      await w.prepare();
      for (let i = 0; i < 3; i++) await w.runBatch();
      await extra.afterTrials?.(w);
      await w.release();
      const result = blankResult({
        id: `${s.modelName}/${s.precision}/b${s.batchSize}/cpu`,
        model: {
          name: s.modelName,
          path: s.model.path,
          file: '',
          sha256: null,
          fileSizeBytes: null,
          parameters: null,
        },
        task: s.task.name,
        taskSource: s.taskSource,
        device: 'cpu',
        precision: s.precision,
        batchSize: s.batchSize,
        threads: null,
      });
      return result;
    };
  }
}

const request = (extra: Partial<FidelityRequest> = {}): FidelityRequest => ({
  queries: 100,
  limits: DEFAULT_LIMITS,
  ...extra,
});

const plan = (...specs: ConfigSpec[]): PlannedConfig[] => specs.map((s) => ({ spec: s }));

async function runAll(h: Harness, specs: ConfigSpec[], req = request(), deps = {}) {
  const tracker = await planFidelity(plan(...specs), req, { open: h.open, ...deps });
  assert.ok(tracker);
  const results: ConfigResult[] = [];
  for (const s of specs) results.push(await tracker.around(s, h.run(s)));
  return { tracker, results };
}

describe('fidelity in a bench run', () => {
  test('each configuration is compared with fp32 at batch 1, sampled after its trials', async () => {
    const h = new Harness({ 'm/fp16': [0, 1, 0, 1], 'm/q8': [0, 1, 1, 1] });
    const specs = [spec('m', 'fp32', 1), spec('m', 'fp16', 1), spec('m', 'q8', 8)];
    const { results, tracker } = await runAll(h, specs);
    assert.equal(results[0]!.fidelity, undefined, 'the reference has none');
    assert.deepEqual(
      results
        .slice(1)
        .map((r) => [r.fidelity?.reference, r.fidelity?.metric, r.fidelity?.value, r.fidelity?.pass]),
      [
        ['m/fp32/b1/cpu', 'top1-agreement', 1, true],
        ['m/fp32/b1/cpu', 'top1-agreement', 0.75, false],
      ],
    );
    assert.equal(results[2]!.fidelity!.queries, 4, 'the suite has 4 queries, fewer than --fidelity-queries');
    assert.equal(results[2]!.fidelity!.relation, 'same-model');
    assert.deepEqual(h.opened, [], 'the benched reference is sampled in its own run, not loaded again');
    // Every sample comes after the three measured batches, and asks for the suite's 4 queries.
    assert.deepEqual(
      h.workloads.map((w) => w.samples),
      [[{ count: 4, afterBatches: 3 }], [{ count: 4, afterBatches: 3 }], [{ count: 4, afterBatches: 3 }]],
    );
    assert.deepEqual(
      tracker.heldReferences(),
      [],
      'the reference sample is dropped after the last comparison',
    );
  });

  test('a reference that is not benched is loaded for its sample alone and released', async () => {
    const h = new Harness({ 'm/fp16': [1, 1, 1, 1] });
    const specs = [spec('m', 'fp32', 8), spec('m', 'fp16', 8)];
    const { results } = await runAll(h, specs, request({ queries: 2 }));
    assert.deepEqual(h.opened, ['m/fp32/b1']);
    const alone = h.workloads[0]!;
    assert.deepEqual(
      alone.samples,
      [{ count: 2, afterBatches: 0 }],
      'not measured: no batch before the sample',
    );
    assert.equal(alone.released, true);
    assert.deepEqual(
      results.map((r) => [r.fidelity?.value, r.fidelity?.queries]),
      [
        [1, 2],
        [0.5, 2],
      ],
    );
  });

  test('a reference that runs later is sampled once, before the first configuration that needs it', async () => {
    const h = new Harness({});
    const specs = [spec('m', 'fp16', 1), spec('m', 'fp32', 1)];
    const { results } = await runAll(h, specs);
    assert.deepEqual(h.opened, ['m/fp32/b1']);
    assert.equal(results[0]!.fidelity?.pass, true);
    assert.equal(results[1]!.fidelity, undefined);
    assert.deepEqual(h.workloads[2]!.samples, [], 'no second sample of the reference');
  });

  test("a reference sample cut short (its byte cap) limits the candidate's to as many queries", async () => {
    const h = new Harness({ 'm/fp32': [0, 1] });
    const { results } = await runAll(h, [spec('m', 'fp32', 1), spec('m', 'fp16', 1)]);
    assert.deepEqual(h.workloads[1]!.samples, [{ count: 2, afterBatches: 3 }]);
    assert.equal(results[1]!.fidelity!.queries, 2);
  });

  test("NaN in a configuration's sample fails it", async () => {
    const nan: OutputSample = {
      kind: 'tensors',
      queries: [{ logits: { dims: [2], data: Float32Array.from([NaN, 0]) } }],
    };
    const h = new Harness({ 'm/fp16': nan });
    const { results } = await runAll(h, [spec('m', 'fp32', 1), spec('m', 'fp16', 1)]);
    assert.equal(results[1]!.status, 'failed');
    assert.equal(
      results[1]!.reason,
      "output 'logits' holds NaN for query 1 of the fidelity sample: the model or its fp16 variant is numerically broken",
    );
    assert.equal(results[1]!.fidelity, undefined);
  });

  test('no fp32 variant: a warning says fidelity was not computed', async () => {
    const h = new Harness({});
    const { results } = await runAll(h, [spec('m', 'fp16', 1)], request(), {
      findVariant: async () => undefined,
    });
    assert.equal(results[0]!.fidelity, undefined);
    assert.deepEqual(results[0]!.warnings, [
      'fidelity not computed: m has no fp32 variant to compare against: name another with --reference',
    ]);
  });

  test('a reference that cannot run leaves its reason in a warning', async () => {
    const h = new Harness({});
    const failing = (s: ConfigSpec) => {
      h.opened.push(s.precision);
      return new FakeWorkload({
        clock: new FakeClock(),
        passQueries: [1],
        batchMs: 1,
        preparation: { status: 'failed', reason: 'no kernel' },
      });
    };
    const tracker = await planFidelity(plan(spec('m', 'fp32', 8), spec('m', 'fp16', 8)), request(), {
      open: failing,
    });
    const result = await tracker!.around(spec('m', 'fp16', 8), h.run(spec('m', 'fp16', 8)));
    assert.deepEqual(result.warnings, [
      'fidelity not computed: the reference m/fp32/b1/cpu was failed: no kernel',
    ]);
  });

  test('--reference another model: agreement with it, labelled other-model', async () => {
    const h = new Harness({ 'small/fp32': [0, 1, 1, 1] });
    const specs = [spec('big', 'fp32', 1), spec('big', 'fp16', 1), spec('small', 'fp32', 1)];
    const { results } = await runAll(h, specs, request({ reference: 'big' }));
    assert.deepEqual(
      results.map((r) => [r.fidelity?.reference, r.fidelity?.relation, r.fidelity?.value]),
      [
        [undefined, undefined, undefined],
        ['big/fp32/b1/cpu', 'same-model', 1],
        ['big/fp32/b1/cpu', 'other-model', 0.75],
      ],
    );
  });

  test('--reference int8 is the q8 (_quantized) variant the run benches', async () => {
    const h = new Harness({});
    const specs = [spec('m', 'fp32', 1), spec('m', 'q8', 1)];
    const { results } = await runAll(h, specs, request({ reference: 'm/int8' }));
    assert.deepEqual(h.opened, ['m/q8/b1'], 'it runs after fp32, so it is sampled alone first');
    assert.equal(results[0]!.fidelity?.reference, 'm/q8/b1/cpu');
    assert.equal(results[1]!.fidelity, undefined);
  });

  test('a model whose inputs fix the batch is its own reference at that batch', async () => {
    const model = await inspectModel(
      fileURLToPath(new URL('../../fixtures/misc/fixed-batch-3.onnx', import.meta.url)),
    );
    const specs = [spec('m', 'fp32', 3), spec('m', 'fp16', 3)].map((s) => ({
      ...s,
      task: getTask('custom'),
      model,
    }));
    const h = new Harness({});
    const { results } = await runAll(h, specs);
    assert.deepEqual(h.opened, []);
    assert.equal(results[0]!.fidelity, undefined);
    assert.equal(results[1]!.fidelity?.reference, 'm/fp32/b3/cpu');
  });

  test('a different task is not compared', async () => {
    const h = new Harness({});
    const specs = [spec('a', 'fp32', 1), spec('b', 'fp32', 1, 'sentence-similarity')];
    const { results } = await runAll(h, specs, request({ reference: 'a/fp32/b1/cpu' }));
    assert.deepEqual(results[1]!.warnings, [
      'fidelity not computed: the reference a/fp32/b1/cpu runs text-classification, this configuration sentence-similarity',
    ]);
  });

  test('--fidelity-queries 0 turns it off; an unknown --reference model is a usage error', async () => {
    assert.equal(await planFidelity(plan(spec('m', 'fp32', 1)), request({ queries: 0 })), undefined);
    await assert.rejects(
      planFidelity(plan(spec('m', 'fp32', 1)), request({ reference: 'other' })),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.kind === 'usage' &&
        err.message === "--reference other: no model named 'other' in this run",
    );
  });
});

describe('parseReference', () => {
  test('ids, names, model/precision and a bare precision', () => {
    assert.deepEqual(parseReference('fp16'), { precision: 'fp16' });
    assert.deepEqual(parseReference('encoder-small'), { model: 'encoder-small', precision: 'fp32' });
    assert.deepEqual(parseReference('enc/fp16'), { model: 'enc', precision: 'fp16' });
    assert.deepEqual(parseReference('enc/fp32/b8/cpu/n20/t2'), {
      model: 'enc',
      precision: 'fp32',
      batchSize: 8,
      device: 'cpu',
      maxNewTokens: 20,
      threads: 2,
    });
  });

  test('bad parts are usage errors', () => {
    for (const text of ['enc/fp99', 'enc/fp32/8', 'enc/fp32/b1/tpu', 'enc/fp32/b1/cpu/x3', 'enc//b1']) {
      assert.throws(
        () => parseReference(text),
        (err: unknown) => err instanceof EnergyScoreError && err.kind === 'usage',
        text,
      );
    }
  });
});
