/**
 * Fidelity figures of a generative configuration against its reference, on the same queries.
 * Two views, as llama.cpp's `perplexity --kl-divergence` and the greedy output itself give:
 * - free-running: the candidate's own greedy tokens against the reference's, position by position;
 * - teacher-forced: both models' next-token distributions along the reference's continuation, so
 *   that one early divergence does not make every later position differ.
 */
import { runError } from '../errors.js';
import type { FidelityFigure } from '../result/schema.js';
import type { OutputSample } from '../runner/workload.js';

export interface GenerationLimits {
  /** Share of new tokens equal to the reference's, position by position, at least. */
  minTokenAgreement: number;
  /** Mean KL(reference ‖ candidate) of next-token distributions, at most. */
  maxKl: number;
}

type GenerationSample = Extract<OutputSample, { kind: 'generation' }>;

const HINT =
  "compare configurations of one model at one --max-new-tokens, the candidate's log-probabilities taken along the reference's tokens";

/** log Σ exp(row), in float64. */
function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let v = 0; v < row.length; v++) if (row[v]! > max) max = row[v]!;
  let sum = 0;
  for (let v = 0; v < row.length; v++) sum += Math.exp(row[v]! - max);
  return max + Math.log(sum);
}

/**
 * KL(p ‖ q) = Σ p (log p − log q) of two log-probability rows. Each is renormalised in float64
 * first, so the float32 rounding of stored rows cannot make the divergence negative or identical
 * rows differ; a term where p is 0 is 0.
 */
export function klDivergence(logP: Float32Array, logQ: Float32Array): number {
  const normP = logSumExp(logP);
  const normQ = logSumExp(logQ);
  let kl = 0;
  for (let v = 0; v < logP.length; v++) {
    const lp = logP[v]! - normP;
    const p = Math.exp(lp);
    if (p === 0) continue;
    kl += p * (lp - (logQ[v]! - normQ));
  }
  // Rounding of nearly equal rows can leave −1e-17; a divergence is never below 0.
  return Math.max(0, kl);
}

/** The index of the row's largest value, the lowest index on a tie. */
function argmax(row: Float32Array): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v]! > row[best]!) best = v;
  return best;
}

/** The queries must pair up: same count, same tokens per query, same steps and vocabulary. */
function checkShapes(reference: GenerationSample, candidate: GenerationSample): void {
  const r = reference.queries;
  const c = candidate.queries;
  if (r.length === 0) throw runError('generation fidelity needs at least one query', HINT);
  if (r.length !== c.length)
    throw runError(`the reference has ${r.length} queries and the candidate ${c.length}`, HINT);
  for (const [i, ref] of r.entries()) {
    const cand = c[i]!;
    if (ref.tokens.length === 0) throw runError(`query ${i}: the reference has no new tokens`, HINT);
    if (cand.tokens.length !== ref.tokens.length) {
      throw runError(
        `query ${i}: the reference has ${ref.tokens.length} new tokens and the candidate ${cand.tokens.length}`,
        HINT,
      );
    }
    if (ref.logProbs.length !== ref.tokens.length || cand.logProbs.length !== ref.tokens.length) {
      throw runError(
        `query ${i}: ${ref.logProbs.length} reference and ${cand.logProbs.length} candidate log-probability steps for ${ref.tokens.length} new tokens`,
        HINT,
      );
    }
    for (const [s, row] of ref.logProbs.entries()) {
      const other = cand.logProbs[s]!;
      if (row.length === 0 || other.length !== row.length) {
        throw runError(
          `query ${i} step ${s}: a vocabulary of ${row.length} in the reference and ${other.length} in the candidate`,
          'KL divergence compares two distributions over one vocabulary: the models must share their tokenizer',
        );
      }
      if (!row.every(Number.isFinite) || !other.every(Number.isFinite))
        throw runError(`query ${i} step ${s}: a log-probability is not finite`, HINT);
    }
  }
}

/**
 * Token agreement (the headline) and mean KL divergence, held to the limits, then figures that
 * are only reported: same top-1 along the reference's continuation (llama.cpp's "same top p"),
 * the largest step KL, whole continuations equal, and the mean position of the first different
 * token. Both samples come from `sampleOutputs`: the reference's log-probabilities along its own
 * tokens, the candidate's along the reference's (`forcedTokens`).
 */
export function generationFidelity(
  reference: GenerationSample,
  candidate: GenerationSample,
  limits: GenerationLimits,
): FidelityFigure[] {
  const { minTokenAgreement, maxKl } = limits;
  if (!(minTokenAgreement >= 0 && minTokenAgreement <= 1))
    throw new RangeError(`a minimum token agreement of ${minTokenAgreement}, not within 0-1`);
  if (!(maxKl >= 0)) throw new RangeError(`a maximum KL divergence of ${maxKl}, not 0 or more`);
  checkShapes(reference, candidate);

  let positions = 0;
  let agreeing = 0;
  let exact = 0;
  let firstDivergenceSum = 0;
  let steps = 0;
  let klSum = 0;
  let klMax = 0;
  let sameTop = 0;
  for (const [i, ref] of reference.queries.entries()) {
    const cand = candidate.queries[i]!;
    let first = ref.tokens.length;
    for (const [s, token] of ref.tokens.entries()) {
      if (cand.tokens[s] === token) agreeing++;
      else if (first === ref.tokens.length) first = s;
    }
    positions += ref.tokens.length;
    if (first === ref.tokens.length) exact++;
    firstDivergenceSum += first;
    for (const [s, row] of ref.logProbs.entries()) {
      const other = cand.logProbs[s]!;
      const kl = klDivergence(row, other);
      klSum += kl;
      klMax = Math.max(klMax, kl);
      if (argmax(row) === argmax(other)) sameTop++;
      steps++;
    }
  }
  const queries = reference.queries.length;
  const tokenAgreement = agreeing / positions;
  const klMean = klSum / steps;
  const reported = (metric: string, value: number, bound: 'min' | 'max'): FidelityFigure => ({
    metric,
    value,
    threshold: null,
    bound,
    pass: null,
  });
  return [
    {
      metric: 'token-agreement',
      value: tokenAgreement,
      threshold: minTokenAgreement,
      bound: 'min',
      pass: tokenAgreement >= minTokenAgreement,
    },
    { metric: 'kl-mean', value: klMean, threshold: maxKl, bound: 'max', pass: klMean <= maxKl },
    reported('top1-agreement-forced', sameTop / steps, 'min'),
    reported('kl-max', klMax, 'max'),
    reported('exact-match', exact / queries, 'min'),
    reported('first-divergence-mean', firstDivergenceSum / queries, 'min'),
  ];
}
