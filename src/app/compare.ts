/** The compare use-case: two result files, matched by configuration, as ratios with their uncertainty. */
import { compareDocuments, type CompareReport } from '../gate/compare.js';
import { readRunDocument } from '../result/read.js';

export async function compareFiles(a: string, b: string): Promise<CompareReport> {
  return compareDocuments(
    { name: a, document: await readRunDocument(a) },
    { name: b, document: await readRunDocument(b) },
  );
}
