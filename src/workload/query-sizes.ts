/** The suite's query sizes for one model: the task's sizes, capped at the sequence length it takes. */
import type { SynthesisPlan } from './input-plan.js';
import { sampleQuerySizes, type QuerySize, type TaskDefinition } from './tasks.js';

/** The query sizes of the suite, capped at what the model takes. */
export function suiteQuerySizes(
  plan: SynthesisPlan,
  task: TaskDefinition,
  queries: number,
  seed: number,
): QuerySize[] {
  return sampleQuerySizes(
    task,
    queries,
    seed,
    plan.maxTokens !== undefined ? { maxTokens: plan.maxTokens } : {},
  );
}

/**
 * The planned dims' descriptions, with the token range of real queries in place of the suite's
 * where the queries come from data (a two-line file is not "8-512 tokens, mean 157").
 */
export function dimsForQueries(
  dimsUsed: Readonly<Record<string, number | string>>,
  querySizes: readonly QuerySize[],
): Record<string, number | string> {
  const tokens = querySizes.flatMap((q) => (q.tokens !== undefined ? [q.tokens] : []));
  if (tokens.length === 0) return { ...dimsUsed };
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const t of tokens) {
    min = Math.min(min, t);
    max = Math.max(max, t);
    sum += t;
  }
  const mean = Number((sum / tokens.length).toFixed(1));
  const text = `per batch: longest query (${min}-${max} tokens, mean ${mean}, from the data)`;
  return Object.fromEntries(
    Object.entries(dimsUsed).map(([name, value]) => [
      name,
      typeof value === 'string' && value.startsWith('per batch: longest query (') ? text : value,
    ]),
  );
}
