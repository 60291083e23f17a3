import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  logBeta,
  logGamma,
  studentTCdf,
  studentTQuantile,
  studentTSurvival,
} from '../src/stats/student-t.js';

/** |actual - expected| ≤ relative × |expected|. */
function closeRel(actual: number, expected: number, relative: number, what = ''): void {
  assert.ok(
    Math.abs(actual - expected) <= relative * Math.abs(expected),
    `${what} expected ${expected} within ${relative} relative, got ${actual}`,
  );
}

// Unless a test says otherwise, reference values are mpmath 1.3 at 50 significant digits
// (betainc(df/2, 1/2, 0, x, regularized=True) / 2 for the tail, bisection on it for quantiles),
// rounded to the nearest double. Quantiles are at the double nearest 0.975, which callers pass.

describe('studentTQuantile: t(0.975, df)', () => {
  const T_975: [number, number][] = [
    [1, 12.706204736174694],
    [2, 4.302652729749462],
    [3, 3.1824463052837086],
    [4, 2.7764451051977934],
    [5, 2.5705818356363146],
    [7, 2.364624251592785],
    [9, 2.262157162798205],
    [10, 2.2281388519862744],
    [14, 2.1447866879178035],
    [19, 2.093024054408309],
    [20, 2.0859634472658644],
    [29, 2.045229642132704],
    [30, 2.0422724563012378],
    [31, 2.039513446396408],
    [40, 2.021075390306273],
    [60, 2.00029782201426],
    [120, 1.9799304050824404],
    [1000, 1.962339080826408],
    [1e6, 1.9599663568141066],
  ];

  test('whole degrees of freedom, within 2e-15 of the exact quantile', () => {
    for (const [df, expected] of T_975) closeRel(studentTQuantile(0.975, df), expected, 2e-15, `df ${df}`);
  });

  test('agrees with scipy.stats.t.ppf within a few units in the last place', () => {
    // scipy.stats.t.ppf(0.975, 1) and (0.975, 30).
    closeRel(studentTQuantile(0.975, 1), 12.706204736174698, 2e-15);
    closeRel(studentTQuantile(0.975, 30), 2.0422724563012373, 2e-15);
  });

  test('printed tables to their three decimals', () => {
    // The usual two-sided 95 % table: 12.706, 4.303, 3.182, 2.776, 2.571, 2.365, 2.228, 2.042.
    const table: [number, number][] = [
      [1, 12.706],
      [2, 4.303],
      [3, 3.182],
      [4, 2.776],
      [5, 2.571],
      [7, 2.365],
      [10, 2.228],
      [30, 2.042],
    ];
    for (const [df, printed] of table) {
      assert.equal(Math.round(studentTQuantile(0.975, df) * 1000) / 1000, printed, `df ${df}`);
    }
  });

  test('fractional degrees of freedom, as Welch–Satterthwaite gives', () => {
    closeRel(studentTQuantile(0.975, 3.830457), 2.825588755053137, 2e-15);
    closeRel(studentTQuantile(0.975, 4.95918), 2.576959028814392, 2e-15);
    closeRel(studentTQuantile(0.025, 2.5), -3.574654842003683, 2e-15);
    closeRel(studentTQuantile(0.9, 0.5), 10.27032441023451, 2e-15);
  });

  test('closed forms: Cauchy (df 1) -1 / tan(π p) and df 2 (2p - 1) / √(2p(1 - p))', () => {
    // Below ½ only: 1 - p would round, and tan(π(p - ½)) is ill-conditioned near ±π/2.
    for (const p of [1e-9, 0.001, 0.2, 0.3, 0.49]) {
      closeRel(studentTQuantile(p, 1), -1 / Math.tan(Math.PI * p), 2e-15, `df 1, p ${p}`);
      closeRel(studentTQuantile(p, 2), (2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 2e-15, `df 2, p ${p}`);
    }
  });

  test('far tails and near the median', () => {
    closeRel(studentTQuantile(1e-10, 3), -2225.7692846830932, 2e-15);
    // Cauchy: t = -1 / tan(π p) ≈ -1 / (π p) for tiny p, far beyond 1e154 where t² overflows.
    // x = df / (df + t²) is then e^-1380, and its log carries ~1e-13 of relative rounding.
    closeRel(studentTQuantile(1e-300, 1), -1 / (Math.PI * 1e-300), 1e-13);
    // Just above the median, where p - ½ is exact and 1 - p would have lost most digits.
    closeRel(studentTQuantile(0.5 + 2 ** -40, 1), Math.tan(Math.PI * 2 ** -40), 1e-15);
    closeRel(studentTQuantile(0.5 - 2 ** -40, 2), -(2 ** -39) / Math.sqrt(0.5 - 2 ** -79), 1e-15);
    assert.equal(studentTQuantile(0.5, 7), 0);
  });

  test('symmetric, and the inverse of the CDF', () => {
    // Dyadic p, so that 1 - p is exact and the two calls solve the same equation.
    for (const df of [0.3, 1, 3.830457, 12, 250, 1e5]) {
      for (const p of [2 ** -50, 2 ** -20, 2 ** -7, 0.1875, 0.3125, 0.4375, 0.5 - 2 ** -30]) {
        const t = studentTQuantile(p, df);
        assert.equal(studentTQuantile(1 - p, df), -t, `df ${df}, p ${p}`);
        closeRel(studentTCdf(t, df), p, 2e-14, `df ${df}, p ${p}`);
      }
    }
  });

  test('beyond the range of doubles: ±Infinity; p of 0 and 1: ±Infinity', () => {
    // df 0.05: t ≈ (p · df · B(df/2, ½))^(-1/df) √df, about 1e6000 at p = 1e-300.
    assert.equal(studentTQuantile(1e-300, 0.05), -Infinity);
    assert.equal(studentTQuantile(1 - 1e-16, 0.01), Infinity);
    assert.equal(studentTQuantile(0, 4), -Infinity);
    assert.equal(studentTQuantile(1, 4), Infinity);
  });

  test('NaN outside p in [0, 1] or df in (0, ∞)', () => {
    for (const [p, df] of [
      [-0.1, 3],
      [1.1, 3],
      [NaN, 3],
      [0.9, 0],
      [0.9, -2],
      [0.9, NaN],
      [0.9, Infinity],
    ] as const) {
      assert.ok(Number.isNaN(studentTQuantile(p, df)), `p ${p}, df ${df}`);
    }
  });
});

describe('studentTCdf and studentTSurvival', () => {
  test('cdf(2, 5) = 0.9490302605850709 (scipy.stats.t.cdf), sf(2, 5) to the last digit', () => {
    closeRel(studentTCdf(2, 5), 0.9490302605850709, 2e-16);
    closeRel(studentTCdf(2, 5), 0.9490302605850708, 2e-16);
    closeRel(studentTSurvival(2, 5), 0.05096973941492918, 2e-15);
  });

  test('fractional degrees of freedom', () => {
    // The t and df of the check tests' Welch cases.
    closeRel(studentTSurvival(10.2517417, 3.830457), 0.00031753575198337154, 4e-15);
    closeRel(studentTSurvival(4.04145, 4.95918), 0.00503848865148528, 2e-15);
    closeRel(studentTSurvival(-1.5, 2.5), 0.8760817734568519, 2e-15);
    closeRel(studentTSurvival(0.001, 7.5), 0.49961409933732776, 2e-15);
  });

  test('closed forms: Cauchy atan(1/t)/π and df 2 1 / (√(2 + t²) (√(2 + t²) + t))', () => {
    // The upper tails for t > 0, in forms without cancellation; the lower ones by symmetry.
    for (const t of [0.01, 0.7, 1, 3, 100, 1e8]) {
      const root = Math.sqrt(2 + t * t);
      closeRel(studentTSurvival(t, 1), Math.atan(1 / t) / Math.PI, 2e-15, `df 1, t ${t}`);
      closeRel(studentTSurvival(t, 2), 1 / (root * (root + t)), 2e-15, `df 2, t ${t}`);
      closeRel(studentTSurvival(-t, 1), 0.5 + Math.atan(t) / Math.PI, 4e-16, `df 1, t ${-t}`);
      closeRel(studentTSurvival(-t, 2), 0.5 + t / (2 * root), 4e-16, `df 2, t ${-t}`);
    }
  });

  test('upper tails keep their digits where 1 - CDF would not', () => {
    closeRel(studentTSurvival(40, 3), 0.000017190340394579263, 2e-15);
    closeRel(studentTSurvival(8, 1e4), 6.910604364532691e-16, 1e-14);
    // Cauchy far out: atan(1/t) = 1/t - …, so the tail is 1 / (π t); ln x ≈ -920 costs ~1e-13.
    closeRel(studentTSurvival(1e200, 1), 1 / (Math.PI * 1e200), 1e-13);
    assert.equal(studentTCdf(-1e200, 1), studentTSurvival(1e200, 1));
  });

  test('either side of each switch between methods', () => {
    // df 10: the continued fraction changes sides at t² = 2.5.
    closeRel(studentTSurvival(1.5811388300841898, 10), 0.0724638027020402, 2e-15);
    // df 50: large-df expansion from df/2 = 25 and below t² = df; the continued fraction elsewhere.
    closeRel(studentTSurvival(2, 49.99), 0.02547408358574855, 4e-15);
    closeRel(studentTSurvival(2, 50.01), 0.02547298537322459, 4e-15);
    closeRel(studentTSurvival(7.0710678118654755, 50), 2.3228477800171526e-9, 1e-14);
    closeRel(studentTSurvival(7.0710678118654755, 49.99), 2.325206663285306e-9, 1e-14);
    closeRel(studentTSurvival(3, 123.4), 0.0016335021053235517, 2e-15);
  });

  test('large degrees of freedom approach the normal distribution', () => {
    closeRel(studentTSurvival(2, 1e6), 0.022750266925659603, 4e-15);
    // Normal tails, mpmath erfc(t / √2) / 2: the t distribution with df 1e300 is the normal one.
    closeRel(studentTSurvival(2, 1e300), 0.02275013194817921, 1e-13);
    closeRel(studentTSurvival(10, 1e300), 7.619853024160525e-24, 1e-13);
  });

  test('symmetry and the fixed points', () => {
    for (const df of [0.5, 2.5, 40]) {
      for (const t of [0.3, 2, 9]) {
        assert.equal(studentTCdf(t, df), studentTSurvival(-t, df));
        closeRel(studentTCdf(t, df) + studentTCdf(-t, df), 1, 2e-16, `df ${df}, t ${t}`);
      }
    }
    assert.equal(studentTCdf(0, 3), 0.5);
    assert.equal(studentTCdf(Infinity, 3), 1);
    assert.equal(studentTCdf(-Infinity, 3), 0);
    assert.equal(studentTSurvival(Infinity, 3), 0);
  });

  test('NaN for t NaN or df outside (0, ∞)', () => {
    assert.ok(Number.isNaN(studentTCdf(NaN, 3)));
    assert.ok(Number.isNaN(studentTCdf(1, 0)));
    assert.ok(Number.isNaN(studentTCdf(1, -1)));
    assert.ok(Number.isNaN(studentTSurvival(1, NaN)));
    assert.ok(Number.isNaN(studentTSurvival(1, Infinity)));
  });
});

describe('logGamma and logBeta', () => {
  test('known values', () => {
    assert.ok(Math.abs(logGamma(1)) < 1e-15);
    assert.ok(Math.abs(logGamma(2)) < 1e-15);
    closeRel(logGamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-15);
    closeRel(logGamma(10), Math.log(362880), 1e-15);
    closeRel(logGamma(100.5), 361.4355404677776, 1e-15);
    closeRel(logGamma(0.001), 6.907178885383853, 1e-15);
    assert.ok(Number.isNaN(logGamma(0)));
  });

  test('B(3, ½) = 16/15; large a without cancellation', () => {
    closeRel(logBeta(3, 0.5), Math.log(16 / 15), 1e-14);
    closeRel(logBeta(0.5, 3), Math.log(16 / 15), 1e-14);
    closeRel(logBeta(500000, 0.5), -5.988816495777464, 1e-15);
  });
});
