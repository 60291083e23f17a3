/** Groups the suite's queries into batches and gives each input's shape in a batch. */
import { usageError } from '../errors.js';
import { DEFAULT_OTHER_DIM, type InputPlan, type SynthesisPlan } from './input-plan.js';
import type { QueryRow, QuerySize } from './tasks.js';

/** The sizes of each batch's varying dims. */
export interface BatchShape {
  queries: number;
  tokens: number;
  audioSamples: number;
  /** Per query: real tokens (the rest is padding). */
  queryTokens: number[];
  queryAudioSamples: number[];
  /** Per query: its real values from data; absent for synthetic inputs. */
  queryRows?: (QueryRow | undefined)[];
}

/** Groups the suite's queries into batches and sizes each batch's varying dims. */
export function planBatches(plan: SynthesisPlan, querySizes: QuerySize[], batchSize: number): BatchShape[] {
  if (!Number.isSafeInteger(batchSize) || batchSize < 1) {
    throw usageError(`batch size ${batchSize} is not a whole number of at least 1`);
  }
  const maxTokens = plan.maxTokens;
  const shapes: BatchShape[] = [];
  for (let start = 0; start < querySizes.length; start += batchSize) {
    const group = querySizes.slice(start, start + batchSize);
    const queryTokens = group.map((q) => q.tokens ?? DEFAULT_OTHER_DIM);
    const queryAudioSamples = group.map((q) => q.audioSamples ?? 0);
    shapes.push({
      queries: group.length,
      tokens: maxTokens ?? Math.max(...queryTokens),
      audioSamples: plan.fixedAudioSamples ?? Math.max(...queryAudioSamples),
      queryTokens: maxTokens !== undefined ? queryTokens.map((t) => Math.min(t, maxTokens)) : queryTokens,
      queryAudioSamples,
      ...(group.some((q) => q.row) ? { queryRows: group.map((q) => q.row) } : {}),
    });
  }
  return shapes;
}

export function inputShape(input: InputPlan, batch: BatchShape): number[] {
  return input.dims.map((d) => {
    switch (d.role) {
      case 'batch':
        return batch.queries;
      case 'tokens':
        return batch.tokens;
      case 'audio':
        return batch.audioSamples;
      default:
        return d.value;
    }
  });
}
