import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { batchLayout, batchMeans, lag1Autocorrelation, meanInterval95 } from '../src/stats/batch-means.js';
import { studentTQuantile } from '../src/stats/student-t.js';
import { SeededRandom } from '../src/util/random.js';

function close(actual: number, expected: number, tolerance = 1e-12, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

// t(0.975, df) from mpmath, as in student-t.test.ts.
const T2 = 4.302652729749462;
const T5 = 2.5705818356363146;

/** An AR(1) series x(t) = rho x(t-1) + e(t), e standard normal, started from its stationary law. */
function ar1(random: SeededRandom, rho: number, count: number): number[] {
  const values: number[] = [];
  let x = random.normal() / Math.sqrt(1 - rho * rho);
  for (let i = 0; i < count; i++) {
    values.push(x);
    x = rho * x + random.normal();
  }
  return values;
}

describe('batch means: layout and means', () => {
  test('batch size ⌊√n⌋, at most ⌊n / 3⌋, at least 1', () => {
    assert.deepEqual(batchLayout(2), { batchSize: 1, batches: 2 });
    assert.deepEqual(batchLayout(5), { batchSize: 1, batches: 5 });
    assert.deepEqual(batchLayout(6), { batchSize: 2, batches: 3 });
    assert.deepEqual(batchLayout(9), { batchSize: 3, batches: 3 });
    assert.deepEqual(batchLayout(20), { batchSize: 4, batches: 5 });
    assert.deepEqual(batchLayout(100), { batchSize: 10, batches: 10 });
  });

  test('means of consecutive batches; the earliest values that fill no batch are dropped', () => {
    assert.deepEqual(batchMeans([1, 2, 3, 4, 5, 6, 7, 8, 9], 3), [2, 5, 8]);
    assert.deepEqual(batchMeans([100, 1, 3, 5, 7], 2), [2, 6]);
    assert.deepEqual(batchMeans([4, 6], 1), [4, 6]);
    assert.throws(() => batchMeans([1], 0), /a batch holds at least one value, not 0/);
  });
});

describe('batch means: the 95 % interval', () => {
  test('a trend: batch means of 1…9 are 2, 5, 8, and their interval is the wider', () => {
    const interval = meanInterval95([1, 2, 3, 4, 5, 6, 7, 8, 9])!;
    // Batch means 2, 5, 8: standard deviation 3, standard error 3 / √3 = √3, t with 2 df.
    assert.equal(interval.method, 'batch-means');
    assert.equal(interval.mean, 5);
    assert.equal(interval.batchSize, 3);
    assert.equal(interval.batches, 3);
    assert.equal(interval.degreesOfFreedom, 2);
    close(interval.standardError, Math.sqrt(3), 1e-15);
    close(interval.halfWidth, T2 * Math.sqrt(3), 1e-14);
  });

  test('alternating values: batch means agree, so the independent interval is the honest one', () => {
    const interval = meanInterval95([1, 3, 1, 3, 1, 3])!;
    // Batches (1, 3) all mean 2, a width of 0; independent: sd √(6 / 5), error √(1 / 5), t with 5 df.
    assert.equal(interval.method, 'independent');
    assert.equal(interval.batchSize, 1);
    assert.equal(interval.degreesOfFreedom, 5);
    close(interval.standardError, Math.sqrt(1 / 5), 1e-15);
    close(interval.halfWidth, T5 * Math.sqrt(1 / 5), 1e-14);
  });

  test('few values: the independent interval with n - 1 degrees of freedom; one value none', () => {
    const interval = meanInterval95([9, 11])!;
    assert.equal(interval.method, 'independent');
    close(interval.halfWidth, 12.706204736174694 * 1, 1e-13);
    assert.equal(meanInterval95([5]), null);
    assert.equal(meanInterval95([]), null);
    assert.equal(meanInterval95([2, 2, 2, 2, 2, 2, 2])!.halfWidth, 0);
  });

  test('AR(1) with ρ = 0.5: batch means find the true standard error, the independent one is √3 too small', () => {
    // The mean of n values of a stationary AR(1) with unit innovations has standard error
    // √(1 / (1 − ρ)² / n) for large n: 2 / √n at ρ = 0.5, √3 times the independent formula's
    // √(1 / (1 − ρ²) / n).
    const n = 40_000;
    const values = ar1(new SeededRandom(7), 0.5, n);
    const truth = 2 / Math.sqrt(n);
    const interval = meanInterval95(values)!;
    assert.equal(interval.method, 'batch-means');
    assert.equal(interval.batchSize, 200);
    assert.ok(Math.abs(interval.standardError / truth - 1) < 0.15, `ratio ${interval.standardError / truth}`);
    const naive = Math.sqrt(4 / 3 / n);
    assert.ok(Math.abs(interval.standardError / naive - Math.sqrt(3)) < 0.3);
  });

  test('AR(1) with ρ = 0.5, 100 values: batch means cover the true mean about 95 % of the time, the independent interval 75 %', () => {
    const random = new SeededRandom(11);
    const runs = 1000;
    let covered = 0;
    let naiveCovered = 0;
    for (let r = 0; r < runs; r++) {
      const values = ar1(random, 0.5, 100);
      const interval = meanInterval95(values)!;
      if (Math.abs(interval.mean) <= interval.halfWidth) covered++;
      const sd = Math.sqrt(values.reduce((s, v) => s + (v - interval.mean) ** 2, 0) / 99);
      if (Math.abs(interval.mean) <= (studentTQuantile(0.975, 99) * sd) / 10) naiveCovered++;
    }
    // Batches of 10 see most of the correlation (their variance is 87 % of the asymptotic one),
    // so coverage is a little below 95 %; the independent interval's error is 1 / √3 of the truth.
    assert.ok(covered / runs >= 0.92 && covered / runs <= 0.97, `batch means cover ${covered / runs}`);
    assert.ok(naiveCovered / runs <= 0.8, `independent covers ${naiveCovered / runs}`);
  });
});

describe('lag-1 autocorrelation', () => {
  test('exact on small series', () => {
    // Deviations ±1 alternate: five products of −1 over six squares of 1.
    close(lag1Autocorrelation([1, 3, 1, 3, 1, 3]), -5 / 6, 1e-15);
    // 1, 2, 3, 4: deviations −1.5, −0.5, 0.5, 1.5; products 0.75 − 0.25 + 0.75 = 1.25 over 5.
    close(lag1Autocorrelation([1, 2, 3, 4]), 0.25, 1e-15);
    assert.ok(Number.isNaN(lag1Autocorrelation([1, 2])));
    assert.ok(Number.isNaN(lag1Autocorrelation([4, 4, 4])));
  });

  test('near ρ on a long AR(1) series', () => {
    const r = lag1Autocorrelation(ar1(new SeededRandom(3), 0.5, 40_000));
    assert.ok(Math.abs(r - 0.5) < 0.02, `r ${r}`);
  });
});
