/**
 * The user's own data (--data FILE|DIR): text queries from .txt (one a line), .jsonl
 * ({"text": …} or {"prompt": …}) or .csv (a named column), and folders of images or WAV files.
 * Each file must be a regular, readable UTF-8 file with at least one query in it.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorMessage, usageError } from '../errors.js';
import { parseCsv } from '../sources/csv.js';
import { decodeInputText, readInputFile } from '../util/read-input.js';
import { printable } from '../util/text-safety.js';

export const MAX_TEXT_DATA_BYTES = 64 * 1024 * 1024;
export const MAX_MEDIA_FILE_BYTES = 256 * 1024 * 1024;
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg'];
export const AUDIO_EXTENSIONS = ['.wav'];
const TEXT_EXTENSIONS = ['.txt', '.jsonl', '.csv'];

export interface TextData {
  kind: 'text';
  texts: string[];
  sha256: string;
}

export interface MediaData {
  kind: 'image' | 'audio';
  files: { name: string; bytes: Buffer }[];
  sha256: string;
}

export type UserData = TextData | MediaData;

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

const FORMAT_HINT =
  '--data takes a .txt (one query a line), a .jsonl ({"text": …} a line), a .csv with --data-column, a folder of .png/.jpg images or .wav files, or `synthetic`';

/** Reads --data: a text file's queries, or a folder's images or WAV files (sorted by name). */
export async function readUserData(
  target: string,
  column: string | undefined,
  preferPrompt = false,
): Promise<UserData> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw usageError(`--data ${target}: no such file or folder`, FORMAT_HINT);
  }
  if (stat.isDirectory()) return readMediaFolder(target);
  const ext = path.extname(target).toLowerCase();
  if (!TEXT_EXTENSIONS.includes(ext)) {
    if (IMAGE_EXTENSIONS.includes(ext) || AUDIO_EXTENSIONS.includes(ext)) {
      const bytes = await readInputFile(target, {
        what: 'a data file',
        hint: FORMAT_HINT,
        maxBytes: MAX_MEDIA_FILE_BYTES,
      });
      return {
        kind: IMAGE_EXTENSIONS.includes(ext) ? 'image' : 'audio',
        files: [{ name: target, bytes }],
        sha256: sha256(bytes),
      };
    }
    throw usageError(
      `--data ${target}: '${printable(ext || 'no extension')}' is not a data format`,
      FORMAT_HINT,
    );
  }
  if (column !== undefined && ext !== '.csv') {
    throw usageError(`--data-column ${printable(column)} is for .csv files, not ${target}`, FORMAT_HINT);
  }
  const bytes = await readInputFile(target, {
    what: 'a data file',
    hint: FORMAT_HINT,
    maxBytes: MAX_TEXT_DATA_BYTES,
  });
  const text = decodeInputText(bytes, target, { what: 'a text data file', binaryHint: FORMAT_HINT });
  const texts =
    ext === '.txt'
      ? txtQueries(text)
      : ext === '.jsonl'
        ? jsonlQueries(text, target, preferPrompt)
        : csvQueries(text, target, column);
  if (texts.length === 0) {
    throw usageError(`--data ${target} holds no queries`, 'give a file with at least one non-blank query');
  }
  return { kind: 'text', texts, sha256: sha256(bytes) };
}

/** One query a line; blank lines are skipped. */
export function txtQueries(text: string): string[] {
  return text
    .split(/\r\n|\n|\r/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** One JSON object a line, its query in "text" (or "prompt", first for generation). */
export function jsonlQueries(text: string, file: string, preferPrompt: boolean): string[] {
  const keys = preferPrompt ? ['prompt', 'text'] : ['text', 'prompt'];
  const out: string[] = [];
  text.split(/\r\n|\n|\r/).forEach((line, index) => {
    if (!line.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw usageError(
        `${file} line ${index + 1} is not JSON: ${printable(errorMessage(err))}`,
        'each line of a .jsonl file is one JSON object, {"text": "…"}',
      );
    }
    const record =
      typeof value === 'object' && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : {};
    const key = keys.find((k) => typeof record[k] === 'string');
    if (key === undefined) {
      throw usageError(
        `${file} line ${index + 1} has no "text" or "prompt" string`,
        'each line of a .jsonl file is one JSON object, {"text": "…"}',
      );
    }
    const query = (record[key] as string).trim();
    if (query) out.push(query);
  });
  return out;
}

/** The named column of a CSV with a header line; blank cells are skipped. */
export function csvQueries(text: string, file: string, column: string | undefined): string[] {
  const records = parseCsv(text, file);
  const header = records[0]?.fields;
  if (!header)
    throw usageError(`--data ${file} holds no queries`, 'a CSV starts with a header line naming its columns');
  const name = column ?? (header.includes('text') ? 'text' : undefined);
  const list = header.map((h) => printable(h)).join(', ');
  if (name === undefined) {
    throw usageError(
      `${file} has no "text" column, and --data-column names none`,
      `its columns are: ${list}; choose one with --data-column NAME`,
    );
  }
  const index = header.indexOf(name);
  if (index < 0) {
    throw usageError(`${file} has no column '${printable(name)}'`, `its columns are: ${list}`);
  }
  return records
    .slice(1)
    .map((r) => (r.fields[index] ?? '').trim())
    .filter(Boolean);
}

async function readMediaFolder(dir: string): Promise<MediaData> {
  const names = fs.readdirSync(dir).sort();
  const images = names.filter((n) => IMAGE_EXTENSIONS.includes(path.extname(n).toLowerCase()));
  const audio = names.filter((n) => AUDIO_EXTENSIONS.includes(path.extname(n).toLowerCase()));
  if (images.length === 0 && audio.length === 0) {
    throw usageError(`--data ${dir}: the folder holds no .png, .jpg or .wav files`, FORMAT_HINT);
  }
  if (images.length > 0 && audio.length > 0) {
    throw usageError(
      `--data ${dir}: the folder holds both images and WAV files`,
      'give a folder of one kind',
    );
  }
  const kind = images.length > 0 ? 'image' : 'audio';
  const files: MediaData['files'] = [];
  const hash = createHash('sha256');
  for (const name of kind === 'image' ? images : audio) {
    const file = path.join(dir, name);
    const bytes = await readInputFile(file, {
      what: 'a data file',
      hint: FORMAT_HINT,
      maxBytes: MAX_MEDIA_FILE_BYTES,
    });
    files.push({ name: file, bytes });
    hash.update(`${name}\0${sha256(bytes)}\n`);
  }
  return { kind, files, sha256: hash.digest('hex') };
}
