/**
 * Reading the files users hand us (result documents, CSVs, models): regular files only, up to a
 * size that makes sense for what they should hold, and as text only when it decodes.
 *
 * The file is opened without blocking and checked through its descriptor: opening a named pipe
 * for reading would otherwise wait for a writer forever, and a check by name before opening could
 * look at another file than the one read.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { errorMessage, usageError } from '../errors.js';
import { printable } from './text-safety.js';

/** What reading needs of an open file; tests inject one that fails like a real file system. */
export type InputHandle = Pick<FileHandle, 'stat' | 'readFile' | 'close'>;
export type OpenInput = (path: string, flags: number) => Promise<InputHandle>;

export const openInput: OpenInput = (path, flags) => open(path, flags);

/** O_NONBLOCK is POSIX; where it does not exist (Windows) there are no named pipes to open by path. */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

export interface InputSpec {
  /** What the file should be, with its article, for messages: "a result document", "an ONNX model". */
  what: string;
  /** What to try when it cannot be read (a missing file, say). */
  hint: string;
  /** Larger files are refused before they are read. */
  maxBytes: number;
  /** What to try when the file is too large; by default, to check it is the file meant. */
  sizeHint?: string;
  open?: OpenInput;
}

const MIB = 1024 * 1024;

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * MIB) return `${(bytes / (1024 * MIB)).toFixed(1)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}

/** Why an open, stat or read failed, in words; the errno text says nothing a user can act on. */
function failure(path: string, err: unknown, spec: InputSpec) {
  const code = (err as NodeJS.ErrnoException).code;
  const reading = `cannot read ${path}`;
  switch (code) {
    case 'ENOENT':
      return usageError(`${reading}: no such file`, spec.hint);
    case 'EISDIR':
      return usageError(`${reading}: it is a folder`, `give the path of ${spec.what} in it`);
    case 'EACCES':
    case 'EPERM':
      return usageError(
        `${reading}: permission denied`,
        `check who may read it (ls -l ${path}), or copy it somewhere readable`,
      );
    case 'ENOTDIR':
      return usageError(`${reading}: a folder in its path is a file`, 'check the path');
    case 'ELOOP':
      return usageError(`${reading}: its symbolic links form a loop`, 'check where the links point (ls -l)');
    case 'ENAMETOOLONG':
      return usageError(`${reading}: the name is too long`, 'give a shorter path');
    default:
      return usageError(
        `${reading}: ${printable(errorMessage(err))}`,
        'check that the file is readable and the disk is healthy',
      );
  }
}

function notRegular(path: string, kind: string, spec: InputSpec) {
  return usageError(
    `cannot read ${path}: it is ${kind}, not a regular file`,
    kind.includes('pipe')
      ? `a pipe waits for a writer and can be read only once; save what it carries to a file (cat ${path} > file) and give that`
      : `give the path of ${spec.what}`,
  );
}

/** The file's bytes, or a usage error saying what is wrong with it and what to try. */
export async function readInputFile(path: string, spec: InputSpec): Promise<Buffer> {
  let handle: InputHandle;
  try {
    handle = await (spec.open ?? openInput)(path, READ_FLAGS);
  } catch (err) {
    throw failure(path, err, spec);
  }
  try {
    const info = await handle.stat().catch((err: unknown) => {
      throw failure(path, err, spec);
    });
    if (info.isDirectory()) throw failure(path, Object.assign(new Error(), { code: 'EISDIR' }), spec);
    if (info.isFIFO()) throw notRegular(path, 'a named pipe (FIFO)', spec);
    if (info.isSocket()) throw notRegular(path, 'a socket', spec);
    if (info.isCharacterDevice() || info.isBlockDevice()) throw notRegular(path, 'a device', spec);
    if (!info.isFile()) throw notRegular(path, 'a special file', spec);
    if (info.size > spec.maxBytes) {
      throw usageError(
        `cannot read ${path}: it is ${formatBytes(info.size)}, more than ${spec.what} can be (${formatBytes(spec.maxBytes)})`,
        spec.sizeHint ?? 'check that this is the file you meant',
      );
    }
    return await handle.readFile().catch((err: unknown) => {
      throw failure(path, err, spec);
    });
  } finally {
    await handle.close().catch(() => undefined);
  }
}

export interface TextSpec {
  what: string;
  /** What to try when the file turns out to be binary (a model given for a result, say). */
  binaryHint: string;
}

/** UTF-16 as Windows PowerShell writes it (`>` redirection), little or big endian. */
function decodeUtf16(bytes: Buffer, bigEndian: boolean): string {
  const body = Buffer.from(bytes.subarray(2, bytes.length - (bytes.length % 2)));
  if (bigEndian) body.swap16();
  return body.toString('utf16le');
}

/** Looks like UTF-16 without a byte-order mark: every other byte of the first characters is 0. */
function looksUtf16(bytes: Buffer): boolean {
  const n = Math.min(bytes.length - (bytes.length % 2), 64);
  if (n < 4) return false;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenZeros++;
    if (bytes[i + 1] === 0) oddZeros++;
  }
  const pairs = n / 2;
  return (evenZeros === pairs && oddZeros === 0) || (oddZeros === pairs && evenZeros === 0);
}

/** Control characters other than tab, line breaks and form feed, as binary files hold. */
// eslint-disable-next-line no-control-regex
const BINARY = /[\u0000-\u0008\u000e-\u001f]/;

/**
 * The text of a file's bytes: UTF-8 (with or without a byte-order mark), or UTF-16 with one. A
 * binary file, UTF-16 without a mark, or bytes that are not UTF-8 are usage errors: read with
 * replacement characters, they would put garbled names into tables and leaderboards.
 */
export function decodeInputText(bytes: Buffer, path: string, spec: TextSpec): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return decodeUtf16(bytes, false);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return decodeUtf16(bytes, true);
  const utf8 = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
  if (looksUtf16(utf8)) {
    throw usageError(
      `${path} looks like UTF-16 text without a byte-order mark`,
      'save it as UTF-8 (or as UTF-16 with a byte-order mark)',
    );
  }
  if (BINARY.test(utf8.subarray(0, 1024).toString('latin1'))) {
    const onnx = /\.onnx$/i.test(path) ? ' (an ONNX model)' : '';
    throw usageError(`${path} is not ${spec.what}: it looks like a binary file${onnx}`, spec.binaryHint);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(utf8);
  } catch {
    const at = firstInvalidUtf8(utf8);
    const where =
      at === null
        ? ''
        : ` (line ${utf8.subarray(0, at).filter((c) => c === 0x0a).length + 1}, byte ${at + bytes.length - utf8.length})`;
    throw usageError(
      `${path} is not UTF-8 text${where}`,
      'save it as UTF-8 (spreadsheets offer "CSV UTF-8" on export)',
    );
  }
}

/** The offset of the first byte that starts no valid UTF-8 sequence: where to look in a hex editor. */
function firstInvalidUtf8(bytes: Uint8Array): number | null {
  let i = 0;
  while (i < bytes.length) {
    const c = bytes[i]!;
    const more =
      c < 0x80
        ? 0
        : c >= 0xc2 && c <= 0xdf
          ? 1
          : c >= 0xe0 && c <= 0xef
            ? 2
            : c >= 0xf0 && c <= 0xf4
              ? 3
              : -1;
    if (more < 0) return i;
    for (let k = 1; k <= more; k++) if (((bytes[i + k] ?? 0) & 0xc0) !== 0x80) return i;
    i += more + 1;
  }
  // Valid shapes that the decoder still refuses (overlong forms, surrogates): no offset to give.
  return null;
}

/** readInputFile and decodeInputText together. */
export async function readInputText(path: string, spec: InputSpec & TextSpec): Promise<string> {
  return decodeInputText(await readInputFile(path, spec), path, spec);
}
