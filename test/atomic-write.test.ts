import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
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

test('a device, a folder or a missing folder is refused with a usage error', async () => {
  await assert.rejects(
    writeFileAtomic('/dev/null', 'x'),
    usage(/cannot write \/dev\/null: it is not a regular file/),
  );
  await assert.rejects(writeFileAtomic(tmp, 'x'), usage(/: it is a folder/));
  await assert.rejects(writeFileAtomic(path.join(tmp, 'no', 'x.csv'), 'x'), usage(/: no such folder/));
  assert.ok(fs.statSync('/dev/null').isCharacterDevice());
  assert.deepEqual(
    fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')),
    [],
  );
});
