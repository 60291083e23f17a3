/** Fidelity figures of a generative configuration against its reference. */
import type { FidelityFigure } from '../result/schema.js';
import type { OutputSample } from '../runner/workload.js';

export interface GenerationLimits {
  /** Share of new tokens equal to the reference's, position by position, at least. */
  minTokenAgreement: number;
  /** Mean KL(reference ‖ candidate) of next-token distributions, at most. */
  maxKl: number;
}

type GenerationSample = Extract<OutputSample, { kind: 'generation' }>;

/** Token agreement and mean KL divergence, the headline first. */
export function generationFidelity(
  reference: GenerationSample,
  candidate: GenerationSample,
  limits: GenerationLimits,
): FidelityFigure[] {
  void reference;
  void candidate;
  void limits;
  throw new Error('generation fidelity is not available in this build');
}
