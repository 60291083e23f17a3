/**
 * Label-free agreement between a reference's outputs and a candidate's on the same queries:
 * pure functions over per-query tensors (the batch axis taken away). A tensor is read as rows
 * of its last dim (a classifier's [classes] is one row, a token classifier's [tokens, classes]
 * one row per token); where the two sides have different row counts (padding to a longer batch
 * row), only the leading rows both have are compared, so padded positions never count.
 */
import type { FidelityFigure } from '../result/schema.js';
import type { SampledTensor } from '../runner/workload.js';

/** Figures, or why the two sides cannot be compared (different widths, no rows). */
export type Comparison = { ok: true; figures: FidelityFigure[] } | { ok: false; problem: string };

/** A thresholded figure: pass when value is at least (min) or at most (max) the threshold. */
export function figure(
  metric: string,
  value: number,
  threshold: number | null,
  bound: 'min' | 'max',
  output?: string,
): FidelityFigure {
  const pass = threshold === null ? null : bound === 'min' ? value >= threshold : value <= threshold;
  return { metric, value, threshold, bound, pass, ...(output !== undefined ? { output } : {}) };
}

interface Rows {
  rows: number;
  width: number;
}

/** Rows of the last dim: a rank-0 or rank-1 tensor is one row. */
export function rowsOf(tensor: SampledTensor): Rows {
  const width = tensor.dims.length === 0 ? 1 : tensor.dims[tensor.dims.length - 1]!;
  return { rows: width > 0 ? tensor.data.length / width : 0, width };
}

/** The rows both sides have, query by query, or the first reason they cannot be paired. */
function pairRows(
  name: string,
  reference: readonly SampledTensor[],
  candidate: readonly SampledTensor[],
): { counts: number[]; width: number } | { problem: string } {
  const queries = Math.min(reference.length, candidate.length);
  if (queries === 0) return { problem: `no queries to compare for '${name}'` };
  const counts: number[] = [];
  let width = 0;
  for (let q = 0; q < queries; q++) {
    const r = rowsOf(reference[q]!);
    const c = rowsOf(candidate[q]!);
    if (r.width !== c.width) {
      return {
        problem: `'${name}' has shape [${candidate[q]!.dims.join(', ')}] per query against the reference's [${reference[q]!.dims.join(', ')}]`,
      };
    }
    const rows = Math.min(r.rows, c.rows);
    if (rows === 0 || r.width === 0) return { problem: `'${name}' is empty for query ${q}` };
    counts.push(rows);
    width = r.width;
  }
  return { counts, width };
}

/** Index of the largest value in data[start, start + width); the first one on ties. */
export function argmax(data: Float32Array, start: number, width: number): number {
  let best = 0;
  let bestValue = data[start]!;
  for (let i = 1; i < width; i++) {
    const v = data[start + i]!;
    if (v > bestValue) {
      best = i;
      bestValue = v;
    }
  }
  return best;
}

/**
 * Classification: the share of rows whose top-1 class is the reference's (the headline, held to
 * minAgreement), and the largest |Δ logit| over the compared rows (reported only).
 */
export function classificationFigures(
  name: string,
  reference: readonly SampledTensor[],
  candidate: readonly SampledTensor[],
  minAgreement: number,
): Comparison {
  const paired = pairRows(name, reference, candidate);
  if ('problem' in paired) return { ok: false, problem: paired.problem };
  const { counts, width } = paired;
  let agree = 0;
  let total = 0;
  let maxDelta = 0;
  counts.forEach((rows, q) => {
    const r = reference[q]!.data;
    const c = candidate[q]!.data;
    for (let row = 0; row < rows; row++) {
      const start = row * width;
      if (argmax(r, start, width) === argmax(c, start, width)) agree++;
      total++;
      for (let i = start; i < start + width; i++) maxDelta = Math.max(maxDelta, Math.abs(c[i]! - r[i]!));
    }
  });
  return {
    ok: true,
    figures: [
      figure('top1-agreement', agree / total, minAgreement, 'min', name),
      figure('max-abs-logit-delta', maxDelta, null, 'max', name),
    ],
  };
}

/** Cosine similarity of a[i..i+width) and b[i..i+width); two zero rows are alike (1), one is not (0). */
export function cosine(a: Float32Array, b: Float32Array, start: number, width: number): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = start; i < start + width; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 && nb === 0) return 1;
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/**
 * Embeddings: mean cosine similarity over the compared rows (the headline, held to minCosine)
 * and the least one (reported only). A pooled output gives one row per query; per-token
 * hidden states one row per real token.
 */
export function cosineFigures(
  name: string,
  reference: readonly SampledTensor[],
  candidate: readonly SampledTensor[],
  minCosine: number,
): Comparison {
  const paired = pairRows(name, reference, candidate);
  if ('problem' in paired) return { ok: false, problem: paired.problem };
  const { counts, width } = paired;
  let sum = 0;
  let min = Infinity;
  let total = 0;
  counts.forEach((rows, q) => {
    for (let row = 0; row < rows; row++) {
      const cos = cosine(reference[q]!.data, candidate[q]!.data, row * width, width);
      sum += cos;
      min = Math.min(min, cos);
      total++;
    }
  });
  return {
    ok: true,
    figures: [
      figure('cosine-mean', sum / total, minCosine, 'min', name),
      figure('cosine-min', min, null, 'min', name),
    ],
  };
}

/**
 * Extractive QA: the share of queries whose answer span (argmax of the start logits, argmax of
 * the end logits, over the positions both sides have) is the reference's, held to minAgreement;
 * and the largest |Δ logit| of either (reported only).
 */
export function spanFigures(
  names: { start: string; end: string },
  reference: { start: readonly SampledTensor[]; end: readonly SampledTensor[] },
  candidate: { start: readonly SampledTensor[]; end: readonly SampledTensor[] },
  minAgreement: number,
): Comparison {
  const queries = Math.min(
    reference.start.length,
    candidate.start.length,
    reference.end.length,
    candidate.end.length,
  );
  if (queries === 0) return { ok: false, problem: `no queries to compare for '${names.start}'` };
  let agree = 0;
  let maxDelta = 0;
  for (let q = 0; q < queries; q++) {
    const positions = (side: 'start' | 'end') =>
      Math.min(reference[side][q]!.data.length, candidate[side][q]!.data.length);
    const ns = positions('start');
    const ne = positions('end');
    if (ns === 0 || ne === 0) return { ok: false, problem: `the span logits are empty for query ${q}` };
    const rs = reference.start[q]!.data;
    const cs = candidate.start[q]!.data;
    const re = reference.end[q]!.data;
    const ce = candidate.end[q]!.data;
    if (argmax(rs, 0, ns) === argmax(cs, 0, ns) && argmax(re, 0, ne) === argmax(ce, 0, ne)) agree++;
    for (let i = 0; i < ns; i++) maxDelta = Math.max(maxDelta, Math.abs(cs[i]! - rs[i]!));
    for (let i = 0; i < ne; i++) maxDelta = Math.max(maxDelta, Math.abs(ce[i]! - re[i]!));
  }
  return {
    ok: true,
    figures: [
      figure('span-agreement', agree / queries, minAgreement, 'min', `${names.start}+${names.end}`),
      figure('max-abs-logit-delta', maxDelta, null, 'max', `${names.start}+${names.end}`),
    ],
  };
}

/** Below this reference norm a relative error is measured against this instead (an all-zero output). */
const NORM_FLOOR = 1e-12;

/**
 * Any other output: the normwise relative error ‖c − r‖₂ / ‖r‖₂ of each query's tensor, its
 * mean over the queries (held to maxRelativeError) and its largest (reported only). Shapes must
 * match exactly: there are no rows to line up in a box list or an image.
 */
export function relativeErrorFigures(
  name: string,
  reference: readonly SampledTensor[],
  candidate: readonly SampledTensor[],
  maxRelativeError: number,
): Comparison {
  const queries = Math.min(reference.length, candidate.length);
  if (queries === 0) return { ok: false, problem: `no queries to compare for '${name}'` };
  let sum = 0;
  let max = 0;
  for (let q = 0; q < queries; q++) {
    const r = reference[q]!;
    const c = candidate[q]!;
    if (r.dims.length !== c.dims.length || r.dims.some((d, i) => d !== c.dims[i])) {
      return {
        problem: `'${name}' has shape [${c.dims.join(', ')}] per query against the reference's [${r.dims.join(', ')}]`,
        ok: false,
      };
    }
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < r.data.length; i++) {
      const d = c.data[i]! - r.data[i]!;
      diff += d * d;
      norm += r.data[i]! * r.data[i]!;
    }
    const error = Math.sqrt(diff) / Math.max(Math.sqrt(norm), NORM_FLOOR);
    sum += error;
    max = Math.max(max, error);
  }
  return {
    ok: true,
    figures: [
      figure('relative-error-mean', sum / queries, maxRelativeError, 'max', name),
      figure('relative-error-max', max, null, 'max', name),
    ],
  };
}
