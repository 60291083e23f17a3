/** A minimal RFC 4180 reader, for the CSV files users and the shipped reference hand us. */
import { usageError } from '../errors.js';

/** What an empty CSV should have held. */
export const EMPTY_CSV_HINT =
  'a CSV to read starts with a header line (model,total_gpu_energy,…); write a leaderboard with `energy-score leaderboard results/*.json -o board.csv`';

/** What to do about a row whose field count differs from the header's. */
export const FIELD_COUNT_HINT =
  'every line needs one field per header column; quote a field that holds a comma ("a,b")';

export interface CsvRecord {
  fields: string[];
  /** 1-based line the record starts on. */
  line: number;
}

/**
 * Parse CSV text (RFC 4180): fields separated by commas, records by CRLF, LF or CR; a field in
 * double quotes may hold commas, line breaks and doubled quotes ("" for "). A leading byte-order
 * mark is dropped, a final line break is optional, and blank lines are skipped. A quote inside an
 * unquoted field, text after a closing quote, or an unclosed quote is an error naming `where`.
 */
export function parseCsv(text: string, where: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  const s = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const fail = (what: string): never => {
    throw usageError(
      `${where} line ${line}: ${what}`,
      'in CSV a field holding a comma, a quote or a line break is quoted ("…"), with each quote inside doubled ("")',
    );
  };
  const endRecord = (): void => {
    fields.push(field);
    if (!(fields.length === 1 && fields[0] === '')) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
  };
  /** Consume a line break at i, if any; true when one was there. */
  const lineBreak = (): boolean => {
    if (s[i] === '\r') {
      i += s[i + 1] === '\n' ? 2 : 1;
    } else if (s[i] === '\n') {
      i += 1;
    } else {
      return false;
    }
    line += 1;
    return true;
  };

  while (i < s.length) {
    if (s[i] === '"' && field === '') {
      // A quoted field, up to the quote not followed by another.
      const quoteLine = line;
      i += 1;
      for (;;) {
        if (i >= s.length) {
          line = quoteLine;
          fail('unclosed quoted field');
        }
        if (s[i] === '"') {
          if (s[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i += 1;
          break;
        }
        if (s[i] === '\r' || s[i] === '\n') {
          const start = i;
          lineBreak();
          field += s.slice(start, i);
          continue;
        }
        field += s[i];
        i += 1;
      }
      if (i < s.length && s[i] !== ',' && s[i] !== '\r' && s[i] !== '\n') fail('text after a closing quote');
      continue;
    }
    if (s[i] === ',') {
      fields.push(field);
      field = '';
      i += 1;
      continue;
    }
    if (lineBreak()) {
      endRecord();
      recordLine = line;
      continue;
    }
    if (s[i] === '"') fail('quote inside an unquoted field (quote the whole field and double the quote)');
    field += s[i];
    i += 1;
  }
  if (field !== '' || fields.length > 0) endRecord();
  return records;
}
