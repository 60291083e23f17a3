/**
 * Which outputs a task is judged on and by which metric, and the fidelity record made from the
 * figures. Pure: the samples come from the workloads (src/runner/workload.ts).
 */
import type { Fidelity, FidelityFigure } from '../result/schema.js';
import type { OutputSample, SampledTensor } from '../runner/workload.js';
import { generationFidelity } from './generation.js';
import {
  classificationFigures,
  cosineFigures,
  relativeErrorFigures,
  spanFigures,
  type Comparison,
} from './metrics.js';
import type { FidelityLimits } from './thresholds.js';

type TensorQueries = Extract<OutputSample, { kind: 'tensors' }>['queries'];

export type SampleComparison =
  | {
      ok: true;
      figures: FidelityFigure[];
      basis: string;
      queries: number;
      /** Outputs of the reference this configuration's sample lacks (one it could not split per query). */
      missing?: string[];
    }
  | { ok: false; problem: string };

const CLASSIFICATION_TASKS = new Set(['text-classification', 'image-classification']);
/** Pooled embeddings, one vector per query, in the names exporters give them. */
const POOLED = [
  'sentence_embedding',
  'sentence_embeddings',
  'pooler_output',
  'embeddings',
  'text_embeds',
  'image_embeds',
];
/** Per-token (or per-frame, per-patch) features, compared row by row. */
const FEATURES = ['last_hidden_state', 'encoder_last_hidden_state', 'hidden_states', 'features'];

/** Output names both samples have in every query, in the reference's order. */
function commonOutputs(reference: TensorQueries, candidate: TensorQueries): string[] {
  const first = reference[0];
  if (!first) return [];
  return Object.keys(first).filter(
    (name) => reference.every((q) => q[name]) && candidate.length > 0 && candidate.every((q) => q[name]),
  );
}

const column = (queries: TensorQueries, name: string): SampledTensor[] => queries.map((q) => q[name]!);

/** Compares two samples of the same task: the metric follows the task and the outputs it has. */
export function compareSamples(
  task: string,
  reference: OutputSample,
  candidate: OutputSample,
  limits: FidelityLimits,
): SampleComparison {
  if (reference.kind !== candidate.kind) {
    return {
      ok: false,
      problem: `a ${candidate.kind} sample cannot be compared with a ${reference.kind} one`,
    };
  }
  if (reference.kind === 'generation' && candidate.kind === 'generation') {
    const queries = Math.min(reference.queries.length, candidate.queries.length);
    if (queries === 0) return { ok: false, problem: 'no queries to compare' };
    try {
      const figures = generationFidelity(reference, candidate, {
        minTokenAgreement: limits.minTokenAgreement,
        maxKl: limits.maxKl,
      });
      return {
        ok: true,
        figures,
        queries,
        basis:
          "greedy new tokens against the reference's, and KL of next-token distributions along the reference's continuation",
      };
    } catch (err) {
      return { ok: false, problem: err instanceof Error ? err.message : String(err) };
    }
  }
  if (reference.kind !== 'tensors' || candidate.kind !== 'tensors')
    return { ok: false, problem: 'unreachable' };
  return compareTensors(task, reference.queries, candidate.queries, limits);
}

function compareTensors(
  task: string,
  reference: TensorQueries,
  candidate: TensorQueries,
  limits: FidelityLimits,
): SampleComparison {
  const queries = Math.min(reference.length, candidate.length);
  const names = commonOutputs(reference.slice(0, queries), candidate.slice(0, queries));
  if (queries === 0 || names.length === 0) {
    return { ok: false, problem: 'the reference and this configuration have no output in common to compare' };
  }
  const ref = reference.slice(0, queries);
  const cand = candidate.slice(0, queries);
  const missing = Object.keys(ref[0] ?? {}).filter((n) => !names.includes(n));
  const extra = missing.length > 0 ? { missing } : {};
  const done = (comparison: Comparison, basis: string): SampleComparison =>
    comparison.ok ? { ok: true, figures: comparison.figures, basis, queries, ...extra } : comparison;

  if (task === 'question-answering' && names.includes('start_logits') && names.includes('end_logits')) {
    return done(
      spanFigures(
        { start: 'start_logits', end: 'end_logits' },
        { start: column(ref, 'start_logits'), end: column(ref, 'end_logits') },
        { start: column(cand, 'start_logits'), end: column(cand, 'end_logits') },
        limits.minAgreement,
      ),
      'answer span (argmax of start_logits and of end_logits) per query',
    );
  }
  const logits = names.includes('logits') ? 'logits' : CLASSIFICATION_TASKS.has(task) ? names[0]! : undefined;
  if (logits !== undefined) {
    return done(
      classificationFigures(logits, column(ref, logits), column(cand, logits), limits.minAgreement),
      `top-1 class of ${logits}, per row of its last dim (one per query for a classifier)`,
    );
  }
  const pooled = POOLED.find((n) => names.includes(n));
  if (pooled) {
    return done(
      cosineFigures(pooled, column(ref, pooled), column(cand, pooled), limits.minCosine),
      `cosine similarity of the pooled ${pooled}, one vector per query`,
    );
  }
  const features =
    FEATURES.find((n) => names.includes(n)) ?? (task === 'sentence-similarity' ? names[0] : undefined);
  if (features) {
    return done(
      cosineFigures(features, column(ref, features), column(cand, features), limits.minCosine),
      `cosine similarity of ${features}, per token row (rows past the shorter side's length are padding and not compared)`,
    );
  }
  const figures: FidelityFigure[] = [];
  const problems: string[] = [];
  for (const name of names) {
    const comparison = relativeErrorFigures(
      name,
      column(ref, name),
      column(cand, name),
      limits.maxRelativeError,
    );
    if (comparison.ok) figures.push(...comparison.figures);
    else problems.push(comparison.problem);
  }
  if (figures.length === 0) return { ok: false, problem: problems.join('; ') };
  return {
    ok: true,
    figures: worstFirst(figures),
    queries,
    ...extra,
    basis: `normwise relative error per output (${figures.length / 2} of ${names.length} outputs${problems.length ? `; not compared: ${problems.join('; ')}` : ''})`,
  };
}

/** Relative-error figures in pairs (mean, max) per output, the output with the largest mean first. */
function worstFirst(figures: FidelityFigure[]): FidelityFigure[] {
  const pairs: FidelityFigure[][] = [];
  for (let i = 0; i < figures.length; i += 2) pairs.push(figures.slice(i, i + 2));
  pairs.sort((a, b) => b[0]!.value - a[0]!.value);
  return pairs.flat();
}

/** The first non-finite value of a sample, said as a result reason would; undefined when all are finite. */
export function nonFiniteIn(sample: OutputSample): string | undefined {
  if (sample.kind === 'tensors') {
    for (const [q, outputs] of sample.queries.entries()) {
      for (const [name, tensor] of Object.entries(outputs)) {
        const bad = tensor.data.findIndex((v) => !Number.isFinite(v));
        if (bad >= 0) {
          const kind = Number.isNaN(tensor.data[bad]) ? 'NaN' : 'infinity';
          return `output '${name}' holds ${kind} for query ${q + 1} of the fidelity sample`;
        }
      }
    }
    return undefined;
  }
  for (const [q, query] of sample.queries.entries()) {
    for (const row of query.logProbs) {
      if (row.some((v) => Number.isNaN(v) || v === Infinity)) {
        return `the next-token log-probabilities hold NaN for query ${q + 1} of the fidelity sample`;
      }
    }
  }
  return undefined;
}

export interface FidelityContext {
  reference: string;
  relation: Fidelity['relation'];
  inputs: string;
}

/** The record: the headline is the first figure that has a threshold; it passes when all of them do. */
export function fidelityRecord(
  context: FidelityContext,
  comparison: Extract<SampleComparison, { ok: true }>,
): Fidelity {
  const held = comparison.figures.filter((f) => f.threshold !== null);
  const headline = held[0] ?? comparison.figures[0];
  if (!headline) throw new RangeError('a fidelity record needs at least one figure');
  return {
    reference: context.reference,
    relation: context.relation,
    metric: headline.metric,
    value: headline.value,
    threshold: headline.threshold ?? 0,
    pass: held.every((f) => f.pass === true),
    queries: comparison.queries,
    figures: comparison.figures,
    inputs: context.inputs,
    basis: comparison.basis,
  };
}
