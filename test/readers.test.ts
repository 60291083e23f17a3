/**
 * Reading what users hand us: result documents, CSVs and models that are impossible, incomplete,
 * not regular files, unreadable, too large or in another encoding. Each is a usage error (exit
 * 2) naming the file, the field or the column, with a hint; none hangs, crashes or prints
 * "undefined".
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import { inspectModel } from '../src/model/inspect.js';
import { discoverModel } from '../src/model/variants.js';
import { parseRunDocument, readRunDocument } from '../src/result/read.js';
import type { ConfigResult, EnergyMeasured, RatingRated, RunDocument } from '../src/result/schema.js';
import { readRowFile, type RowFile } from '../src/sources/files.js';
import { toLeaderboardCsv } from '../src/export/leaderboard.js';
import { buildBoard } from '../src/leaderboard/merge.js';
import { isRow, rowOfResult } from '../src/rating/rows.js';
import type { OpenInput } from '../src/util/read-input.js';
import { assertExit, cli as cliIn, cliEnv, QUICK_ENERGY, REPO_ROOT, type RunOutput } from './helpers/cli.js';
import { RECORDED_CPU_RESULT as FIXTURE, recordedDocument } from './helpers/documents.js';

const ENV = cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-readers-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const HINT_EDITED =
  '  hint: the file was edited or damaged; bench again to write a whole one: `energy-score bench model.onnx --json result.json`\n';

const cli = (args: string[]): Promise<RunOutput> => cliIn(args, ENV);

/**
 * Runs the CLI (in this process, as `cli` does) on arguments that name the FIFOs `fifos`. A reader
 * that blocked on one would hang this process, timers and all where the read is synchronous, so a
 * watchdog process of its own opens each FIFO for writing after a minute: a blocked reader then
 * reads an empty file, the run ends, and its test fails on the output instead of hanging the suite.
 */
async function cliGuarded(args: string[], fifos: readonly string[]): Promise<RunOutput> {
  const watchdog = spawn('sh', ['-c', 'sleep 60; for f; do : > "$f" & done; wait', 'sh', ...fifos], {
    detached: true,
    stdio: 'ignore',
  });
  try {
    return await cli(args);
  } finally {
    // The whole group: the shell, its sleep and any writer still waiting for a reader.
    process.kill(-watchdog.pid!, 'SIGKILL');
  }
}

function write(name: string, content: RunDocument | string | Buffer): string {
  const file = path.join(tmp, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    typeof content === 'string' || Buffer.isBuffer(content) ? content : JSON.stringify(content),
  );
  return file;
}

function usage(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, String(err));
    assert.equal(err.exitCode, 2);
    assert.match(err.message, pattern);
    assert.ok(err.hint, `"${err.message}" has a hint`);
    return true;
  };
}

/** exit 2 with exactly this error line and a hint, nothing on stdout, no JavaScript leaking. */
function assertUsage(run: RunOutput, message: string, hint?: string): void {
  assertExit(run, 2);
  const [first, second] = run.stderr.split('\n');
  assert.equal(first, `energy-score: error: ${message}`);
  if (hint !== undefined) assert.equal(`${second}\n`, hint);
  else assert.match(second ?? '', /^ {2}hint: \S/);
  assert.doesNotMatch(run.stderr + run.stdout, /undefined|unexpected error|Cannot read properties/);
}

function rated(stars: number, extra: Partial<RatingRated> = {}): RatingRated {
  return {
    status: 'rated',
    stars: stars as RatingRated['stars'],
    band: (5 - stars) as RatingRated['band'],
    scale: 'aies',
    clamped: null,
    singleton: false,
    energyKwhPer1k: 0.0000014643060079033642,
    energyStatus: 'estimated',
    cohort: {
      kind: 'user',
      source: 'board.csv',
      task: 'text-classification',
      hardware: 'Intel Xeon® Processor',
      sizeClass: null,
      size: 6,
      rangeKwhPer1k: [0.000001, 0.00001],
    },
    ...extra,
  };
}

/** Removes a field the types require: what a damaged or hand-edited file looks like. */
function drop(object: object, key: string): void {
  delete (object as Record<string, unknown>)[key];
}

/** Sets a field to a value its type does not allow. */
function put(object: object, key: string, value: unknown): void {
  (object as Record<string, unknown>)[key] = value;
}

function measured(result: ConfigResult | undefined): EnergyMeasured {
  assert.ok(result && result.energy.status !== 'not-measured');
  return result.energy as EnergyMeasured;
}

/** The recorded document edited by `edit`, written to `name`. */
function edited(name: string, edit: (doc: RunDocument) => void): string {
  const doc = recordedDocument();
  edit(doc);
  return write(name, doc);
}

describe('check: impossible data is a usage error naming the field (exit 2)', () => {
  test('99 stars do not pass --min-stars 5', async () => {
    const file = edited('stars99.json', (d) => put((d.results[0]!.rating = rated(5)), 'stars', 99));
    assertUsage(
      await cli(['check', file, '--min-stars', '5']),
      `${file} is not a valid result document: results[0].rating.stars is 99, not a whole number from 1 to 5`,
      HINT_EDITED,
    );
  });

  test('stars and band that disagree, and 0 stars', async () => {
    const band = edited('band.json', (d) => (d.results[1]!.rating = { ...rated(4), band: 0 }));
    assertUsage(
      await cli(['check', band, '--min-stars', '4']),
      `${band} is not a valid result document: results[1].rating.band is 0, but 4 stars is band 1`,
    );
    const zero = edited('stars0.json', (d) => {
      const rating = (d.results[0]!.rating = rated(1));
      put(rating, 'stars', 0);
      put(rating, 'band', 5);
    });
    assertUsage(
      await cli(['check', zero, '--min-stars', '1']),
      `${zero} is not a valid result document: results[0].rating.stars is 0, not a whole number from 1 to 5 (and 1 more problem)`,
    );
  });

  test('a rating with no cohort does not pass', async () => {
    const file = edited('nocohort.json', (d) => {
      drop((d.results[0]!.rating = rated(5)), 'cohort');
    });
    assertUsage(
      await cli(['check', file, '--min-stars', '5']),
      `${file} is not a valid result document: results[0].rating.cohort is missing`,
    );
  });

  test('a rating of energy that was not measured does not pass', async () => {
    const file = edited('rated-unmeasured.json', (d) => {
      d.results[0]!.rating = rated(5);
      d.results[0]!.energy = {
        status: 'not-measured',
        reason: 'x',
        perQueryJ: null,
        whPer1k: null,
        queriesPerJ: null,
      };
    });
    assertUsage(
      await cli(['check', file, '--min-stars', '5']),
      `${file} is not a valid result document: results[0].rating is rated, but results[0].energy was not measured`,
    );
  });

  test('whPer1k 1000× perQueryJ fails both limits alike, and every command says the same', async () => {
    const file = edited('wh1000.json', (d) => (measured(d.results[0]).whPer1k *= 1000));
    const message =
      `${file} is not a valid result document: results[0].energy.whPer1k is 1.4643060079033643, but perQueryJ ` +
      '0.005271501628452111 is 0.0014643060079033642 Wh per 1,000 queries: the two figures must agree';
    for (const args of [
      ['check', file, '--max-j-per-query', '1'],
      ['check', file, '--max-wh-per-1k', '1'],
      ['check', FIXTURE, '--baseline', file, '--max-regression', '5'],
      ['rate', file, '--within'],
      ['report', file],
      ['label', file, '-o', path.join(tmp, 'wh1000.svg')],
      ['leaderboard', file],
      ['compare', FIXTURE, file],
    ]) {
      assertUsage(await cli(args), message, HINT_EDITED);
    }
  });

  test('a null headline is still a broken measurement: check fails it (exit 1), it does not refuse the file', async () => {
    const file = edited('null-headline.json', (d) => put(measured(d.results[0]), 'perQueryJ', null));
    const run = await cli(['check', file, '--max-j-per-query', '1']);
    assertExit(run, 1);
    assert.match(run.stdout, /FAIL {2}encoder-tiny\/fp32\/b1\/cpu: no energy figure .*perQueryJ is null/);
  });
});

describe('named pipes are refused, never waited on', { skip: process.platform === 'win32' }, () => {
  const fifo = (name: string): string => {
    const file = path.join(tmp, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    execFileSync('mkfifo', [file]);
    return file;
  };
  const json = fifo('pipe.json');
  const csv = fifo('pipe.csv');
  const onnx = fifo('x.onnx');
  const inFolder = fifo('pipe-model/model.onnx');
  const fifos = [json, csv, onnx, inFolder];
  const pipeHint = (file: string) =>
    `  hint: a pipe waits for a writer and can be read only once; save what it carries to a file (cat ${file} > file) and give that\n`;

  test('every result and CSV reader: rate, report, label, leaderboard, check, compare, --cohort', async () => {
    const cases: [string[], string][] = [
      [['rate', json], json],
      [['rate', FIXTURE, '--cohort', csv], csv],
      [['report', json], json],
      [['label', json, '-o', path.join(tmp, 'pipe.svg')], json],
      [['leaderboard', json], json],
      [['leaderboard', csv], csv],
      [['check', json, '--max-wh-per-1k', '1'], json],
      [['check', FIXTURE, '--baseline', json, '--max-regression', '5'], json],
      [['compare', FIXTURE, json], json],
      [['bench', 'fixtures/zoo/encoder-tiny', '--precision', 'q8', ...QUICK_ENERGY, '--cohort', csv], csv],
    ];
    for (const [args, file] of cases) {
      assertUsage(
        await cliGuarded(args, fifos),
        `cannot read ${file}: it is a named pipe (FIFO), not a regular file`,
        pipeHint(file),
      );
    }
  });

  test('a pipe named x.onnx, given or found in a model folder', async () => {
    const hint =
      '  hint: give an .onnx file or a directory holding model.onnx, or run `energy-score bench` with no model for the demo\n';
    for (const command of ['inspect', 'bench']) {
      assertUsage(
        await cliGuarded([command, onnx], fifos),
        `cannot read ${onnx}: it is a named pipe (FIFO), not an .onnx file`,
        hint,
      );
    }
    assertUsage(
      await cliGuarded(['bench', path.join(tmp, 'pipe-model')], fifos),
      `cannot read ${inFolder}: it is a named pipe (FIFO), not an .onnx file`,
      hint,
    );
    await assert.rejects(inspectModel(onnx), usage(/it is a named pipe \(FIFO\), not a regular file$/));
  });

  test('a device is refused too', async () => {
    await assert.rejects(
      readRunDocument('/dev/zero'),
      usage(/^cannot read \/dev\/zero: it is a device, not a regular file$/),
    );
  });
});

describe('incomplete result documents: the missing field named, with its path', () => {
  const cases: [string, (d: RunDocument) => void, string][] = [
    ['energy.meters', (d) => drop(measured(d.results[0]), 'meters'), 'results[0].energy.meters is missing'],
    [
      'energy.domains',
      (d) => drop(measured(d.results[1]), 'domains'),
      'results[1].energy.domains is missing',
    ],
    ['createdAt', (d) => drop(d, 'createdAt'), 'createdAt is missing'],
    ['energyNotes', (d) => drop(d, 'energyNotes'), 'energyNotes is missing'],
    ['warnings', (d) => drop(d.results[3]!, 'warnings'), 'results[3].warnings is missing'],
    ['device', (d) => drop(d.results[0]!, 'device'), 'results[0].device is missing'],
    [
      'batchSize',
      (d) => put(d.results[2]!, 'batchSize', '8'),
      'results[2].batchSize is "8", not a whole number of 1 or more',
    ],
    [
      'rating.cohort',
      (d) => put((d.results[0]!.rating = rated(3)), 'cohort', null),
      'results[0].rating.cohort is null, not an object',
    ],
    [
      'status',
      (d) => put(d.results[4]!, 'status', 'done'),
      'results[4].status is "done", not one of ok, skipped, failed, interrupted',
    ],
    [
      'environment.gpus',
      (d) => put(d.environment, 'gpus', [{ index: 0 }]),
      'environment.gpus[0].name is missing (and 8 more problems)',
    ],
    ['settings', (d) => drop(d, 'settings'), 'settings is missing'],
    [
      'a warning',
      (d) => put(measured(d.results[0]).warnings, '1', 5),
      'results[0].energy.warnings[1] is 5, not a string',
    ],
    [
      'createdAt (not a date)',
      (d) => (d.createdAt = 'yesterday'),
      'createdAt is "yesterday", not a date (ISO 8601)',
    ],
  ];

  test('parseRunDocument names each', () => {
    for (const [what, edit, problem] of cases) {
      const doc = recordedDocument();
      edit(doc);
      assert.throws(
        () => parseRunDocument(JSON.stringify(doc), 'r.json'),
        usage(
          new RegExp(`^r\\.json is not a valid result document: ${problem.replace(/[[\]().*+?]/g, '\\$&')}$`),
        ),
        what,
      );
    }
  });

  test('every command refuses them the same way, instead of crashing or printing "undefined"', async () => {
    const commands = (file: string): string[][] => [
      ['report', file],
      ['report', file, '--markdown', '-'],
      ['report', file, '--html', path.join(tmp, 'r.html')],
      ['label', file, '-o', path.join(tmp, 'l.svg')],
      ['check', file, '--require-measured'],
      ['rate', file, '--within'],
      ['leaderboard', file],
      ['compare', file, FIXTURE],
    ];
    // One command per missing field, every command at least once.
    for (const [i, [what, edit, problem]] of cases.slice(0, 8).entries()) {
      const file = edited(`incomplete-${i}.json`, edit);
      const args = commands(file)[i % 8]!;
      assertUsage(await cli(args), `${file} is not a valid result document: ${problem}`, HINT_EDITED);
      assert.equal(fs.existsSync(path.join(tmp, 'l.svg')), false, what);
    }
  });

  test('older files lacking only optional fields still read: carbon, perTrialJ, starsWithin95, settings', async () => {
    const file = edited('older.json', (d) => {
      delete d.carbon;
      delete d.environment.cpuPhysicalCores;
      for (const r of d.results) delete measured(r).perTrialJ;
      delete (d.results[0]!.rating = rated(5)).starsWithin95;
      d.settings = {
        queries: 100,
        warmup: 5,
        threads: null,
        seed: 0,
        batchSizes: [1, 8],
        devices: ['cpu'],
        precisions: null,
      };
    });
    const report = await cli(['report', file, '--markdown', '-']);
    assertExit(report, 0);
    assert.doesNotMatch(report.stdout, /undefined/);
    assertExit(await cli(['check', file, '--max-wh-per-1k', '1']), 0);
    const label = await cli(['label', file, '-o', '-']);
    assertExit(label, 0);
    assert.doesNotMatch(label.stdout, /undefined/);
  });

  test('a result from a newer schema version names both versions and says to upgrade', async () => {
    const file = edited('v2.json', (d) => {
      put(d, 'schemaVersion', 2);
      d.tool.version = '0.9.0';
      drop(d, 'results'); // a newer layout: not "damaged"
    });
    assertUsage(
      await cli(['report', file]),
      `${file} has schema version 2, but this version of energy-score reads version 1`,
      '  hint: it was written by a newer energy-score 0.9.0: upgrade to read it (npm install energy-score@latest)\n',
    );
  });
});

describe('further hostile result files', () => {
  test('truncated JSON says it ends early', async () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const file = write('truncated.json', text.slice(0, Math.floor(text.length / 2)));
    const run = await cli(['report', file]);
    assertExit(run, 2);
    assert.match(
      run.stderr,
      /^energy-score: error: .*truncated\.json is not valid JSON: it ends early \(.*\): the file is cut short\n {2}hint: copy or download it again in full, or bench again\n$/,
    );
  });

  test('a JSON array at the top level is not a result document', async () => {
    const file = write('array.json', JSON.stringify([recordedDocument()]));
    assertUsage(await cli(['report', file]), `${file} is not an energy-score result document`);
  });

  test('a 200 MB file is refused by its size, before it is read', async () => {
    const file = path.join(tmp, 'huge.json');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 200 * 1024 * 1024); // sparse: no disk used
    assertUsage(
      await cli(['check', file, '--max-wh-per-1k', '1']),
      `cannot read ${file}: it is 200.0 MiB, more than a result document can be (64.0 MiB)`,
      '  hint: check that this is the file you meant\n',
    );
    const csv = path.join(tmp, 'huge.csv');
    fs.writeFileSync(csv, '');
    fs.truncateSync(csv, 200 * 1024 * 1024);
    await assert.rejects(
      readRowFile(csv),
      usage(/it is 200\.0 MiB, more than a CSV file can be \(64\.0 MiB\)$/),
    );
  });

  test('UTF-16 with a byte-order mark (PowerShell redirection) reads as UTF-8 does', async () => {
    const text = fs.readFileSync(FIXTURE, 'utf8');
    const le = write(
      'utf16le.json',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    );
    const be = write(
      'utf16be.json',
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
    );
    const expected = await readRunDocument(FIXTURE);
    assert.deepEqual(await readRunDocument(le), expected);
    assert.deepEqual(await readRunDocument(be), expected);
    const bare = write('utf16-nobom.json', Buffer.from(text, 'utf16le'));
    await assert.rejects(
      readRunDocument(bare),
      usage(/utf16-nobom\.json looks like UTF-16 text without a byte-order mark$/),
    );
  });

  test('an unreadable result file is a usage error (simulated: the tests run as root)', async () => {
    const denied: OpenInput = async () => {
      throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    };
    await assert.rejects(
      readRunDocument(FIXTURE, { open: denied }),
      usage(new RegExp(`^cannot read ${FIXTURE.replace(/[.]/g, '\\.')}: permission denied$`)),
    );
  });
});

describe('CSV readers', () => {
  const board = (): string => {
    const doc = recordedDocument();
    const rows = doc.results.map((r) => rowOfResult(r, doc, 'r.json')).filter(isRow);
    return toLeaderboardCsv(buildBoard(rows, 'aies').rows);
  };

  test('missing, folder and unreadable files: what is wrong, and a hint', async () => {
    const missing = path.join(tmp, 'missing.csv');
    assertUsage(
      await cli(['leaderboard', missing]),
      `cannot read ${missing}: no such file`,
      '  hint: give a leaderboard CSV (energy-score leaderboard results/*.json -o board.csv) or an AI Energy Score-format CSV\n',
    );
    const folder = path.join(tmp, 'folder.csv');
    fs.mkdirSync(folder);
    assertUsage(
      await cli(['leaderboard', folder]),
      `cannot read ${folder}: it is a folder`,
      '  hint: give the path of a CSV file in it\n',
    );
    const file = write('readable.csv', board());
    const denied: OpenInput = async () => {
      throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
    };
    await assert.rejects(
      readRowFile(file, { open: denied }),
      usage(/^cannot read .*readable\.csv: permission denied$/),
    );
  });

  test(
    'an unreadable CSV from the CLI (chmod; skipped as root, who reads anything)',
    { skip: process.getuid?.() === 0 },
    async () => {
      const file = write('unreadable.csv', board());
      fs.chmodSync(file, 0);
      assertUsage(await cli(['leaderboard', file]), `cannot read ${file}: permission denied`);
    },
  );

  test('empty files, field counts and numbers have hints', async () => {
    const empty = write('empty.csv', '');
    assertUsage(
      await cli(['leaderboard', empty]),
      `${empty}: the file is empty`,
      '  hint: a CSV to read starts with a header line (model,total_gpu_energy,…); write a leaderboard with `energy-score leaderboard results/*.json -o board.csv`\n',
    );
    const lines = board().split('\n');
    const short = write('short.csv', `${lines[0]}\na,b,c,d,e\n`);
    assertUsage(
      await cli(['leaderboard', short]),
      `${short} line 2: 5 fields, the header has 28`,
      '  hint: every line needs one field per header column; quote a field that holds a comma ("a,b")\n',
    );
    const header = lines[0]!.split(',');
    const nan = write(
      'nan.csv',
      [
        lines[0],
        lines[1]!
          .split(',')
          .map((f, i) => (header[i] === 'energy_kwh_per_1k' ? 'NaN' : f))
          .join(','),
      ].join('\n'),
    );
    const model = lines[1]!.split(',')[0];
    assertUsage(
      await cli(['leaderboard', nan]),
      `${nan} line 2 (model '${model}'): energy is not a number: "NaN"`,
      '  hint: energy_kwh_per_1k holds kWh per 1,000 queries as a plain number of 0 or more, such as 0.0012\n',
    );
    const aies = write('nan/text_classification.csv', 'model,total_gpu_energy\na,NaN\n');
    assertUsage(
      await cli(['leaderboard', aies]),
      `${aies} line 2 (model 'a'): energy is not a number: "NaN"`,
      '  hint: total_gpu_energy holds kWh per 1,000 queries as a plain number of 0 or more, such as 0.0012\n',
    );
  });

  test('a leaderboard with a renamed column says which column is unknown and which is missing', async () => {
    const renamed = board().replace('energy_method', 'method');
    const file = write('renamed.csv', renamed);
    assertUsage(
      await cli(['leaderboard', file]),
      `${file}: not an energy-score leaderboard: no 'energy_method' column; 'method' is not a leaderboard column`,
      "  hint: rename 'method' back to 'energy_method', or write the board again with `energy-score leaderboard results/*.json -o leaderboard.csv`\n",
    );
    const other = write('other.csv', 'name,joules\na,1\n');
    assertUsage(
      await cli(['leaderboard', other]),
      `${other} is neither an energy-score leaderboard nor an AI Energy Score-format CSV (columns: name, joules)`,
    );
  });

  const rows = (r: RowFile) => r.rows.map((row) => ({ ...row, source: '' }));

  test('CRLF line ends and a byte-order mark read as the plain file does', async () => {
    const text = board();
    const plain = await readRowFile(write('plain.csv', text));
    const crlf = await readRowFile(write('crlf.csv', `\uFEFF${text.replace(/\n/g, '\r\n')}`));
    assert.equal(plain.rows.length, 6);
    assert.deepEqual(rows(crlf), rows(plain));
  });

  test('UTF-16 with a byte-order mark (Windows PowerShell redirection) reads as UTF-8 does', async () => {
    const text = board();
    const plain = await readRowFile(write('plain.csv', text));
    const utf16 = await readRowFile(
      write(
        'utf16.csv',
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text.replace(/\n/g, '\r\n'), 'utf16le')]),
      ),
    );
    assert.deepEqual(rows(utf16), rows(plain));
  });

  test('a CSV that is not UTF-8 (Latin-1 from a spreadsheet) says where', async () => {
    const file = write(
      'latin1/text_classification.csv',
      Buffer.from('model,total_gpu_energy\ncaf\xe9,0.001\n', 'latin1'),
    );
    await assert.rejects(
      readRowFile(file),
      usage(/text_classification\.csv is not UTF-8 text \(line 2, byte 26\)$/),
    );
  });
});

describe('models', () => {
  test('an unreadable .onnx is a usage error, exit 2 (simulated: the tests run as root)', async () => {
    const denied: OpenInput = async () => {
      throw Object.assign(new Error('EACCES: permission denied, open'), { code: 'EACCES' });
    };
    const model = path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx');
    await assert.rejects(
      inspectModel(model, { open: denied }),
      usage(/^cannot read .*model\.onnx: permission denied$/),
    );
  });

  test(
    'an unreadable .onnx from the CLI (chmod; skipped as root)',
    { skip: process.getuid?.() === 0 },
    async () => {
      const model = write(
        'unreadable/model.onnx',
        fs.readFileSync(path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx')),
      );
      fs.chmodSync(model, 0);
      assertUsage(await cli(['inspect', model]), `cannot read ${model}: permission denied`);
    },
  );

  test('a folder of model folders lists them and says to pass them', async () => {
    assertUsage(
      await cli(['bench', 'fixtures/zoo']),
      'no .onnx model in fixtures/zoo itself, but it holds 15 model folders: bart-tiny, cnn-small, encoder-medium, encoder-small, encoder-tiny, gpt-tiny, gpt-tiny-genai, gpt-tiny-genai-combined, gpt-tiny-legacy, gpt-tiny-merged, gpt-tiny-nocache, mlp-small, speech-encoder, vit-gpt-tiny, whisper-tiny',
      '  hint: pass the models to measure: energy-score bench fixtures/zoo/bart-tiny fixtures/zoo/cnn-small fixtures/zoo/encoder-medium fixtures/zoo/encoder-small … (bench takes several; inspect takes one)\n',
    );
  });

  test('a model folder of symbolic links (a Hugging Face cache snapshot) is found', async () => {
    const blob = write(
      'hub/blobs/abc123',
      fs.readFileSync(path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx')),
    );
    const snapshot = path.join(tmp, 'hub', 'snapshots', 'main', 'onnx');
    fs.mkdirSync(snapshot, { recursive: true });
    fs.symlinkSync(blob, path.join(snapshot, 'model.onnx'));
    const source = await discoverModel(path.dirname(snapshot));
    assert.deepEqual(source.variants, [{ precision: 'fp32', path: path.join(snapshot, 'model.onnx') }]);
  });

  test('an .onnx over protobuf’s 2 GiB is refused by its size, before it is read', async () => {
    const file = path.join(tmp, 'huge.onnx');
    fs.writeFileSync(file, '');
    fs.truncateSync(file, 3 * 2 ** 30);
    await assert.rejects(
      inspectModel(file),
      usage(/^cannot read .*huge\.onnx: it is 3\.0 GiB, more than an ONNX model can be \(2\.0 GiB\)$/),
    );
  });
});
