/**
 * An advisory lock beside a file, for commands that read a file and write it back (a board
 * merged into itself, results re-rated in place): a second writer waits its turn instead of
 * replacing what the first one added. The lock is a file created with O_EXCL that holds its
 * owner's pid, host and start time. A lock whose process has died on this host is taken over;
 * a wait that runs out fails with the lock's name and how to remove a stale one.
 */
import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';

import { runError, usageError } from '../errors.js';
import { writeTargetOf } from './atomic-write.js';
import { siblingName } from './file-names.js';

/** What a lock file holds. */
export interface LockOwner {
  pid: number;
  host: string;
  createdAt: string;
  /** Tells this lock from an earlier one of the same process. */
  token?: string;
}

export interface LockOptions {
  /** How long to wait for a lock held by a live process, in ms (default: lockWaitMs()). */
  waitMs?: number;
  /** Whether a process of this host is running; injectable for tests. */
  isAlive?: (pid: number) => boolean;
  /** Waits between tries; injectable for tests. */
  sleep?: (ms: number) => Promise<void>;
}

export interface FileLock {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file, if it is still this lock's. */
  release(): Promise<void>;
}

/** How long a writer waits for a lock by default. */
export const DEFAULT_LOCK_WAIT_S = 30;
const LOCK_WAIT_VARIABLE = 'ENERGY_SCORE_LOCK_WAIT_S';

/** The wait for a lock: ENERGY_SCORE_LOCK_WAIT_S seconds when set, else 30 s. */
export function lockWaitMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = env[LOCK_WAIT_VARIABLE];
  if (value === undefined || value === '') return DEFAULT_LOCK_WAIT_S * 1000;
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0)
    throw usageError(
      `${LOCK_WAIT_VARIABLE}=${value}: not a number of seconds`,
      `unset it, or give seconds, e.g. ${LOCK_WAIT_VARIABLE}=${DEFAULT_LOCK_WAIT_S}`,
    );
  return seconds * 1000;
}

/** The lock of `file`: beside the file it writes (a symlink's target), named FILE.lock. */
export async function lockPathOf(file: string): Promise<string> {
  const target = await writeTargetOf(file);
  return path.join(path.dirname(target), siblingName(path.basename(target), '', '.lock'));
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it runs, as another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseOwner(text: string): LockOwner | null {
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (typeof value.pid === 'number' && Number.isInteger(value.pid) && typeof value.host === 'string')
      return { pid: value.pid, host: value.host, createdAt: String(value.createdAt ?? 'an unknown time') };
  } catch {
    // Being written right now, or not ours: treated as held.
  }
  return null;
}

const quote = (file: string) => `'${file.replace(/'/g, `'\\''`)}'`;
const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Creates the lock file if there is none; false when one is there. */
async function tryCreate(lockPath: string, text: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(lockPath, 'wx');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    await handle.writeFile(text);
    await handle.close();
  } catch (err) {
    // A full disk: no half-made lock is left to block the next writer.
    await handle.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw err;
  }
  return true;
}

/**
 * Removes a stale lock, unless another writer replaced it since it was read: it is moved aside
 * first (rename is atomic), and put back when what was moved is not what was judged stale.
 */
async function takeOver(lockPath: string, staleText: string): Promise<void> {
  const aside = path.join(
    path.dirname(lockPath),
    siblingName(path.basename(lockPath), '.', `.${process.pid}.${randomBytes(4).toString('hex')}.stale`),
  );
  try {
    await rename(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => null);
  if (moved !== staleText) await link(aside, lockPath).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Takes the lock of `file`, waiting while a live process holds it. Errors from the file system
 * (a missing folder, a full disk) are thrown as they are, for the caller to put in words.
 */
export async function acquireFileLock(file: string, options: LockOptions = {}): Promise<FileLock> {
  const lockPath = await lockPathOf(file);
  const waitMs = options.waitMs ?? lockWaitMs();
  const isAlive = options.isAlive ?? processAlive;
  const sleep = options.sleep ?? defaultSleep;
  const host = hostname();
  const owner: LockOwner = {
    pid: process.pid,
    host,
    createdAt: new Date().toISOString(),
    token: randomBytes(8).toString('hex'),
  };
  const text = `${JSON.stringify(owner)}\n`;
  let waitedMs = 0;
  let pauseMs = 5;
  for (;;) {
    if (await tryCreate(lockPath, text)) {
      return {
        path: lockPath,
        release: async () => {
          const now = await readFile(lockPath, 'utf8').catch(() => null);
          if (now === text) await unlink(lockPath).catch(() => undefined);
        },
      };
    }
    const heldText = await readFile(lockPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return null;
      throw err;
    });
    if (heldText === null) continue; // released meanwhile: try again at once
    const held = parseOwner(heldText);
    if (held && held.host === host && held.pid !== process.pid && !isAlive(held.pid)) {
      await takeOver(lockPath, heldText);
      continue;
    }
    if (waitedMs >= waitMs) {
      const by = held
        ? `is held by pid ${held.pid} on ${held.host} since ${held.createdAt}`
        : 'is held (by a process it does not name)';
      throw runError(
        `cannot write ${file}: ${lockPath} ${by} (waited ${waitMs / 1000} s)`,
        `another energy-score is writing it; if none is running, the lock is stale: rm ${quote(lockPath)}`,
      );
    }
    // Short pauses at first (a merge holds the lock for well under a second), with jitter so
    // writers started together do not retry in step.
    const pause = Math.min(pauseMs * (0.5 + Math.random()), waitMs - waitedMs);
    await sleep(pause);
    waitedMs += pause;
    pauseMs = Math.min(pauseMs * 2, 200);
  }
}

/**
 * Runs `fn` holding the locks of `files`, taken in a fixed order (by lock path) so that two
 * commands locking overlapping files cannot wait on each other.
 */
export async function withFileLocks<T>(
  files: readonly string[],
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const byLock = new Map<string, string>();
  for (const file of files) {
    const lockPath = await lockPathOf(file);
    if (!byLock.has(lockPath)) byLock.set(lockPath, file);
  }
  const held: FileLock[] = [];
  try {
    for (const lockPath of [...byLock.keys()].sort())
      held.push(await acquireFileLock(byLock.get(lockPath)!, options));
    return await fn();
  } finally {
    for (const lock of held.reverse()) await lock.release();
  }
}
