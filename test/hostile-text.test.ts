/**
 * Hostile names on their way out, through the built CLI: a model name or a path holding terminal
 * escapes (OSC title, CSI, BEL, the 8-bit CSI), a right-to-left override and a zero-width joiner
 * never reaches the terminal, an annotation, a label or a plot as itself; a name of 10,000
 * characters leaves tables and labels readable; a name that is only white space says so.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { InspectReport } from '../src/app/inspect.js';
import type { RunDocument } from '../src/result/schema.js';
import { assertExit, cli, cliEnv, REPO_ROOT, type RunOutput } from './helpers/cli.js';
import { recordedDocument } from './helpers/documents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-hostile-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const ENV = cliEnv({ GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '' });
const GITHUB = cliEnv({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: '' });

const R = '\uFFFD';
/** Sets the terminal title (OSC 0 … BEL), turns text red (CSI), clears the screen (8-bit CSI), then reverses and joins. */
const HOSTILE = 'evil\u001b]0;owned\u0007\u001b[31mred\u009b2J\u202Egnp.exe\u200Dx';
const SHOWN = `evil${R}]0;owned${R}${R}[31mred${R}2J${R}gnp.exe${R}x`;

/** Nothing a terminal, a browser or an XML reader would act on or hide: no controls but line breaks, no bidi or invisible characters. */
const UNSAFE = /(?!\n)[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/u;

function assertClean(text: string, what: string): void {
  const found = UNSAFE.exec(text);
  assert.equal(
    found,
    null,
    `${what}: U+${found?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} at ${found?.index}: ${JSON.stringify(text.slice(Math.max(0, (found?.index ?? 0) - 40), (found?.index ?? 0) + 40))}`,
  );
}

function assertRunClean(run: RunOutput): void {
  assertClean(run.stdout, 'stdout');
  assertClean(run.stderr, 'stderr');
}

/** The recorded run with every configuration's model renamed (and its id with it). */
function renamed(name: string): RunDocument {
  const doc = recordedDocument();
  for (const r of doc.results) {
    r.id = r.id.replace(r.model.name, name);
    r.model.name = name;
  }
  return doc;
}

function write(name: string, doc: RunDocument): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(doc));
  return file;
}

const LONG = `long-${'x'.repeat(9990)}-end`;
const LONG_SHOWN = `long-${'x'.repeat(61)}…${'x'.repeat(29)}-end`;

let hostileFile: string;
let longFile: string;
let blankFile: string;

before(() => {
  hostileFile = write('hostile.json', renamed(HOSTILE));
  longFile = write('long.json', renamed(LONG));
  blankFile = write('blank.json', renamed('   '));
});

describe('terminal escapes in a model name', { concurrency: true }, () => {
  test('check: the text report and its ::error:: annotations', async () => {
    const run = await cli(['check', hostileFile, '--max-wh-per-1k', '0.000001'], GITHUB);
    assertExit(run, 1);
    assertRunClean(run);
    assert.match(run.stdout, new RegExp(`^  FAIL  ${escape(SHOWN)}/fp32/b1/cpu: 0\\.00146 Wh/1k`, 'm'));
    assert.match(
      run.stdout,
      new RegExp(`^::error title=energy-score check::${escape(SHOWN)}/fp32/b1/cpu: 0\\.00146 Wh/1k`, 'm'),
    );
  });

  test('check and compare: the Markdown reports, file names in code spans included', async () => {
    const named = path.join(tmp, 'ba`d\u001b[2J\u202E.json');
    fs.copyFileSync(hostileFile, named);
    const check = await cli(['check', named, '--max-wh-per-1k', '0.000001', '--markdown', '-'], ENV);
    assertExit(check, 1);
    assertRunClean(check);
    assert.equal(
      check.stdout.split('\n')[2],
      `\`\`${tmp}/ba\`d${R}[2J${R}.json\`\`; limits: --max-wh-per-1k 0.000001.`,
    );
    assert.match(
      check.stdout,
      new RegExp(`^\\| ${escape(SHOWN.replace(/[[\]]/g, '\\$&'))}/fp32/b1/cpu \\|`, 'm'),
    );
    const compare = await cli(['compare', named, hostileFile, '--markdown', '-'], ENV);
    assertExit(compare, 0);
    assertRunClean(compare);
  });

  test('compare: the text report', async () => {
    const run = await cli(['compare', hostileFile, hostileFile], ENV);
    assertExit(run, 0);
    assertRunClean(run);
    assert.match(run.stdout, new RegExp(`^${escape(SHOWN)}/q8/b8/cpu$`, 'm'));
  });

  test('label: the line it prints, and the SVG (to a file and to stdout)', async () => {
    const svgFile = path.join(tmp, 'hostile.svg');
    const run = await cli(['label', hostileFile, '-o', svgFile], ENV);
    assertExit(run, 0);
    assertRunClean(run);
    assert.match(run.stdout, new RegExp(`^label for ${escape(SHOWN)}/q8/b1/cpu `));
    const svg = fs.readFileSync(svgFile, 'utf8');
    assertClean(svg, 'label SVG');
    assert.ok(svg.includes(`>evil${R}]0;owned${R}${R}[31m`), svg);
    const out = await cli(['label', hostileFile, '-o', '-'], ENV);
    assertExit(out, 0);
    assertRunClean(out);
    assert.equal(out.stdout, svg);
  });

  test('report: the table, and the HTML page with its plots', async () => {
    const html = path.join(tmp, 'hostile.html');
    const run = await cli(['report', hostileFile, '--html', html], ENV);
    assertExit(run, 0);
    assertRunClean(run);
    assert.match(run.stdout, new RegExp(`^${escape(SHOWN)}  fp32 `, 'm'));
    const page = fs.readFileSync(html, 'utf8');
    assertClean(page, 'HTML page');
    const plot = /<figure id="energy-by-batch">([\s\S]*?)<\/figure>/.exec(page)?.[1] ?? '';
    assert.ok(plot.includes(`${SHOWN} fp32`), 'the plot legend names the series by the shown name');
    assert.ok(page.includes(`<td>${SHOWN}</td>`));
  });

  test('rate: the text, and --json - keeps the name (escaped) so it reads back the same', async () => {
    const run = await cli(['rate', hostileFile, '--json', '-'], ENV);
    assertExit(run, 0);
    assertRunClean(run);
    const doc = JSON.parse(run.stdout) as RunDocument;
    assert.equal(doc.results[0]!.model.name, HOSTILE);
    assert.ok(run.stdout.includes('\\u001b]0;owned\\u0007\\u001b[31mred\\u009b2J\\u202egnp.exe\\u200dx'));
    assert.match(run.stderr, new RegExp(`^  ${escape(SHOWN)}/fp32/b1/cpu  `, 'm'));
  });

  test('inspect: a model path with escapes, as text and as JSON', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'inspect-'));
    const model = path.join(dir, `m\u001b]8;;x\u0007\u202E.onnx`);
    fs.copyFileSync(path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx'), model);
    const run = await cli(['inspect', model], ENV);
    assertExit(run, 0);
    assertRunClean(run);
    assert.equal(run.stdout.split('\n')[0], `${dir}/m${R}]8;;x${R}${R}.onnx`);
    const json = await cli(['inspect', model, '--json'], ENV);
    assertExit(json, 0);
    assertRunClean(json);
    assert.equal((JSON.parse(json.stdout) as InspectReport).path, model);
  });

  test('error lines and their annotation: a configuration id with escapes', async () => {
    const run = await cli(['label', hostileFile, '--config', 'x\u001b[2J\u001b[Hy\u202E'], GITHUB);
    assertExit(run, 2);
    assert.equal(run.stdout, '');
    assertRunClean(run);
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 3, run.stderr);
    assert.equal(lines[0], `energy-score: error: no configuration 'x${R}[2J${R}[Hy${R}' in ${hostileFile}`);
    assert.match(lines[1]!, new RegExp(`^  hint: use one of: ${escape(SHOWN)}/fp32/b1/cpu, `));
    assert.match(lines[2]!, /^::error title=energy-score label::no configuration 'x\uFFFD\[2J/);
  });

  test("commander's own errors quote what was typed without its escapes", async () => {
    const option = await cli(['check', 'x.json', '--\u001b]0;t\u0007'], GITHUB);
    assertExit(option, 2);
    assertRunClean(option);
    assert.match(option.stderr, /^energy-score: error: unknown option '--\uFFFD\]0;t\uFFFD'$/m);
    const command = await cli(['\u001b[31mbogus'], GITHUB);
    assertExit(command, 2);
    assertRunClean(command);
    assert.match(command.stderr, /^energy-score: error: unknown command '\uFFFD\[31mbogus'$/m);
    assert.match(command.stderr, /^::error title=energy-score::unknown command '\uFFFD\[31mbogus'$/m);
  });

  test('a message made of several lines is still one error line', async () => {
    const file = path.join(tmp, 'bad\u001b[31m\nname.json');
    fs.writeFileSync(file, '{');
    const run = await cli(['check', file, '--min-stars', '1'], ENV);
    assertExit(run, 2);
    assertRunClean(run);
    const lines = run.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 2, run.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`^energy-score: error: ${escape(tmp)}/bad${R}\\[31m name\\.json is not valid JSON`),
    );
  });
});

describe('long and blank names', { concurrency: true }, () => {
  test('a name of 10,000 characters: the table and the check report stay readable', async () => {
    const run = await cli(['report', longFile], ENV);
    assertExit(run, 0);
    const row = run.stdout.split('\n')[1]!;
    assert.ok(row.startsWith(`${LONG_SHOWN}  fp32 `), row.slice(0, 200));
    assert.ok(row.length < 300, `a row of ${row.length} characters`);
    const check = await cli(['check', longFile, '--max-wh-per-1k', '0.000001'], ENV);
    assertExit(check, 1);
    for (const line of check.stdout.split('\n')) assert.ok(line.length < 300, line.slice(0, 200));
    assert.match(check.stdout, /^ {2}FAIL {2}long-x{61}…x{17}-end\/fp32\/b1\/cpu: /m);
  });

  test('a name of 10,000 characters: the label, the HTML page and the JSON', async () => {
    const svgFile = path.join(tmp, 'long.svg');
    const run = await cli(['label', longFile, '-o', svgFile], ENV);
    assertExit(run, 0);
    assert.ok(run.stdout.length < 300, run.stdout.slice(0, 200));
    const svg = fs.readFileSync(svgFile, 'utf8');
    assert.ok(svg.length < 20_000, `an SVG of ${svg.length} characters`);
    const html = path.join(tmp, 'long.html');
    assertExit(await cli(['report', longFile, '--html', html], ENV), 0);
    const page = fs.readFileSync(html, 'utf8');
    assert.ok(page.includes(`<td>${LONG_SHOWN}</td>`));
    assert.ok(!page.includes('x'.repeat(200)), 'the page never holds the whole name');
    const json = await cli(['rate', longFile, '--json', '-'], ENV);
    assertExit(json, 0);
    assert.equal(
      (JSON.parse(json.stdout) as RunDocument).results[0]!.model.name,
      LONG,
      'data keeps it whole',
    );
  });

  test('a name of 10,000 characters: the hint that lists the configurations stays one readable line', async () => {
    const doc = renamed(LONG);
    doc.results = Array.from({ length: 30 }, (_, i) => ({
      ...doc.results[0]!,
      id: `${LONG}/fp32/b${i + 1}/cpu`,
    }));
    const run = await cli(['label', write('many.json', doc), '--config', 'nope'], ENV);
    assertExit(run, 2);
    const hint = run.stderr.split('\n')[1]!;
    assert.ok(hint.length < 1500, `a hint of ${hint.length} characters`);
    assert.ok(hint.startsWith(`  hint: use one of: ${LONG_SHOWN.slice(0, 60)}`), hint.slice(0, 200));
    assert.ok(hint.endsWith('/fp32/b10/cpu, and 20 more'), hint.slice(-200));
  });

  test('a name that is only white space shows as (blank name)', async () => {
    const run = await cli(['report', blankFile], ENV);
    assertExit(run, 0);
    assert.match(run.stdout, /^\(blank name\) +fp32 +1 /m);
    const svgFile = path.join(tmp, 'blank.svg');
    assertExit(await cli(['label', blankFile, '-o', svgFile], ENV), 0);
    assert.ok(fs.readFileSync(svgFile, 'utf8').includes('>(blank name)</text>'));
  });
});

describe('spreadsheet formulas', () => {
  test('leaderboard CSV: a formula after a leading space is defused, and merging it reads it back', async () => {
    const name = ' =HYPERLINK("http://x")';
    const board = path.join(tmp, 'board.csv');
    assertExit(await cli(['leaderboard', write('formula.json', renamed(name)), '-o', board], ENV), 0);
    const csv = fs.readFileSync(board, 'utf8');
    assert.equal(csv.split('\n')[1]!.split(',')[0], `"' =HYPERLINK(""http://x"")"`);
    const again = path.join(tmp, 'board-again.csv');
    assertExit(await cli(['leaderboard', board, '-o', again], ENV), 0);
    assert.equal(fs.readFileSync(again, 'utf8'), csv, 'the name reads back whole, and is defused again');
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
