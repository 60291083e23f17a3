/**
 * The shipped reference: the AI Energy Score v1 leaderboard (February 2025), one CSV per task in
 * data/aies-v1/ (see its README.md for source and attribution), energy in kWh per 1,000 queries
 * of GPU energy on one NVIDIA H100 80GB. Its names and types only: sources/aies.ts reads it, so
 * rating stays free of files.
 */
import type { TaskName } from '../workload/tasks.js';
import type { Cohort, CohortEntry } from './cohort.js';
import type { Stars } from './scales.js';

export const AIES_V1_HARDWARE = 'NVIDIA H100 80GB';
export const AIES_V1_SOURCE = 'AI Energy Score v1 leaderboard (February 2025)';

/** The leaderboard's file names (without .csv) and the tool's task names, in TASK_NAMES order. */
export const AIES_V1_FILES: Readonly<Record<string, TaskName>> = {
  text_classification: 'text-classification',
  sentence_similarity: 'sentence-similarity',
  question_answering: 'question-answering',
  summarization: 'summarization',
  text_generation: 'text-generation',
  image_classification: 'image-classification',
  object_detection: 'object-detection',
  asr: 'automatic-speech-recognition',
  image_captioning: 'image-captioning',
  image_generation: 'image-generation',
};

export interface ReferenceEntry extends CohortEntry {
  line: number;
  /** The star rating the leaderboard published for this row. */
  publishedStars: Stars;
}

export interface ReferenceCohort extends Cohort {
  entries: ReferenceEntry[];
  file: string;
}
