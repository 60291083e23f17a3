import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

import { carbonSettings } from '../src/carbon/carbon.js';
import { escapeHtml, renderHtmlReport } from '../src/export/html.js';
import { plotData, renderPlots, renumberIds } from '../src/export/plots.js';
import { ENERGY_NOT_MEASURED, type EnergyMeasured, type RunDocument } from '../src/result/schema.js';
import { REPO_ROOT } from './helpers/cli.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'results', 'encoder-tiny-cpu.json');

/** A fresh copy of the recorded run: encoder-tiny fp32/fp16/q8 × batch 1, 8 on CPU, estimated energy. */
function fixture(): RunDocument {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as RunDocument;
}

const WORLD = carbonSettings({});

function energyOf(doc: RunDocument, index: number): EnergyMeasured {
  const energy = doc.results[index]!.energy;
  if (energy.status === 'not-measured') throw new Error('fixture row has no energy');
  return energy;
}

/** The inner HTML of the <figure id="…"> of the page, or undefined. */
function figure(html: string, id: string): string | undefined {
  return new RegExp(`<figure id="${id}">([\\s\\S]*?)</figure>`).exec(html)?.[1];
}

const count = (text: string, needle: string) => text.split(needle).length - 1;

/**
 * The fixture as a mixed run: fp32 on a GPU with measured energy ten times lower, one q8 row
 * failed, one fp16 row without a meter.
 */
function mixedDocument(): RunDocument {
  const doc = fixture();
  for (const index of [0, 1]) {
    const r = doc.results[index]!;
    const e = energyOf(doc, index);
    r.device = 'cuda';
    r.id = r.id.replace(/cpu$/, 'cuda');
    r.energy = {
      ...e,
      status: 'measured',
      basis: { domains: ['gpu'], figure: 'gross' },
      perQueryJ: e.perQueryJ / 10,
      whPer1k: e.whPer1k / 10,
      // Wider than the figure itself: its lower end would be below 0.
      ci95PerQueryJ: index === 1 ? e.perQueryJ / 5 : e.ci95PerQueryJ! / 10,
    };
  }
  const failed = doc.results[4]!;
  failed.status = 'failed';
  failed.reason = 'session creation failed';
  failed.energy = ENERGY_NOT_MEASURED;
  doc.results[3]!.energy = ENERGY_NOT_MEASURED;
  return doc;
}

describe('plots', () => {
  test('plotData keeps configurations with energy and says why the others are left out', () => {
    const data = plotData(mixedDocument());
    assert.deepEqual(
      data.points.map((p) => [p.id, p.series]),
      [
        ['encoder-tiny/fp16/b1/cpu', 'encoder-tiny fp16 (cpu)'],
        ['encoder-tiny/q8/b8/cpu', 'encoder-tiny q8 (cpu)'],
        ['encoder-tiny/fp32/b1/cuda', 'encoder-tiny fp32 (cuda)'],
        ['encoder-tiny/fp32/b8/cuda', 'encoder-tiny fp32 (cuda)'],
      ],
    );
    assert.deepEqual(data.leftOut, [
      {
        id: 'encoder-tiny/fp16/b8/cpu',
        reason: 'energy not measured: --meter none: no energy meter was used',
      },
      { id: 'encoder-tiny/q8/b1/cpu', reason: 'failed: session creation failed' },
    ]);
    assert.equal(data.estimated, 'some');
    assert.equal(data.logEnergy, true);
    assert.equal(data.multiDevice, true);
    assert.equal(data.droppedErrorBars, 1);
    assert.equal(data.points[3]!.loJ, null);
    assert.notEqual(data.points[2]!.loJ, null);
  });

  test('the fixture: linear axes, every point estimated, an error bar per point', () => {
    const data = plotData(fixture());
    assert.equal(data.points.length, 6);
    assert.deepEqual(data.leftOut, []);
    assert.equal(data.estimated, 'all');
    assert.equal(data.logEnergy, false);
    assert.equal(data.multiDevice, false);
    assert.equal(data.points.filter((p) => p.loJ !== null).length, 6);
  });

  test('renumberIds gives ids per plot and rewrites their references', () => {
    const svg =
      '<svg><clipPath id="clip7"/><g clip-path="url(#clip7)"/><use href="#clip9"/><g id="clip9"/></svg>';
    assert.equal(
      renumberIds(svg, 'p'),
      '<svg><clipPath id="p-1"/><g clip-path="url(#p-1)"/><use href="#p-2"/><g id="p-2"/></svg>',
    );
    assert.equal(renumberIds('<svg><g/></svg>', 'p'), '<svg><g/></svg>');
  });

  test('a run with nothing to plot gives no SVG', async () => {
    const doc = fixture();
    for (const r of doc.results) r.energy = ENERGY_NOT_MEASURED;
    const plots = await renderPlots(doc);
    assert.equal(plots.energyByBatchSvg, null);
    assert.equal(plots.energyVsThroughputSvg, null);
    assert.equal(plots.data.leftOut.length, 6);
  });
});

describe('HTML report', () => {
  test('escapeHtml', () => {
    assert.equal(
      escapeHtml(`<a href="x">'&'</a>`),
      '&#60;a href=&#34;x&#34;&#62;&#39;&#38;&#39;&#60;/a&#62;',
    );
  });

  test('the page is self-contained: no script, no external resource', async () => {
    const html = await renderHtmlReport(fixture(), { carbon: WORLD });
    assert.ok(html.startsWith('<!doctype html>\n<html lang="en">'));
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<link/i);
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /<iframe|<object|<embed/i);
    assert.doesNotMatch(html, /@import/i);
    assert.doesNotMatch(html, /\s(?:src|href|xlink:href)\s*=\s*["']?(?:[a-z]+:)?\/\//i);
    assert.doesNotMatch(html, /url\((?!#)/);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i);
  });

  test('the fixture: a table row per configuration, the verdict, two plots and a label', async () => {
    const html = await renderHtmlReport(fixture(), { carbon: WORLD });
    assert.equal(count(html, '<tr class="estimated">'), 6);
    assert.match(
      html,
      /<tr class="estimated"><td>encoder-tiny<\/td><td>q8<\/td><td class="n">1<\/td><td>cpu<\/td><td>ok<\/td><td><span title="ratings need measured energy and a cohort">unrated<\/span><\/td><td class="n">0.00130 est.<\/td><td class="n">0.00469 est.<\/td><td class="n">213 est.<\/td><td class="n">8.0%<\/td><td class="n">3185.4<\/td><td class="n">0.267<\/td><td>estimated<\/td><\/tr>/,
    );
    assert.ok(
      html.includes(
        '<p class="verdict">encoder-tiny fp32 at batch 1 stays the frugal choice: no configuration uses distinguishably less energy per query than it (by 10 % or more) (estimated energy); answers not compared (no fidelity figures)</p>\n' +
          '<p class="small">against encoder-tiny fp32 at batch 1 (the reference):</p>\n' +
          '<ul class="pairs"><li>fp32 at batch 8: 2.0× more energy per query</li><li>fp16 at batch 1: 1.08× more energy per query, indistinguishable (within the 95 % intervals)</li>',
      ),
    );
    assert.equal(figure(html, 'energy-vs-fidelity-text-classification'), undefined);

    const byBatch = figure(html, 'energy-by-batch')!;
    assert.equal(count(byBatch, '<svg'), 1);
    assert.equal(count(byBatch, 'aria-roledescription="point"'), 6);
    assert.equal(count(byBatch, 'aria-roledescription="line mark"'), 3);
    assert.equal(count(byBatch, 'aria-roledescription="rule mark"'), 6);
    assert.match(byBatch, />encoder-tiny q8<\/text>/);

    const vsThroughput = figure(html, 'energy-vs-throughput')!;
    assert.equal(count(vsThroughput, '<svg'), 1);
    assert.equal(count(vsThroughput, 'aria-roledescription="point"'), 6);
    assert.equal(count(vsThroughput, 'aria-roledescription="text mark"'), 6);
    assert.match(
      vsThroughput,
      /aria-label="encoder-tiny\/q8\/b1\/cpu: 0.00469 J per query \(estimated\), 3185 queries\/s"/,
    );

    const label = figure(html, 'label')!;
    assert.equal(count(label, '<svg'), 1);
    assert.match(
      label,
      /Label for <code>encoder-tiny\/q8\/b1\/cpu<\/code>: no configuration is rated, so this is the one with least energy per query\./,
    );
  });

  test('estimated energy: both plots say (estimated) on the energy axis', async () => {
    const html = await renderHtmlReport(fixture(), { carbon: WORLD });
    for (const id of ['energy-by-batch', 'energy-vs-throughput']) {
      assert.match(figure(html, id)!, />energy per query, J \(estimated\)<\/text>/, id);
    }
  });

  test('carbon: the world average by default, labelled, with figures per 1k and per million queries', async () => {
    const html = await renderHtmlReport(fixture(), { carbon: WORLD });
    assert.ok(
      html.includes(
        '<p class="source">grid carbon intensity world average 475 gCO2e/kWh (CodeCarbon&#39;s fallback; pass --region or --carbon-intensity); no electricity price given (pass --price for cost)</p>',
      ),
    );
    // q8 at batch 1: 0.0013027813848987403 Wh/1k × 475 g/kWh = 0.619 g per million, 0.000619 g per 1k.
    assert.ok(
      html.includes(
        '<tr><td>encoder-tiny</td><td>q8</td><td class="n">1</td><td>cpu</td><td class="n">0.00130 est.</td><td class="n">0.000619 est.</td><td class="n">0.619 est.</td></tr>',
      ),
    );
    assert.doesNotMatch(html, /cost\/1k queries/);
  });

  test('carbon with a region and a price: cost columns', async () => {
    const html = await renderHtmlReport(fixture(), {
      carbon: carbonSettings({ region: 'FRA', price: '0.25' }),
    });
    assert.match(
      html,
      /France \(FRA\), 2023, CodeCarbon global_energy_mix; electricity price 0.25 per kWh \(your currency\)/,
    );
    // q8 at batch 1: × 56.039 g/kWh = 0.0730 g per million; × 0.25 = 0.000326 per million.
    assert.ok(
      html.includes(
        '<td class="n">0.00130 est.</td><td class="n">0.0000730 est.</td><td class="n">0.0730 est.</td><td class="n">0.000000326 est.</td><td class="n">0.000326 est.</td></tr>',
      ),
    );
  });

  test('strings from the document are escaped', async () => {
    const doc = fixture();
    doc.results[0]!.model.name = '<img onerror=x>';
    doc.results[1]!.model.name = '=HYPERLINK("x")';
    doc.results[2]!.warnings.push('<script>alert(1)</script>');
    doc.environment.cpu = 'CPU <b>bold</b>';
    const html = await renderHtmlReport(doc, { carbon: WORLD });
    assert.doesNotMatch(html, /<img/i);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /<b>/);
    assert.ok(
      html.includes(
        '<title>energy-score report: &#60;img onerror=x&#62;, =HYPERLINK(&#34;x&#34;), encoder-tiny</title>',
      ),
    );
    assert.ok(html.includes('<tr class="estimated"><td>&#60;img onerror=x&#62;</td>'));
    assert.ok(html.includes('<tr class="estimated"><td>=HYPERLINK(&#34;x&#34;)</td>'));
    assert.ok(html.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
    assert.ok(html.includes('CPU &#60;b&#62;bold&#60;/b&#62;'));
    // In the plots, vega escapes the names itself.
    assert.match(figure(html, 'energy-by-batch')!, /&lt;img onerror=x&gt; fp32/);
  });

  test('no configuration with energy: no plot, the reasons, no carbon figures', async () => {
    const doc = fixture();
    for (const r of doc.results) r.energy = ENERGY_NOT_MEASURED;
    const html = await renderHtmlReport(doc, { carbon: WORLD });
    assert.equal(figure(html, 'energy-by-batch'), undefined);
    assert.equal(figure(html, 'energy-vs-throughput'), undefined);
    assert.ok(html.includes('<p>Nothing to plot: no configuration has an energy figure.</p>'));
    assert.equal(count(html, ': energy not measured: --meter none: no energy meter was used</li>'), 6);
    assert.ok(
      html.includes('<p>No configuration has an energy figure, so there are no carbon or cost figures.</p>'),
    );
    assert.doesNotMatch(html, /\(estimated\)/);
    assert.match(
      figure(html, 'label')!,
      /no configuration has an energy figure, so this is the first that ran/,
    );
  });

  test('a mixed run: log axis, hollow estimated points, left-out rows listed', async () => {
    const html = await renderHtmlReport(mixedDocument(), { carbon: WORLD });
    const byBatch = figure(html, 'energy-by-batch')!;
    assert.equal(count(byBatch, 'aria-roledescription="point"'), 4);
    assert.equal(count(byBatch, 'aria-roledescription="line mark"'), 3);
    // Four points, one interval dropped on the log axis.
    assert.equal(count(byBatch, 'aria-roledescription="rule mark"'), 3);
    assert.match(byBatch, />energy per query, J \(hollow: estimated\)<\/text>/);
    assert.match(byBatch, /for a log scale/);
    assert.match(byBatch, />encoder-tiny fp32 \(cuda\)<\/text>/);
    assert.match(html, /1 interval\(s\) reaching 0 or below are not drawn on the log axis\./);
    assert.match(html, /Hollow points are estimated, filled ones measured\./);
    assert.ok(
      html.includes(
        '<p>Left out of both plots:</p>\n<ul><li><code>encoder-tiny/fp16/b8/cpu</code>: energy not measured: --meter none: no energy meter was used</li><li><code>encoder-tiny/q8/b1/cpu</code>: failed: session creation failed</li></ul>',
      ),
    );
    assert.equal(count(figure(html, 'energy-vs-throughput')!, 'aria-roledescription="point"'), 4);
  });

  test('the label is for the best-rated configuration', async () => {
    const doc = fixture();
    const rated = (index: number, stars: 1 | 2 | 3 | 4 | 5) => {
      doc.results[index]!.rating = {
        status: 'rated',
        stars,
        band: (5 - stars) as 0 | 1 | 2 | 3 | 4,
        scale: 'aies',
        clamped: null,
        singleton: false,
        energyKwhPer1k: energyOf(doc, index).whPer1k / 1000,
        energyStatus: 'estimated',
        cohort: {
          kind: 'within-run',
          source: 'this run',
          task: 'text-classification',
          hardware: 'CPU',
          sizeClass: null,
          size: 6,
          rangeKwhPer1k: [1e-6, 4e-6],
        },
      };
    };
    rated(1, 5); // fp32 b8: more energy than fp32 b1, but more stars
    rated(0, 3);
    const html = await renderHtmlReport(doc, { carbon: WORLD });
    assert.match(
      figure(html, 'label')!,
      /Label for <code>encoder-tiny\/fp32\/b8\/cpu<\/code>: the best-rated configuration \(most stars, then least energy per query\)\./,
    );
    assert.ok(html.includes('<span class="stars" aria-label="5 of 5 stars">★★★★★</span>'));
    assert.ok(html.includes('<span class="stars" aria-label="3 of 5 stars">★★★☆☆</span>'));
  });

  test('the same document gives the same page', async () => {
    const a = await renderHtmlReport(mixedDocument(), { carbon: WORLD });
    const b = await renderHtmlReport(mixedDocument(), { carbon: WORLD });
    assert.equal(a, b);
  });
});
