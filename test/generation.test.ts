import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as ort from 'onnxruntime-node';

import {
  GENAI_CONTEXT,
  GPT_TINY,
  VIT_TINY,
  WHISPER_FRAMES,
  WHISPER_MELS,
} from '../fixtures/build-generative.js';
import { inspectModel } from '../src/model/inspect.js';
import { generate } from '../src/runner/generate.js';
import {
  detectLayout,
  readEncoder,
  readGenerativeFiles,
  readSignature,
} from '../src/workload/generation-layout.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { layoutOf, openLayout, ZOO } from './helpers/generation.js';

const zoo = ZOO;
const open = openLayout;

/** Prompts of varied lengths from the vocabulary, away from the special tokens. */
const PROMPTS = [
  [5, 17, 33, 250, 8, 91, 44],
  [120, 3],
  [7, 7, 200, 13, 61, 99, 150, 42, 11, 180, 77],
];

const DECODERS = [
  'gpt-tiny',
  'gpt-tiny-legacy',
  'gpt-tiny-merged',
  'gpt-tiny-nocache',
  'gpt-tiny-genai',
  'gpt-tiny-genai-combined',
];

describe('generation layouts of the fixtures', () => {
  test('each decoder folder is detected with its files, names and dtypes', async () => {
    const single = await layoutOf('gpt-tiny');
    assert.equal(single.kind, 'single');
    assert.deepEqual(single.first.inputIds, { name: 'input_ids', dtype: 'int64' });
    assert.deepEqual(single.first.positionIds, { name: 'position_ids', dtype: 'int64' });
    assert.deepEqual(
      single.first.cache.map((c) => [c.past, c.present, c.dtype, c.emptyShape.join('x'), c.batchAxis]),
      [0, 1].flatMap((l) =>
        ['key', 'value'].map((k) => [
          `past_key_values.${l}.${k}`,
          `present.${l}.${k}`,
          'float32',
          '1x2x0x16',
          0,
        ]),
      ),
    );
    assert.equal(single.contextTokens, GPT_TINY.positions);
    assert.equal(single.contextSource, 'config.json n_positions');
    assert.deepEqual(single.eosTokenIds, [GPT_TINY.eosTokenId]);
    assert.equal(single.padTokenId, GPT_TINY.padTokenId);
    assert.deepEqual(single.assumptions, []);

    const legacy = await layoutOf('gpt-tiny-legacy');
    assert.equal(legacy.kind, 'pair');
    assert.equal(path.basename(legacy.first.path), 'decoder_model.onnx');
    assert.equal(path.basename(legacy.next.path), 'decoder_with_past_model.onnx');
    assert.equal(legacy.first.cache.length, 0);
    assert.equal(legacy.next.cache.length, 4);

    const merged = await layoutOf('gpt-tiny-merged');
    assert.equal(merged.kind, 'merged');
    assert.equal(merged.first.useCacheBranch, 'use_cache_branch');
    assert.deepEqual(merged.first.numLogitsToKeep, { name: 'num_logits_to_keep', dtype: 'int64' });

    const nocache = await layoutOf('gpt-tiny-nocache');
    assert.equal(nocache.kind, 'no-cache');
    assert.equal(nocache.first.cache.length, 0);
    assert.equal(nocache.first.positionIds, null);

    const genai = await layoutOf('gpt-tiny-genai');
    assert.equal(genai.kind, 'genai');
    assert.deepEqual(genai.first.inputIds, { name: 'input_ids', dtype: 'int32' });
    assert.deepEqual(genai.first.attentionMask, { name: 'attention_mask', dtype: 'int32' });
    assert.equal(genai.first.positionIds, null);
    assert.equal(genai.contextTokens, GENAI_CONTEXT);
    assert.equal(genai.contextSource, 'genai_config.json model.context_length');

    const combined = await layoutOf('gpt-tiny-genai-combined');
    assert.equal(combined.kind, 'genai');
    assert.deepEqual(combined.first.inputIds, { name: 'input_ids', dtype: 'int32' });
    assert.equal(combined.first.positionIds, null);
    assert.deepEqual(
      combined.first.cache.map((c) => [c.past, c.present, c.dtype, c.emptyShape.join('x'), c.batchAxis]),
      [0, 1].map((l) => [`past_${l}`, `present_${l}`, 'float32', '2x1x2x0x16', 1]),
    );
    assert.equal(combined.contextTokens, GENAI_CONTEXT);

    const bart = await layoutOf('bart-tiny');
    assert.equal(bart.kind, 'seq2seq');
    assert.equal(path.basename(bart.encoder!.path), 'encoder_model.onnx');
    assert.equal(bart.first.encoderHiddenStates, 'encoder_hidden_states');
    assert.deepEqual(
      bart.next.cache.filter((c) => c.encoder).map((c) => [c.past, c.present]),
      [0, 1].flatMap((l) =>
        ['key', 'value'].map((k) => [`past_key_values.${l}.encoder.${k}`, `present.${l}.encoder.${k}`]),
      ),
    );
    assert.equal(bart.decoderStartTokenId, 2);
  });
});

describe('greedy generation', () => {
  const budget = 10;
  const reference: number[][] = [];

  for (const folder of [...DECODERS, 'bart-tiny']) {
    test(`${folder}: the cached loop gives the tokens of recomputing the whole sequence, alone and in a padded batch`, async () => {
      const layout = await layoutOf(folder);
      const { sessions, close } = await open(layout);
      try {
        const batched = await generate(layout, sessions, PROMPTS, { maxNewTokens: budget });
        const recomputed = await generate(layout, sessions, PROMPTS, {
          maxNewTokens: budget,
          recompute: true,
        });
        assert.deepEqual(batched.tokens, recomputed.tokens);
        assert.ok(batched.finite);
        for (const row of batched.tokens) {
          assert.equal(row.length, budget);
          assert.ok(!row.includes(layout.eosTokenIds[0]!), 'end-of-sequence is suppressed');
        }
        assert.ok(new Set(batched.tokens.flat()).size > 3, 'the model does not repeat one token');
        assert.equal(batched.stepMs.length, budget - 1);
        for (const [i, prompt] of PROMPTS.entries()) {
          const alone = await generate(layout, sessions, [prompt], { maxNewTokens: budget });
          assert.deepEqual(alone.tokens[0], batched.tokens[i], `prompt ${i} alone = in the batch`);
        }
        if (folder !== 'bart-tiny') {
          // One set of weights in every decoder layout: each must give the same tokens.
          if (reference.length === 0) reference.push(...batched.tokens);
          else assert.deepEqual(batched.tokens, reference);
        }
      } finally {
        await close();
      }
    });
  }
});

describe('float16: gpt-tiny/model_fp16.onnx', () => {
  test('the loop drives float16 pasts and logits and gives the fp32 tokens', async () => {
    const folder = path.join(zoo, 'gpt-tiny');
    const files = await readGenerativeFiles(folder);
    const detect = async (file: string) => {
      const detection = await detectLayout({
        model: await inspectModel(path.join(folder, file)),
        files,
        overrides: NO_OVERRIDES,
        inspect: inspectModel,
      });
      assert.equal(detection.status, 'found', JSON.stringify(detection));
      if (detection.status !== 'found') throw new Error('unreachable');
      return detection.layout;
    };
    const half = await detect('model_fp16.onnx');
    assert.equal(half.kind, 'single');
    assert.deepEqual(
      half.first.cache.map((c) => [c.past, c.dtype]),
      [0, 1].flatMap((l) => ['key', 'value'].map((k) => [`past_key_values.${l}.${k}`, 'float16'])),
    );
    const generations: number[][][] = [];
    for (const layout of [await detect('model.onnx'), half]) {
      const { sessions, close } = await open(layout);
      try {
        const batched = await generate(layout, sessions, PROMPTS, { maxNewTokens: 10 });
        assert.ok(batched.finite);
        generations.push(batched.tokens);
      } finally {
        await close();
      }
    }
    assert.deepEqual(generations[1], generations[0]);
  });
});

describe('layouts it cannot drive, and what it assumes', () => {
  const context = { genaiPatterns: [], dimSizes: {}, headSize: undefined, kvHeads: undefined };
  const tensor = (name: string, dtype: string, shape: (number | string)[]) => ({
    name,
    kind: 'tensor' as const,
    dtype,
    shape,
  });

  test('a hybrid model with a state input is refused, naming it', () => {
    const result = readSignature(
      {
        path: '/m/model.onnx',
        inputs: [
          tensor('input_ids', 'int64', ['batch_size', 'sequence_length']),
          tensor('past_key_values.0.key', 'float32', ['batch_size', 2, 'past_sequence_length', 16]),
          tensor('conv_state.0', 'float32', ['batch_size', 64, 3]),
        ],
        outputs: [
          tensor('logits', 'float32', ['batch_size', 'sequence_length', 256]),
          tensor('present.0.key', 'float32', []),
        ],
      },
      context,
    );
    assert.deepEqual(result, {
      unsupported:
        'inputs it cannot drive as a KV cache or a known input: conv_state.0 (a state it cannot size or refill); bench one forward pass with --task custom, sizing and filling such inputs with --dim NAME=N and --fill INPUT=VALUE',
    });
  });

  test('a cache dim nothing sizes asks for a --dim', () => {
    const result = readSignature(
      {
        path: '/m/model.onnx',
        inputs: [
          tensor('input_ids', 'int64', ['batch_size', 'sequence_length']),
          tensor('past_key_values.0.key', 'float32', [
            'batch_size',
            'num_heads',
            'past_sequence_length',
            'kv_cache_dim',
          ]),
        ],
        outputs: [
          tensor('logits', 'float32', ['batch_size', 'sequence_length', 256]),
          tensor('present.0.key', 'float32', []),
        ],
      },
      context,
    );
    assert.deepEqual(result, {
      unsupported:
        "cache input 'past_key_values.0.key' has a dim 'num_heads' (axis 1) that neither the model nor its config sizes: pin it with --dim num_heads=N",
    });
    const pinned = readSignature(
      {
        path: '/m/model.onnx',
        inputs: [
          tensor('input_ids', 'int64', ['batch_size', 'sequence_length']),
          tensor('past_key_values.0.key', 'float32', [
            'batch_size',
            'num_heads',
            'past_sequence_length',
            'kv_cache_dim',
          ]),
        ],
        outputs: [
          tensor('logits', 'float32', ['batch_size', 'sequence_length', 256]),
          tensor('present.0.key', 'float32', []),
        ],
      },
      { ...context, dimSizes: { num_heads: 4 }, headSize: 8 },
    );
    assert.ok('signature' in pinned);
    assert.deepEqual(pinned.signature.cache[0]!.emptyShape, [1, 4, 0, 8]);
  });

  test('a decoder without config.json runs on assumptions it states', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-gen-'));
    try {
      fs.copyFileSync(path.join(zoo, 'gpt-tiny', 'model.onnx'), path.join(tmp, 'model.onnx'));
      const files = await readGenerativeFiles(tmp);
      const detection = await detectLayout({
        model: await inspectModel(path.join(tmp, 'model.onnx')),
        files,
        overrides: NO_OVERRIDES,
        inspect: inspectModel,
      });
      assert.equal(detection.status, 'found');
      if (detection.status !== 'found') return;
      assert.equal(detection.layout.contextTokens, 1024);
      assert.deepEqual(detection.layout.eosTokenIds, []);
      assert.deepEqual(detection.layout.assumptions, [
        'no config.json beside the model',
        "no config.json gives the context: assumed 1024 tokens, from a default of 1024 tokens (the suite's longest prompt)",
        'no config gives an end-of-sequence token: none is suppressed',
        'no pad token in a config: left padding uses token 0',
      ]);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  test('a one-pass model has no generative layout', async () => {
    const model = path.join(zoo, 'encoder-tiny', 'model.onnx');
    const detection = await detectLayout({
      model: await inspectModel(model),
      files: await readGenerativeFiles(model),
      overrides: NO_OVERRIDES,
      inspect: inspectModel,
    });
    assert.deepEqual(detection, {
      status: 'none',
      reason: 'model.onnx gives logits of rank 2, not one row per token ([batch, sequence, vocab])',
    });
  });
});

describe('speech: a Whisper-like encoder-decoder', () => {
  test('input_features are found with their fixed dims, and the cached loop matches recomputing', async () => {
    const layout = await layoutOf('whisper-tiny');
    assert.equal(layout.kind, 'seq2seq');
    assert.deepEqual(layout.encoder!.features, {
      name: 'input_features',
      dtype: 'float32',
      dims: [WHISPER_MELS, WHISPER_FRAMES],
    });
    assert.equal(layout.encoder!.inputIds, null);
    assert.equal(layout.first.encoderAttentionMask, null);
    assert.equal(layout.decoderStartTokenId, 3);
    assert.equal(layout.contextSource, 'config.json max_target_positions');
    const { sessions, close } = await open(layout);
    try {
      const batch = 3;
      const count = batch * WHISPER_MELS * WHISPER_FRAMES;
      const values = Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011));
      const features = new ort.Tensor('float32', values, [batch, WHISPER_MELS, WHISPER_FRAMES]);
      const placeholders = [[3], [3], [3]];
      const cached = await generate(layout, sessions, placeholders, { maxNewTokens: 8, features });
      const recomputed = await generate(layout, sessions, placeholders, {
        maxNewTokens: 8,
        features,
        recompute: true,
      });
      assert.deepEqual(cached.tokens, recomputed.tokens);
      assert.ok(cached.tokens.every((row) => row.length === 8 && !row.includes(2)));
      assert.notDeepEqual(cached.tokens[0], cached.tokens[1], 'different audio, different tokens');
      await assert.rejects(
        generate(layout, sessions, placeholders, { maxNewTokens: 2 }),
        /needs input_features/,
      );
    } finally {
      await close();
    }
  });
});

describe('captioning: a ViT-like encoder with a text decoder', () => {
  test('pixel_values are found with their fixed dims, and the cached loop matches recomputing', async () => {
    const layout = await layoutOf('vit-gpt-tiny');
    assert.equal(layout.kind, 'seq2seq');
    assert.equal(path.basename(layout.encoder!.path), 'encoder_model.onnx');
    const { channels, imageSize } = VIT_TINY;
    assert.deepEqual(layout.encoder!.features, {
      name: 'pixel_values',
      dtype: 'float32',
      dims: [channels, imageSize, imageSize],
    });
    assert.equal(layout.encoder!.inputIds, null);
    assert.equal(layout.first.encoderHiddenStates, 'encoder_hidden_states');
    assert.equal(layout.first.encoderAttentionMask, null);
    assert.equal(layout.decoderStartTokenId, GPT_TINY.bosTokenId);
    assert.equal(layout.contextTokens, GPT_TINY.positions);
    assert.equal(layout.contextSource, 'config.json decoder.n_positions');
    assert.equal(layout.modelType, 'vision-encoder-decoder');
    const { sessions, close } = await open(layout);
    try {
      const batch = 3;
      const count = batch * channels * imageSize * imageSize;
      const values = Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011));
      const features = new ort.Tensor('float32', values, [batch, channels, imageSize, imageSize]);
      const placeholders = [[1], [1], [1]];
      const cached = await generate(layout, sessions, placeholders, { maxNewTokens: 8, features });
      const recomputed = await generate(layout, sessions, placeholders, {
        maxNewTokens: 8,
        features,
        recompute: true,
      });
      assert.deepEqual(cached.tokens, recomputed.tokens);
      assert.ok(cached.tokens.every((row) => row.length === 8 && !row.includes(GPT_TINY.eosTokenId)));
      assert.notDeepEqual(cached.tokens[0], cached.tokens[1], 'different images, different tokens');
      await assert.rejects(
        generate(layout, sessions, placeholders, { maxNewTokens: 2 }),
        /the encoder needs pixel_values for a batch of 3/,
      );
    } finally {
      await close();
    }
  });

  test('an image encoder with a free height is refused, naming the --dim to pin', () => {
    const encoder = {
      path: 'encoder_model.onnx',
      inputs: [
        {
          name: 'pixel_values',
          kind: 'tensor' as const,
          dtype: 'float32',
          shape: ['batch_size', 3, 'height', 224],
        },
      ],
      outputs: [
        { name: 'last_hidden_state', kind: 'tensor' as const, dtype: 'float32', shape: ['b', 'p', 32] },
      ],
    };
    assert.deepEqual(readEncoder(encoder, NO_OVERRIDES), {
      unsupported:
        "the encoder's pixel_values has a dim 'height' that is not fixed: pin it with --dim height=N (ViT takes 3 × 224 × 224)",
    });
    const pinned = readEncoder(encoder, { ...NO_OVERRIDES, dims: { height: 224 } });
    assert.ok('encoder' in pinned);
    assert.deepEqual(pinned.encoder.features?.dims, [3, 224, 224]);
  });
});
