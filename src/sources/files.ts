/**
 * Reading energy rows from the files users hand to --cohort and `leaderboard`: result documents
 * (.json), our leaderboard CSV, and AI Energy Score-format CSVs (`model,total_gpu_energy,
 * energy_score`, one file per task, named after it as the leaderboard names them, e.g.
 * text_classification.csv; GPU energy on an H100, as that leaderboard measured).
 */
import { basename, extname } from 'node:path';

import { usageError } from '../errors.js';
import { LEADERBOARD_COLUMNS } from '../leaderboard/columns.js';
import { readRunDocument } from '../result/read.js';
import { readInputText, type OpenInput } from '../util/read-input.js';
import { TASK_NAMES, type TaskName } from '../workload/tasks.js';
import { AIES_V1_FILES, AIES_V1_HARDWARE } from '../rating/reference.js';
import { isRow, rowOfResult, type EnergyRow } from '../rating/rows.js';
import { parseAiesFormatCsv } from './aies.js';
import { EMPTY_CSV_HINT, parseCsv } from './csv.js';
import { isLeaderboardHeader, parseLeaderboardCsv } from './leaderboard-csv.js';

export interface RowFile {
  file: string;
  rows: EnergyRow[];
  /** Configurations of a result document that gave no row, with why. */
  left: { id: string; reason: string }[];
}

/** The task an AI Energy Score-format file holds, from its name. */
function taskOfFileName(file: string): TaskName | null {
  const stem = basename(file, extname(file)).toLowerCase();
  const aies = AIES_V1_FILES[stem];
  if (aies) return aies;
  const dashed = stem.replace(/_/g, '-');
  return (TASK_NAMES as readonly string[]).includes(dashed) ? (dashed as TaskName) : null;
}

/** A leaderboard of many thousand rows is a few MB; a file this large is something else. */
export const MAX_CSV_BYTES = 64 * 1024 * 1024;

export const CSV_HINT =
  'give a leaderboard CSV (energy-score leaderboard results/*.json -o board.csv) or an AI Energy Score-format CSV';

export interface RowFileOptions {
  /** How files are opened (tests inject failures a root user never sees). */
  open?: OpenInput;
}

function readCsvText(file: string, options: RowFileOptions): Promise<string> {
  return readInputText(file, {
    what: 'a CSV file',
    hint: CSV_HINT,
    binaryHint: CSV_HINT,
    maxBytes: MAX_CSV_BYTES,
    open: options.open,
  });
}

const AIES_COLUMNS: readonly string[] = ['model', 'total_gpu_energy', 'energy_score', 'class'];
const OURS_ONLY: readonly string[] = LEADERBOARD_COLUMNS.filter((c) => !AIES_COLUMNS.includes(c));

/**
 * Whether a header is meant as our leaderboard's: most of the columns only it has are there. A
 * board with a column renamed or lost is then told so by name, instead of being read as an AI
 * Energy Score file; an AI Energy Score file with a column of its own added stays one.
 */
function meantAsLeaderboard(names: readonly string[]): boolean {
  return (
    isLeaderboardHeader(names) || OURS_ONLY.filter((c) => names.includes(c)).length * 2 > OURS_ONLY.length
  );
}

function parseAiesCsv(text: string, file: string, names: readonly string[]): EnergyRow[] {
  const task = taskOfFileName(file);
  if (task === null && !(names.includes('model') && names.includes('total_gpu_energy'))) {
    throw usageError(
      `${file} is neither an energy-score leaderboard nor an AI Energy Score-format CSV (columns: ${names.join(', ')})`,
      `a leaderboard starts ${LEADERBOARD_COLUMNS.slice(0, 6).join(',')},… (energy-score leaderboard writes one); an AI Energy Score CSV has model,total_gpu_energy[,energy_score] and is named after its task`,
    );
  }
  if (task === null) {
    throw usageError(
      `${file}: an AI Energy Score-format CSV must be named after its task`,
      `name it like the leaderboard's files (${Object.keys(AIES_V1_FILES).slice(0, 3).join('.csv, ')}.csv…) or a task: ${TASK_NAMES.join(', ')}`,
    );
  }
  return parseAiesFormatCsv(text, file, task, { requireStars: false }).flatMap((cohort) =>
    cohort.entries.map((entry): EnergyRow => ({
      model: entry.model,
      protocol: 'ai-energy-score',
      sha256: null,
      task,
      hardware: AIES_V1_HARDWARE,
      device: 'cuda',
      precision: '',
      batchSize: null,
      energyKwhPer1k: entry.energyKwhPer1k,
      energyStatus: 'measured',
      energyBasis: 'gpu',
      sizeClass: cohort.sizeClass ?? null,
      parameters: null,
      perQueryJ: null,
      ci95Relative: null,
      throughputQps: null,
      latencyP50MsPerQuery: null,
      createdAt: '',
      toolVersion: '',
      source: file,
    })),
  );
}

/** The rows of one file, by its extension: .json result documents, .csv leaderboards. */
export async function readRowFile(file: string, options: RowFileOptions = {}): Promise<RowFile> {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    const document = await readRunDocument(file, options);
    const rows: EnergyRow[] = [];
    const left: RowFile['left'] = [];
    for (const result of document.results) {
      const row = rowOfResult(result, document, file);
      if (isRow(row)) rows.push(row);
      else left.push({ id: result.id, reason: row.reason });
    }
    return { file, rows, left };
  }
  if (ext === '.csv') {
    const text = await readCsvText(file, options);
    const header = parseCsv(text, file)[0];
    if (header === undefined) throw usageError(`${file}: the file is empty`, EMPTY_CSV_HINT);
    const names = header.fields.map((f) => f.trim());
    const rows = meantAsLeaderboard(names)
      ? parseLeaderboardCsv(text, file)
      : parseAiesCsv(text, file, names);
    return { file, rows, left: [] };
  }
  throw usageError(
    `${file}: cannot tell what this file holds from its extension`,
    'give result documents (.json, from bench --json) or leaderboard CSVs (.csv)',
  );
}

export async function readRowFiles(
  files: readonly string[],
  options: RowFileOptions = {},
): Promise<RowFile[]> {
  const read: RowFile[] = [];
  for (const file of files) read.push(await readRowFile(file, options));
  return read;
}
