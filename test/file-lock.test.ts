/** The advisory lock beside a file that a command reads and writes back, and the names of its siblings. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import { siblingName } from '../src/util/file-names.js';
import { acquireFileLock, lockPathOf, lockWaitMs, type LockOwner } from '../src/util/file-lock.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-lock-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const HOST = os.hostname();

function lockOf(
  name: string,
  owner: Partial<LockOwner> | string,
): { file: string; lock: string; text: string } {
  const file = path.join(tmp, name);
  const text = typeof owner === 'string' ? owner : `${JSON.stringify(owner)}\n`;
  fs.writeFileSync(`${file}.lock`, text);
  return { file, lock: `${file}.lock`, text };
}

/** A sleep that only adds up the time it was asked to wait. */
function countingSleep() {
  const calls: number[] = [];
  return { calls, sleep: async (ms: number) => void calls.push(ms) };
}

describe('file lock', () => {
  test('the lock file holds the pid, host and time, beside the file, and goes on release', async () => {
    const file = path.join(tmp, 'board.csv');
    const lock = await acquireFileLock(file);
    assert.equal(lock.path, `${file}.lock`);
    const owner = JSON.parse(fs.readFileSync(lock.path, 'utf8')) as LockOwner;
    assert.equal(owner.pid, process.pid);
    assert.equal(owner.host, HOST);
    assert.ok(Math.abs(Date.parse(owner.createdAt) - Date.now()) < 60_000, owner.createdAt);
    await lock.release();
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  test('a second writer waits until the first releases', async () => {
    const file = path.join(tmp, 'turns.csv');
    const first = await acquireFileLock(file);
    const { calls, sleep } = countingSleep();
    const second = await acquireFileLock(file, {
      sleep: async (ms) => {
        await sleep(ms);
        if (calls.length === 2) await first.release();
      },
    });
    assert.equal(calls.length, 2);
    assert.equal((JSON.parse(fs.readFileSync(second.path, 'utf8')) as LockOwner).pid, process.pid);
    await second.release();
  });

  test('writers in one process at once hold the lock one at a time', async () => {
    const file = path.join(tmp, 'many.csv');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        const lock = await acquireFileLock(file);
        inside++;
        most = Math.max(most, inside);
        await new Promise((resolve) => setTimeout(resolve, 5));
        inside--;
        await lock.release();
      }),
    );
    assert.equal(most, 1);
    assert.equal(fs.existsSync(`${file}.lock`), false);
  });

  test('a lock held by a live process: the wait runs out with the lock named and how to remove it', async () => {
    const { file, lock, text } = lockOf('held.csv', {
      pid: 4242,
      host: HOST,
      createdAt: '2026-01-02T03:04:05Z',
    });
    const { calls, sleep } = countingSleep();
    await assert.rejects(
      acquireFileLock(file, { waitMs: 1000, isAlive: () => true, sleep }),
      (err: unknown) => {
        assert.ok(err instanceof EnergyScoreError);
        assert.equal(err.exitCode, 1);
        assert.equal(
          err.message,
          `cannot write ${file}: ${lock} is held by pid 4242 on ${HOST} since 2026-01-02T03:04:05Z (waited 1 s)`,
        );
        assert.equal(
          err.hint,
          `another energy-score is writing it; if none is running, the lock is stale: rm '${lock}'`,
        );
        return true;
      },
    );
    assert.ok(Math.abs(calls.reduce((a, b) => a + b, 0) - 1000) < 1e-6, 'it waited the time given');
    assert.ok(calls.every((ms) => ms <= 300));
    assert.equal(fs.readFileSync(lock, 'utf8'), text, 'a live lock is left alone');
  });

  test('a lock of a process that died here is taken over; one from another host is not', async () => {
    const dead = lockOf('dead.csv', { pid: 4242, host: HOST, createdAt: '2026-01-02T03:04:05Z' });
    const lock = await acquireFileLock(dead.file, { waitMs: 0, isAlive: () => false });
    assert.equal((JSON.parse(fs.readFileSync(dead.lock, 'utf8')) as LockOwner).pid, process.pid);
    await lock.release();
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.startsWith('.dead')),
      [],
      'nothing moved aside is left',
    );
    const away = lockOf('away.csv', { pid: 4242, host: 'another-host', createdAt: '2026-01-02T03:04:05Z' });
    await assert.rejects(acquireFileLock(away.file, { waitMs: 0, isAlive: () => false }), {
      message: `cannot write ${away.file}: ${away.lock} is held by pid 4242 on another-host since 2026-01-02T03:04:05Z (waited 0 s)`,
    });
  });

  test('a lock file that names no process is held, never taken over', async () => {
    const { file, lock, text } = lockOf('garbled.csv', 'not a lock\n');
    await assert.rejects(acquireFileLock(file, { waitMs: 0, isAlive: () => false }), {
      message: `cannot write ${file}: ${lock} is held (by a process it does not name) (waited 0 s)`,
    });
    assert.equal(fs.readFileSync(lock, 'utf8'), text);
  });

  test('a symlink is locked beside its target, so both names share one lock', async () => {
    const other = fs.mkdtempSync(path.join(tmp, 'other-'));
    const target = path.join(other, 'board.csv');
    fs.writeFileSync(target, 'x');
    const link = path.join(tmp, 'link.csv');
    fs.symlinkSync(target, link);
    assert.equal(await lockPathOf(link), path.join(fs.realpathSync(other), 'board.csv.lock'));
  });

  test('ENERGY_SCORE_LOCK_WAIT_S sets the wait', () => {
    assert.equal(lockWaitMs({}), 30_000);
    assert.equal(lockWaitMs({ ENERGY_SCORE_LOCK_WAIT_S: '0.25' }), 250);
    assert.throws(() => lockWaitMs({ ENERGY_SCORE_LOCK_WAIT_S: 'soon' }), {
      message: 'ENERGY_SCORE_LOCK_WAIT_S=soon: not a number of seconds',
    });
  });
});

describe('names beside a file stay within 255 bytes', () => {
  test('a short name is kept whole', () => {
    assert.equal(siblingName('board.csv', '.', '.123.abcd.tmp'), '.board.csv.123.abcd.tmp');
    assert.equal(siblingName('board.csv', '', '.lock'), 'board.csv.lock');
  });

  test('a long name is cut, at a character, with a hash of the whole name', () => {
    const long = `${'b'.repeat(247)}.csv`;
    const lock = siblingName(long, '', '.lock');
    assert.equal(Buffer.byteLength(lock), 255);
    assert.equal(lock, `${'b'.repeat(241)}~7a3aedcb.lock`);
    assert.notEqual(siblingName(`${'b'.repeat(247)}.tsv`, '', '.lock'), lock);
    const accented = siblingName('é'.repeat(127), '.', '.1.2.tmp');
    assert.ok(Buffer.byteLength(accented) <= 255);
    assert.match(accented, /^\.(é)+~[0-9a-f]{8}\.1\.2\.tmp$/);
  });

  test('the lock of a 250-byte name', async () => {
    const file = path.join(tmp, `${'b'.repeat(246)}.csv`);
    const lock = await acquireFileLock(file);
    assert.ok(Buffer.byteLength(path.basename(lock.path)) <= 255);
    assert.ok(fs.existsSync(lock.path));
    await lock.release();
  });
});
