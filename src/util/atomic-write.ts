/** Writes a file so that readers see the old content or the new, never a torn mix. */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, usageError } from '../errors.js';

export async function writeFileAtomic(file: string, content: string | Uint8Array): Promise<void> {
  const temp = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
  try {
    await writeFile(temp, content);
    await rename(temp, file);
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
