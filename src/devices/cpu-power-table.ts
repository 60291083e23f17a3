/**
 * CodeCarbon's CPU TDP table (data/codecarbon/cpu_power.csv, MIT) and the name matching that
 * finds a CPU in it. Matching follows CodeCarbon's `TDP._get_matching_cpu`: an exact
 * (case-insensitive) match first, then the name cleaned of marks, "CPU", "@ x GHz", then a
 * token match that only accepts a table entry whose every token is in the name (or the reverse),
 * which is what rapidfuzz's token_set_ratio at CodeCarbon's threshold of 100 accepts.
 * Differences from CodeCarbon, both to avoid a wrong TDP: a token match must share a model-number
 * token (a digit and 3+ characters, so "Intel Xeon Processor" or "Core i7" match nothing), vendor
 * words and core counts are dropped on both sides, and ties are accepted only when every tied entry
 * has the same TDP (CodeCarbon takes a unique best or nothing).
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { errorMessage, runError } from '../errors.js';

export interface CpuPowerEntry {
  /** The model name as the table writes it, e.g. "Intel Core i7-8700K". */
  name: string;
  /** Thermal design power of one chip, W. */
  tdpW: number;
}

export type CpuMatchHow = 'exact' | 'normalised' | 'tokens';

export interface CpuTdpMatch {
  /** The table's name for the model matched. */
  name: string;
  tdpW: number;
  how: CpuMatchHow;
}

/** The shipped table, found relative to this module (dist/src/meters → project root). */
export const CPU_POWER_TABLE_URL = new URL('../../../data/codecarbon/cpu_power.csv', import.meta.url);

const VENDOR_WORDS = new Set(['intel', 'amd', 'genuineintel', 'authenticamd']);
const FILLER_WORDS = new Set(['cpu', 'processor']);
const CORE_COUNT =
  /\b(?:\d+|single|dual|triple|quad|six|eight|ten|twelve|sixteen|twenty[- ]four|thirty[- ]two|sixty[- ]four)[- ]core\b/g;

/** Lower-case tokens of a CPU name without marks, vendor, "CPU", "Processor", clock and core count. */
export function cpuNameTokens(raw: string): string[] {
  const cleaned = raw
    .toLowerCase()
    .replace(/\((?:r|tm|c)\)|[®™©]/g, ' ')
    .replace(/@\s*\d+(?:\.\d+)?\s*[gm]hz/g, ' ')
    .replace(CORE_COUNT, ' ');
  return cleaned.split(/[^a-z0-9]+/).filter((t) => t !== '' && !VENDOR_WORDS.has(t) && !FILLER_WORDS.has(t));
}

export function normaliseCpuName(raw: string): string {
  return cpuNameTokens(raw).join(' ');
}

function collapse(s: string): string {
  return s.toLowerCase().replace(/\s+/g, ' ').trim();
}

/** A model-number token: a digit and 3+ characters (8700k, 2620, 72f3), not a family like i7, e5, v2. */
const isModelToken = (t: string): boolean => t.length >= 3 && /\d/.test(t);

/** The first entry when every entry agrees on the TDP, else null (ambiguous). */
function agreed(candidates: CpuPowerEntry[], how: CpuMatchHow): CpuTdpMatch | null {
  const first = candidates[0];
  if (first === undefined || candidates.some((c) => c.tdpW !== first.tdpW)) return null;
  return { name: first.name, tdpW: first.tdpW, how };
}

export class CpuPowerTable {
  readonly entries: readonly CpuPowerEntry[];
  private readonly exact = new Map<string, CpuPowerEntry>();
  private readonly byNormalised = new Map<string, CpuPowerEntry[]>();
  private readonly tokenSets: { entry: CpuPowerEntry; tokens: Set<string> }[] = [];

  constructor(entries: readonly CpuPowerEntry[]) {
    this.entries = entries;
    for (const entry of entries) {
      const key = collapse(entry.name);
      if (!this.exact.has(key)) this.exact.set(key, entry);
      const tokens = cpuNameTokens(entry.name);
      const norm = tokens.join(' ');
      if (norm === '') continue;
      const list = this.byNormalised.get(norm);
      if (list) list.push(entry);
      else this.byNormalised.set(norm, [entry]);
      this.tokenSets.push({ entry, tokens: new Set(tokens) });
    }
  }

  /** The table entry for a CPU model name (e.g. systeminformation's manufacturer + brand), or null. */
  match(rawName: string): CpuTdpMatch | null {
    const direct = this.exact.get(collapse(rawName));
    if (direct) return { name: direct.name, tdpW: direct.tdpW, how: 'exact' };

    const tokens = cpuNameTokens(rawName);
    if (tokens.length === 0) return null;
    const sameName = this.byNormalised.get(tokens.join(' '));
    if (sameName) return agreed(sameName, 'normalised');

    const nameTokens = new Set(tokens);
    // Entries whose every token is in the name (the name says more, e.g. "with Radeon Graphics").
    let best: CpuPowerEntry[] = [];
    let bestSize = 0;
    // Entries that contain every token of the name (the name says less).
    const wider: CpuPowerEntry[] = [];
    for (const { entry, tokens: entryTokens } of this.tokenSets) {
      if (isSubset(entryTokens, nameTokens)) {
        if (![...entryTokens].some(isModelToken)) continue;
        if (entryTokens.size > bestSize) {
          best = [entry];
          bestSize = entryTokens.size;
        } else if (entryTokens.size === bestSize) {
          best.push(entry);
        }
      } else if (isSubset(nameTokens, entryTokens) && tokens.some(isModelToken)) {
        wider.push(entry);
      }
    }
    if (best.length > 0) return agreed(best, 'tokens');
    return agreed(wider, 'tokens');
  }
}

function isSubset(a: Set<string>, b: Set<string>): boolean {
  for (const t of a) if (!b.has(t)) return false;
  return true;
}

export interface ParsedCpuPowerCsv {
  entries: CpuPowerEntry[];
  /** Rows left out: a TDP that is not a positive number (5 in CodeCarbon's file: "27.29.5", "0.0"). */
  skipped: string[];
}

/** Parses `Name,TDP` rows; a name may be double-quoted (it may hold commas). */
export function parseCpuPowerCsv(text: string): ParsedCpuPowerCsv {
  const lines = text.split(/\r?\n/);
  const header = lines[0]?.trim();
  if (header !== 'Name,TDP') throw runError(`CPU power table: expected header "Name,TDP", got "${header}"`);
  const entries: CpuPowerEntry[] = [];
  const skipped: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (line.trim() === '') continue;
    let name: string;
    let rest: string;
    if (line.startsWith('"')) {
      let j = 1;
      name = '';
      for (;;) {
        const q = line.indexOf('"', j);
        if (q < 0) throw runError(`CPU power table line ${i + 1}: unterminated quote`);
        name += line.slice(j, q);
        if (line[q + 1] === '"') {
          name += '"';
          j = q + 2;
        } else {
          rest = line.slice(q + 1);
          break;
        }
      }
    } else {
      const comma = line.lastIndexOf(',');
      name = line.slice(0, comma);
      rest = line.slice(comma);
    }
    const tdpText = rest.replace(/^,/, '').trim();
    const tdpW = Number(tdpText);
    if (!rest.startsWith(',') || !/^\d+(?:\.\d+)?$/.test(tdpText) || tdpW <= 0 || name.trim() === '') {
      skipped.push(line);
      continue;
    }
    entries.push({ name: name.trim(), tdpW });
  }
  return { entries, skipped };
}

const tableCache = new Map<string, Promise<CpuPowerTable>>();

/** Loads (once per file) and indexes the shipped table. */
export function loadCpuPowerTable(url: URL = CPU_POWER_TABLE_URL): Promise<CpuPowerTable> {
  const key = url.href;
  let table = tableCache.get(key);
  if (!table) {
    table = readFile(fileURLToPath(url), 'utf8').then(
      (text) => new CpuPowerTable(parseCpuPowerCsv(text).entries),
      (err: unknown) => {
        tableCache.delete(key);
        throw runError(
          `cannot read the CPU power table ${fileURLToPath(url)}: ${errorMessage(err)}`,
          'the package is missing data/codecarbon/cpu_power.csv; reinstall energy-score',
          err,
        );
      },
    );
    tableCache.set(key, table);
  }
  return table;
}
