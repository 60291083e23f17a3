/** The inspect use-case: a model's inputs, outputs, operators and parameters, and the task it looks like. */
import { inspectModel, type ModelInfo } from '../model/inspect.js';
import { discoverModel } from '../model/variants.js';
import {
  detectLayout,
  filesFor,
  generativeSource,
  readGenerativeFiles,
} from '../workload/generation-layout.js';
import { inferTask, type InferredTask } from '../workload/infer-task.js';
import { NO_OVERRIDES } from '../workload/overrides.js';

/** How bench would generate with the model: its layout, or why it cannot; null for a one-pass model. */
export type GenerationSummary =
  | {
      status: 'found';
      layout: string;
      description: string;
      cacheInputs: number;
      contextTokens: number;
      contextSource: string;
      assumptions: string[];
    }
  | { status: 'unsupported'; reason: string };

export interface InspectReport extends ModelInfo {
  /** Every precision variant found beside it (a model folder), the inspected one first. */
  variants: { precision: string; path: string }[];
  inferredTask: InferredTask;
  generation: GenerationSummary | null;
}

/** Inspects a model file, or a folder's fp32 variant (or its only one); a generative folder by its main file. */
export async function inspect(model: string): Promise<InspectReport> {
  const files = await readGenerativeFiles(model);
  const source = generativeSource(model, files) ?? (await discoverModel(model));
  const first = source.variants[0]!;
  const info = await inspectModel(first.path);
  const variants = source.variants.map((v) => ({ precision: v.precision, path: v.path }));
  const detection = await detectLayout({
    model: info,
    files: filesFor(files, first.precision),
    overrides: NO_OVERRIDES,
    inspect: inspectModel,
  });
  const generation: GenerationSummary | null =
    detection.status === 'found'
      ? {
          status: 'found',
          layout: detection.layout.kind,
          description: detection.layout.description,
          cacheInputs: new Set(
            [...detection.layout.first.cache, ...detection.layout.next.cache].map((c) => c.past),
          ).size,
          contextTokens: detection.layout.contextTokens,
          contextSource: detection.layout.contextSource,
          assumptions: detection.layout.assumptions,
        }
      : detection.status === 'unsupported'
        ? { status: 'unsupported', reason: detection.reason }
        : null;
  return { ...info, variants, inferredTask: inferTask(info), generation };
}
