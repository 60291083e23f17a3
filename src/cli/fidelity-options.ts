/** The fidelity flags: the limits (bench and check) and, for bench, the sample and its reference. */
import type { Command } from 'commander';
import { usageError } from '../errors.js';
import {
  DEFAULT_FIDELITY_QUERIES,
  DEFAULT_LIMITS,
  LIMIT_FLAGS,
  type FidelityLimits,
} from '../fidelity/thresholds.js';
import { nonNegativeInt, nonNegativeNumber } from './parse.js';

export interface FidelityLimitFlags {
  minAgreement?: number;
  minCosine?: number;
  maxRelativeError?: number;
  minTokenAgreement?: number;
  maxKl?: number;
}

export interface FidelityFlags extends FidelityLimitFlags {
  fidelityQueries?: number;
}

/** A share from 0 to 1. */
function fraction(flag: string) {
  return (text: string): number => {
    const n = Number(text);
    if (text.trim() === '' || !Number.isFinite(n) || n < 0 || n > 1) {
      throw usageError(`${flag} '${text}' is not a number from 0 to 1`, `for example ${flag} 0.99`);
    }
    return n;
  };
}

/** The limits' flags; `what` says whose limits they override (recorded thresholds, or the defaults). */
export function addFidelityLimitOptions(command: Command, what: 'defaults' | 'recorded'): Command {
  const over = (value: number) =>
    what === 'defaults' ? `default ${value}` : 'default: the recorded threshold';
  return command
    .option(
      `${LIMIT_FLAGS.minAgreement} <share>`,
      `fidelity: top-1 agreement (classification) and answer-span agreement (QA) with the reference, at least (${over(DEFAULT_LIMITS.minAgreement)})`,
      fraction(LIMIT_FLAGS.minAgreement),
    )
    .option(
      `${LIMIT_FLAGS.minCosine} <cosine>`,
      `fidelity: mean cosine similarity of embeddings and hidden states, at least (${over(DEFAULT_LIMITS.minCosine)})`,
      fraction(LIMIT_FLAGS.minCosine),
    )
    .option(
      `${LIMIT_FLAGS.maxRelativeError} <ratio>`,
      `fidelity: mean relative error of any other output (boxes, pixels), at most (${over(DEFAULT_LIMITS.maxRelativeError)})`,
      nonNegativeNumber(LIMIT_FLAGS.maxRelativeError),
    )
    .option(
      `${LIMIT_FLAGS.minTokenAgreement} <share>`,
      `fidelity: greedy token agreement of a generation, at least (${over(DEFAULT_LIMITS.minTokenAgreement)})`,
      fraction(LIMIT_FLAGS.minTokenAgreement),
    )
    .option(
      `${LIMIT_FLAGS.maxKl} <nats>`,
      `fidelity: mean KL divergence of next-token distributions, at most (${over(DEFAULT_LIMITS.maxKl)})`,
      nonNegativeNumber(LIMIT_FLAGS.maxKl),
    );
}

/**
 * Adds bench's fidelity flags and returns what --reference gave. `--reference <config>` shares its
 * name with the rating's `--no-reference` (commander keeps both under `reference`, the last one
 * winning), so both are kept here and each keeps its meaning in either order.
 */
export function addFidelityOptions(command: Command): {
  reference: () => string | undefined;
  noReferenceBefore: () => boolean;
} {
  let reference: string | undefined;
  let noReferenceBefore = false;
  command
    .option(
      '--fidelity-queries <n>',
      `queries whose outputs are compared with the reference's, after the trials (default ${DEFAULT_FIDELITY_QUERIES}, or the suite's when fewer; 0 turns fidelity off)`,
      nonNegativeInt('--fidelity-queries'),
    )
    .option(
      '--reference <config>',
      "what fidelity compares against: a configuration id (m/fp32/b1/cpu), a model name (then labelled agreement with that model), model/precision, or a precision (default: each model's fp32 at batch 1)",
      (text: string, previous: unknown) => {
        if (previous === false) noReferenceBefore = true;
        reference = text;
        return text;
      },
    );
  addFidelityLimitOptions(command, 'defaults');
  return { reference: () => reference, noReferenceBefore: () => noReferenceBefore };
}

/** The limits given on the command line, and only those. */
export function limitOverrides(flags: FidelityLimitFlags): Partial<FidelityLimits> {
  const out: Partial<FidelityLimits> = {};
  for (const key of Object.keys(LIMIT_FLAGS) as (keyof FidelityLimits)[]) {
    const value = flags[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * What `--reference CONFIG` (fidelity) and `--no-reference` (rating) asked for, whatever their
 * order: commander's shared `reference` value and what the fidelity flag kept.
 */
export function splitReference(
  shared: unknown,
  kept: ReturnType<typeof addFidelityOptions>,
): { fidelity: string | undefined; rateAgainstReference: boolean } {
  return {
    fidelity: kept.reference(),
    rateAgainstReference: shared !== false && !kept.noReferenceBefore(),
  };
}
