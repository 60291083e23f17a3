import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Chalk } from 'chalk';

import { carbonSettings } from '../src/carbon/carbon.js';
import { toCsv, toMarkdown } from '../src/export/formats.js';
import { renderHtmlReport } from '../src/export/html.js';
import { fidelityPlots } from '../src/export/plots.js';
import { renderTable } from '../src/export/table.js';
import { parseCsv } from '../src/sources/csv.js';
import { fidelityLine, labelSvg } from '../src/label/svg.js';
import type { ConfigResult, Conversion, Fidelity, RunDocument } from '../src/result/schema.js';
import { documentProblems } from '../src/result/validate.js';
import { recordedDocument } from './helpers/documents.js';

const REF = 'encoder-tiny/fp32/b1/cpu';

function agreement(value: number): Fidelity {
  const pass = value >= 0.99;
  return {
    reference: REF,
    relation: 'same-model',
    metric: 'top1-agreement',
    value,
    threshold: 0.99,
    pass,
    queries: 1000,
    figures: [
      { metric: 'top1-agreement', value, threshold: 0.99, bound: 'min', pass },
      { metric: 'max-abs-logit-delta', value: 0.25, threshold: null, bound: 'max', pass: null },
    ],
    inputs: 'bundled:gutenberg-sentences',
  };
}

const CONVERSION: Conversion = {
  converted: true,
  sourceFile: 'model.onnx',
  sourceSha256: 'a'.repeat(64),
  recipe: 'int8 dynamic (onnxruntime quantize_dynamic defaults)',
  converterVersion: '1',
  cachedFile: '/cache/model_int8.onnx',
  opCountsBefore: { MatMul: 4 },
  opCountsAfter: { MatMulInteger: 4 },
};

/**
 * The recorded run (encoder-tiny fp32/fp16/q8 at batch 1 and 8, estimated energy) with fidelity:
 * fp32 b1 the reference, fp16 b8 rejected (96 %), q8 b1 converted by the tool.
 */
function compared(): RunDocument {
  const document = recordedDocument();
  const values: Record<string, number> = {
    'encoder-tiny/fp32/b8/cpu': 1,
    'encoder-tiny/fp16/b1/cpu': 0.998,
    'encoder-tiny/fp16/b8/cpu': 0.96,
    'encoder-tiny/q8/b1/cpu': 0.994,
    'encoder-tiny/q8/b8/cpu': 0.993,
  };
  for (const r of document.results) {
    if (values[r.id] !== undefined) r.fidelity = agreement(values[r.id]!);
    if (r.id === 'encoder-tiny/q8/b1/cpu') r.conversion = CONVERSION;
  }
  return document;
}

const byId = (document: RunDocument, id: string): ConfigResult => document.results.find((r) => r.id === id)!;

/** The same, with q8 at batch 1 measured tightly enough to be told apart from the reference. */
function comparedApart(): RunDocument {
  const document = compared();
  const q8 = byId(document, 'encoder-tiny/q8/b1/cpu').energy;
  if (q8.status !== 'not-measured') q8.ci95PerQueryJ = 0.0001;
  return document;
}

describe('fidelity beside energy', () => {
  test('the documents are valid', () => {
    assert.deepEqual(documentProblems(compared()), []);
    assert.deepEqual(documentProblems(comparedApart()), []);
  });

  test('the table: a fidelity column after the interval, the converted marker, the verdict pair by pair', () => {
    const lines = renderTable(compared(), new Chalk({ level: 0 })).split('\n');
    assert.equal(
      lines[0],
      'model         precision       batch  device  stars           Wh/1k       J/query  queries/J   ±95%  fidelity         queries/s  p50 ms/query  p95 ms/batch  peak RSS MB  method     gCO2e/1M q',
    );
    assert.deepEqual(
      lines.slice(1, 7).map((l) => l.slice(0, 116)),
      [
        'encoder-tiny  fp32                1  cpu     unrated  0.00146 est.  0.00527 est.   190 est.   6.3%  reference       ',
        'encoder-tiny  fp32                8  cpu     unrated  0.00296 est.   0.0107 est.  93.9 est.  15.2%  top-1 100.0 % ✓ ',
        'encoder-tiny  fp16                1  cpu     unrated  0.00159 est.  0.00572 est.   175 est.  23.3%  top-1 99.8 % ✓  ',
        'encoder-tiny  fp16                8  cpu     unrated  0.00355 est.   0.0128 est.  78.2 est.  11.4%  top-1 96.0 % ✗  ',
        'encoder-tiny  q8 (converted)      1  cpu     unrated  0.00130 est.  0.00469 est.   213 est.   8.0%  top-1 99.4 % ✓  ',
        'encoder-tiny  q8                  8  cpu     unrated  0.00327 est.   0.0118 est.  84.9 est.  18.1%  top-1 99.3 % ✓  ',
      ],
    );
    assert.ok(
      lines.includes('converted: made from the fp32 model by the tool (the recipe is in the JSON result)'),
    );
    const at = lines.findIndex((l) => l.includes('stays the frugal choice'));
    // The recorded intervals: q8 at batch 1 is within fp32's, so the reference stays.
    assert.deepEqual(lines.slice(at, at + 7), [
      'encoder-tiny fp32 at batch 1 stays the frugal choice: no configuration whose answers hold uses distinguishably less energy per query than it (by 10 % or more) (estimated energy)',
      '  against encoder-tiny fp32 at batch 1 (the reference):',
      '  fp32 at batch 8: 2.0× more energy per query; top-1 agreement 100.0 %',
      '  fp16 at batch 1: 1.08× more energy per query, indistinguishable (within the 95 % intervals); top-1 agreement 99.8 %',
      '  fp16 at batch 8: rejected, top-1 agreement 96.0 % < 99 %; 2.4× more energy per query',
      '  q8 at batch 1: 1.1× less energy per query, indistinguishable (within the 95 % intervals); top-1 agreement 99.4 %',
      '  q8 at batch 8: 2.2× more energy per query; top-1 agreement 99.3 %',
    ]);
  });

  test('the table without fidelity records has no fidelity column and says the answers were not compared', () => {
    const table = renderTable(recordedDocument(), new Chalk({ level: 0 }));
    assert.doesNotMatch(table.split('\n')[0]!, /fidelity/);
    assert.doesNotMatch(table, /converted/);
    assert.match(table, /; answers not compared \(no fidelity figures\)$/m);
  });

  test('Markdown: the fidelity column and the verdict with its pairs as a list', () => {
    const md = toMarkdown(comparedApart()).split('\n');
    assert.ok(
      md.includes(
        '| model | precision | batch | device | status | p50 ms/query | p95 ms/batch | queries/s | Wh/1k queries | J/query | ±95% | fidelity | stars | gCO2e/1M queries |',
      ),
    );
    assert.ok(
      md.includes(
        '| encoder-tiny | q8 (converted) | 1 | cpu | ok | 0.267 | 0.646 | 3185.4 | 0.00130 (estimated) | 0.00469 (estimated) | ±8.0 % | top-1 99.4 % ✓ | unrated | 0.619 (estimated) |',
      ),
    );
    assert.ok(
      md.includes(
        '| encoder-tiny | fp32 | 1 | cpu | ok | 0.301 | 0.704 | 2834.9 | 0.00146 (estimated) | 0.00527 (estimated) | ±6.3 % | reference | unrated | 0.696 (estimated) |',
      ),
    );
    const at = md.findIndex((l) => l.startsWith('**encoder-tiny q8'));
    assert.deepEqual(md.slice(at, at + 9), [
      '**encoder-tiny q8 at batch 1: 1.1× less energy per query than fp32 at batch 1 (estimated energy), top-1 agreement 99.4 % on 1,000 real texts**',
      '',
      'against encoder-tiny fp32 at batch 1 (the reference):',
      '',
      '- fp32 at batch 8: 2.0× more energy per query; top-1 agreement 100.0 %',
      '- fp16 at batch 1: 1.08× more energy per query, indistinguishable (within the 95 % intervals); top-1 agreement 99.8 %',
      '- fp16 at batch 8: rejected, top-1 agreement 96.0 % \\< 99 %; 2.4× more energy per query',
      '- q8 at batch 1: 1.1× less energy per query; top-1 agreement 99.4 %',
      '- q8 at batch 8: 2.2× more energy per query; top-1 agreement 99.3 %',
    ]);
  });

  test('CSV: the fidelity columns, empty for the reference', () => {
    const records = parseCsv(toCsv(compared()), 'csv');
    const first = records[0]!.fields.indexOf('fidelity_metric');
    const rows = records.map((r) => r.fields.slice(first, first + 6));
    assert.deepEqual(rows, [
      [
        'fidelity_metric',
        'fidelity_value',
        'fidelity_threshold',
        'fidelity_pass',
        'fidelity_reference',
        'fidelity_relation',
      ],
      ['', '', '', '', '', ''],
      ['top1-agreement', '1', '0.99', 'true', REF, 'same-model'],
      ['top1-agreement', '0.998', '0.99', 'true', REF, 'same-model'],
      ['top1-agreement', '0.96', '0.99', 'false', REF, 'same-model'],
      ['top1-agreement', '0.994', '0.99', 'true', REF, 'same-model'],
      ['top1-agreement', '0.993', '0.99', 'true', REF, 'same-model'],
    ]);
  });

  test('HTML: the fidelity cell, the verdict and its pairs, an energy × fidelity plot', async () => {
    const html = await renderHtmlReport(comparedApart(), { carbon: carbonSettings({}) });
    assert.ok(
      html.includes(
        '<tr class="estimated"><td>encoder-tiny</td><td>q8 (converted)</td><td class="n">1</td><td>cpu</td><td>ok</td><td><span title="ratings need measured energy and a cohort">unrated</span></td><td class="n">0.00130 est.</td><td class="n">0.00469 est.</td><td class="n">213 est.</td><td class="n">8.0%</td><td class="n">top-1 99.4 % ✓</td><td class="n">3185.4</td><td class="n">0.267</td><td>estimated</td></tr>',
      ),
    );
    assert.ok(
      html.includes(
        '<p class="verdict">encoder-tiny q8 at batch 1: 1.1× less energy per query than fp32 at batch 1 (estimated energy), top-1 agreement 99.4 % on 1,000 real texts</p>\n<p class="small">against encoder-tiny fp32 at batch 1 (the reference):</p>\n<ul class="pairs"><li>fp32 at batch 8: 2.0× more energy per query; top-1 agreement 100.0 %</li>',
      ),
    );
    assert.ok(
      html.includes(
        '<li>fp16 at batch 8: rejected, top-1 agreement 96.0 % &#60; 99 %; 2.4× more energy per query</li>',
      ),
    );
    const plot = /<figure id="energy-vs-fidelity-text-classification">([\s\S]*?)<\/figure>/.exec(html)?.[1];
    assert.ok(plot);
    assert.equal(plot.split('aria-roledescription="point"').length - 1, 6);
    assert.match(plot, />top-1 agreement against the reference<\/text>/);
    assert.match(plot, />energy per query, J \(estimated\)<\/text>/);
    assert.match(
      plot,
      /aria-label="encoder-tiny\/fp16\/b8\/cpu: 0.0128 J per query \(estimated\), top-1 agreement 96.0 % \(rejected\)"/,
    );
    assert.match(plot, /All energy here is estimated\./);
  });

  test('the plot data: the reference at full agreement, each configuration passing or rejected', () => {
    const [plot, ...rest] = fidelityPlots(compared());
    assert.equal(rest.length, 0);
    assert.deepEqual(
      plot!.points.map((p) => [p.label, p.value, p.status]),
      [
        ['fp16 b1', 0.998, 'passes'],
        ['fp16 b8', 0.96, 'rejected'],
        ['fp32 b1', 1, 'reference'],
        ['fp32 b8', 1, 'passes'],
        ['q8 b1', 0.994, 'passes'],
        ['q8 b8', 0.993, 'passes'],
      ],
    );
    assert.deepEqual(
      [plot!.metric, plot!.threshold, plot!.bound, plot!.estimated],
      ['top1-agreement', 0.99, 'min', 'all'],
    );
    assert.deepEqual(fidelityPlots(recordedDocument()), []);
    // An error-like metric: the reference sits at 0, and the bound is an upper one.
    const kl = compared();
    for (const r of kl.results)
      if (r.fidelity) {
        r.fidelity.metric = 'kl-mean';
        r.fidelity.threshold = 0.02;
        r.fidelity.figures = [
          { metric: 'kl-mean', value: r.fidelity.value, threshold: 0.02, bound: 'max', pass: true },
        ];
      }
    const [klPlot] = fidelityPlots(kl);
    assert.deepEqual(
      [klPlot!.bound, klPlot!.points.find((p) => p.status === 'reference')!.value],
      ['max', 0],
    );
  });

  test('the label: a line with the headline fidelity, the rating note after it', () => {
    const document = compared();
    const texts = (svg: string) => [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    const rejected = labelSvg(document, byId(document, 'encoder-tiny/fp16/b8/cpu'));
    assert.deepEqual(texts(rejected).slice(-4, -1), [
      'Fidelity ✗ top-1 agreement 96.0% &lt; 99%',
      'Unrated: ratings need measured energy',
      'and a cohort',
    ]);
    assert.match(
      rejected,
      /<title>[^<]*, top-1 agreement 96.0 % &lt; 99 % against encoder-tiny\/fp32\/b1\/cpu, unrated<\/title>/,
    );
    assert.equal(
      fidelityLine(document, byId(document, 'encoder-tiny/q8/b1/cpu')),
      'Fidelity ✓ top-1 agreement 99.4% ≥ 99%',
    );
    assert.equal(fidelityLine(document, byId(document, REF)), null);
    // Without fidelity the label is as it was: three lines of note.
    assert.doesNotMatch(labelSvg(document, byId(document, REF)), /Fidelity/);
  });
});
