/**
 * Student's t distribution for any real degrees of freedom > 0 (Welch–Satterthwaite degrees of
 * freedom are fractional): the CDF through the regularized incomplete beta function, the quantile
 * by inverting it.
 *
 * With x = df / (df + t²), P(T > |t|) = I_x(df/2, 1/2) / 2 and P(|T| < |t|) = I_{1-x}(1/2, df/2).
 * The two are kept apart, each computed directly on its own side of the continued fraction's
 * switch-over, so that a small tail never comes from 1 minus a CDF near 1.
 */

/** Coefficients of the Lanczos approximation with g = 671/128 (Numerical Recipes, 3rd ed., §6.1). */
const LANCZOS = [
  57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202, 3.399464998481189e-5,
  4.652362892704858e-5, -9.837447530487956e-5, 1.580887032249125e-4, -2.1026444172410488e-4,
  2.1743961811521265e-4, -1.643181065367639e-4, 8.441822398385275e-5, -2.6190838401581408e-5,
  3.6899182659531625e-6,
];

/** ln Γ(x) for x > 0, by Lanczos: about 1e-15 absolute. */
export function logGamma(x: number): number {
  if (!(x > 0)) return NaN;
  const tmp = x + 5.2421875;
  let series = 0.9999999999999971;
  let y = x;
  for (const c of LANCZOS) series += c / ++y;
  return (x + 0.5) * Math.log(tmp) - tmp + Math.log((2.5066282746310007 * series) / x);
}

/** Beyond this, ln Γ differences come from Stirling's series, which needs no cancelling terms. */
const STIRLING_FROM = 10;

/** ln Γ(x) - [(x - ½) ln x - x + ½ ln 2π], Stirling's series; below 2e-17 for x ≥ 10. */
function stirlingCorrection(x: number): number {
  const r = 1 / (x * x);
  return (
    (1 / 12 -
      r *
        (1 / 360 -
          r *
            (1 / 1260 -
              r * (1 / 1680 - r * (1 / 1188 - r * (691 / 360360 - r * (1 / 156 - (r * 3617) / 122400))))))) /
    x
  );
}

/** ln Γ(big) - ln Γ(big + small) for big ≥ 10, without the two large logs cancelling. */
function logGammaRatio(big: number, small: number): number {
  const sum = big + small;
  return (
    -(big - 0.5) * Math.log1p(small / big) -
    small * Math.log(sum) +
    small +
    stirlingCorrection(big) -
    stirlingCorrection(sum)
  );
}

/** ln B(a, b) = ln Γ(a) + ln Γ(b) - ln Γ(a + b). */
export function logBeta(a: number, b: number): number {
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  if (big < STIRLING_FROM) return logGamma(a) + logGamma(b) - logGamma(a + b);
  return logGamma(small) + logGammaRatio(big, small);
}

const TINY = 1e-300;
const MIN_NORMAL = 2.2250738585072014e-308;
/** Below this, x^a and y^b come from pow and sqrt rather than exp of their logs (see split). */
const POW_BELOW = 0.1;

/**
 * The continued fraction of I_x(a, b) · a · B(a, b) / (x^a (1-x)^b), by the modified Lentz method
 * (Numerical Recipes' betacf). It converges fast for x < (a + 1) / (a + b + 2): for Student's t,
 * where one of a, b is ½, in tens of terms.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const maxTerms = 10000;
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxTerms; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < Number.EPSILON) return h;
  }
  return h;
}

/**
 * e^u u^(-s) Γ(s, u), the scaled upper incomplete gamma function, by its continued fraction
 * (Numerical Recipes' gcf, modified Lentz); used here for u above about s + 1, where it converges fast.
 */
function upperGammaScaled(s: number, u: number): number {
  let b = u + 1 - s;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= 1000; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < Number.EPSILON) break;
  }
  return h;
}

const HALF_POWER_TERMS = 20;

/**
 * c_n in (sinh(s/2) / (s/2))^(-1/2) = Σ c_n s^(2n), by the recurrence for a power of a series
 * (sinh(s/2) / (s/2) = Σ s^(2k) / (4^k (2k + 1)!)).
 */
const HALF_POWER_COEFFICIENTS = ((): number[] => {
  const power = -0.5;
  const e = [1];
  for (let k = 1; k < HALF_POWER_TERMS; k++) e.push(e[k - 1]! / (4 * (2 * k) * (2 * k + 1)));
  const c = [1];
  for (let n = 1; n < HALF_POWER_TERMS; n++) {
    let sum = 0;
    for (let k = 1; k <= n; k++) sum += (k * (power + 1) - n) * e[k]! * c[n - k]!;
    c.push(sum / n);
  }
  return c;
})();

/** From this a = df/2 on, the tail below comes from largeATail rather than the continued fraction. */
const LARGE_A = 25;

/**
 * I_x(a, ½) for large a and x near 1, where the continued fraction in x loses about
 * log10(1 / (1 - x)) digits (df = 1e6 at t = 2: four). With s = e^(-v) and T = a - ¼,
 *   I_x(a, ½) = ∫_{-ln x}^∞ e^(-Tv) v^(-½) (sinh(v/2) / (v/2))^(-½) dv / B(a, ½)
 *             = Σ c_n T^(-½-2n) Γ(½ + 2n, -T ln x) / B(a, ½)
 * (the expansion behind DiDonato and Morris's BGRAT), whose Γ terms are all positive.
 */
function largeATail(a: number, logX: number): number {
  const b = 0.5;
  const bigT = a + (b - 1) / 2;
  const ratio = -logX;
  const u = bigT * ratio;
  // L_k = e^u Γ(b + k, u) / (u^b T^k), upwards: Γ(s + 1, u) = s Γ(s, u) + u^s e^(-u).
  let scaled = upperGammaScaled(b, u);
  let sum = scaled;
  let power = 1;
  for (let k = 0; k < 2 * (HALF_POWER_TERMS - 1); k++) {
    scaled = ((b + k) * scaled + power) / bigT;
    power *= ratio;
    if (k % 2 === 1) {
      const term = HALF_POWER_COEFFICIENTS[(k + 1) / 2]! * scaled;
      sum += term;
      if (Math.abs(term) < Number.EPSILON * Math.abs(sum)) break;
    }
  }
  return Math.exp(b * Math.log(ratio) - u - logBeta(a, b)) * sum;
}

/** The two halves of Student's t at |t|: one tail, the middle, and |t| × the density. */
interface TSplit {
  /** P(T > |t|). */
  tail: number;
  /** P(|T| < |t|) = 1 - 2 × tail. */
  central: number;
  /** |t| × density at t, the derivative of the tail with respect to ln |t|, negated. */
  tDensity: number;
}

/**
 * Splits the distribution at |t| for finite t ≠ 0 and finite df > 0. The logs of x = df/(df+t²) and
 * 1 - x come from log1p of t²/df or its inverse, whichever is at most 1, so that neither overflows
 * and large df keeps its digits (the prefactor raises x to the power df/2).
 */
function split(t: number, df: number): TSplit {
  const a = df / 2;
  const b = 0.5;
  const t2 = t * t;
  let logX: number;
  let logY: number;
  let x: number;
  let y: number;
  if (t2 <= df) {
    const r = t2 / df;
    const l = Math.log1p(r);
    logX = -l;
    logY = Math.log(r) - l;
    x = 1 / (1 + r);
    y = r / (1 + r);
  } else {
    // t² overflows beyond |t| ≈ 1e154, and df / t² can fall below the normal range: then logs.
    const w = Number.isFinite(t2) ? df / t2 : (Math.sqrt(df) / t) ** 2;
    const l = Math.log1p(w);
    logX = (w >= MIN_NORMAL ? Math.log(w) : Math.log(df) - 2 * Math.log(Math.abs(t))) - l;
    logY = -l;
    x = w / (1 + w);
    y = 1 / (1 + w);
  }
  // x^a y^b / B(a, b): the beta density's kernel, and equal to |t| × the t density. Small x or y
  // are raised directly: exp(a ln x) would carry the rounding of ln x, |a ln x| ulps of it.
  const xPowA = x < POW_BELOW && x >= MIN_NORMAL ? x ** a : Math.exp(a * logX);
  const yPowB = y < POW_BELOW && y >= MIN_NORMAL ? Math.sqrt(y) : Math.exp(b * logY);
  const prefactor = xPowA * yPowB * Math.exp(-logBeta(a, b));
  // x < (a + 1) / (a + b + 2), in terms of y, which keeps its digits when df ≫ t² rounds x to 1.
  if (y > (b + 1) / (a + b + 2)) {
    const lower =
      a >= LARGE_A && y < 0.5 ? largeATail(a, logX) : (prefactor * betaContinuedFraction(x, a, b)) / a;
    return { tail: lower / 2, central: 1 - lower, tDensity: prefactor };
  }
  const central = (prefactor * betaContinuedFraction(y, b, a)) / b;
  return { tail: (1 - central) / 2, central, tDensity: prefactor };
}

function validDf(df: number): boolean {
  return df > 0 && Number.isFinite(df);
}

/**
 * P(T > t) for Student's t with finite `degreesOfFreedom` > 0; NaN for other degrees of freedom.
 * Accurate in the upper tail, where 1 - CDF would round to 0.
 */
export function studentTSurvival(t: number, degreesOfFreedom: number): number {
  if (Number.isNaN(t) || !validDf(degreesOfFreedom)) return NaN;
  if (t === 0) return 0.5;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  const s = split(t, degreesOfFreedom);
  return t > 0 ? s.tail : 1 - s.tail;
}

/** P(T ≤ t) for Student's t with finite `degreesOfFreedom` > 0; NaN for other degrees of freedom. */
export function studentTCdf(t: number, degreesOfFreedom: number): number {
  return studentTSurvival(-t, degreesOfFreedom);
}

const MAX_QUANTILE_STEPS = 200;
const FINAL_NEWTON_STEP = 1e-9;

/**
 * The t with P(T ≤ t) = p, for p in [0, 1] and finite `degreesOfFreedom` > 0; NaN otherwise.
 *
 * Solves for |t| by Newton's method on ln |t|, safeguarded by bisection: in ln |t| the log of either
 * half is close to a straight line for heavy tails (df → 0) and concave for light ones, where
 * Newton's steps in |t| itself overshoot. Near the median the middle P(|T| < |t|) = |2p - 1| is
 * matched instead of a tail near ½, because 2p - 1 is exact there and 1 - p would not be.
 */
export function studentTQuantile(p: number, degreesOfFreedom: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !validDf(degreesOfFreedom)) return NaN;
  if (p === 0.5) return 0;
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const sign = p > 0.5 ? 1 : -1;
  // Both exact in floating point: p - 0.5 for p in [0.25, 1], 1 - p for p in [0.5, 1].
  const tailTarget = p > 0.5 ? 1 - p : p;
  const useCentral = tailTarget > 0.25;
  const target = useCentral ? 2 * Math.abs(p - 0.5) : tailTarget;
  const logTarget = Math.log(target);

  // f(ln |t|) = ln(half at |t|) - ln(target): decreasing in |t| for the tail, increasing for the middle.
  let lo = 0;
  let hi = Infinity;
  let t = initialGuess(tailTarget, degreesOfFreedom);
  for (let step = 0; step < MAX_QUANTILE_STEPS; step++) {
    const s = split(t, degreesOfFreedom);
    const half = useCentral ? s.central : s.tail;
    // The log of the ratio, near 1 close to the root, keeps digits that ln(half) - ln(target) loses.
    const ratio = half / target;
    const f = ratio > 0 && ratio < Infinity ? Math.log(ratio) : Math.log(half) - logTarget;
    // Below the root when the tail is still too big, or the middle still too small.
    const below = useCentral ? f < 0 : f > 0;
    if (below) lo = t;
    else hi = t;
    if (f === 0) break;
    // The largest double is not far enough: the quantile is beyond the range of doubles.
    if (lo === Number.MAX_VALUE) return sign * Infinity;
    const slope = useCentral ? (2 * s.tDensity) / s.central : -s.tDensity / s.tail;
    const logStep = -f / slope;
    let next = Math.min(t * Math.exp(logStep), Number.MAX_VALUE);
    // Newton's error squares each step: from 1e-9 this one lands at the noise in the half itself,
    // where a stopping rule on the step alone could wander for ever.
    if (Math.abs(logStep) < FINAL_NEWTON_STEP) return sign * next;
    if (!(next > lo && next < hi)) {
      // Newton left the bracket (or the half underflowed): halve it in ln |t|.
      next =
        hi === Infinity
          ? Math.min(t * 16, Number.MAX_VALUE)
          : lo === 0
            ? t / 16
            : Math.sqrt(lo) * Math.sqrt(hi);
    }
    t = next;
  }
  return sign * t;
}

/**
 * A start for |t|: the smaller of a heavy-tail guess, exact as |t| → ∞ where the tail is
 * (df/t²)^(df/2) / (df B(df/2, ½)), and a normal guess with the first Cornish–Fisher term.
 */
function initialGuess(tail: number, df: number): number {
  const heavy = Math.sqrt(df) * Math.exp(-(Math.log(tail * df) + logBeta(df / 2, 0.5)) / df);
  const l = -2 * Math.log(2 * tail);
  const z = Math.sqrt(Math.max(l - Math.log(Math.max(l, 1)), 0.01));
  const normal = z + (z * z * z + z) / (4 * df);
  const guess = Math.min(heavy, normal);
  return Number.isFinite(guess) && guess > 0 ? guess : 1;
}
