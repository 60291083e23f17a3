import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { rateItems, type RatingPlan } from '../src/rating/assign.js';
import type { ReferenceCohort } from '../src/rating/reference.js';
import { cohortKey, identityKey, isRow, rowOfResult } from '../src/rating/rows.js';
import type { ConfigResult, GenerationFigures, RunDocument } from '../src/result/schema.js';
import { loadReferenceCohorts } from '../src/sources/aies.js';
import { gpuDocument } from './helpers/documents.js';

let reference: ReferenceCohort[];
before(async () => {
  reference = await loadReferenceCohorts();
});

const plan = (): RatingPlan => ({
  scale: 'aies',
  cohortRows: [],
  cohortSource: '',
  within: false,
  withinSource: 'this run',
  reference,
  hint: 'To rate it: --rate-within-run',
});

function generation(budget: number, cached = true): GenerationFigures {
  return {
    layout: cached ? 'single' : 'no-cache',
    layoutDescription: 'test',
    cached,
    newTokensPerQuery: budget,
    promptTokensPerQueryMean: 300,
    contextTokens: 1024,
    contextSource: 'config.json n_positions',
    promptsClipped: 0,
    energyStatus: 'measured',
    perTokenJ: 1,
    ci95PerTokenJ: null,
    prefill: { perQueryJ: 1, ci95PerQueryJ: null, trials: 3, latencyPerQueryMs: 1 },
    decode: { perTokenJ: 1, ci95PerTokenJ: null, tokensPerQuery: budget - 1 },
    tokensPerSecond: 100,
    timeToFirstTokenMs: { p50: 1, p95: 2 },
    interTokenLatencyMs: { p50: 1, p95: 2 },
    assumptions: [],
  };
}

/** An H100 text-generation run of a 124M-parameter model (class A) at 1.3 Wh per 1,000 queries. */
function h100Document(setup: (r: ConfigResult) => void): RunDocument {
  const doc = gpuDocument('NVIDIA H100 80GB HBM3', [1.3]);
  const r = doc.results[0]!;
  r.task = 'text-generation';
  r.model.parameters = 124_000_000;
  setup(r);
  rateItems([{ result: r, document: doc, source: 'this run' }], plan());
  return doc;
}

describe('ratings of generative results', () => {
  test('10 new tokens at batch 1 on an H100 is rated against AI Energy Score’s class-A text-generation cohort', () => {
    const doc = h100Document((r) => {
      r.batchSize = 1;
      r.generation = generation(10);
    });
    const rating = doc.results[0]!.rating;
    assert.equal(rating.status, 'rated', rating.status === 'unrated' ? rating.reason : '');
    if (rating.status !== 'rated') return;
    const classA = reference.find((c) => c.task === 'text-generation' && c.sizeClass === 'A')!;
    assert.equal(rating.cohort.kind, 'reference');
    assert.equal(rating.cohort.sizeClass, 'A');
    assert.equal(rating.cohort.size, classA.entries.length);
  });

  test('another budget, a batch above 1 or a run without a cache is kept apart, and says how to compare', () => {
    const expected =
      'the shipped reference (AI Energy Score v1) rates text generation at 10 new tokens per query, batch 1, with a KV cache: run --max-new-tokens 10 --batch 1 to compare with it';
    for (const setup of [
      (r: ConfigResult) => ((r.batchSize = 1), (r.generation = generation(100))),
      (r: ConfigResult) => ((r.batchSize = 8), (r.generation = generation(10))),
      (r: ConfigResult) => ((r.batchSize = 1), (r.generation = generation(10, false))),
    ]) {
      const rating = h100Document(setup).results[0]!.rating;
      assert.equal(rating.status, 'unrated');
      assert.ok(rating.status === 'unrated' && rating.reason.includes(expected), rating.reason ?? '');
    }
  });

  test('one-pass text generation still does not compare with whole generations', () => {
    const rating = h100Document((r) => (r.batchSize = 1)).results[0]!.rating;
    assert.ok(rating.status === 'unrated' && rating.reason.includes('runs one forward pass per query'));
  });

  test('budgets are separate cohorts and separate identities', () => {
    const rows = [10, 100].map((budget) => {
      const doc = gpuDocument('NVIDIA H100 80GB HBM3', [1.3]);
      const r = doc.results[0]!;
      r.task = 'text-generation';
      r.model.parameters = 124_000_000;
      r.generation = generation(budget);
      const row = rowOfResult(r, doc, 'x.json');
      assert.ok(isRow(row));
      return row;
    });
    assert.deepEqual(
      rows.map((r) => r.protocol),
      ['generation-10', 'generation-100'],
    );
    assert.notEqual(cohortKey(rows[0]!), cohortKey(rows[1]!));
    assert.notEqual(identityKey(rows[0]!), identityKey(rows[1]!));
    // Batch sizes share a cohort, as in every suite; they stay separate identities.
    const batch8 = { ...rows[0]!, batchSize: 8 };
    assert.equal(cohortKey(batch8), cohortKey(rows[0]!));
    assert.notEqual(identityKey(batch8), identityKey(rows[0]!));
  });
});
