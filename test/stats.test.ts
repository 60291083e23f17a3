import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  ci95HalfWidth,
  countOutliers,
  mean,
  median,
  modifiedZScores,
  OUTLIER_Z_THRESHOLD,
  percentile,
  percentileSorted,
  stddev,
  summarize,
} from '../src/stats/summary.js';

function close(actual: number, expected: number, tolerance = 1e-12, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what} expected ${expected} ± ${tolerance}, got ${actual}`,
  );
}

describe('mean and stddev', () => {
  test('mean of known data', () => {
    assert.equal(mean([1, 2, 3, 4]), 2.5);
    assert.equal(mean([5]), 5);
    assert.equal(mean([-3, 3]), 0);
    close(mean([0.1, 0.2, 0.3]), 0.2, 1e-15);
  });

  test('stddev is the sample (n - 1) standard deviation', () => {
    // [2, 4, 4, 4, 5, 5, 7, 9]: mean 5, squared deviations sum to 32; 32 / 7 → sqrt = 2.138089935...
    close(stddev([2, 4, 4, 4, 5, 5, 7, 9]), Math.sqrt(32 / 7));
    close(stddev([2, 4, 4, 4, 5, 5, 7, 9]), 2.138089935299395);
    // [1, 2, 3, 4]: deviations ±1.5, ±0.5 → 5 / 3.
    close(stddev([1, 2, 3, 4]), Math.sqrt(5 / 3));
    assert.equal(stddev([7, 7, 7]), 0);
  });

  test('stddev is 0 for fewer than two values (documented)', () => {
    assert.equal(stddev([42]), 0);
    assert.equal(stddev([]), 0);
  });
});

describe('percentile (numpy linear, R type 7)', () => {
  test('[1, 2, 3, 4]: rank = p/100 * (n - 1), linear between neighbours', () => {
    const v = [1, 2, 3, 4];
    assert.equal(percentile(v, 0), 1);
    assert.equal(percentile(v, 100), 4);
    assert.equal(percentile(v, 50), 2.5); // rank 1.5
    close(percentile(v, 95), 3.85); // rank 2.85 → 3 + 0.85
    close(percentile(v, 25), 1.75); // rank 0.75
    close(percentile(v, 75), 3.25); // rank 2.25
    close(percentile(v, 99), 3.97); // rank 2.97
    close(percentile(v, 10), 1.3); // rank 0.3
  });

  test('does not depend on input order and does not sort the caller’s array', () => {
    const v = [4, 1, 3, 2];
    close(percentile(v, 95), 3.85);
    assert.deepEqual(v, [4, 1, 3, 2]);
  });

  test('exact ranks hit samples; out-of-range p clamps', () => {
    const v = [10, 20, 30, 40, 50]; // rank = p/25
    assert.equal(percentile(v, 25), 20);
    assert.equal(percentile(v, 50), 30);
    assert.equal(percentile(v, 75), 40);
    close(percentile(v, 90), 46); // rank 3.6 → 40 + 0.6 * 10
    assert.equal(percentile(v, -5), 10);
    assert.equal(percentile(v, 150), 50);
    assert.equal(percentile([3], 95), 3);
  });

  test('percentileSorted assumes ascending input', () => {
    close(percentileSorted([1, 2, 3, 4], 95), 3.85);
  });

  test('median of even and odd counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });
});

describe('ci95HalfWidth', () => {
  // t(0.975, df) from mpmath at 50 digits (see student-t.test.ts): t(4) = 2.7764451051977934,
  // t(7) = 2.364624251592785; the products below are from the same run.
  test('hand-computed: [1, 2, 3, 4, 5]', () => {
    // sd = sqrt(10 / 4); half-width = t(4) * sqrt(2.5) / sqrt(5) = t(4) * sqrt(0.5).
    close(ci95HalfWidth([1, 2, 3, 4, 5]), 1.9632431614775572, 4e-15);
  });

  test('hand-computed: [2, 4, 4, 4, 5, 5, 7, 9]', () => {
    // sd = sqrt(32 / 7); half-width = t(7) * sqrt(32 / 7) / sqrt(8) = t(7) * sqrt(4 / 7).
    close(ci95HalfWidth([2, 4, 4, 4, 5, 5, 7, 9]), 1.7874879182362104, 4e-15);
  });

  test('1..100: t(0.975, 99) times the standard error', () => {
    // sd = sqrt(100 * 101 / 12) = 29.011491975882016; t(99) = 1.9842169515864172;
    // half-width t(99) * sd / 10.
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    close(ci95HalfWidth(values), 5.756509416935842, 1e-14);
  });

  test('NaN for fewer than two values, 0 for constant data', () => {
    assert.ok(Number.isNaN(ci95HalfWidth([])));
    assert.ok(Number.isNaN(ci95HalfWidth([3])));
    assert.equal(ci95HalfWidth([3, 3, 3]), 0);
  });
});

describe('summarize', () => {
  test('known data 1..10', () => {
    const s = summarize([10, 1, 9, 2, 8, 3, 7, 4, 6, 5]);
    assert.equal(s.count, 10);
    assert.equal(s.mean, 5.5);
    assert.equal(s.median, 5.5);
    assert.equal(s.p50, 5.5);
    assert.equal(s.min, 1);
    assert.equal(s.max, 10);
    // sum of squared deviations of 1..10 = 82.5 → variance 82.5 / 9
    close(s.stddev, Math.sqrt(82.5 / 9));
    close(s.p95, 9.55); // rank 8.55
    close(s.p99, 9.91); // rank 8.91
    // t(0.975, 9) = 2.262157162798205 (mpmath) → t(9) * sqrt(82.5 / 9) / sqrt(10)
    close(s.ci95, 2.165850589668169, 4e-15);
  });

  test('one value', () => {
    const { ci95, ...rest } = summarize([4]);
    assert.deepEqual(rest, {
      count: 1,
      mean: 4,
      median: 4,
      stddev: 0,
      min: 4,
      max: 4,
      p50: 4,
      p95: 4,
      p99: 4,
    });
    assert.ok(Number.isNaN(ci95));
  });

  test('empty input gives NaN for every statistic but count (and stddev, documented as 0)', () => {
    const s = summarize([]);
    assert.equal(s.count, 0);
    for (const key of ['mean', 'median', 'min', 'max', 'p50', 'p95', 'p99', 'ci95'] as const) {
      assert.ok(Number.isNaN(s[key]), `${key} is NaN`);
    }
    assert.equal(s.stddev, 0);
    assert.ok(Number.isNaN(mean([])));
    assert.ok(Number.isNaN(median([])));
    assert.ok(Number.isNaN(percentile([], 95)));
  });
});

describe('modifiedZScores and countOutliers', () => {
  test('hand-computed scores', () => {
    // median 3; |x - 3| = [2, 1, 0, 1, 2] → MAD 1; z = 0.6745 * (x - 3)
    const z = modifiedZScores([1, 2, 3, 4, 5]);
    const expected = [-1.349, -0.6745, 0, 0.6745, 1.349];
    z.forEach((v, i) => close(v, expected[i]!, 1e-12, `z[${i}]`));
  });

  test('zero MAD gives all-zero scores and no outliers, even with an extreme value', () => {
    // More than half the values equal the median, so the MAD is 0.
    const values = [5, 5, 5, 5, 1000];
    assert.deepEqual(modifiedZScores(values), [0, 0, 0, 0, 0]);
    assert.equal(countOutliers(values), 0);
  });

  test('a clear outlier is counted, ordinary spread is not', () => {
    // [10, 11, 12, 13, 14, 1000]: median 12.5; |x - 12.5| = [2.5, 1.5, 0.5, 0.5, 1.5, 987.5] → MAD 1.5
    // z(1000) = 0.6745 * 987.5 / 1.5 = 444.04; z(10) = -1.124
    const values = [10, 11, 12, 13, 14, 1000];
    const z = modifiedZScores(values);
    close(z[5]!, (0.6745 * 987.5) / 1.5, 1e-9);
    close(z[0]!, (0.6745 * -2.5) / 1.5, 1e-12);
    assert.equal(OUTLIER_Z_THRESHOLD, 14);
    assert.equal(countOutliers(values), 1);
    assert.equal(countOutliers([10, 11, 12, 13, 14]), 0);
    // A custom threshold of 1: only z(10) = -1.124 and z(1000) exceed it;
    // |z(11)| = |z(14)| = 0.6745 * 1.5 / 1.5 = 0.6745, |z(12)| = |z(13)| = 0.2248
    assert.equal(countOutliers(values, 1), 2);
  });

  test('threshold is strict: |z| equal to it is not an outlier', () => {
    // [1, 2, 3, 4, 5]: |z(1)| = |z(5)| = 1.349
    assert.equal(countOutliers([1, 2, 3, 4, 5], 1.349), 0);
    assert.equal(countOutliers([1, 2, 3, 4, 5], 1.3489), 2);
  });

  test('empty input', () => {
    assert.deepEqual(modifiedZScores([]), []);
    assert.equal(countOutliers([]), 0);
  });
});
