/**
 * Reading AI Energy Score-format CSVs: the shipped v1 leaderboard in data/aies-v1/ (see
 * rating/reference.ts for what it is) and a user's own files in that format. Columns
 * `model,total_gpu_energy,energy_score` (text_generation adds `class`: A, B, C), energy in kWh
 * per 1,000 queries of GPU energy, `energy_score` the published stars.
 *
 * Each file is one cohort, except text_generation, which is one cohort per class. Rows are kept
 * as published, duplicates included (image_classification lists
 * microsoft/swinv2-large-patch4-window12-192-22k twice and object_detection
 * facebook/detr-resnet-50-dc5 twice, with different energies): the published stars were computed
 * with them in the cohort.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError, errorMessage, runError, usageError } from '../errors.js';
import type { TaskName } from '../workload/tasks.js';
import {
  checkEnergyKwhPer1k,
  SIZE_CLASSES,
  type Cohort,
  type CohortEntry,
  type SizeClass,
} from '../rating/cohort.js';
import {
  AIES_V1_FILES,
  AIES_V1_HARDWARE,
  AIES_V1_SOURCE,
  type ReferenceCohort,
} from '../rating/reference.js';
import type { Stars } from '../rating/scales.js';
import { EMPTY_CSV_HINT, FIELD_COUNT_HINT, parseCsv } from './csv.js';

/** The shipped leaderboard, found relative to this module (dist/src/sources → project root). */
export const AIES_V1_DIR_URL = new URL('../../../data/aies-v1/', import.meta.url);

/** The energy cell of a row, with a hint: checkEnergyKwhPer1k says what is wrong, not what to write. */
export function energyCell(text: string | undefined, where: string, column: string): number {
  try {
    return checkEnergyKwhPer1k(text, where);
  } catch (err) {
    if (!(err instanceof EnergyScoreError)) throw err;
    throw usageError(
      err.message,
      `${column} holds kWh per 1,000 queries as a plain number of 0 or more, such as 0.0012`,
    );
  }
}

function parseStars(text: string, where: string): Stars {
  if (!/^[1-5]$/.test(text.trim()))
    throw usageError(
      `${where}: energy_score must be 1 to 5, got '${text}'`,
      'energy_score holds whole stars from 1 to 5; leave the column out to have them computed',
    );
  return Number(text.trim()) as Stars;
}

function parseSizeClass(text: string, where: string): SizeClass {
  const c = text.trim();
  if (!(SIZE_CLASSES as readonly string[]).includes(c)) {
    throw usageError(
      `${where}: class must be one of ${SIZE_CLASSES.join(', ')}, got '${text}'`,
      'class is the AI Energy Score size class: A up to 20B parameters, B up to 66B, C above',
    );
  }
  return c as SizeClass;
}

/** A row of an AI Energy Score-format file whose stars may be absent (a user's own file). */
export interface AiesFormatEntry extends CohortEntry {
  line: number;
  publishedStars: Stars | null;
}

export interface AiesFormatCohort extends Cohort {
  entries: AiesFormatEntry[];
  file: string;
}

/**
 * The cohorts of one leaderboard file: one, or one per class for text generation (A, B, C order,
 * classes with no rows left out). `file` names the file in error messages.
 */
export function parseReferenceCsv(text: string, file: string, task: TaskName): ReferenceCohort[] {
  return parseAiesFormatCsv(text, file, task, { requireStars: true }) as ReferenceCohort[];
}

/**
 * The same for any AI Energy Score-format file; with `requireStars: false` the energy_score
 * column may be left out (stars are recomputed anyway), and entries then have none.
 */
export function parseAiesFormatCsv(
  text: string,
  file: string,
  task: TaskName,
  options: { requireStars: boolean },
): AiesFormatCohort[] {
  const [header, ...rows] = parseCsv(text, file);
  if (header === undefined) throw usageError(`${file}: the file is empty`, EMPTY_CSV_HINT);
  const names = header.fields.map((f) => f.trim());
  const column = (name: string): number => {
    const index = names.indexOf(name);
    if (index < 0)
      throw usageError(
        `${file}: no '${name}' column (columns: ${names.join(', ')})`,
        `an AI Energy Score-format CSV has the columns model,total_gpu_energy,energy_score${task === 'text-generation' ? ',class' : ''}`,
      );
    return index;
  };
  const modelCol = column('model');
  const energyCol = column('total_gpu_energy');
  const starsCol = options.requireStars || names.includes('energy_score') ? column('energy_score') : -1;
  const classCol = task === 'text-generation' ? column('class') : -1;

  const byClass = new Map<SizeClass | null, AiesFormatEntry[]>();
  for (const row of rows) {
    const where = `${file} line ${row.line}`;
    if (row.fields.length !== names.length) {
      throw usageError(
        `${where}: ${row.fields.length} fields, the header has ${names.length}`,
        FIELD_COUNT_HINT,
      );
    }
    const model = (row.fields[modelCol] as string).trim();
    if (model === '')
      throw usageError(`${where}: no model name`, 'fill in the model column, or delete the line');
    const named = `${where} (model '${model}')`;
    const entry: AiesFormatEntry = {
      model,
      energyKwhPer1k: energyCell(row.fields[energyCol], named, 'total_gpu_energy'),
      line: row.line,
      publishedStars: starsCol >= 0 ? parseStars(row.fields[starsCol] as string, named) : null,
    };
    const sizeClass = classCol >= 0 ? parseSizeClass(row.fields[classCol] as string, named) : null;
    const list = byClass.get(sizeClass);
    if (list) list.push(entry);
    else byClass.set(sizeClass, [entry]);
  }
  if (byClass.size === 0) throw usageError(`${file}: no rows`, 'it has a header line and nothing under it');

  const base = { task, hardware: AIES_V1_HARDWARE, source: AIES_V1_SOURCE, file };
  if (classCol < 0) return [{ ...base, entries: byClass.get(null) ?? [] }];
  return SIZE_CLASSES.flatMap((sizeClass) => {
    const entries = byClass.get(sizeClass);
    return entries ? [{ ...base, sizeClass, entries }] : [];
  });
}

/** Every cohort of the leaderboard in `dir` (default: the shipped data/aies-v1/). */
export async function loadReferenceCohorts(dir: string | URL = AIES_V1_DIR_URL): Promise<ReferenceCohort[]> {
  const dirPath = dir instanceof URL ? fileURLToPath(dir) : dir;
  const cohorts: ReferenceCohort[] = [];
  for (const [name, task] of Object.entries(AIES_V1_FILES)) {
    const file = join(dirPath, `${name}.csv`);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw runError(
        `cannot read the reference leaderboard ${file}: ${errorMessage(err)}`,
        'the package data (data/aies-v1/) is missing; reinstall energy-score',
        err,
      );
    }
    cohorts.push(...parseReferenceCsv(text, file, task));
  }
  return cohorts;
}

/**
 * The reference cohort for a task (and, for text generation, a size class; see
 * sizeClassForParameters). Usage errors for a task with no reference (custom) and for text
 * generation without a class.
 */
export async function findReferenceCohort(
  task: TaskName,
  sizeClass?: SizeClass,
  dir: string | URL = AIES_V1_DIR_URL,
): Promise<ReferenceCohort> {
  if (!Object.values(AIES_V1_FILES).includes(task)) {
    throw usageError(
      `the AI Energy Score v1 reference has no '${task}' cohort`,
      `it covers: ${Object.values(AIES_V1_FILES).join(', ')}`,
    );
  }
  if (task === 'text-generation' && sizeClass === undefined) {
    throw usageError(
      'text generation is rated within a size class (A up to 20B parameters, B up to 66B, C above)',
      'give the parameter count or the class',
    );
  }
  const cohorts = await loadReferenceCohorts(dir);
  const found = cohorts.find(
    (c) => c.task === task && (task !== 'text-generation' || c.sizeClass === sizeClass),
  );
  if (!found) throw usageError(`the AI Energy Score v1 reference has no '${task}' class ${sizeClass} cohort`);
  return found;
}
