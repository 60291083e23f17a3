import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import { writeError } from '../src/export/sink.js';
import { writeFileAtomic } from '../src/util/atomic-write.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-atomic-'));

function usage(pattern: RegExp) {
  return (err: unknown) =>
    err instanceof EnergyScoreError && err.kind === 'usage' && pattern.test(err.message);
}

test('a symlink is followed: the link stays and its target gets the content', async () => {
  const target = path.join(tmp, 'target.csv');
  const link = path.join(tmp, 'link.csv');
  fs.writeFileSync(target, 'old\n');
  fs.symlinkSync(target, link);
  await writeFileAtomic(link, 'new\n');
  assert.ok(fs.lstatSync(link).isSymbolicLink());
  assert.equal(fs.readFileSync(target, 'utf8'), 'new\n');
});

test('an existing file keeps its permission bits', async () => {
  const file = path.join(tmp, 'mode.csv');
  fs.writeFileSync(file, 'old\n');
  fs.chmodSync(file, 0o640);
  await writeFileAtomic(file, 'new\n');
  assert.equal(fs.statSync(file).mode & 0o777, 0o640);
});

const temporaries = () => fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp'));

test('a device or a folder is refused with a usage error', async () => {
  await assert.rejects(
    writeFileAtomic('/dev/null', 'x'),
    usage(/cannot write \/dev\/null: it is not a regular file/),
  );
  await assert.rejects(writeFileAtomic(tmp, 'x'), usage(/: it is a folder/));
  assert.ok(fs.statSync('/dev/null').isCharacterDevice());
  assert.deepEqual(temporaries(), []);
});

test('a system error is thrown as it is, with its code, for the sink to put in words', async () => {
  await assert.rejects(writeFileAtomic(path.join(tmp, 'no', 'x.csv'), 'x'), { code: 'ENOENT' });
  assert.deepEqual(temporaries(), []);
});

test('a disk that fills up halfway: the old file is kept and the temporary file removed', async () => {
  const file = path.join(tmp, 'full.csv');
  fs.writeFileSync(file, 'old\n');
  let written = '';
  const err = await writeFileAtomic(file, 'new content\n', {
    writeFile: async (temp, content) => {
      // Half of it lands before the disk is full, as a real write does.
      fs.writeFileSync(temp, String(content).slice(0, 4));
      written = temp;
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC' });
    },
  }).catch((e: unknown) => e);
  assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
  assert.equal(writeError(file, err).message, `cannot write ${file}: no space left on the device`);
  assert.equal(writeError(file, err).exitCode, 1);
  assert.equal(fs.readFileSync(file, 'utf8'), 'old\n');
  assert.equal(fs.existsSync(written), false);
  assert.deepEqual(temporaries(), []);
});

test('a 250-byte file name: the temporary name is shortened to fit in 255 bytes', async () => {
  const file = path.join(tmp, `${'x'.repeat(246)}.csv`);
  await writeFileAtomic(file, 'one\n');
  await writeFileAtomic(file, 'two\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'two\n');
  assert.deepEqual(temporaries(), []);
});
