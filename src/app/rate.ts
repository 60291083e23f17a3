/** The rate use-case: read stored results and rate every configuration in them again. */
import { usageError } from '../errors.js';
import { rateItems, type RatedItem } from '../rating/assign.js';
import { readRunDocument } from '../result/read.js';
import type { RunDocument } from '../result/schema.js';
import { ratingPlan, type RatingRequest } from './rating-plan.js';

export interface RatedFile {
  file: string;
  document: RunDocument;
}

/** Reads every file (a bad one fails before any rating), then rates all their configurations together. */
export async function rateFiles(files: readonly string[], request: RatingRequest): Promise<RatedFile[]> {
  const documents: RatedFile[] = [];
  for (const file of files) documents.push({ file, document: await readRunDocument(file) });
  const plan = await ratingPlan(request);
  const items: RatedItem[] = documents.flatMap(({ file, document }) =>
    document.results.map((result) => ({ result, document, source: file })),
  );
  if (items.length === 0) throw usageError(`${files.join(', ')}: no configurations to rate`);
  rateItems(items, plan);
  return documents;
}
