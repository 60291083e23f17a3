import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { Chalk } from 'chalk';

import { carbonSettings } from '../src/carbon/carbon.js';
import { toCsv, toMarkdown } from '../src/export/formats.js';
import { renderHtmlReport } from '../src/export/html.js';
import { renderTable } from '../src/export/table.js';
import { labelSvg } from '../src/label/svg.js';
import { parseCsv } from '../src/sources/csv.js';
import { budgetVerdict } from '../src/render/generation.js';
import type { ConfigResult, GenerationFigures, RunDocument } from '../src/result/schema.js';
import { documentProblems } from '../src/result/validate.js';
import { recordedDocument, setEnergy } from './helpers/documents.js';

function figures(budget: number, perQueryJ: number): GenerationFigures {
  return {
    layout: 'single',
    layoutDescription: 'decoder with KV cache (model.onnx)',
    cached: true,
    newTokensPerQuery: budget,
    promptTokensPerQueryMean: 200,
    contextTokens: 256,
    contextSource: 'config.json n_positions',
    promptsClipped: 0,
    energyStatus: 'estimated',
    perTokenJ: perQueryJ / budget,
    ci95PerTokenJ: null,
    prefill: { perQueryJ: 0.02, ci95PerQueryJ: null, trials: 3, latencyPerQueryMs: 1.5 },
    decode: { perTokenJ: (perQueryJ - 0.02) / (budget - 1), ci95PerTokenJ: null, tokensPerQuery: budget - 1 },
    tokensPerSecond: 1234.5,
    timeToFirstTokenMs: { p50: 0.5, p95: 0.9 },
    interTokenLatencyMs: { p50: 0.125, p95: 0.25 },
    assumptions: [],
  };
}

/** The recorded document's first configuration at budgets 10 and 100, 0.036 and 0.36 Wh/1k. */
function generativeDocument(): RunDocument {
  const document = recordedDocument();
  const base = document.results[0]!;
  const at = (budget: number, whPer1k: number): ConfigResult => {
    const r: ConfigResult = structuredClone(base);
    r.id = `${base.id}/n${budget}`;
    r.task = 'text-generation';
    setEnergy(r, whPer1k);
    r.generation = figures(budget, (whPer1k * 3600) / 1000);
    return r;
  };
  document.results = [at(10, 0.036), at(100, 0.36)];
  return document;
}

describe('reports of generative configurations', () => {
  test('the verdict says what each extra budget costs', () => {
    const document = generativeDocument();
    assert.deepEqual(documentProblems(document), []);
    const model = document.results[0]!.model.name;
    assert.equal(
      budgetVerdict(document.results),
      `${model} fp32 at batch 1: 100 new tokens cost 10.0× the energy of 10 per query (estimated energy)`,
    );
    assert.equal(budgetVerdict(recordedDocument().results), undefined);
  });

  test('table, Markdown and CSV carry the per-token figures, labelled estimated', () => {
    const document = generativeDocument();
    const table = renderTable(document, new Chalk({ level: 0 }));
    const header = table.split('\n')[0]!;
    for (const title of [
      'new tokens',
      'J/token',
      'prefill J/q',
      'decode J/tok',
      'tokens/s',
      'TTFT p50 ms',
      'ITL p50 ms',
    ])
      assert.ok(header.includes(title), title);
    // 0.036 Wh/1k = 0.1296 J/query; per token over 10 tokens 0.01296 J.
    assert.match(table, /0\.0130 est\./);
    assert.match(table, /100 new tokens cost 10\.0× the energy of 10 per query/);
    assert.ok(!renderTable(recordedDocument(), new Chalk({ level: 0 })).includes('J/token'));

    const markdown = toMarkdown(document);
    assert.match(
      markdown,
      /\| new tokens \| J\/token \| prefill J\/query \| decode J\/token \| tokens\/s \| TTFT p50 ms \|/,
    );
    assert.match(markdown, /\| 10 \| 0\.0130 \(estimated\) \| 0\.0200 \(estimated\) \|/);

    const [head, first] = parseCsv(toCsv(document), 'the CSV');
    const cell = (name: string) => first!.fields[head!.fields.indexOf(name)];
    assert.equal(cell('max_new_tokens'), '10');
    assert.equal(cell('generation_layout'), 'single');
    assert.equal(Number(cell('energy_per_token_j')), 0.01296);
    assert.equal(cell('tokens_per_s'), '1234.5');
    assert.equal(cell('itl_p95_ms'), '0.25');
  });

  test('the HTML page plots energy per query against the budget and states the cost', async () => {
    const document = generativeDocument();
    const html = await renderHtmlReport(document, { carbon: carbonSettings({}) });
    assert.match(html, /<figure id="energy-by-budget"><svg/);
    assert.match(html, /100 new tokens cost 10\.0× the energy of 10 per query/);
    assert.match(html, /<th[^>]*>J\/token<\/th>/);
    const onePass = await renderHtmlReport(recordedDocument(), { carbon: carbonSettings({}) });
    assert.ok(!onePass.includes('energy-by-budget'));
  });

  test('the label shows the budget and the energy per token', () => {
    const document = generativeDocument();
    const svg = labelSvg(document, document.results[0]!);
    assert.match(svg, />0\.0130 J\/token est\. · 10 new tokens</);
    assert.match(svg, /<title>[^<]*0\.0130 J per token \(estimated\)/);
  });
});
