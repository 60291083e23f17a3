/**
 * Reading energy rows from the files users hand to --cohort and `leaderboard`: result documents
 * (.json), our leaderboard CSV, and AI Energy Score-format CSVs (`model,total_gpu_energy,
 * energy_score`, one file per task, named after it as the leaderboard names them, e.g.
 * text_classification.csv; GPU energy on an H100, as that leaderboard measured).
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';

import { errorMessage, usageError } from '../errors.js';
import { readRunDocument } from '../result/read.js';
import { TASK_NAMES, type TaskName } from '../workload/tasks.js';
import { AIES_V1_FILES, AIES_V1_HARDWARE } from '../rating/reference.js';
import { isRow, rowOfResult, type EnergyRow } from '../rating/rows.js';
import { parseAiesFormatCsv } from './aies.js';
import { parseCsv } from './csv.js';
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

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(`cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : errorMessage(err)}`);
  }
}

function parseAiesCsv(text: string, file: string): EnergyRow[] {
  const task = taskOfFileName(file);
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
export async function readRowFile(file: string): Promise<RowFile> {
  const ext = extname(file).toLowerCase();
  if (ext === '.json') {
    const document = await readRunDocument(file);
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
    const text = await readText(file);
    const header = parseCsv(text, file)[0];
    if (header === undefined) throw usageError(`${file}: the file is empty`);
    const names = header.fields.map((f) => f.trim());
    const rows = isLeaderboardHeader(names) ? parseLeaderboardCsv(text, file) : parseAiesCsv(text, file);
    return { file, rows, left: [] };
  }
  throw usageError(
    `${file}: cannot tell what this file holds from its extension`,
    'give result documents (.json, from bench --json) or leaderboard CSVs (.csv)',
  );
}

export async function readRowFiles(files: readonly string[]): Promise<RowFile[]> {
  const read: RowFile[] = [];
  for (const file of files) read.push(await readRowFile(file));
  return read;
}
