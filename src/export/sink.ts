/**
 * The one place every command's output goes through. A sink is opened before anything is
 * measured or computed: it checks every target then (the folder exists and is writable, the
 * target is not a folder, a pipe or a device, not a model file, not one of the command's own
 * inputs unless the command updates it, at most one format on stdout), so a bad path fails in a
 * second, not after a long run. Files are replaced atomically and only when there is something
 * to put in them; a file the command also read is written holding its lock (src/util/file-lock.ts);
 * write errors become one line with an exit code.
 */
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';

import { EnergyScoreError, errorMessage, runError, usageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { MAX_NAME_BYTES } from '../util/file-names.js';
import { acquireFileLock, lockPathOf, type FileLock } from '../util/file-lock.js';
import { jsonText, terminalText } from '../util/text-safety.js';

/** The machine formats a command can write. */
export type OutputFormat = 'json' | 'csv' | 'markdown' | 'html' | 'svg' | 'png';

export interface OutputRequest {
  format: OutputFormat;
  /** A file, `-` for stdout, or undefined when not asked for. */
  target: string | undefined;
  /** The flag that asked for it, for messages (`--json`, `-o`). */
  flag: string;
}

const STDOUT = '-';
const FORMATS_BY_EXTENSION: Record<string, OutputFormat> = {
  '.json': 'json',
  '.csv': 'csv',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.html': 'html',
  '.htm': 'html',
  '.svg': 'svg',
  '.png': 'png',
};
/** Files an output must never replace: `bench --json model.onnx` is a slip, not a wish. */
const PROTECTED_EXTENSIONS = ['.onnx', '.onnx_data', '.onnx.data', '.pb', '.safetensors', '.bin'];

/**
 * Commander's value for `--json [file|-]`: a bare flag (true) means stdout.
 */
export function targetOf(value: string | boolean | undefined): string | undefined {
  if (value === undefined || value === false) return undefined;
  return value === true ? STDOUT : value;
}

/**
 * The format `-o FILE` writes, from the file's extension, among those the command offers;
 * `-` gives the first offered (the command's main format).
 */
export function formatOfOutput(file: string, offered: readonly OutputFormat[]): OutputFormat {
  if (file === STDOUT) {
    const printable = offered.find((f) => f !== 'html' && f !== 'png');
    if (printable) return printable;
    throw usageError(
      `-o -: ${offered.join(' and ')} ${offered.length > 1 ? 'are' : 'is'} written to files only`,
      'give a file name',
    );
  }
  const lower = file.toLowerCase();
  const extension = Object.keys(FORMATS_BY_EXTENSION).find((e) => lower.endsWith(e));
  const format = extension ? FORMATS_BY_EXTENSION[extension] : undefined;
  if (format && offered.includes(format)) return format;
  const names = offered.map((f) => Object.entries(FORMATS_BY_EXTENSION).find(([, v]) => v === f)![0]);
  throw usageError(
    `-o ${file}: the format is taken from the file's extension, and this command writes ${names.join(', ')}`,
    `name the file ${names.map((n) => `out${n}`).join(' or ')}, or use the format's own flag (--${offered[0]})`,
  );
}

/** Checks one file target; throws a usage error naming the flag. */
async function checkTarget(flag: string, file: string): Promise<void> {
  const cannot = (detail: string, hint = 'check that the folder exists and is writable') =>
    usageError(`${flag}: cannot write ${file}: ${detail}`, hint);
  const lower = file.toLowerCase();
  if (PROTECTED_EXTENSIONS.some((e) => lower.endsWith(e))) {
    throw usageError(
      `${flag} ${file}: refusing to write an output over a model file`,
      `give the output's own file name after ${flag} (e.g. ${flag} result.json), and the model as an argument`,
    );
  }
  if (Buffer.byteLength(path.basename(file)) > MAX_NAME_BYTES)
    throw cannot(`the file name is longer than ${MAX_NAME_BYTES} bytes`, 'use a shorter name');
  const info = await stat(file).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    if (err.code === 'ENOTDIR') throw cannot('a part of the path is a file, not a folder');
    if (err.code === 'ENAMETOOLONG') throw cannot('the path is too long', 'use a shorter path');
    if (err.code === 'EACCES' || err.code === 'EPERM') throw cannot('permission denied');
    throw cannot(errorMessage(err));
  });
  if (info?.isDirectory()) throw cannot('it is a folder', 'give a file name');
  if (info && !info.isFile()) {
    throw cannot('it is not a regular file (a pipe or a device)', `use ${flag} - for stdout, or give a file`);
  }
  const folder = path.dirname(path.resolve(file));
  const folderInfo = await stat(folder).catch(() => null);
  if (!folderInfo) throw cannot('no such folder');
  if (!folderInfo.isDirectory()) throw cannot(`${path.dirname(file)} is not a folder`);
  // Root may write anywhere; access() says so too, so this holds for every user.
  await access(folder, constants.W_OK).catch(() => {
    throw cannot('the folder is not writable (permission denied)');
  });
  if (info) {
    await access(file, constants.W_OK).catch(() => {
      throw cannot('the file is read-only (permission denied)', 'check that the file is writable');
    });
  }
}

/** Turns a failed write into one line: usage (2) for a path problem, run (1) for the machine's. */
export function writeError(where: string, err: unknown): EnergyScoreError {
  if (err instanceof EnergyScoreError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return runError(`cannot write ${where}: no space left on the device`, 'free some space and run again');
    case 'EACCES':
    case 'EPERM':
      return usageError(`cannot write ${where}: permission denied`, 'check that it is writable');
    case 'ENAMETOOLONG':
      return usageError(`cannot write ${where}: the name is too long`, 'use a shorter path');
    case 'EROFS':
      return usageError(`cannot write ${where}: the file system is read-only`, 'write somewhere else');
    case 'ENOENT':
      // Every folder was checked when the sink was opened: this one went away since.
      return runError(
        `cannot write ${where}: its folder no longer exists`,
        'the folder was removed or renamed while energy-score ran; make it again and run again',
      );
    case 'ENOTDIR':
      return usageError(`cannot write ${where}: a part of the path is not a folder`, 'check the path');
    case 'EISDIR':
      return usageError(`cannot write ${where}: it is a folder`, 'give a file name');
    case 'ELOOP':
      return usageError(`cannot write ${where}: too many symbolic links in the path`, 'check the links');
    case 'EPIPE':
      return new StdoutClosed();
    case 'EIO':
      return runError(`cannot write ${where}: input/output error`);
    default:
      return runError(`cannot write ${where}: ${errorMessage(err)}`);
  }
}

/**
 * Stdout was closed by its reader (`energy-score … | head -1`): nothing is left to say, and
 * the command's exit code stands.
 */
export class StdoutClosed extends EnergyScoreError {
  constructor() {
    super('run', 'stdout was closed by its reader');
    this.name = 'StdoutClosed';
  }
}

/** Writes to a stream and waits until it is written; a failed write rejects with one line. */
export function writeStream(stream: NodeJS.WritableStream, text: string | Uint8Array, where: string) {
  return new Promise<void>((resolve, reject) => {
    try {
      stream.write(text, (err) => (err ? reject(writeError(where, err)) : resolve()));
    } catch (err) {
      reject(writeError(where, err));
    }
  });
}

/** What a command reads, so that no output replaces it by mistake. */
export interface SinkInputs {
  /** Files the command reads: an output that is one of them is refused, */
  reads: readonly string[];
  /**
   * except this format's output over one of these files, which the command updates (a board
   * merged into itself, a result re-rated): that write holds the file's lock.
   */
  updates?: { format: OutputFormat; files: readonly string[] };
}

/** Whether two paths name one file (through symlinks and `./`); false when either is missing. */
async function sameFile(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([stat(a).catch(() => null), stat(b).catch(() => null)]);
  return x !== null && y !== null && x.dev === y.dev && x.ino === y.ino;
}

/** Writes human-readable text to a stream, with nothing a terminal would act on but colour (terminalText). */
export function writeText(stream: NodeJS.WritableStream, text: string, where: string): Promise<void> {
  return writeStream(stream, terminalText(text), where);
}

/** JSON's invisible and control characters as \u escapes (jsonText); other formats as they are. */
function safeContent(format: OutputFormat, content: string | Uint8Array): string | Uint8Array {
  return format === 'json' && typeof content === 'string' ? jsonText(content) : content;
}

export class OutputSink {
  private readonly targets = new Map<OutputFormat, { target: string; flag: string }>();
  /** The format that goes to stdout, if one does. */
  readonly stdoutFormat: OutputFormat | undefined;
  /** The inputs (as given) that an output rewrites, by that output's format. */
  private readonly rewritten: Map<OutputFormat, string[]>;
  /** Lock files this sink holds now (see exclusive). */
  private readonly held = new Set<string>();

  private constructor(requests: readonly OutputRequest[], rewritten: Map<OutputFormat, string[]>) {
    for (const r of requests)
      if (r.target !== undefined) this.targets.set(r.format, { target: r.target, flag: r.flag });
    this.stdoutFormat = [...this.targets].find(([, t]) => t.target === STDOUT)?.[0];
    this.rewritten = rewritten;
  }

  /** Checks every target before the command does any work; throws a usage error for a bad one. */
  static async open(
    requests: readonly OutputRequest[],
    inputs: SinkInputs = { reads: [] },
  ): Promise<OutputSink> {
    const given = requests.filter((r) => r.target !== undefined);
    const toStdout = given.filter((r) => r.target === STDOUT);
    if (toStdout.length > 1) {
      throw usageError(
        `only one format can go to stdout, but ${toStdout.map((r) => r.flag).join(' and ')} both ask for -`,
        'send the others to files',
      );
    }
    const seen = new Map<string, string>();
    const rewritten = new Map<OutputFormat, string[]>();
    for (const r of given) {
      if (r.target === STDOUT) continue;
      const target = r.target!;
      const resolved = path.resolve(target);
      const other = seen.get(resolved);
      if (other) throw usageError(`${other} and ${r.flag} both write ${target}`, 'give each its own file');
      seen.set(resolved, r.flag);
      await checkTarget(r.flag, target);
      for (const input of inputs.reads) {
        if (!(await sameFile(input, target))) continue;
        if (inputs.updates?.format !== r.format || !inputs.updates.files.includes(input)) {
          throw usageError(
            `${r.flag} ${target}: it is also an input of this command, and writing it would replace it`,
            'give the output its own file name',
          );
        }
        rewritten.set(r.format, [...(rewritten.get(r.format) ?? []), input]);
      }
    }
    return new OutputSink(given, rewritten);
  }

  has(format: OutputFormat): boolean {
    return this.targets.has(format);
  }

  /** The inputs, as given, that the outputs rewrite: what exclusive() should read again. */
  rewrittenInputs(): string[] {
    return [...this.rewritten.values()].flat();
  }

  /** The formats with a file target. */
  fileFormats(): OutputFormat[] {
    return [...this.targets].filter(([, t]) => t.target !== STDOUT).map(([f]) => f);
  }

  /** The file a format goes to, or undefined (not asked for, or stdout). */
  fileOf(format: OutputFormat): string | undefined {
    const t = this.targets.get(format);
    return t && t.target !== STDOUT ? t.target : undefined;
  }

  /** Where human-readable text goes: stderr when stdout carries a machine format. */
  get textStream(): NodeJS.WriteStream {
    return this.stdoutFormat ? process.stderr : process.stdout;
  }

  /** Writes human-readable text (the table, the report), safe for a terminal. */
  text(content: string): Promise<void> {
    const stream = this.textStream;
    return writeText(stream, content, stream === process.stdout ? 'stdout' : 'stderr');
  }

  /**
   * Runs `fn` holding the lock of every output that rewrites an input, and of `also` (files the
   * command writes back itself): a command that reads such a file again inside `fn` and writes
   * it there loses nothing another process wrote in between.
   */
  exclusive<T>(fn: () => Promise<T>, also: readonly string[] = []): Promise<T> {
    const rewriting = [...this.rewritten.keys()].map((f) => this.fileOf(f)!);
    return this.locked([...rewriting, ...also], fn);
  }

  /**
   * Runs `fn` holding the locks of `files` that this sink does not hold already. They are taken
   * in one order (by lock path), so two commands locking overlapping files cannot wait on each other.
   */
  private async locked<T>(files: readonly string[], fn: () => Promise<T>): Promise<T> {
    const byLock = new Map<string, string>();
    for (const file of files) {
      const lockPath = await lockPathOf(file).catch((err: unknown) => {
        throw writeError(file, err);
      });
      if (!this.held.has(lockPath) && !byLock.has(lockPath)) byLock.set(lockPath, file);
    }
    const locks: FileLock[] = [];
    try {
      for (const lockPath of [...byLock.keys()].sort()) {
        const file = byLock.get(lockPath)!;
        locks.push(
          await acquireFileLock(file).catch((err: unknown) => {
            throw writeError(file, err);
          }),
        );
        this.held.add(lockPath);
      }
      return await fn();
    } finally {
      for (const lock of locks.reverse()) {
        this.held.delete(lock.path);
        await lock.release();
      }
    }
  }

  /** Replaces a file atomically, holding its lock when `locked` (unless the sink holds it already). */
  private async replace(file: string, content: string | Uint8Array, locked: boolean): Promise<void> {
    if (locked) return this.locked([file], () => this.replace(file, content, false));
    try {
      await writeFileAtomic(file, content);
    } catch (err) {
      throw writeError(file, err);
    }
  }

  /** Replaces a format's file atomically; nothing when the format goes to stdout or nowhere. */
  async writeFile(format: OutputFormat, content: string | Uint8Array): Promise<void> {
    const file = this.fileOf(format);
    if (file === undefined) return;
    await this.replace(file, safeContent(format, content), this.rewritten.has(format));
  }

  /** Writes back one of the command's own inputs (`rate --in-place`), atomically and under its lock. */
  writeBack(file: string, content: string): Promise<void> {
    return this.replace(file, safeContent('json', content), true);
  }

  /** Writes a format to wherever it was asked to go, file or stdout. */
  async write(format: OutputFormat, content: string | Uint8Array): Promise<void> {
    if (this.stdoutFormat === format)
      await writeStream(process.stdout, safeContent(format, content), 'stdout');
    else await this.writeFile(format, content);
  }
}
