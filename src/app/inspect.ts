/** The inspect use-case: a model's inputs, outputs, operators and parameters, and the task it looks like. */
import { inspectModel, type ModelInfo } from '../model/inspect.js';
import { discoverModel } from '../model/variants.js';
import { inferTask, type InferredTask } from '../workload/infer-task.js';

export interface InspectReport extends ModelInfo {
  /** Every precision variant found beside it (a model folder), the inspected one first. */
  variants: { precision: string; path: string }[];
  inferredTask: InferredTask;
}

/** Inspects a model file, or a folder's fp32 variant (or its only one). */
export async function inspect(model: string): Promise<InspectReport> {
  const source = await discoverModel(model);
  const info = await inspectModel(source.variants[0]!.path);
  const variants = source.variants.map((v) => ({ precision: v.precision, path: v.path }));
  return { ...info, variants, inferredTask: inferTask(info) };
}
