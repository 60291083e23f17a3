/**
 * Inputs that an op takes as a parameter (a Resize's scales, a Reshape's shape, a Mod's divisor)
 * or whose values have a domain (Log): recognised from the node that reads them, and filled with
 * values that the op accepts; hints that name the input when a run still fails.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type * as ort from 'onnxruntime-node';

import { inspectModel, type InputUse, type ModelInfo } from '../src/model/inspect.js';
import { NO_OVERRIDES, parseOverrides } from '../src/workload/overrides.js';
import { planInputs, type SynthesisPlan } from '../src/workload/input-plan.js';
import { fillHint, outsideDomain } from '../src/workload/input-roles.js';
import { suiteQuerySizes } from '../src/workload/query-sizes.js';
import { planBatches } from '../src/workload/batches.js';
import { buildBatch } from '../src/workload/tensors.js';
import { getTask } from '../src/workload/tasks.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (relative: string) => path.join(repoRoot, 'fixtures', ...relative.split('/'));
const custom = getTask('custom');

/** The feeds of the first batch of `batch` queries. */
function feedsAt(plan: SynthesisPlan, batch: number): Record<string, ort.Tensor> {
  const shape = planBatches(plan, suiteQuerySizes(plan, custom, batch, 0), batch)[0]!;
  return buildBatch(plan, shape, 0).feeds;
}

const values = (tensor: ort.Tensor): (number | string)[] =>
  Array.from(tensor.data as ArrayLike<number | bigint | string>, (v) =>
    typeof v === 'string' ? v : Number(v),
  );

const use = (opType: string, port: number, nodeInputs: string[]): InputUse => ({
  opType,
  port,
  nodeInputs,
  viaCast: false,
});

/** A ModelInfo with only what planInputs reads: tensor inputs and where the graph reads them. */
function handModel(
  inputs: { name: string; dtype: string; shape: (number | string)[] }[],
  inputUses: Record<string, InputUse[]>,
): ModelInfo {
  return {
    path: 'hand.onnx',
    inputs: inputs.map((i) => ({ kind: 'tensor', ...i })),
    embeddingVocab: {},
    inputUses,
  } as unknown as ModelInfo;
}

describe('inspect: where the graph reads each input', () => {
  test('the node, the port and its other inputs', async () => {
    const info = await inspectModel(fixture('misc/shape-inputs.onnx'));
    assert.deepEqual(info.inputUses.scales, [use('Resize', 2, ['image', '', 'scales'])]);
    assert.deepEqual(info.inputUses.image, [use('Resize', 0, ['image', '', 'scales'])]);
    assert.deepEqual(info.inputUses.shape, [use('Reshape', 1, ['x', 'shape'])]);
    assert.deepEqual(info.inputUses.divisor, [use('Mod', 1, ['a', 'divisor'])]);
    assert.deepEqual(
      info.inputUses.x!.map((u) => `${u.opType}:${u.port}`),
      ['Reshape:0', 'Expand:0', 'Unsqueeze:0'],
    );
  });
});

describe('parameters filled from the port they feed', () => {
  test('every input of the shape-inputs fixture, at batch 2', async () => {
    const model = await inspectModel(fixture('misc/shape-inputs.onnx'));
    const plan = planInputs(model, custom, NO_OVERRIDES);
    const feeds = feedsAt(plan, 2);
    assert.deepEqual(values(feeds.scales!), [1, 1, 1, 1], 'Resize scales: ones');
    assert.deepEqual(values(feeds.shape!), [2, 6], "Reshape shape: the reshaped input's own dims");
    assert.deepEqual(values(feeds.expand_shape!), [1, 1], 'Expand shape: ones');
    assert.deepEqual(values(feeds.axes!), [0, 1], 'Unsqueeze axes: distinct and valid');
    assert.deepEqual(values(feeds.max_output_boxes_per_class!), [1]);
    assert.deepEqual(values(feeds.text!), ['1', '1'], 'a string Cast to float reads a number');
    assert.deepEqual(feeds.divisor!.dims, [2, 3], 'a divisor is data: it keeps the batch dim');
    const divisors = values(feeds.divisor!) as number[];
    assert.ok(
      divisors.every((d) => Number.isInteger(d) && d >= 1 && d <= 9),
      `divisors ${divisors.join(',')}`,
    );
    for (const name of ['iou_threshold', 'score_threshold']) {
      const [threshold] = values(feeds[name]!) as number[];
      assert.ok(threshold! >= 0 && threshold! <= 1, `${name} = ${threshold}`);
    }
    assert.deepEqual(
      plan.inputs.filter((i) => i.role).map((i) => `${i.name}: ${i.role!.op} ${i.role!.port}`),
      [
        'scales: Resize scales',
        'shape: Reshape shape',
        'expand_shape: Expand shape',
        'axes: Unsqueeze axes',
        'divisor: Mod divisor',
        'max_output_boxes_per_class: NonMaxSuppression max_output_boxes_per_class',
        'iou_threshold: NonMaxSuppression iou_threshold',
        'score_threshold: NonMaxSuppression score_threshold',
        'text: Cast input',
      ],
    );
  });

  test('a --fill outranks the port', async () => {
    const model = await inspectModel(fixture('misc/shape-inputs.onnx'));
    const plan = planInputs(model, custom, parseOverrides({ fill: ['scales=2'] }));
    assert.deepEqual(values(feedsAt(plan, 1).scales!), [2, 2, 2, 2]);
  });

  test("Resize sizes: the input's shape; roi: the whole image; Squeeze axes: the dims of size 1", () => {
    const model = handModel(
      [
        { name: 'image', dtype: 'float32', shape: ['batch_size', 1, 5, 1] },
        { name: 'roi', dtype: 'float32', shape: [8] },
        { name: 'sizes', dtype: 'int64', shape: [4] },
        { name: 'axes', dtype: 'int64', shape: [2] },
      ],
      {
        image: [use('Resize', 0, ['image', 'roi', '', 'sizes'])],
        roi: [use('Resize', 1, ['image', 'roi', '', 'sizes'])],
        sizes: [use('Resize', 3, ['image', 'roi', '', 'sizes'])],
        axes: [use('Squeeze', 1, ['image', 'axes'])],
      },
    );
    const feeds = feedsAt(planInputs(model, custom, NO_OVERRIDES), 2);
    assert.deepEqual(values(feeds.sizes!), [2, 1, 5, 1]);
    assert.deepEqual(values(feeds.roi!), [0, 0, 0, 0, 1, 1, 1, 1]);
    assert.deepEqual(values(feeds.axes!), [1, 3]);
  });

  test("STFT's frame step and length are 1, never 0 (which divides by zero in ONNX Runtime)", () => {
    const stft = ['signal', 'frame_step', '', 'frame_length'];
    const model = handModel(
      [
        { name: 'signal', dtype: 'float32', shape: ['batch_size', 64, 1] },
        { name: 'frame_step', dtype: 'int64', shape: [] },
        { name: 'frame_length', dtype: 'int64', shape: [] },
      ],
      {
        signal: [use('STFT', 0, stft)],
        frame_step: [use('STFT', 1, stft)],
        frame_length: [use('STFT', 3, stft)],
      },
    );
    const feeds = feedsAt(planInputs(model, custom, NO_OVERRIDES), 1);
    assert.deepEqual([values(feeds.frame_step!), values(feeds.frame_length!)], [[1], [1]]);
  });

  test('a Reshape of a computed tensor gets ones and a -1, which fit any size', () => {
    const model = handModel(
      [
        { name: 'x', dtype: 'float32', shape: ['batch_size', 6] },
        { name: 'target', dtype: 'int64', shape: [3] },
      ],
      { x: [use('Relu', 0, ['x'])], target: [use('Reshape', 1, ['/Relu_output_0', 'target'])] },
    );
    assert.deepEqual(values(feedsAt(planInputs(model, custom, NO_OVERRIDES), 2).target!), [1, 1, -1]);
  });

  test("a parameter's dim 0 is its length, not the batch: the model's batch comes from its data", () => {
    const model = handModel(
      [
        { name: 'shape', dtype: 'int64', shape: [3] },
        { name: 'x', dtype: 'float32', shape: [2, 5] },
      ],
      { shape: [use('Expand', 1, ['x', 'shape'])], x: [use('Expand', 0, ['x', 'shape'])] },
    );
    assert.equal(planInputs(model, custom, NO_OVERRIDES).fixedBatch, 2);
    const dynamic = handModel(
      [
        { name: 'x', dtype: 'float32', shape: ['batch_size', 5] },
        { name: 'shape', dtype: 'int64', shape: ['rank'] },
      ],
      { shape: [use('Expand', 1, ['x', 'shape'])], x: [use('Expand', 0, ['x', 'shape'])] },
    );
    const plan = planInputs(dynamic, custom, NO_OVERRIDES);
    assert.deepEqual(
      plan.inputs.map((i) => i.dims.map((d) => d.role)),
      [['batch', 'fixed'], ['default']],
    );
    assert.deepEqual(feedsAt(plan, 4).shape!.dims, [1]);
  });

  test('a model over empty tensors (dim 0 fixed at 0) runs one query per run, not a batch of 0', () => {
    const model = handModel([{ name: 'x', dtype: 'float32', shape: [0, 4] }], { x: [use('Relu', 0, ['x'])] });
    const plan = planInputs(model, custom, NO_OVERRIDES);
    assert.equal(plan.fixedBatch, 1);
    assert.deepEqual(feedsAt(plan, 1).x!.dims, [0, 4]);
  });

  test("a Split's sizes add up to the split dim; a SplitToSequence's scalar split is a part's size", () => {
    const split = ['x', 'split'];
    const model = handModel(
      [
        { name: 'x', dtype: 'float32', shape: [2, 7] },
        { name: 'split', dtype: 'int64', shape: [3] },
        { name: 'chunk', dtype: 'int64', shape: [] },
      ],
      {
        x: [{ ...use('Split', 0, split), axis: 1 }],
        split: [{ ...use('Split', 1, split), axis: 1 }],
        chunk: [use('SplitToSequence', 1, ['x', 'chunk'])],
      },
    );
    const feeds = feedsAt(planInputs(model, custom, NO_OVERRIDES), 2);
    assert.deepEqual(values(feeds.split!), [2, 2, 3]);
    assert.deepEqual(values(feeds.chunk!), [1]);
  });

  test("CastLike from string, Dropout's ratio and ReduceLogSum's data", () => {
    const model = handModel(
      [
        { name: 'text', dtype: 'string', shape: [2] },
        { name: 'like', dtype: 'float32', shape: [1] },
        { name: 'ratio', dtype: 'float32', shape: [] },
        { name: 'data', dtype: 'float32', shape: [3, 2] },
      ],
      {
        text: [use('CastLike', 0, ['text', 'like'])],
        like: [use('CastLike', 1, ['text', 'like'])],
        ratio: [use('Dropout', 1, ['data', 'ratio'])],
        data: [use('Dropout', 0, ['data', 'ratio']), use('ReduceLogSum', 0, ['data'])],
      },
    );
    const feeds = feedsAt(planInputs(model, custom, NO_OVERRIDES), 3);
    assert.deepEqual(values(feeds.text!), ['1', '1']);
    assert.deepEqual(values(feeds.ratio!), [0.5]);
    const data = values(feeds.data!) as number[];
    assert.ok(
      data.every((v) => v >= 0.1 && v <= 2),
      `data ${data.join(',')}`,
    );
  });

  test("Log's input is drawn inside its domain", async () => {
    const model = await inspectModel(fixture('misc/log-input.onnx'));
    const x = values(feedsAt(planInputs(model, custom, NO_OVERRIDES), 4).x!) as number[];
    assert.equal(x.length, 16);
    assert.ok(
      x.every((v) => v >= 0.1 && v <= 2),
      `x ${x.join(',')}`,
    );
  });
});

describe('hints that name the input', () => {
  test('a failed run names the inputs of the op ONNX Runtime names, and the --fill to try', async () => {
    const model = await inspectModel(fixture('misc/shape-inputs.onnx'));
    const plan = planInputs(model, custom, parseOverrides({ fill: ['scales=-1'] }));
    const message =
      "Non-zero status code returned while running Resize node. Name:'/Resize' Status Message: Scale value should be greater than 0.";
    assert.equal(
      fillHint(plan, model, message),
      "input 'scales' is Resize's scales and held the constant -1: pass the values the model expects with --fill scales=1",
    );
    assert.equal(fillHint(plan, model, 'Non-zero status code returned while running Relu node.'), undefined);
    const sameAsTried = planInputs(model, custom, NO_OVERRIDES);
    assert.match(fillHint(sameAsTried, model, message)!, /--fill scales=VALUE$/);
  });

  test('NaN from a Log of an input outside its domain blames the inputs, not the model', async () => {
    const model = await inspectModel(fixture('misc/log-input.onnx'));
    const negative = planInputs(model, custom, parseOverrides({ fill: ['x=-1'] }));
    assert.equal(
      outsideDomain(negative, model),
      "input 'x' feeds Log and held the constant -1; pass values Log accepts, such as --fill x=1",
    );
    assert.equal(outsideDomain(planInputs(model, custom, NO_OVERRIDES), model), undefined);
    assert.equal(
      outsideDomain(planInputs(model, custom, parseOverrides({ fill: ['x=3'] })), model),
      undefined,
    );
    const broken = await inspectModel(fixture('bad/nan-output/model.onnx'));
    assert.equal(outsideDomain(planInputs(broken, custom, NO_OVERRIDES), broken), undefined);
  });
});
