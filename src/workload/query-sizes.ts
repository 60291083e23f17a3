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
