/** The check use-case: read a result (and a baseline) and evaluate the limits; the report says what passed. */
import { runCheck, type CheckLimits, type CheckReport } from '../gate/check.js';
import { readRunDocument } from '../result/read.js';

export interface CheckRequest {
  /** The result file to gate. */
  result: string;
  /** An earlier result to test for a regression against. */
  baseline?: string;
  limits: CheckLimits;
}

export async function checkFiles(request: CheckRequest): Promise<CheckReport> {
  const result = { name: request.result, document: await readRunDocument(request.result) };
  const baseline = request.baseline
    ? { name: request.baseline, document: await readRunDocument(request.baseline) }
    : undefined;
  return runCheck({ result, baseline, limits: request.limits });
}
