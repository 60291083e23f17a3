import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError } from '../src/errors.js';
import { inspectModel, type ModelInfo, type TensorInfo } from '../src/model/inspect.js';
import { inferTask } from '../src/workload/infer-task.js';
import { getTask, listTasks, sampleQuerySizes, TASK_NAMES } from '../src/workload/tasks.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const fixture = (relative: string) => path.join(repoRoot, 'fixtures', ...relative.split('/'));

describe('task registry', () => {
  test('every TASK_NAME resolves to its own definition', () => {
    assert.equal(TASK_NAMES.length, 11);
    for (const name of TASK_NAMES) {
      const task = getTask(name);
      assert.equal(task.name, name);
      assert.equal(task.queries, 1000);
      assert.ok(task.description.length > 0);
    }
    assert.deepEqual(
      listTasks().map((t) => t.name),
      [...TASK_NAMES],
    );
  });

  test('unknown task → usage error listing the names', () => {
    for (const name of ['translation', '', 'Text-Classification', 'constructor', 'toString', '__proto__']) {
      assert.throws(
        () => getTask(name),
        (err: unknown) => {
          assert.ok(err instanceof EnergyScoreError, `${name}: ${String(err)}`);
          assert.equal(err.kind, 'usage');
          assert.equal(err.message, `unknown task '${name}'`);
          assert.equal(err.hint, `use one of: ${TASK_NAMES.join(', ')}`);
          return true;
        },
        name,
      );
    }
  });
});

describe('sampleQuerySizes', () => {
  const textClassification = getTask('text-classification');

  test('deterministic: same seed same list, different seed different list', () => {
    const a = sampleQuerySizes(textClassification, 50, 7);
    assert.deepEqual(sampleQuerySizes(textClassification, 50, 7), a);
    assert.notDeepEqual(sampleQuerySizes(textClassification, 50, 8), a);
    // A longer run starts with the same queries.
    assert.deepEqual(sampleQuerySizes(textClassification, 80, 7).slice(0, 50), a);
  });

  test('count is honoured', () => {
    for (const count of [0, 1, 7, 1000]) {
      assert.equal(sampleQuerySizes(textClassification, count, 0).length, count);
    }
  });

  test('every token-distributed task stays within [min, max]', () => {
    for (const task of listTasks()) {
      const dist = task.distribution;
      if (dist.kind !== 'tokens') continue;
      const sizes = sampleQuerySizes(task, 1000, 3);
      for (const q of sizes) {
        assert.ok(Number.isInteger(q.tokens), task.name);
        assert.ok(q.tokens! >= dist.minTokens && q.tokens! <= dist.maxTokens, `${task.name}: ${q.tokens}`);
        assert.equal(q.audioSamples, undefined);
      }
    }
  });

  test('the maxTokens cap is honoured, also below the minimum', () => {
    const capped = sampleQuerySizes(textClassification, 1000, 0, { maxTokens: 64 });
    assert.ok(capped.every((q) => q.tokens! >= 8 && q.tokens! <= 64));
    assert.ok(
      capped.some((q) => q.tokens === 64),
      'long queries are truncated to the cap',
    );
    // The cap only truncates: the same draws, clamped.
    const uncapped = sampleQuerySizes(textClassification, 1000, 0);
    assert.deepEqual(
      capped.map((q) => q.tokens),
      uncapped.map((q) => Math.min(q.tokens!, 64)),
    );
    // A cap under the distribution's minimum wins.
    const tiny = sampleQuerySizes(textClassification, 20, 0, { maxTokens: 4 });
    assert.ok(tiny.every((q) => q.tokens === 4));
    // A cap above the distribution's maximum changes nothing.
    assert.deepEqual(
      sampleQuerySizes(textClassification, 100, 0, { maxTokens: 100_000 }),
      uncapped.slice(0, 100),
    );
  });

  test('text-classification: 1000 queries, mean within ±15 % of 157 (pinned: seed 0 gives 153.539)', () => {
    const sizes = sampleQuerySizes(textClassification, 1000, 0);
    const mean = sizes.reduce((s, q) => s + q.tokens!, 0) / sizes.length;
    assert.ok(Math.abs(mean - 157) <= 0.15 * 157, `mean ${mean}`);
    assert.equal(mean, 153.539);
    // Spread like real texts: not all the same length.
    assert.ok(new Set(sizes.map((q) => q.tokens)).size > 100);
  });

  test('audio: sample counts within [1 s, 30 s] at 16 kHz', () => {
    const asr = getTask('automatic-speech-recognition');
    const sizes = sampleQuerySizes(asr, 1000, 0);
    assert.equal(sizes.length, 1000);
    for (const q of sizes) {
      assert.equal(q.tokens, undefined);
      assert.ok(Number.isInteger(q.audioSamples));
      assert.ok(q.audioSamples! >= 16_000 && q.audioSamples! <= 30 * 16_000, String(q.audioSamples));
    }
    const meanSeconds = sizes.reduce((s, q) => s + q.audioSamples!, 0) / sizes.length / 16_000;
    assert.ok(Math.abs(meanSeconds - 10) <= 1.5, `mean ${meanSeconds} s`);
    assert.deepEqual(sampleQuerySizes(asr, 5, 0), [
      { audioSamples: 135_769 },
      { audioSamples: 131_872 },
      { audioSamples: 86_890 },
      { audioSamples: 189_131 },
      { audioSamples: 369_210 },
    ]);
  });

  test('images: empty sizes, or the prompt tokens for captioning; custom: empty', () => {
    assert.deepEqual(sampleQuerySizes(getTask('image-classification'), 3, 0), [{}, {}, {}]);
    assert.deepEqual(sampleQuerySizes(getTask('image-captioning'), 2, 0), [{ tokens: 16 }, { tokens: 16 }]);
    assert.deepEqual(sampleQuerySizes(getTask('custom'), 2, 0), [{}, {}]);
  });
});

function tensor(name: string, dtype: string, shape: TensorInfo['shape']): TensorInfo {
  return { name, kind: 'tensor', dtype, shape };
}

function signature(inputs: TensorInfo[], outputs: TensorInfo[]): Pick<ModelInfo, 'inputs' | 'outputs'> {
  return { inputs, outputs };
}

const ids = tensor('input_ids', 'int64', ['batch_size', 'sequence_length']);
const mask = tensor('attention_mask', 'int64', ['batch_size', 'sequence_length']);

describe('inferTask', () => {
  test('zoo fixtures: encoders are text-classification, cnn and mlp image-classification', async () => {
    const expected: [string, string][] = [
      ['zoo/encoder-tiny/model.onnx', 'text-classification'],
      ['zoo/encoder-tiny/model_quantized.onnx', 'text-classification'],
      ['zoo/encoder-small/model_fp16.onnx', 'text-classification'],
      ['zoo/encoder-medium/model.onnx', 'text-classification'],
      ['zoo/cnn-small/model.onnx', 'image-classification'],
      ['zoo/cnn-small/model_fp16.onnx', 'image-classification'],
      ['zoo/mlp-small/model.onnx', 'image-classification'],
      ['bad/fixed-batch/model.onnx', 'custom'],
      ['misc/all-dtypes.onnx', 'custom'],
    ];
    for (const [file, task] of expected) {
      assert.equal(inferTask(await inspectModel(fixture(file))).task, task, file);
    }
    const encoder = inferTask(await inspectModel(fixture('zoo/encoder-tiny/model.onnx')));
    assert.deepEqual(encoder, {
      task: 'text-classification',
      reason: 'input_ids in, [batch, labels] logits out',
    });
    const cnn = inferTask(await inspectModel(fixture('zoo/cnn-small/model.onnx')));
    assert.deepEqual(cnn, { task: 'image-classification', reason: "image input 'pixel_values'" });
  });

  test('question answering: start_logits and end_logits', () => {
    const sig = signature(
      [ids, mask],
      [
        tensor('start_logits', 'float32', ['batch_size', 'sequence_length']),
        tensor('end_logits', 'float32', ['batch_size', 'sequence_length']),
      ],
    );
    assert.equal(inferTask(sig).task, 'question-answering');
  });

  test('sentence similarity: last_hidden_state, sentence_embedding, pooler_output', () => {
    for (const out of ['last_hidden_state', 'sentence_embedding', 'pooler_output', 'embeddings']) {
      const sig = signature([ids, mask], [tensor(out, 'float32', ['batch_size', 'sequence_length', 384])]);
      assert.equal(inferTask(sig).task, 'sentence-similarity', out);
    }
  });

  test('text generation: rank-3 logits or a KV cache', () => {
    const logits3 = tensor('logits', 'float32', ['batch_size', 'sequence_length', 50257]);
    assert.equal(inferTask(signature([ids, mask], [logits3])).task, 'text-generation');
    const past = tensor('past_key_values.0.key', 'float32', ['batch_size', 12, 'past_sequence_length', 64]);
    assert.equal(inferTask(signature([ids, mask, past], [logits3])).task, 'text-generation');
  });

  test('summarization: encoder-decoder text inputs', () => {
    const decoderIds = tensor('decoder_input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
    const logits3 = tensor('logits', 'float32', ['batch_size', 'decoder_sequence_length', 32128]);
    assert.equal(inferTask(signature([ids, mask, decoderIds], [logits3])).task, 'summarization');
  });

  test('speech recognition: input_features or input_values', () => {
    const features = tensor('input_features', 'float32', ['batch_size', 80, 3000]);
    assert.equal(
      inferTask(signature([features], [tensor('last_hidden_state', 'float32', ['batch_size', 1500, 384])]))
        .task,
      'automatic-speech-recognition',
    );
    const values = tensor('input_values', 'float32', ['batch_size', 'sequence_length']);
    assert.equal(inferTask(signature([values], [])).task, 'automatic-speech-recognition');
  });

  test('object detection: pixel_values and pred_boxes', () => {
    const pixels = tensor('pixel_values', 'float32', ['batch_size', 3, 'height', 'width']);
    const sig = signature(
      [pixels, tensor('pixel_mask', 'int64', ['batch_size', 'height', 'width'])],
      [
        tensor('logits', 'float32', ['batch_size', 100, 92]),
        tensor('pred_boxes', 'float32', ['batch_size', 100, 4]),
      ],
    );
    assert.deepEqual(inferTask(sig), { task: 'object-detection', reason: 'image input and box outputs' });
  });

  test('image captioning and classification; an unnamed float NCHW input counts as an image', () => {
    const pixels = tensor('pixel_values', 'float32', ['batch_size', 3, 224, 224]);
    const decoderIds = tensor('decoder_input_ids', 'int64', ['batch_size', 'decoder_sequence_length']);
    assert.equal(inferTask(signature([pixels, decoderIds], [])).task, 'image-captioning');
    const nchw = tensor('x', 'float32', [1, 3, 32, 32]);
    assert.equal(
      inferTask(signature([nchw], [tensor('y', 'float32', [1, 10])])).task,
      'image-classification',
    );
  });

  test('image generation: a denoiser', () => {
    const sig = signature(
      [
        tensor('sample', 'float32', ['batch', 4, 'h', 'w']),
        tensor('timestep', 'int64', ['batch']),
        tensor('encoder_hidden_states', 'float32', ['batch', 77, 768]),
      ],
      [tensor('out_sample', 'float32', ['batch', 4, 'h', 'w'])],
    );
    assert.equal(inferTask(sig).task, 'image-generation');
  });

  test('unknown → custom with a reason pointing at --task', () => {
    const sig = signature(
      [tensor('x', 'float32', ['batch_size', 4])],
      [tensor('y', 'float32', ['batch_size', 4])],
    );
    assert.deepEqual(inferTask(sig), {
      task: 'custom',
      reason: 'no known task signature; pass --task to choose one',
    });
    // input_ids with an unrecognised output is custom too.
    assert.equal(inferTask(signature([ids], [tensor('scores', 'float32', ['batch_size'])])).task, 'custom');
    assert.equal(inferTask(signature([], [])).task, 'custom');
  });
});
