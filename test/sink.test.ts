/** The one output sink: targets checked before any work, errors as one line, outputs kept until replaced. */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import { formatOfOutput, OutputSink, StdoutClosed, targetOf, writeError } from '../src/export/sink.js';
import { assertExit, BIN, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-sink-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function openError(target: string, flag = '--json'): Promise<EnergyScoreError> {
  try {
    await OutputSink.open([{ format: 'json', target, flag }]);
  } catch (err) {
    assert.ok(err instanceof EnergyScoreError, String(err));
    return err;
  }
  assert.fail(`${target} was accepted`);
}

describe('OutputSink.open checks every target before any work', () => {
  test('a missing folder', async () => {
    const err = await openError(path.join(tmp, 'no', 'x.json'));
    assert.equal(err.message, `--json: cannot write ${path.join(tmp, 'no', 'x.json')}: no such folder`);
    assert.equal(err.exitCode, 2);
  });

  test('a folder, a pipe and a device', async () => {
    assert.match((await openError(tmp)).message, /: it is a folder$/);
    const fifo = path.join(tmp, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.match((await openError(fifo)).message, /it is not a regular file \(a pipe or a device\)$/);
    assert.match((await openError('/dev/full')).message, /it is not a regular file/);
  });

  test('a model file is never an output', async () => {
    const err = await openError('model.onnx');
    assert.equal(err.message, '--json model.onnx: refusing to write an output over a model file');
    assert.equal(err.exitCode, 2);
  });

  test('a name too long for the file system, counted in bytes', async () => {
    const bytes = /: the file name is longer than 255 bytes$/;
    assert.match((await openError(path.join(tmp, 'x'.repeat(300)))).message, bytes);
    // 128 characters, 256 bytes.
    assert.match((await openError(path.join(tmp, 'é'.repeat(128)))).message, bytes);
  });

  test('a file under a file', async () => {
    const file = path.join(tmp, 'plain');
    fs.writeFileSync(file, 'x');
    assert.match(
      (await openError(path.join(file, 'x.json'))).message,
      /a part of the path is a file, not a folder$|is not a folder$/,
    );
  });

  test('one format on stdout at most, and one file per format', async () => {
    await assert.rejects(
      OutputSink.open([
        { format: 'json', target: '-', flag: '--json' },
        { format: 'csv', target: '-', flag: '--csv' },
      ]),
      { message: 'only one format can go to stdout, but --json and --csv both ask for -' },
    );
    const file = path.join(tmp, 'same.out');
    await assert.rejects(
      OutputSink.open([
        { format: 'json', target: file, flag: '--json' },
        { format: 'csv', target: file, flag: '--csv' },
      ]),
      { message: `--json and --csv both write ${file}` },
    );
  });

  test('opening writes nothing: an existing file is kept until there is something to put there', async () => {
    const file = path.join(tmp, 'keep.json');
    fs.writeFileSync(file, 'old');
    const sink = await OutputSink.open([{ format: 'json', target: file, flag: '--json' }]);
    assert.equal(fs.readFileSync(file, 'utf8'), 'old');
    await sink.write('json', 'new');
    assert.equal(fs.readFileSync(file, 'utf8'), 'new');
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')),
      [],
      'no temporary file left',
    );
  });

  test('an output that is one of the inputs is refused, unless it is the update the command makes', async () => {
    const input = path.join(tmp, 'input.json');
    fs.writeFileSync(input, '{}');
    const alias = path.join(tmp, 'alias.json');
    fs.symlinkSync(input, alias);
    await assert.rejects(
      OutputSink.open([{ format: 'json', target: alias, flag: '--json' }], { reads: [input] }),
      {
        message: `--json ${alias}: it is also an input of this command, and writing it would replace it`,
      },
    );
    await assert.rejects(
      OutputSink.open([{ format: 'markdown', target: input, flag: '--markdown' }], {
        reads: [input],
        updates: { format: 'json', files: [input] },
      }),
      {
        message: `--markdown ${input}: it is also an input of this command, and writing it would replace it`,
      },
    );
    const sink = await OutputSink.open([{ format: 'json', target: alias, flag: '--json' }], {
      reads: [input, path.join(tmp, 'missing.json')],
      updates: { format: 'json', files: [input] },
    });
    assert.deepEqual(sink.rewrittenInputs(), [input]);
    await sink.exclusive(async () => {
      assert.ok(fs.existsSync(`${input}.lock`), 'the lock sits beside the file the link names');
      await sink.write('json', '{"new": true}');
    });
    assert.equal(fs.readFileSync(input, 'utf8'), '{"new": true}');
    assert.ok(fs.lstatSync(alias).isSymbolicLink());
    assert.equal(fs.existsSync(`${input}.lock`), false);
  });

  test('text goes to stderr when stdout carries a machine format', async () => {
    assert.equal(
      (await OutputSink.open([{ format: 'json', target: '-', flag: '--json' }])).textStream,
      process.stderr,
    );
    assert.equal((await OutputSink.open([])).textStream, process.stdout);
  });
});

describe('flags and formats', () => {
  test('a bare --json is stdout', () => {
    assert.equal(targetOf(true), '-');
    assert.equal(targetOf('r.json'), 'r.json');
    assert.equal(targetOf(undefined), undefined);
  });

  test('-o takes its format from the extension', () => {
    assert.equal(formatOfOutput('r.json', ['json', 'csv']), 'json');
    assert.equal(formatOfOutput('R.CSV', ['json', 'csv']), 'csv');
    assert.equal(formatOfOutput('r.md', ['json', 'markdown']), 'markdown');
    assert.equal(formatOfOutput('-', ['html', 'markdown']), 'markdown');
    assert.throws(() => formatOfOutput('r.txt', ['json', 'csv']), {
      message: "-o r.txt: the format is taken from the file's extension, and this command writes .json, .csv",
    });
    assert.throws(() => formatOfOutput('-', ['html']), { message: '-o -: html is written to files only' });
  });
});

describe('write errors become one line', () => {
  const errno = (code: string) => Object.assign(new Error(`${code}: boom`), { code });
  test('each code, its exit code and its words', () => {
    const cases: [string, 1 | 2, string][] = [
      ['ENOSPC', 1, 'cannot write out.json: no space left on the device'],
      ['EACCES', 2, 'cannot write out.json: permission denied'],
      ['EPERM', 2, 'cannot write out.json: permission denied'],
      ['ENAMETOOLONG', 2, 'cannot write out.json: the name is too long'],
      ['EROFS', 2, 'cannot write out.json: the file system is read-only'],
      ['EIO', 1, 'cannot write out.json: input/output error'],
      ['ENOENT', 1, 'cannot write out.json: its folder no longer exists'],
      ['ENOTDIR', 2, 'cannot write out.json: a part of the path is not a folder'],
      ['EISDIR', 2, 'cannot write out.json: it is a folder'],
      ['ELOOP', 2, 'cannot write out.json: too many symbolic links in the path'],
    ];
    for (const [code, exit, message] of cases) {
      const err = writeError('out.json', errno(code));
      assert.equal(err.message, message, code);
      assert.equal(err.exitCode, exit, code);
    }
    assert.ok(writeError('stdout', errno('EPIPE')) instanceof StdoutClosed);
  });
});

describe('stdout that fails, end to end', () => {
  test('--help into a pipe closed after one line: no stack trace', () => {
    // `energy-score --help | head -1`, with a reader that closes at once.
    const run = spawnSync('sh', ['-c', `"${process.execPath}" "${BIN}" --help | head -1`], {
      cwd: REPO_ROOT,
      env: cliEnv({}),
      encoding: 'utf8',
    });
    assert.equal(run.stdout.trim(), 'Usage: energy-score [options] [command]');
    assert.equal(run.stderr, '');
  });

  test('inspect --json into a full disk: one error line, exit 1', () => {
    const model = path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny');
    const run = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${BIN}" inspect "${model}" --json > /dev/full`],
      {
        cwd: REPO_ROOT,
        env: cliEnv({}),
        encoding: 'utf8',
      },
    );
    assert.equal(run.status, 1, run.stderr);
    assert.equal(
      run.stderr,
      'energy-score: error: cannot write stdout: no space left on the device\n  hint: free some space and run again\n',
    );
  });

  test('bench --json over an existing file, then a meter that cannot start: the file is kept', async () => {
    const keep = path.join(tmp, 'keep-bench.json');
    fs.writeFileSync(keep, '{"kept": true}\n');
    const run = await cli(
      ['bench', 'fixtures/zoo/encoder-tiny', '--meter', 'nvml', '--json', keep, '--queries', '5'],
      cliEnv({ ENERGY_SCORE_NVML_LIB: path.join(tmp, 'no-such-libnvidia-ml.so') }),
    );
    assertExit(run, 2);
    assert.equal(fs.readFileSync(keep, 'utf8'), '{"kept": true}\n');
  });
});
