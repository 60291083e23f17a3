/** Writes a file so that readers see the old content or the new, never a torn mix. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { usageError } from '../errors.js';
import { siblingName } from './file-names.js';

/**
 * The file a write to `file` replaces: a symlink is followed to its target (so the link
 * survives); the path itself when nothing is there yet.
 */
export async function writeTargetOf(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return path.resolve(file);
    throw err;
  }
}

/**
 * What a write to `file` replaces, and an existing file's permission bits, which are kept.
 * Anything but a regular file (a folder, a device such as /dev/null, a pipe) is refused:
 * renaming over it would replace it.
 */
async function existingTarget(file: string): Promise<{ path: string; mode: number | null }> {
  const target = await writeTargetOf(file);
  const info = await stat(target).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return null;
    throw err;
  });
  if (info === null) return { path: target, mode: null };
  if (info.isDirectory()) throw usageError(`cannot write ${file}: it is a folder`, 'give a file name');
  if (!info.isFile())
    throw usageError(`cannot write ${file}: it is not a regular file`, 'give the path of a file to write');
  if (process.getuid?.() !== 0) {
    // rename() would replace a read-only file in a writable folder; honour the file's own mode.
    await access(target, constants.W_OK).catch(() => {
      throw usageError(`cannot write ${file}: permission denied`, 'check that the file is writable');
    });
  }
  return { path: target, mode: info.mode & 0o7777 };
}

export interface AtomicWriteOptions {
  /** Writes the temporary file; tests inject one that fails as a full disk does. */
  writeFile?: (file: string, content: string | Uint8Array, options: { mode?: number }) => Promise<void>;
}

/**
 * Writes `content` to a temporary file beside the target and renames it over the target. A
 * failure removes the temporary file and rethrows the system's error as it is (with its `code`),
 * for the caller to put in words; the target is then as it was.
 */
export async function writeFileAtomic(
  file: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const target = await existingTarget(file);
  // The temporary name must fit in a file name too: for a long target it is shortened.
  const temp = path.join(
    path.dirname(target.path),
    siblingName(path.basename(target.path), '.', `.${process.pid}.${randomBytes(4).toString('hex')}.tmp`),
  );
  const write = options.writeFile ?? writeFile;
  try {
    await write(temp, content, target.mode === null ? {} : { mode: target.mode });
    if (target.mode !== null) await chmod(temp, target.mode);
    await rename(temp, target.path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    throw err;
  }
}
