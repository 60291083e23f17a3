/**
 * `check`'s fidelity limit: a configuration's recorded fidelity against its reference, held to
 * the recorded thresholds or to those given on the command line.
 */
import type { FidelityLimits } from '../fidelity/thresholds.js';
import { LIMIT_FLAGS, METRIC_LIMIT } from '../fidelity/thresholds.js';
import type { ConfigResult, FidelityFigure } from '../result/schema.js';

export interface FidelityCheck {
  /** Limits that replace the recorded thresholds of the figures they govern. */
  overrides: Partial<FidelityLimits>;
}

type Outcome = { passed: boolean; message: string; figure: number | null; limit: number | null };

// Four significant digits without trailing zeros: 0.99, 0.9961, 1.
const value = (n: number) => String(Number(n.toPrecision(4)));

/** The outcome, or why the configuration is not checked (it is the reference). */
export function fidelityOutcome(
  config: ConfigResult,
  check: FidelityCheck,
  references: ReadonlySet<string>,
): Outcome | { reason: string } {
  const fidelity = config.fidelity;
  if (!fidelity) {
    if (references.has(config.id)) return { reason: 'the fidelity reference of other configurations' };
    if (config.precision === 'fp32' && config.batchSize === 1) {
      return { reason: 'fp32 at batch 1: the default fidelity reference' };
    }
    const why = config.warnings.find((w) => w.startsWith('fidelity not computed: '));
    return {
      passed: false,
      figure: null,
      limit: null,
      message: why
        ? why.replace('fidelity not computed: ', 'no fidelity record: ')
        : 'no fidelity record (bench without --fidelity-queries 0, with a reference the run can load)',
    };
  }
  const held: { figure: FidelityFigure; threshold: number; flag: string | null; pass: boolean }[] = [];
  for (const figure of fidelity.figures) {
    const key = METRIC_LIMIT[figure.metric];
    const override = key !== undefined ? check.overrides[key] : undefined;
    const threshold = override ?? figure.threshold;
    if (threshold === null || threshold === undefined) continue;
    const pass = figure.bound === 'min' ? figure.value >= threshold : figure.value <= threshold;
    held.push({ figure, threshold, flag: override !== undefined && key ? LIMIT_FLAGS[key] : null, pass });
  }
  const against = `${fidelity.relation === 'other-model' ? 'agreement with another model, ' : ''}against ${fidelity.reference} on ${fidelity.queries} queries`;
  if (held.length === 0) {
    return {
      passed: false,
      figure: null,
      limit: null,
      message: `no fidelity figure has a threshold (${against})`,
    };
  }
  const say = (h: (typeof held)[number]) => {
    const limit = `${h.flag ?? 'the recorded threshold'} ${value(h.threshold)}`;
    const output = h.figure.output ? ` of ${h.figure.output}` : '';
    const relation = h.pass
      ? h.figure.bound === 'min'
        ? 'meets'
        : 'is within'
      : h.figure.bound === 'min'
        ? 'is below'
        : 'is above';
    return `${h.figure.metric}${output} ${value(h.figure.value)} ${relation} ${limit}`;
  };
  const failing = held.filter((h) => !h.pass);
  const headline = failing[0] ?? held[0]!;
  return {
    passed: failing.length === 0,
    figure: headline.figure.value,
    limit: headline.threshold,
    message: `${(failing.length > 0 ? failing : held).map(say).join('; ')} (${against})`,
  };
}
