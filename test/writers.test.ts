/**
 * Writing outputs under faults, end to end: concurrent merges into one board, a lock left behind,
 * a full disk, long names, a folder removed mid-run, symlinks, read-only files, an output that
 * is also an input.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { parseLeaderboardCsv } from '../src/sources/leaderboard-csv.js';
import type { RunDocument } from '../src/result/schema.js';
import {
  assertExit,
  BIN,
  cli,
  cliEnv,
  QUICK_ENERGY,
  REPO_ROOT,
  startCli,
  type RunOutput,
} from './helpers/cli.js';
import { recordedDocument } from './helpers/documents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-writers-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ENV = cliEnv({});
const ROOT = process.getuid?.() === 0;

/** A one-configuration result of its own model (name and sha256), so each adds one row to a board. */
function modelDocument(name: string): RunDocument {
  const doc = recordedDocument();
  doc.results = doc.results.slice(0, 1);
  const result = doc.results[0]!;
  result.model = { ...result.model, name, sha256: name.padEnd(64, '0').slice(0, 64) };
  result.id = result.id.replace(/^[^/]+/, name);
  return doc;
}

function writeJson(dir: string, name: string, doc: RunDocument): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

function freshDir(name: string): string {
  const dir = path.join(tmp, name);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

const leftovers = (dir: string) => fs.readdirSync(dir).filter((f) => /\.(tmp|lock|stale)$/.test(f));
const modelsOf = (file: string) =>
  [...new Set(parseLeaderboardCsv(fs.readFileSync(file, 'utf8'), file).map((r) => r.model))].sort();

/** The pid of a process that has exited. */
function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' }).stdout);
}

/**
 * Starts the CLI as `cli` does (in this process: the bench yields between batches, so the test's
 * timers run beside it) and says, while it runs, whether it has ended.
 */
function running(args: string[]) {
  let finished = false;
  const done = cli(args, ENV).finally(() => (finished = true));
  return { done, ended: () => finished };
}

function writeLock(lock: string, pid: number): string {
  const text = `${JSON.stringify({ pid, host: os.hostname(), createdAt: '2026-01-02T03:04:05.000Z' })}\n`;
  fs.writeFileSync(lock, text);
  return text;
}

describe('concurrent merges into one board', () => {
  test('eight merges at once into one board keep every row, and all exit 0', async () => {
    const dir = freshDir('eight');
    const board = path.join(dir, 'board.csv');
    assertExit(
      await cli(['leaderboard', writeJson(dir, 'base.json', modelDocument('base')), '-o', board], ENV),
      0,
    );
    const names = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => `model${i}`);
    const inputs = names.map((name) => writeJson(dir, `${name}.json`, modelDocument(name)));
    const runs = await Promise.all(
      inputs.map((input) => startCli(['leaderboard', board, input, '-o', board], ENV).done),
    );
    for (const run of runs) assertExit(run, 0);
    assert.deepEqual(modelsOf(board), ['base', ...names]);
    assert.deepEqual(leftovers(dir), []);
  });

  test('a lock left by a process that died is taken over', async () => {
    const dir = freshDir('stale');
    const board = path.join(dir, 'board.csv');
    assertExit(await cli(['leaderboard', writeJson(dir, 'a.json', modelDocument('a')), '-o', board], ENV), 0);
    writeLock(`${board}.lock`, deadPid());
    const b = writeJson(dir, 'b.json', modelDocument('b'));
    assertExit(await cli(['leaderboard', board, b, '-o', board], ENV), 0);
    assert.deepEqual(modelsOf(board), ['a', 'b']);
    assert.deepEqual(leftovers(dir), []);
  });

  test('a lock held by a live process: the merge waits, then fails naming the lock and how to remove it', async () => {
    const dir = freshDir('held');
    const board = path.join(dir, 'board.csv');
    assertExit(await cli(['leaderboard', writeJson(dir, 'a.json', modelDocument('a')), '-o', board], ENV), 0);
    const before = fs.readFileSync(board, 'utf8');
    const lock = `${board}.lock`;
    const text = writeLock(lock, process.pid);
    const b = writeJson(dir, 'b.json', modelDocument('b'));
    const run = await cli(
      ['leaderboard', board, b, '-o', board],
      cliEnv({ ENERGY_SCORE_LOCK_WAIT_S: '0.3' }),
    );
    assertExit(run, 1);
    assert.equal(
      run.stderr,
      `energy-score: error: cannot write ${board}: ${lock} is held by pid ${process.pid} on ${os.hostname()} since 2026-01-02T03:04:05.000Z (waited 0.3 s)\n` +
        `  hint: another energy-score is writing it; if none is running, the lock is stale: rm '${lock}'\n`,
    );
    assert.equal(fs.readFileSync(board, 'utf8'), before);
    assert.equal(fs.readFileSync(lock, 'utf8'), text, 'a live lock is left alone');
  });

  test('rate --in-place holds the lock of each file it rewrites', async () => {
    const dir = freshDir('rate-lock');
    const file = writeJson(dir, 'r.json', recordedDocument());
    const before = fs.readFileSync(file, 'utf8');
    writeLock(`${file}.lock`, process.pid);
    const run = await cli(
      ['rate', file, '--within', '--in-place'],
      cliEnv({ ENERGY_SCORE_LOCK_WAIT_S: '0.2' }),
    );
    assertExit(run, 1);
    assert.match(
      run.stderr,
      new RegExp(`^energy-score: error: cannot write ${file}: ${file}\\.lock is held by pid`),
    );
    assert.equal(fs.readFileSync(file, 'utf8'), before);
    fs.unlinkSync(`${file}.lock`);
    const runs = await Promise.all(
      [0, 1, 2, 3].map(() => startCli(['rate', file, '--within', '--in-place'], ENV).done),
    );
    for (const r of runs) assertExit(r, 0);
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as RunDocument;
    assert.deepEqual(
      doc.results.map((r) => r.rating.stars),
      [5, 2, 5, 1, 5, 1],
    );
    assert.deepEqual(leftovers(dir), []);
  });
});

describe('write errors are one line naming the file', () => {
  test('a full disk: exit 1, the old board kept, no temporary or lock file left', async (t) => {
    const mount = freshDir('full');
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mount], { stdio: 'ignore' });
    } catch {
      t.skip('cannot mount a tmpfs here (atomic-write.test.ts injects ENOSPC instead)');
      return;
    }
    try {
      const board = path.join(mount, 'board.csv');
      assertExit(
        await cli(['leaderboard', writeJson(mount, 'a.json', modelDocument('a')), '-o', board], ENV),
        0,
      );
      const before = fs.readFileSync(board, 'utf8');
      const b = writeJson(mount, 'b.json', modelDocument('b'));
      // Fill what is left of the 64 KiB.
      const filler = path.join(mount, 'filler');
      const fd = fs.openSync(filler, 'w');
      try {
        for (;;) fs.writeSync(fd, Buffer.alloc(1024));
      } catch {
        // ENOSPC: full.
      }
      fs.closeSync(fd);
      for (const args of [
        ['leaderboard', board, b, '-o', board],
        ['leaderboard', b, '-o', path.join(mount, 'new.csv')],
      ]) {
        const run = await cli(args, ENV);
        assertExit(run, 1);
        assert.match(
          run.stderr,
          /^energy-score: error: cannot write \S+\.csv: no space left on the device\n {2}hint: free some space and run again\n$/,
        );
      }
      assert.equal(fs.readFileSync(board, 'utf8'), before);
      assert.deepEqual(leftovers(mount), []);
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  test('a 250-byte file name is written: the temporary and lock names stay within 255 bytes', async () => {
    const dir = freshDir('long');
    const board = path.join(dir, `${'b'.repeat(246)}.csv`);
    assert.equal(Buffer.byteLength(path.basename(board)), 250);
    const a = writeJson(dir, 'a.json', modelDocument('a'));
    const b = writeJson(dir, 'b.json', modelDocument('b'));
    assertExit(await cli(['leaderboard', a, '-o', board], ENV), 0);
    assertExit(await cli(['leaderboard', board, b, '-o', board], ENV), 0);
    assert.deepEqual(modelsOf(board), ['a', 'b']);
    // Multi-byte characters count in bytes: 125 × 'é' is 250 bytes.
    const accented = path.join(dir, `${'é'.repeat(123)}.csv`);
    assertExit(await cli(['leaderboard', a, '-o', accented], ENV), 0);
    assert.deepEqual(modelsOf(accented), ['a']);
    assert.deepEqual(leftovers(dir), []);
  });

  test('the output folder removed during a bench run: exit 1 with one line, nothing left behind', async () => {
    const dir = freshDir('gone');
    const json = path.join(dir, 'r.json');
    const { done, ended } = running([
      'bench',
      'fixtures/zoo/encoder-tiny',
      ...QUICK_ENERGY,
      '--batch',
      '1,2,4,8',
      '--json',
      json,
    ]);
    // Remove the folder as soon as the first configuration is written. Each configuration takes
    // two windows of at least 0.2 s (the warm-up and the measured one, the CPU estimate's floor),
    // against a 10 ms poll, and any write after the removal fails alike.
    while (!fs.existsSync(json) && !ended()) await new Promise((r) => setTimeout(r, 10));
    fs.rmSync(dir, { recursive: true, force: true });
    const run = await done;
    assertExit(run, 1);
    assert.equal(
      run.stderr,
      `energy-score: error: cannot write ${json}: its folder no longer exists\n` +
        '  hint: the folder was removed or renamed while energy-score ran; make it again and run again\n',
    );
    assert.equal(fs.existsSync(dir), false);
    assert.deepEqual(leftovers(tmp), []);
  });

  test('a folder made immutable during a bench run: one line, exit 2, the written file whole', async (t) => {
    const dir = freshDir('immutable');
    const json = path.join(dir, 'r.json');
    try {
      execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
      execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
    } catch {
      t.skip('chattr +i is not available here');
      return;
    }
    const { done, ended } = running([
      'bench',
      'fixtures/zoo/encoder-tiny',
      ...QUICK_ENERGY,
      '--batch',
      '1,2,4,8',
      '--json',
      json,
    ]);
    while (!fs.existsSync(json) && !ended()) await new Promise((r) => setTimeout(r, 10));
    execFileSync('chattr', ['+i', dir]);
    try {
      const run = await done;
      assertExit(run, 2);
      assert.equal(
        run.stderr,
        `energy-score: error: cannot write ${json}: permission denied\n  hint: check that it is writable\n`,
      );
      // Whole: valid JSON of the configurations written before the folder was locked.
      const written = JSON.parse(fs.readFileSync(json, 'utf8')) as RunDocument;
      assert.ok(written.results.length >= 1);
      assert.notEqual(written.complete, true);
      assert.deepEqual(leftovers(dir), []);
    } finally {
      execFileSync('chattr', ['-i', dir]);
    }
  });

  test('an output that is a symlink to a file in another folder: the link survives, the lock sits by the file', async () => {
    const dir = freshDir('link');
    const other = freshDir('link-target');
    const target = path.join(other, 'board.csv');
    const link = path.join(dir, 'board.csv');
    const a = writeJson(dir, 'a.json', modelDocument('a'));
    assertExit(await cli(['leaderboard', a, '-o', target], ENV), 0);
    fs.symlinkSync(target, link);
    writeLock(`${target}.lock`, deadPid());
    const b = writeJson(dir, 'b.json', modelDocument('b'));
    assertExit(await cli(['leaderboard', link, b, '-o', link], ENV), 0);
    assert.ok(fs.lstatSync(link).isSymbolicLink());
    assert.equal(fs.readlinkSync(link), target);
    assert.deepEqual(modelsOf(target), ['a', 'b']);
    assert.deepEqual(leftovers(dir), []);
    assert.deepEqual(leftovers(other), [], 'the stale lock by the target was taken over and removed');
  });

  test('a read-only output file is refused before any work (as a user to whom its mode applies)', async (t) => {
    const dir = freshDir('readonly');
    const board = path.join(dir, 'board.csv');
    fs.writeFileSync(board, 'old board\n');
    fs.chmodSync(board, 0o444);
    const a = writeJson(dir, 'a.json', modelDocument('a'));
    let run: RunOutput;
    if (ROOT) {
      // Root writes any file: run as nobody, who owns the folder but not the right to change the file.
      const nobody = 65534;
      try {
        fs.chmodSync(tmp, 0o755);
        fs.chownSync(dir, nobody, nobody);
        fs.chownSync(board, nobody, nobody);
      } catch {
        t.skip('cannot hand the folder to nobody here');
        return;
      }
      run = await new Promise<RunOutput>((resolve, reject) => {
        const child = spawn(process.execPath, [BIN, 'leaderboard', a, '-o', board], {
          cwd: REPO_ROOT,
          env: ENV,
          uid: nobody,
          gid: nobody,
        });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      });
    } else run = await cli(['leaderboard', a, '-o', board], ENV);
    assertExit(run, 2);
    assert.equal(
      run.stderr,
      `energy-score: error: -o: cannot write ${board}: the file is read-only (permission denied)\n  hint: check that the file is writable\n`,
    );
    assert.equal(fs.readFileSync(board, 'utf8'), 'old board\n');
    assert.deepEqual(leftovers(dir), []);
  });

  test('an output over one of the command’s own inputs is refused unless the command updates it', async () => {
    const dir = freshDir('own-input');
    const result = writeJson(dir, 'r.json', recordedDocument());
    const before = fs.readFileSync(result, 'utf8');
    for (const args of [
      ['check', result, '--max-wh-per-1k', '1', '--json', result],
      ['report', result, '--markdown', path.join(dir, '.', 'r.json')],
      ['compare', result, result, '--json', result],
      ['leaderboard', result, '--markdown', result],
    ]) {
      const run = await cli(args, ENV);
      assertExit(run, 2);
      assert.match(
        run.stderr,
        /^energy-score: error: --(json|markdown) \S+r\.json: it is also an input of this command, and writing it would replace it\n {2}hint: give the output its own file name\n$/,
      );
      assert.equal(fs.readFileSync(result, 'utf8'), before, args.join(' '));
    }
    // rate --json over its own input is an update, as --in-place is.
    assertExit(await cli(['rate', result, '--within', '--json', result], ENV), 0);
    assert.equal((JSON.parse(fs.readFileSync(result, 'utf8')) as RunDocument).results[0]!.rating.stars, 5);
  });
});
