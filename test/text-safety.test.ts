/**
 * The one rule for text on its way out (src/util/text-safety.ts): control characters, terminal
 * escapes, bidirectional overrides and invisible characters never reach a terminal, an
 * annotation, a label or a plot as themselves; names too long to read are cut with an ellipsis;
 * a blank name says so; spreadsheet formulas are defused, leading spaces or not.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import path from 'node:path';

import { errorAnnotation } from '../src/ci/github.js';
import { createProgress } from '../src/cli/progress.js';
import { escapeHtml } from '../src/export/html.js';
import { escapeXml } from '../src/label/text.js';
import { inspectModel } from '../src/model/inspect.js';
import { getTask } from '../src/workload/tasks.js';
import { planInputs } from '../src/workload/input-plan.js';
import { NO_OVERRIDES } from '../src/workload/overrides.js';
import { REPO_ROOT } from './helpers/cli.js';
import {
  BLANK_NAME,
  defuseFormula,
  displayName,
  escapeMarkdown,
  jsonText,
  markdownCode,
  MAX_NAME_CHARS,
  printable,
  printableLine,
  terminalText,
  undefuseFormula,
} from '../src/util/text-safety.js';

const R = '\uFFFD';

describe('printable', () => {
  test('C0 and C1 controls, DEL and terminal escapes become U+FFFD', () => {
    assert.equal(printable('a\u001b[31mb\u0007c\u0000d'), `a${R}[31mb${R}c${R}d`);
    assert.equal(printable('\u009b2J\u007f\u0085'), `${R}2J${R}${R}`);
    assert.equal(printable('one\ntwo\r\tthree'), `one${R}two${R}${R}three`);
  });

  test('bidirectional overrides and isolates, zero-width characters, the BOM and line separators too', () => {
    assert.equal(printable('model\u202Egnp.exe'), `model${R}gnp.exe`);
    assert.equal(printable('a\u202Ab\u202Dc\u2066d\u2069e\u200Ef\u061Cg'), `a${R}b${R}c${R}d${R}e${R}f${R}g`);
    assert.equal(printable('be\u200Drt\u200B\u200C\u2060\uFEFF'), `be${R}rt${R}${R}${R}${R}`);
    assert.equal(printable('a\u2028b\u2029c\u00ADd'), `a${R}b${R}c${R}d`);
  });

  test('a lone surrogate becomes U+FFFD; letters, marks, wide scripts and emoji stay', () => {
    assert.equal(printable('\uD800x\uDC00'), `${R}x${R}`);
    const kept = 'naïve e\u0301 東京 Ελληνικά 😀 NVIDIA H100 80GB HBM3';
    assert.equal(printable(kept), kept);
    // An emoji joined by a zero-width joiner shows its parts: the joiner is invisible text.
    assert.equal(printable('👩\u200D💻'), `👩${R}💻`);
  });

  test('printableLine: a message from a library or a tool as one printable line', () => {
    assert.equal(
      printableLine('Non-whitespace before first tag.\nLine: 0\nColumn: 1\nChar: \u0000'),
      `Non-whitespace before first tag. Line: 0 Column: 1 Char: ${R}`,
    );
    assert.equal(printableLine('  spaced \r\n\t out \u001b[2J '), `spaced out ${R}[2J`);
  });
});

describe('displayName', () => {
  test('a name of 10,000 characters keeps its start and end around an ellipsis', () => {
    const name = `a${'x'.repeat(9998)}z`;
    const shown = displayName(name);
    assert.equal(MAX_NAME_CHARS, 100);
    assert.equal([...shown].length, 100);
    assert.equal(shown, `a${'x'.repeat(65)}…${'x'.repeat(32)}z`);
  });

  test('the end of a long id stays: precision, batch and device', () => {
    const id = `${'m'.repeat(200)}/fp16/b8/cuda`;
    assert.equal(displayName(id), `${'m'.repeat(66)}…${'m'.repeat(20)}/fp16/b8/cuda`);
    assert.equal(displayName('x'.repeat(100)), 'x'.repeat(100), 'at the limit: whole');
    assert.equal(displayName('abcdefghij', 7), 'abcd…ij');
  });

  test('it counts characters, not UTF-16 units: no emoji is split in half', () => {
    const shown = displayName('😀'.repeat(300));
    assert.equal(shown, `${'😀'.repeat(66)}…${'😀'.repeat(33)}`);
    assert.ok(!/\p{Cs}/u.test(shown));
  });

  test('a blank name says so; control characters are made printable first', () => {
    assert.equal(BLANK_NAME, '(blank name)');
    for (const blank of ['', '   ', '\t\n', '\u00A0\u3000']) assert.equal(displayName(blank), BLANK_NAME);
    assert.equal(displayName('\u200B'), R, 'an invisible name is not blank: it shows as U+FFFD');
    assert.equal(displayName('evil\u001b[31m\u202Ename'), `evil${R}[31m${R}name`);
    assert.equal(displayName('encoder-tiny/fp32/b1/cpu'), 'encoder-tiny/fp32/b1/cpu');
  });
});

describe('the rule in every escaper', () => {
  test('Markdown, HTML, SVG text and workflow annotations', () => {
    const hostile = 'm\u001bPq\u0007\u009b\u202Ex';
    const clean = `m${R}Pq${R}${R}${R}x`;
    assert.equal(escapeMarkdown(hostile), clean);
    assert.equal(escapeHtml(hostile), clean);
    assert.equal(escapeXml(hostile), clean);
    assert.equal(escapeXml('a &<b>\u0085'), `a &amp;&lt;b&gt;${R}`);
    assert.equal(
      errorAnnotation(`${hostile}: 50 %\nsecond line`, { title: `t\u001b[2J` }),
      `::error title=t${R}[2J::${clean}: 50 %25%0Asecond line\n`,
    );
  });

  test('a Markdown code span holds any name: backticks in it get a longer fence', () => {
    assert.equal(markdownCode('result.json'), '`result.json`');
    assert.equal(markdownCode('a`b'), '``a`b``');
    assert.equal(markdownCode('`x``'), '``` `x`` ```');
    assert.equal(markdownCode('new\u001b[31m\nrun.json'), `\`new${R}[31m run.json\``);
  });

  test('terminalText keeps line breaks, tabs and colour codes, and nothing else that is not printable', () => {
    assert.equal(terminalText('\u001b[1mbold\u001b[22m\n\tx'), '\u001b[1mbold\u001b[22m\n\tx');
    assert.equal(terminalText('a\u001b]0;title\u0007b\rc\u001b[2Jd'), `a${R}]0;title${R}b${R}c${R}[2Jd`);
    assert.equal(terminalText('\u001b[1;31mred\u001b[39m \u202E'), `\u001b[1;31mred\u001b[39m ${R}`);
  });

  test('jsonText escapes what JSON.stringify leaves raw, and the JSON reads back the same', () => {
    const value = { name: 'a\u009bb\u202Ec\u200Dd\u2028e\u007f', sub: '\u{E0001}' };
    const text = jsonText(JSON.stringify(value, null, 2));
    assert.equal(
      text,
      '{\n  "name": "a\\u009bb\\u202ec\\u200dd\\u2028e\\u007f",\n  "sub": "\\udb40\\udc01"\n}',
    );
    assert.deepEqual(JSON.parse(text), value);
  });

  test('the progress bar names a configuration by its display name', () => {
    let written = '';
    const stream = {
      isTTY: true,
      columns: 400,
      write: (text: string) => (written += text),
    } as unknown as NodeJS.WriteStream;
    const progress = createProgress(stream);
    progress.start(`evil\u001b]0;t\u0007${'x'.repeat(300)}`, 0, 2);
    const clearLine = '\r\u001b[2K';
    assert.ok(written.startsWith(clearLine));
    const drawn = written.slice(clearLine.length);
    assert.ok(!/\p{Cc}/u.test(drawn), JSON.stringify(drawn));
    assert.ok(drawn.startsWith(`[1/2] evil${R}]0;t${R}xxx`), drawn);
    assert.ok(drawn.includes('…'), 'the long name is cut');

    let narrow = '';
    const small = { isTTY: true, columns: 12, write: (text: string) => (narrow += text) };
    createProgress(small as unknown as NodeJS.WriteStream).start('😀'.repeat(20), 0, 1);
    assert.equal(narrow, `${clearLine}[1/1] ${'😀'.repeat(5)}`, 'cut between characters, not inside one');
  });
});

describe('progress bar', () => {
  const BAR = 24;
  function drawn(update: (p: ReturnType<typeof createProgress>) => void): string {
    let written = '';
    const stream = { isTTY: true, columns: 200, write: (t: string) => (written = t) };
    const progress = createProgress(stream as unknown as NodeJS.WriteStream);
    progress.start('m', 0, 1);
    update(progress);
    return written.replace('\r\u001b[2K', '');
  }

  test('one pass without meters: the bar follows the queries of the suite', () => {
    assert.equal(
      drawn((p) => p.update(50, 100)),
      `[1/1] m ${'█'.repeat(12)}${'░'.repeat(12)} 50/100 queries`,
    );
  });

  test('trials: the bar follows the time budget, not the suite covered once', () => {
    assert.equal(
      drawn((p) => p.update(250, 100, { elapsedS: 2, budgetS: 8 })),
      `[1/1] m ${'█'.repeat(6)}${'░'.repeat(BAR - 6)} 250 queries (suite covered), 2.0 of at most 8 s`,
    );
    assert.equal(
      drawn((p) => p.update(40, 100, { elapsedS: 9, budgetS: 8 })),
      `[1/1] m ${'█'.repeat(BAR)} 40 queries (40/100 of the suite), 9.0 of at most 8 s`,
    );
  });
});

describe('defuseFormula', () => {
  test('a formula after leading spaces, tabs or line breaks is defused too', () => {
    for (const cell of [
      '=cmd',
      '+1',
      '-1',
      '@SUM(A1)',
      '\t=cmd',
      '\rx',
      ' =cmd',
      '   +cmd',
      '\t =cmd',
      '\n=cmd',
      '\u00A0=cmd',
      ' @x',
    ]) {
      assert.equal(defuseFormula(cell), `'${cell}`, JSON.stringify(cell));
    }
    for (const cell of ['model', 'a =b', ' model', '', '42', "it's"]) {
      assert.equal(defuseFormula(cell), cell, JSON.stringify(cell));
    }
  });

  test('a cell that starts with a quote of its own keeps it when read back', () => {
    assert.equal(defuseFormula("'=x'"), "''=x'");
    for (const cell of ["'=x", "'quoted'", ' =cmd', '=cmd', "''", "'", 'plain', '\t-1']) {
      assert.equal(undefuseFormula(defuseFormula(cell)), cell, JSON.stringify(cell));
    }
  });
});

describe('messages in plain English', () => {
  test('an input that is not a tensor is "an optional", "a sequence", "of an unknown type"', async () => {
    const model = await inspectModel(path.join(REPO_ROOT, 'fixtures', 'zoo', 'encoder-tiny', 'model.onnx'));
    const task = getTask('text-classification');
    const said = (kind: 'optional' | 'sequence' | 'map' | 'unknown' | 'tensor', dtype: string) => {
      const first = { ...model.inputs[0]!, kind, dtype, shape: null };
      try {
        planInputs({ ...model, inputs: [first, ...model.inputs.slice(1)] }, task, NO_OVERRIDES);
      } catch (err) {
        return (err as Error).message;
      }
      return 'no error';
    };
    const name = `${model.path}: input '${model.inputs[0]!.name}'`;
    assert.equal(said('optional', 'optional'), `${name} is an optional, which onnxruntime-node cannot feed`);
    assert.equal(said('sequence', 'sequence'), `${name} is a sequence, which onnxruntime-node cannot feed`);
    assert.equal(said('map', 'map'), `${name} is a map, which onnxruntime-node cannot feed`);
    assert.equal(
      said('unknown', 'unknown'),
      `${name} is of an unknown type, which onnxruntime-node cannot feed`,
    );
    assert.equal(
      said('tensor', 'float8e4m3fn'),
      `${name} is a tensor of float8e4m3fn, which onnxruntime-node cannot feed`,
    );
  });
});
