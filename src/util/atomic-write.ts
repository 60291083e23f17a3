/** Writes a file so that readers see the old content or the new, never a torn mix. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, chmod, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, usageError } from '../errors.js';

/**
 * What a write to `file` replaces: a symlink is followed to its target (so the link survives),
 * and an existing file's permission bits are kept. Anything but a regular file (a folder, a
 * device such as /dev/null, a pipe) is refused: renaming over it would replace it.
 */
async function existingTarget(file: string): Promise<{ path: string; mode: number | null }> {
  let target = file;
  try {
    target = await realpath(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { path: file, mode: null };
    throw err;
  }
  const info = await stat(target);
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

export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const target = await existingTarget(file);
  const temp = path.join(
    path.dirname(target.path),
    `.${path.basename(target.path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temp, content, target.mode === null ? {} : { mode: target.mode });
    if (target.mode !== null) await chmod(temp, target.mode);
    await rename(temp, target.path);
  } catch (err) {
    await unlink(temp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (
      code === 'ENOENT' ||
      code === 'EACCES' ||
      code === 'EISDIR' ||
      code === 'ENOTDIR' ||
      code === 'EROFS'
    ) {
      const detail =
        code === 'ENOENT'
          ? 'no such folder'
          : code === 'EACCES'
            ? 'permission denied'
            : code === 'EISDIR'
              ? 'it is a folder'
              : errorMessage(err).replace(temp, file);
      throw usageError(`cannot write ${file}: ${detail}`, 'check that the folder exists and is writable');
    }
    throw err;
  }
}

/** Fails early, before a long run, when a file written at its end could not be. */
export async function checkFolderWritable(file: string): Promise<void> {
  const folder = path.dirname(path.resolve(file));
  try {
    await access(folder, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const detail =
      code === 'ENOENT' ? 'no such folder' : code === 'EACCES' ? 'permission denied' : errorMessage(err);
    throw usageError(`cannot write ${file}: ${detail}`, 'check that the folder exists and is writable');
  }
}
