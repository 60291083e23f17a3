import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { toLeaderboardCsv, toLeaderboardMarkdown } from '../src/export/leaderboard.js';
import { LEADERBOARD_COLUMNS } from '../src/leaderboard/columns.js';
import { buildBoard } from '../src/leaderboard/merge.js';
import { parseCsv } from '../src/sources/csv.js';
import { isRow, rowOfResult } from '../src/rating/rows.js';
import { readRowFiles } from '../src/sources/files.js';
import { parseLeaderboardCsv } from '../src/sources/leaderboard-csv.js';
import type { RunDocument } from '../src/result/schema.js';
import { assertExit, cli as cliIn, cliEnv, REPO_ROOT, startCli } from './helpers/cli.js';
import { gpuDocument, recordedDocument, setEnergy } from './helpers/documents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-board-'));
const ENV = cliEnv({});
const cli = (args: string[]) => cliIn(args, ENV);
// The leaderboard as the package ships it: the published stars must come out of these very files.
const AIES_DIR = path.join(REPO_ROOT, 'data', 'aies-v1');

function writeJson(name: string, doc: RunDocument): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(doc, null, 2));
  return file;
}

function rowsOf(doc: RunDocument, source: string) {
  return doc.results.map((r) => rowOfResult(r, doc, source)).filter(isRow);
}

describe('leaderboard', () => {
  test('merging the AI Energy Score v1 files recomputes every published star (166 rows)', async () => {
    const files = fs
      .readdirSync(AIES_DIR)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => path.join(AIES_DIR, f));
    const read = await readRowFiles(files);
    const board = buildBoard(
      read.flatMap((f) => f.rows),
      'aies',
    );
    assert.equal(board.rows.length, 166);
    assert.equal(board.duplicatesDropped, 0, 'rows listed twice with different energies both stay');
    assert.equal(board.cohorts.length, 12, '9 tasks and three text-generation classes');
    const published = new Map<string, number>();
    for (const file of files) {
      const [header, ...records] = parseCsv(fs.readFileSync(file, 'utf8'), file);
      const col = (name: string) => header!.fields.indexOf(name);
      for (const r of records)
        published.set(
          `${file}|${r.fields[col('model')]}|${Number(r.fields[col('total_gpu_energy')])}`,
          Number(r.fields[col('energy_score')]),
        );
    }
    let matched = 0;
    for (const { row, rating } of board.rows) {
      assert.equal(
        rating.stars,
        published.get(`${row.source}|${row.model}|${row.energyKwhPer1k}`),
        row.model,
      );
      matched += 1;
    }
    assert.equal(matched, 166);
  });

  test('CSV round trip: markup, quotes, commas, line breaks and formula characters', () => {
    const doc = recordedDocument();
    const names = ['=HYPERLINK("http://x")', '+1', '-2', '@sum', '\tTab', 'a, "b"\nc', '<b>bold</b>'];
    doc.results = doc.results.slice(0, names.length - 1);
    doc.results.push({ ...structuredClone(doc.results[0]!), precision: 'fp32x' });
    doc.results.forEach((r, i) => (r.model.name = names[i]!));
    const board = buildBoard(rowsOf(doc, 'r.json'), 'aies');
    const csv = toLeaderboardCsv(board.rows);
    assert.ok(csv.startsWith(`${LEADERBOARD_COLUMNS.join(',')}\n`));
    assert.ok(csv.startsWith('model,total_gpu_energy,energy_score,'));
    assert.match(csv, /^"'=HYPERLINK\(""http:\/\/x""\)",/m, 'a formula is defused with a quote');
    assert.match(csv, /^'\+1,/m);
    assert.match(csv, /^'-2,/m);
    assert.match(csv, /^'@sum,/m);
    assert.match(csv, /^"?'\tTab/m);
    const back = parseLeaderboardCsv(csv, 'board.csv');
    assert.deepEqual(
      back,
      board.rows.map((b) => b.row),
    );
  });

  test('threads are part of a row: two thread counts are two rows, written and read back', () => {
    const doc = recordedDocument();
    const base = doc.results[0]!;
    doc.results = [1, 2].map((threads) => ({ ...structuredClone(base), threads }));
    doc.results.push({ ...structuredClone(base), threads: null, precision: 'int8' });
    const rows = rowsOf(doc, 'r.json');
    assert.deepEqual(
      rows.map((r) => r.threads),
      [1, 2, undefined],
    );
    const board = buildBoard(rows, 'aies');
    assert.equal(board.rows.length, 3, 'no thread count is taken for a duplicate of the other');
    const csv = toLeaderboardCsv(board.rows);
    const records = parseCsv(csv, 'x');
    const col = records[0]!.fields.indexOf('threads');
    assert.equal(col, records[0]!.fields.indexOf('batch_size') + 1);
    assert.deepEqual(
      records
        .slice(1)
        .map((r) => r.fields[col])
        .sort(),
      ['', '1', '2'],
    );
    assert.deepEqual(
      parseLeaderboardCsv(csv, 'board.csv'),
      board.rows.map((b) => b.row),
    );
    assert.throws(
      () => parseLeaderboardCsv(csv.replace(/,2,/, ',2.5,'), 'board.csv'),
      /threads must be a whole number/,
    );
    // A board written before the column existed still reads, with no threads.
    const old = records
      .map((r) =>
        r.fields
          .filter((_, i) => i !== col)
          .map((f) => (/[",\n]/.test(f) ? `"${f.replace(/"/g, '""')}"` : f))
          .join(','),
      )
      .join('\n');
    assert.ok(parseLeaderboardCsv(`${old}\n`, 'old.csv').every((r) => r.threads === undefined));
  });

  test('GPU rows fill total_gpu_energy; CPU rows leave it empty', () => {
    const gpu = gpuDocument('NVIDIA H100 80GB HBM3', [0.5]);
    const cpu = recordedDocument();
    const board = buildBoard([...rowsOf(gpu, 'g.json'), ...rowsOf(cpu, 'c.json').slice(0, 1)], 'aies');
    const records = parseCsv(toLeaderboardCsv(board.rows), 'x');
    const energyCol = records[0]!.fields.indexOf('total_gpu_energy');
    const byDevice = new Map(records.slice(1).map((r) => [r.fields[5], r.fields[energyCol]]));
    assert.equal(byDevice.get('cuda'), '0.0005');
    assert.equal(byDevice.get('cpu'), '');
  });

  test('Markdown: estimated energy marked, markup escaped, cohorts of one said', () => {
    const doc = recordedDocument();
    doc.results = doc.results.slice(0, 1);
    doc.results[0]!.model.name = '<script>|x';
    const md = toLeaderboardMarkdown(buildBoard(rowsOf(doc, 'r.json'), 'aies'));
    assert.match(
      md,
      /\| text-classification \| Intel Xeon® Processor \| \\<script\\>\\\|x \| fp32 \| 1 \| 0\.00146 \(estimated\) \| ★★★★★ \| 1 \(alone\) \|/,
    );
  });
});

describe('leaderboard command', () => {
  const a = recordedDocument();
  const b = gpuDocument('NVIDIA H100 80GB HBM3', [0.4, 0.9]);
  b.createdAt = '2026-11-20T10:00:00.000Z';
  const older = recordedDocument();
  older.createdAt = '2020-01-01T00:00:00.000Z';
  setEnergy(older.results[0]!, 1);
  const aFile = writeJson('a.json', a);
  const bFile = writeJson('b.json', b);
  const olderFile = writeJson('older.json', older);

  test('merges, drops older duplicates, and says so', async () => {
    const out = path.join(tmp, 'board.csv');
    const run = await cli(['leaderboard', aFile, bFile, olderFile, '-o', out]);
    assertExit(run, 0);
    assert.equal(
      run.stderr,
      `8 rows in 2 cohorts from 3 files; 6 duplicate run(s) left out (older, or the same run given twice); wrote ${out}\n`,
    );
    const rows = parseLeaderboardCsv(fs.readFileSync(out, 'utf8'), out);
    assert.equal(rows.length, 8);
    assert.ok(rows.every((r) => r.source !== olderFile));
  });

  test('merging a board with its own inputs, or alone, changes nothing', async () => {
    const first = path.join(tmp, 'first.csv');
    const second = path.join(tmp, 'second.csv');
    const third = path.join(tmp, 'third.csv');
    assertExit(await cli(['leaderboard', aFile, bFile, '-o', first]), 0);
    assertExit(await cli(['leaderboard', first, aFile, bFile, '-o', second]), 0);
    assertExit(await cli(['leaderboard', first, '-o', third]), 0);
    const text = fs.readFileSync(first, 'utf8');
    assert.equal(fs.readFileSync(second, 'utf8'), text);
    assert.equal(fs.readFileSync(third, 'utf8'), text);
  });

  test('--markdown - puts the table on stdout; -o - the CSV', async () => {
    const md = await cli(['leaderboard', aFile, '--markdown', '-', '-o', path.join(tmp, 'x.csv')]);
    assertExit(md, 0);
    assert.match(md.stdout, /^## energy-score leaderboard\n/);
    const csv = await cli(['leaderboard', aFile]);
    assertExit(csv, 0);
    assert.match(csv.stdout, /^model,total_gpu_energy,energy_score,/);
  });

  test('a bad input file fails with exit 2 and leaves the old board untouched', async () => {
    const out = path.join(tmp, 'kept.csv');
    fs.writeFileSync(out, 'old board\n');
    const bad = path.join(tmp, 'summarization.csv');
    fs.writeFileSync(bad, 'model,total_gpu_energy,energy_score\nx,n/a,3\n');
    const run = await cli(['leaderboard', aFile, bad, '-o', out]);
    assertExit(run, 2);
    assert.match(run.stderr, /summarization\.csv line 2 \(model 'x'\): energy is not a number: "n\/a"/);
    assert.equal(fs.readFileSync(out, 'utf8'), 'old board\n');
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  test('files with no energy at all are a usage error', async () => {
    const none = recordedDocument();
    for (const r of none.results) r.status = 'skipped';
    const run = await cli(['leaderboard', writeJson('none.json', none)]);
    assertExit(run, 2);
    assert.match(run.stderr, /no rated energy in .*none\.json/);
  });

  test('two merges into one file at once leave one whole board', async () => {
    const out = path.join(tmp, 'race.csv');
    const runs = await Promise.all(
      [0, 1, 2, 3].map(
        (i) => startCli(['leaderboard', i % 2 ? aFile : bFile, aFile, bFile, '-o', out], ENV).done,
      ),
    );
    for (const run of runs) assertExit(run, 0);
    assert.equal(parseLeaderboardCsv(fs.readFileSync(out, 'utf8'), out).length, 8);
  });
});

describe('leaderboard review cases', () => {
  test('our one-pass text generation and AI Energy Score’s generations are separate cohorts', async () => {
    const doc = gpuDocument('NVIDIA H100 80GB HBM3', [1]);
    doc.results[0]!.task = 'text-generation';
    doc.results[0]!.model.parameters = 1e9;
    const files = [writeJson('tg.json', doc), path.join(AIES_DIR, 'text_generation.csv')];
    const board = buildBoard(
      (await readRowFiles(files)).flatMap((f) => f.rows),
      'aies',
    );
    const ours = board.rows.find((b) => b.row.protocol === 'energy-score')!;
    assert.equal(ours.cohortSize, 1);
    assert.equal(board.cohorts.length, 4, 'ours, and the three published classes');
    const csv = toLeaderboardCsv(board.rows);
    assert.deepEqual(
      parseLeaderboardCsv(csv, 'b.csv'),
      board.rows.map((b) => b.row),
    );
  });

  test('rating_note says when the 95 % interval spans more than one star', () => {
    const board = buildBoard(rowsOf(recordedDocument(), 'r.json'), 'aies');
    const records = parseCsv(toLeaderboardCsv(board.rows), 'x');
    const note = records[0]!.fields.indexOf('rating_note');
    const model = records[0]!.fields.indexOf('precision');
    const batch = records[0]!.fields.indexOf('batch_size');
    const notes = new Map(
      records.slice(1).map((r) => [`${r.fields[model]} b${r.fields[batch]}`, r.fields[note]]),
    );
    assert.equal(notes.get('fp32 b8'), "the energy's 95 % interval spans 1 to 3 stars");
    assert.equal(notes.get('q8 b1'), '');
  });
});
