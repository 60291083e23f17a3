/**
 * Pairs the configurations of two result documents. Two configurations match when task,
 * precision, batch size and device are equal and the model is the same: the same file (sha256)
 * or the same model name. The name counts on its own because a release changes the model file,
 * and comparing it with the previous file is the point of a gate.
 */
import { usageError } from '../errors.js';
import type { ConfigResult, RunDocument } from '../result/schema.js';

export interface ConfigPair {
  /** The configuration in the first (baseline) document. */
  base: ConfigResult;
  current: ConfigResult;
  /** Both files have a sha256 and they differ: the model itself changed. */
  modelChanged: boolean;
}

export interface Matching {
  pairs: ConfigPair[];
  /** In the current document only. */
  onlyInCurrent: ConfigResult[];
  /** In the baseline only. */
  onlyInBase: ConfigResult[];
}

export interface NamedDocument {
  /** How messages name it: its path. */
  name: string;
  document: RunDocument;
}

/** A generation's budget, or '' for a one-pass configuration: 10 new tokens never match 100. */
const budgetOf = (r: ConfigResult) => (r.generation ? String(r.generation.newTokensPerQuery) : '');

function sameSetting(a: ConfigResult, b: ConfigResult): boolean {
  return (
    a.task === b.task &&
    a.precision === b.precision &&
    a.batchSize === b.batchSize &&
    a.device === b.device &&
    // Threads are a dimension when both sides name them; ONNX Runtime's default (null) matches any.
    (a.threads === null || b.threads === null || a.threads === b.threads) &&
    budgetOf(a) === budgetOf(b)
  );
}

function sameFile(a: ConfigResult, b: ConfigResult): boolean {
  return a.model.sha256 !== null && a.model.sha256 === b.model.sha256;
}

/** Throws a usage error when nothing matches, naming what differs. */
export function matchConfigurations(base: NamedDocument, current: NamedDocument): Matching {
  for (const side of [base, current]) {
    if (side.document.results.length === 0) {
      throw usageError(`${side.name} has no configurations`, 'its run measured nothing; run bench again');
    }
  }
  const unused = new Set(base.document.results);
  const pairs: ConfigPair[] = [];
  const onlyInCurrent: ConfigResult[] = [];
  for (const c of current.document.results) {
    const candidates = [...unused].filter((b) => sameSetting(b, c));
    // The same file first, so a renamed model still pairs with itself.
    const match =
      candidates.find((b) => sameFile(b, c)) ?? candidates.find((b) => b.model.name === c.model.name);
    if (!match) {
      onlyInCurrent.push(c);
      continue;
    }
    unused.delete(match);
    const modelChanged =
      match.model.sha256 !== null && c.model.sha256 !== null && match.model.sha256 !== c.model.sha256;
    pairs.push({ base: match, current: c, modelChanged });
  }
  if (pairs.length === 0) {
    throw usageError(
      `no configuration of ${current.name} matches one of ${base.name}: ${describeDifference(base, current)}`,
      'compare results of the same model and task, benched with the same --precision, --batch and --device',
    );
  }
  return { pairs, onlyInCurrent, onlyInBase: [...unused] };
}

const DIMENSIONS: [string, (r: ConfigResult) => string][] = [
  ['model', (r) => r.model.name],
  ['task', (r) => r.task],
  ['precision', (r) => r.precision],
  ['batch size', (r) => String(r.batchSize)],
  ['device', (r) => r.device],
  ['new tokens', budgetOf],
];

function describeDifference(base: NamedDocument, current: NamedDocument): string {
  const differences: string[] = [];
  for (const [label, value] of DIMENSIONS) {
    const inBase = new Set(base.document.results.map(value));
    const inCurrent = new Set(current.document.results.map(value));
    if ([...inCurrent].some((v) => inBase.has(v))) continue;
    differences.push(
      `the ${label} differs (${current.name}: ${[...inCurrent].join(', ')}; ${base.name}: ${[...inBase].join(', ')})`,
    );
  }
  return differences.length > 0
    ? differences.join('; ')
    : 'no pair shares model, task, precision, batch size and device';
}
