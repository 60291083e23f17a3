import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import * as ort from 'onnxruntime-node';

import { GPT_TINY, VIT_TINY, WHISPER_FRAMES, WHISPER_MELS } from '../fixtures/build-generative.js';
import { generate, type GenerateOptions } from '../src/runner/generate.js';
import type { GenerationLayout } from '../src/workload/generation-layout.js';
import { layoutOf, openLayout } from './helpers/generation.js';

const PROMPTS = [
  [5, 17, 33, 250, 8, 91, 44],
  [120, 3],
  [7, 7, 200, 13, 61, 99, 150, 42, 11, 180, 77],
];
const BUDGET = 6;
/** A continuation no model here picks: forcing it must change what the model sees. */
const OTHER = [10, 20, 30, 40, 50, 60];

/** The encoder input of the speech and image layouts, deterministic and different per query. */
function featuresFor(folder: string, batch: number): { features?: ort.Tensor } {
  const dims =
    folder === 'whisper-tiny'
      ? [batch, WHISPER_MELS, WHISPER_FRAMES]
      : folder === 'vit-gpt-tiny'
        ? [batch, VIT_TINY.channels, VIT_TINY.imageSize, VIT_TINY.imageSize]
        : null;
  if (!dims) return {};
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Float32Array.from({ length: count }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011));
  return { features: new ort.Tensor('float32', values, dims) };
}

/** The prompts a layout takes: token ids, or a start-token placeholder per query for an encoder of features. */
function promptsFor(layout: GenerationLayout): number[][] {
  return layout.encoder?.features ? PROMPTS.map(() => [layout.decoderStartTokenId ?? 0]) : PROMPTS;
}

function argmaxExcept(row: Float32Array, banned: readonly number[]): number {
  let best = -1;
  for (let v = 0; v < row.length; v++) {
    if (banned.includes(v)) continue;
    if (best < 0 || row[v]! > row[best]!) best = v;
  }
  return best;
}

function maxAbsDelta(a: Float32Array[][], b: Float32Array[][]): number {
  let max = 0;
  for (const [q, rows] of a.entries())
    for (const [s, row] of rows.entries())
      for (let v = 0; v < row.length; v++) max = Math.max(max, Math.abs(row[v]! - b[q]![s]![v]!));
  return max;
}

const FOLDERS = [
  'gpt-tiny',
  'gpt-tiny-legacy',
  'gpt-tiny-merged',
  'gpt-tiny-nocache',
  'gpt-tiny-genai',
  'gpt-tiny-genai-combined',
  'bart-tiny',
  'whisper-tiny',
  'vit-gpt-tiny',
];

describe('teacher-forced generation', () => {
  for (const folder of FOLDERS) {
    test(`${folder}: forced on its own greedy tokens it gives their argmaxes and the same log-probs, in a padded batch and alone`, async () => {
      const layout = await layoutOf(folder);
      const { sessions, close } = await openLayout(layout);
      const prompts = promptsFor(layout);
      const run = (batch: number[][], options: Partial<GenerateOptions>) =>
        generate(layout, sessions, batch, {
          maxNewTokens: BUDGET,
          ...featuresFor(folder, batch.length),
          ...options,
        });
      try {
        const free = await run(prompts, { logProbs: true });
        assert.ok(free.finite);
        assert.ok(free.logProbs);
        const forced = await run(prompts, { forcedTokens: free.tokens, logProbs: true });
        assert.deepEqual(forced.tokens, free.tokens);
        assert.deepEqual(forced.logProbs, free.logProbs);
        const vocab = layout.vocabSize ?? GPT_TINY.vocab;
        for (const [q, rows] of free.logProbs.entries()) {
          assert.equal(rows.length, BUDGET);
          for (const [s, row] of rows.entries()) {
            assert.equal(row.length, vocab);
            const mass = row.reduce((sum, x) => sum + Math.exp(x), 0);
            assert.ok(Math.abs(mass - 1) < 1e-5, `query ${q} step ${s}: Σ p = ${mass}`);
            assert.equal(argmaxExcept(row, layout.eosTokenIds), free.tokens[q]![s]);
          }
        }
        // Without the log-probs the loop gives the same tokens and keeps nothing.
        const plain = await run(prompts, {});
        assert.deepEqual(plain.tokens, free.tokens);
        assert.equal(plain.logProbs, null);

        // Forcing another continuation changes every distribution after the first, and the cached
        // loop fed the forced tokens gives what recomputing the forced sequence gives.
        const other = prompts.map(() => OTHER);
        const cached = await run(prompts, { forcedTokens: other, logProbs: true });
        const recomputed = await run(prompts, { forcedTokens: other, logProbs: true, recompute: true });
        assert.deepEqual(cached.tokens, recomputed.tokens);
        assert.ok(maxAbsDelta(cached.logProbs!, recomputed.logProbs!) < 1e-4);
        for (const [q, rows] of cached.logProbs!.entries()) {
          assert.deepEqual(rows[0], free.logProbs[q]![0], 'the first step sees only the prompt');
          assert.ok(rows.slice(1).every((row, s) => row.some((x, v) => x !== free.logProbs![q]![s + 1]![v])));
        }
        // A padded query gives, within float error, what it gives alone (the short prompt; with an
        // encoder of features, the first query, whose features a batch of one gets).
        const q = layout.encoder?.features ? 0 : 1;
        const alone = await run([prompts[q]!], { forcedTokens: [OTHER], logProbs: true });
        assert.deepEqual(alone.tokens[0], cached.tokens[q]);
        assert.ok(maxAbsDelta(alone.logProbs!, [cached.logProbs![q]!]) < 1e-4);
      } finally {
        await close();
      }
    });
  }

  test('forced continuations must match the prompts and the budget and stay in the vocabulary', async () => {
    const layout = await layoutOf('gpt-tiny');
    const { sessions, close } = await openLayout(layout);
    try {
      const prompts = [PROMPTS[0]!, PROMPTS[1]!];
      await assert.rejects(
        generate(layout, sessions, prompts, { maxNewTokens: 3, forcedTokens: [[1, 2, 3]] }),
        /1 forced continuations for 2 prompts/,
      );
      await assert.rejects(
        generate(layout, sessions, prompts, {
          maxNewTokens: 3,
          forcedTokens: [
            [1, 2, 3],
            [1, 2],
          ],
        }),
        /forced continuation 1 has 2 tokens, not the budget of 3/,
      );
      await assert.rejects(
        generate(layout, sessions, prompts, {
          maxNewTokens: 2,
          forcedTokens: [
            [1, -2],
            [1, 2],
          ],
        }),
        /forced continuation 0 holds a token that is not a non-negative integer/,
      );
      await assert.rejects(
        generate(layout, sessions, prompts, {
          maxNewTokens: 2,
          forcedTokens: [
            [1, 2],
            [1, 256],
          ],
        }),
        /forced token 256 is outside the vocabulary of 256/,
      );
    } finally {
      await close();
    }
  });
});
