/**
 * The limits a configuration's answers are held to against its reference, with defaults
 * anchored on published practice (docs/fidelity.md gives the sources):
 * - MLPerf Inference accepts a lower-precision submission whose accuracy is at least 99 % of the
 *   fp32 reference's (the "-99" targets); agreement with the reference's own answers on 99 % of
 *   the queries is the label-free analogue, for top-1 classes, QA spans and embeddings' cosine.
 * - llama.cpp reports, per quantization, how often the top token is the same as fp16's and the
 *   mean KL divergence; q8_0 on LLaMA-3-8B reaches 97.7 % and KL 0.0014, q6_K 96.0 % and 0.0055,
 *   q4_K_M 91.9 % and 0.031: ≥ 95 % and ≤ 0.02 accept 8- and 6-bit, refuse 4-bit.
 */
export interface FidelityLimits {
  /** Top-1 agreement (classification) and span agreement (extractive QA), at least. */
  minAgreement: number;
  /** Mean cosine similarity of embeddings, at least. */
  minCosine: number;
  /** Mean normwise relative error of any other output, at most. */
  maxRelativeError: number;
  /** Greedy token agreement of a generation, at least. */
  minTokenAgreement: number;
  /** Mean KL(reference ‖ candidate) of next-token distributions, at most. */
  maxKl: number;
}

export const DEFAULT_LIMITS: Readonly<FidelityLimits> = Object.freeze({
  minAgreement: 0.99,
  minCosine: 0.99,
  /**
   * ‖c − r‖ / ‖r‖ ≤ 0.05 keeps the cosine of c and r at least √(1 − 0.05²) ≈ 0.9987, tighter than
   * the embeddings' 0.99 (which allows about 0.14): an output read as numbers (boxes, scores,
   * pixels) is held closer than one read as a direction. fp16's round-off (2⁻¹¹ per value)
   * leaves it near 1e-3; dynamic int8 typically 1e-2 to 3e-2.
   */
  maxRelativeError: 0.05,
  minTokenAgreement: 0.95,
  maxKl: 0.02,
});

/** The flag that overrides each limit, for messages and --help. */
export const LIMIT_FLAGS: Readonly<Record<keyof FidelityLimits, string>> = Object.freeze({
  minAgreement: '--min-agreement',
  minCosine: '--min-cosine',
  maxRelativeError: '--max-relative-error',
  minTokenAgreement: '--min-token-agreement',
  maxKl: '--max-kl',
});

/** The limit a figure's metric is held to, where one is; reported-only metrics have none. */
export const METRIC_LIMIT: Readonly<Record<string, keyof FidelityLimits>> = Object.freeze({
  'top1-agreement': 'minAgreement',
  'span-agreement': 'minAgreement',
  'cosine-mean': 'minCosine',
  'relative-error-mean': 'maxRelativeError',
  'token-agreement': 'minTokenAgreement',
  'kl-mean': 'maxKl',
});

/** Queries compared by default (fewer when the suite has fewer). */
export const DEFAULT_FIDELITY_QUERIES = 100;
