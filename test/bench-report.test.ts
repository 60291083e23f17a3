import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { toMarkdown } from '../src/export/formats.js';
import { carbonSettings } from '../src/carbon/carbon.js';
import { renderTable } from '../src/export/table.js';
import { verdictLines } from '../src/render/verdict.js';
import { Chalk } from 'chalk';
import { assertExit, cli as cliIn, cliEnv, QUICK_ENERGY } from './helpers/cli.js';
import { measuredEnergy, recordedDocument } from './helpers/documents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-report-'));
const cli = (args: string[], vars: Record<string, string> = {}) => cliIn(args, cliEnv(vars));
const plain = new Chalk({ level: 0 });

describe('verdict', () => {
  test('without fidelity: energy alone against fp32 at batch 1, every configuration beside it', () => {
    const doc = recordedDocument();
    for (const r of doc.results) measuredEnergy(r).ci95PerQueryJ = 0;
    assert.deepEqual(verdictLines(doc.results), [
      'encoder-tiny q8 at batch 1: 1.1× less energy per query than fp32 at batch 1 (estimated energy); answers not compared (no fidelity figures): energy alone',
      '  against encoder-tiny fp32 at batch 1 (the reference):',
      '  fp32 at batch 8: 2.0× more energy per query',
      '  fp16 at batch 1: 1.08× more energy per query, under the 10 % a verdict acts on',
      '  fp16 at batch 8: 2.4× more energy per query',
      '  q8 at batch 1: 1.1× less energy per query',
      '  q8 at batch 8: 2.2× more energy per query',
    ]);
  });

  test('the recorded intervals: q8 at batch 1 is within fp32’s, so fp32 stays the frugal choice', () => {
    const lines = verdictLines(recordedDocument().results);
    assert.equal(
      lines[0],
      'encoder-tiny fp32 at batch 1 stays the frugal choice: no configuration uses distinguishably less energy per query than it (by 10 % or more) (estimated energy); answers not compared (no fidelity figures)',
    );
    assert.equal(
      lines[5],
      '  q8 at batch 1: 1.1× less energy per query, indistinguishable (within the 95 % intervals)',
    );
  });
});

describe('carbon and cost', () => {
  test('the table and Markdown convert with the document’s settings', () => {
    const doc = recordedDocument();
    doc.results = doc.results.slice(0, 1);
    // 0.0014643060079033642 Wh/1k × 56.04 g/kWh (FRA) = 0.0821 g per million; × 0.2 = 0.000293.
    doc.carbon = carbonSettings({ region: 'FRA', price: '0.2' });
    const table = renderTable(doc, plain);
    assert.match(table, /gCO2e\/1M q\s+cost\/1M q$/m);
    assert.match(table, /0\.0821 est\.\s+0\.000293 est\.$/m);
    assert.match(
      table,
      /^carbon: grid carbon intensity 56\.0 gCO2e\/kWh: France \(FRA\), 2023, CodeCarbon global_energy_mix; electricity price 0\.2 per kWh \(your currency\)$/m,
    );
    const md = toMarkdown(doc);
    assert.match(md, /\| gCO2e\/1M queries \| cost\/1M queries \|$/m);
    assert.match(md, /\| 0\.0821 \(estimated\) \| 0\.000293 \(estimated\) \|$/m);
  });

  test('older documents without settings use the world average, labelled', () => {
    const doc = recordedDocument();
    delete doc.carbon;
    const table = renderTable(doc, plain);
    assert.match(
      table,
      /^carbon: grid carbon intensity world average 475 gCO2e\/kWh \(CodeCarbon's fallback; pass --region or --carbon-intensity\); no electricity price given/m,
    );
    assert.doesNotMatch(table, /cost\/1M q/);
  });

  test('bad carbon flags are usage errors before anything runs', async () => {
    for (const [args, pattern] of [
      [['--carbon-intensity', 'lots'], /--carbon-intensity/],
      [['--region', 'XYZ'], /unknown region 'XYZ'/],
      [['--region', 'FRA', '--carbon-intensity', '50'], /both set the grid carbon intensity/],
      [['--price', '-1'], /--price/],
    ] as const) {
      const run = await cli(['bench', 'fixtures/zoo/encoder-tiny', ...args]);
      assertExit(run, 2);
      assert.match(run.stderr, pattern);
    }
  });
});

describe('GitHub Actions', () => {
  test('bench appends its Markdown report to GITHUB_STEP_SUMMARY', async () => {
    const summary = path.join(tmp, 'summary.md');
    fs.writeFileSync(summary, '# earlier step\n');
    const run = await cli(
      ['bench', 'fixtures/zoo/encoder-tiny', '--precision', 'fp32', ...QUICK_ENERGY, '--region', 'DEU'],
      { GITHUB_STEP_SUMMARY: summary },
    );
    assertExit(run, 0);
    const text = fs.readFileSync(summary, 'utf8');
    assert.ok(text.startsWith('# earlier step\n\n## energy-score bench\n'), text.slice(0, 80));
    assert.match(text, /^\| encoder-tiny \| fp32 \| 1 \| cpu \| ok \|/m);
    assert.match(text, /^Carbon: grid carbon intensity .*Germany \(DEU\)/m);
  });
});

describe('HTML report', () => {
  test('bench --html writes one self-contained page at the end', async () => {
    const html = path.join(tmp, 'report.html');
    const run = await cli([
      'bench',
      'fixtures/zoo/encoder-tiny',
      ...QUICK_ENERGY,
      '--rate-within-run',
      '--html',
      html,
    ]);
    assertExit(run, 0);
    const page = fs.readFileSync(html, 'utf8');
    assert.match(page, /^<!doctype html>/i);
    assert.equal((page.match(/<svg/g) ?? []).length, 4, 'three plots (one energy × fidelity) and the label');
    assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3\.org)/);
  });

  test('an --html folder that does not exist fails before anything is measured', async () => {
    const run = await cli(['bench', 'fixtures/zoo/encoder-tiny', '--html', path.join(tmp, 'no', 'r.html')]);
    assertExit(run, 2);
    assert.match(run.stderr, /cannot write .*r\.html: no such folder/);
    assert.equal(run.stdout, '');
  });
});
