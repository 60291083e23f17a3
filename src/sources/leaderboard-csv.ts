/** Reading our leaderboard CSV back into rows, so a board can be merged with new runs. */
import { usageError } from '../errors.js';
import {
  LEADERBOARD_COLUMNS,
  OPTIONAL_LEADERBOARD_COLUMNS,
  type LeaderboardColumn,
} from '../leaderboard/columns.js';
import { SIZE_CLASSES, type SizeClass } from '../rating/cohort.js';
import { isRowProtocol, type EnergyRow } from '../rating/rows.js';
import { undefuseFormula } from '../util/text-safety.js';
import { energyCell } from './aies.js';
import { EMPTY_CSV_HINT, FIELD_COUNT_HINT, parseCsv } from './csv.js';

const HINT_WRITE = 'write one with `energy-score leaderboard results/*.json -o leaderboard.csv`';

/** Whether a CSV header is our leaderboard's (rather than an AI Energy Score file's). */
export function isLeaderboardHeader(names: readonly string[]): boolean {
  return ['task', 'hardware', 'energy_kwh_per_1k', 'energy_method', 'energy_basis'].every((c) =>
    names.includes(c),
  );
}

/** Reads our leaderboard CSV back into rows; `file` names it in errors. */
export function parseLeaderboardCsv(text: string, file: string): EnergyRow[] {
  const [header, ...records] = parseCsv(text, file);
  if (header === undefined) throw usageError(`${file}: the file is empty`, EMPTY_CSV_HINT);
  const names = header.fields.map((f) => f.trim());
  const missing = LEADERBOARD_COLUMNS.filter(
    (c) => !names.includes(c) && !OPTIONAL_LEADERBOARD_COLUMNS.includes(c),
  );
  if (missing.length) {
    const known: readonly string[] = LEADERBOARD_COLUMNS;
    const unknown = names.filter((n) => !known.includes(n));
    const quoted = (list: readonly string[]) => list.map((c) => `'${c}'`).join(', ');
    throw usageError(
      `${file}: not an energy-score leaderboard: no ${quoted(missing)} column${missing.length > 1 ? 's' : ''}` +
        (unknown.length
          ? `; ${quoted(unknown)} ${unknown.length > 1 ? 'are not leaderboard columns' : 'is not a leaderboard column'}`
          : ''),
      unknown.length && unknown.length === missing.length
        ? `rename ${quoted(unknown)} back to ${quoted(missing)}, or ${HINT_WRITE.replace(/^write one/, 'write the board again')}`
        : HINT_WRITE,
    );
  }
  return records.map((record) => {
    const where = `${file} line ${record.line}`;
    if (record.fields.length !== names.length)
      throw usageError(
        `${where}: ${record.fields.length} fields, the header has ${names.length}`,
        FIELD_COUNT_HINT,
      );
    const get = (c: LeaderboardColumn): string => undefuseFormula(record.fields[names.indexOf(c)] ?? '');
    const model = get('model');
    if (model.trim() === '')
      throw usageError(`${where}: no model name`, 'fill in the model column, or delete the line');
    const named = `${where} (model '${model}')`;
    const num = (c: LeaderboardColumn): number | null => optionalNumber(get(c), `${named}: ${c}`);
    const method = get('energy_method');
    const protocol = get('protocol');
    const edited =
      'the board was edited: restore the value energy-score leaderboard wrote, or write the board again';
    if (!isRowProtocol(protocol))
      throw usageError(
        `${named}: protocol must be energy-score, ai-energy-score or generation-N (N new tokens), got '${protocol}'`,
        edited,
      );
    if (method !== 'measured' && method !== 'estimated')
      throw usageError(`${named}: energy_method must be measured or estimated, got '${method}'`, edited);
    const sizeClass = get('size_class');
    if (sizeClass !== '' && !(SIZE_CLASSES as readonly string[]).includes(sizeClass))
      throw usageError(`${named}: size_class must be one of ${SIZE_CLASSES.join(', ')} or empty`, edited);
    const batch = num('batch_size');
    const threads = num('threads');
    if (threads !== null && !(Number.isInteger(threads) && threads >= 1))
      throw usageError(`${named}: threads must be a whole number of at least 1, or empty`, edited);
    return {
      model,
      protocol,
      sha256: get('sha256') || null,
      task: get('task'),
      hardware: get('hardware'),
      device: get('device'),
      precision: get('precision'),
      batchSize: batch,
      ...(threads === null ? {} : { threads }),
      energyKwhPer1k: energyCell(get('energy_kwh_per_1k'), named, 'energy_kwh_per_1k'),
      energyStatus: method,
      energyBasis: get('energy_basis'),
      sizeClass: sizeClass === '' ? null : (sizeClass as SizeClass),
      parameters: num('parameters'),
      perQueryJ: num('j_per_query'),
      ci95Relative: num('ci95_relative'),
      ...(num('model_band_relative') === null ? {} : { modelBandRelative: num('model_band_relative') }),
      throughputQps: num('throughput_qps'),
      latencyP50MsPerQuery: num('latency_p50_ms_per_query'),
      createdAt: get('created_at'),
      toolVersion: get('tool_version'),
      source: get('source') || file,
    };
  });
}

function optionalNumber(text: string, where: string): number | null {
  if (text.trim() === '') return null;
  const n = Number(text);
  if (!Number.isFinite(n))
    throw usageError(
      `${where} is not a number: ${JSON.stringify(text)}`,
      'write a plain number (such as 0.0012), or leave the cell empty where nothing was measured',
    );
  return n;
}
