import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { FakeMeter } from '../src/testing/fake-meter.js';
import type { EnergyReading } from '../src/meters/types.js';
import { energyResult, OTHER_CPU_LIMIT_CORES, type Trial } from '../src/runner/protocol.js';
import { estimatedSuffix, figureWithBands } from '../src/render/energy-text.js';
import { renderTable } from '../src/export/table.js';
import { toCsv, toMarkdown } from '../src/export/formats.js';
import { energyRatio } from '../src/gate/compare.js';
import { testRegression } from '../src/gate/regression.js';
import { documentProblems } from '../src/result/validate.js';
import { Chalk } from 'chalk';
import type { EnergyMeasured } from '../src/result/schema.js';
import { measuredEnergy, recordedDocument, setEnergy } from './helpers/documents.js';
import { labelSvg } from '../src/label/svg.js';
import { runCheck } from '../src/gate/check.js';
import { rowOfResult, isRow } from '../src/rating/rows.js';
import { buildBoard } from '../src/leaderboard/merge.js';
import { toLeaderboardCsv, toLeaderboardMarkdown } from '../src/export/leaderboard.js';
import { parseLeaderboardCsv } from '../src/sources/leaderboard-csv.js';

function reading(energyJ: number, otherCpuCores?: number): EnergyReading {
  return {
    meter: 'fake',
    domain: 'cpu',
    method: 'counter',
    durationS: 1,
    energyJ,
    avgPowerW: energyJ,
    peakPowerW: null,
    devices: [{ device: 'd0', energyJ, peakPowerW: null, samples: 2 }],
    warnings: [],
    ...(otherCpuCores === undefined ? {} : { otherCpuCores }),
  };
}

function estimateMeter(): FakeMeter {
  const m = new FakeMeter({ domain: 'cpu', powerW: 0 });
  Object.assign(m.info, {
    method: 'estimated',
    details: { modelBand: 0.36, modelKind: 'curve-tdp', modelBandSource: 'leave-one-CPU-out' },
  });
  return m;
}

const trials = (values: number[], other?: number[]): Trial[] =>
  values.map((j, i) => ({ queries: 10, readings: [reading(j, other?.[i])] }));

describe('model bands', () => {
  test("an estimated headline carries its CPU model's band, and says it", () => {
    const e = energyResult('cpu', [estimateMeter()], [null], 0, trials([1, 1.1]));
    assert.ok(e.status === 'estimated');
    assert.deepEqual(e.modelBand, { relative: 0.36, method: 'curve-tdp', source: 'leave-one-CPU-out' });
    assert.ok(
      e.warnings.includes(
        'estimated: the headline energy comes from a model of power, not a meter; model uncertainty ±36 % (leave-one-CPU-out)',
      ),
    );
  });

  test('a measured headline has none', () => {
    const e = energyResult('cpu', [new FakeMeter({ domain: 'cpu', powerW: 0 })], [null], 0, trials([1, 1.1]));
    assert.ok(e.status === 'measured');
    assert.equal(e.modelBand, null);
  });

  test('every format shows the band beside the 95 % interval', () => {
    const doc = recordedDocument();
    const r = doc.results[0]!;
    const energy = measuredEnergy(r);
    energy.modelBand = { relative: 0.35, method: 'curve-tdp', source: 'test' };
    setEnergy(r, (0.0123 * 1000) / 3600);
    energy.ci95Relative = 0.021;
    assert.equal(
      figureWithBands(r, 0.0123, 'J/query'),
      '0.0123 J/query est. ±35 % (model), ±2.1 % (95 % CI)',
    );
    assert.equal(estimatedSuffix(r), ' (estimated, ±35 % model)');
    const table = renderTable(doc, new Chalk({ level: 0 }));
    const [header, first] = table.split('\n');
    assert.match(header!, /±95%\s+±model/);
    assert.match(first!, /2\.1%\s+±35%/);
    assert.match(toMarkdown(doc), /\| 0\.0123 \(estimated, ±35 % model\) \| ±2\.1 % \|/);
    const csv = toCsv(doc).split('\n');
    const cols = csv[0]!.split(',');
    const cells = csv[1]!.split(',');
    assert.equal(cells[cols.indexOf('energy_model_band_relative')], '0.35');
    assert.equal(cells[cols.indexOf('energy_model_method')], 'curve-tdp');
    assert.deepEqual(documentProblems(doc), []);
    const limit = runCheck({
      result: { name: 'r.json', document: doc },
      limits: { maxJPerQuery: 0.01 },
    }).outcomes.find((o) => o.config === r.id);
    assert.equal(
      limit?.message,
      '0.0123 J/query est. ±35 % (model), ±2.1 % (95 % CI) is above --max-j-per-query 0.01 by 23 %',
    );
    measuredEnergy(doc.results[1]!).modelBand = { relative: 'x' } as never;
    assert.match(documentProblems(doc).join('\n'), /modelBand.relative/);
  });
});

describe('model bands on the label and the leaderboard', () => {
  test('the label says "estimated ±35 %"; the board keeps the band and reads older boards without it', () => {
    const doc = recordedDocument();
    for (const r of doc.results)
      measuredEnergy(r).modelBand = { relative: 0.35, method: 'curve-tdp', source: 'test' };
    assert.match(labelSvg(doc, doc.results[0]!), />estimated ±35 %</);
    const rows = doc.results.map((r) => rowOfResult(r, doc, 'r.json')).filter(isRow);
    assert.equal(rows[0]?.modelBandRelative, 0.35);
    const board = buildBoard(rows, 'aies');
    assert.match(toLeaderboardMarkdown(board), /\(estimated, ±35 % model\)/);
    const csv = toLeaderboardCsv(board.rows);
    const back = parseLeaderboardCsv(csv, 'board.csv');
    assert.equal(back[0]?.modelBandRelative, 0.35);
    // A board written before the column existed: the column dropped, every row read without a band.
    const [header, ...lines] = csv.trimEnd().split('\n');
    const at = header!.split(',').indexOf('model_band_relative');
    const drop = (line: string) =>
      line
        .split(',')
        .filter((_, i) => i !== at)
        .join(',');
    const old = [drop(header!), ...lines.map(drop)].join('\n') + '\n';
    const oldRows = parseLeaderboardCsv(old, 'old.csv');
    assert.equal(oldRows.length, rows.length);
    assert.equal(oldRows[0]?.modelBandRelative, undefined);
  });
});

describe("other processes' CPU use", () => {
  test('recorded per trial; a measured package under more than 0.1 core is loaded, with a warning', () => {
    const meter = new FakeMeter({ domain: 'cpu', powerW: 0 });
    const e = energyResult('cpu', [meter], [null], 0, trials([1, 1.1, 1], [0.05, 0.5, 0.25]));
    assert.ok(e.status === 'measured');
    assert.equal(OTHER_CPU_LIMIT_CORES, 0.1);
    assert.deepEqual(e.otherCpu, { meanCores: 0.8 / 3, maxCores: 0.5, limitCores: 0.1, loaded: true });
    assert.ok(
      e.warnings.some((w) =>
        w.startsWith('other processes used up to 0.50 cores while the package was measured'),
      ),
    );
    const quiet = energyResult('cpu', [meter], [null], 0, trials([1, 1.1], [0.05, 0.1]));
    assert.equal(quiet.status === 'measured' && quiet.otherCpu?.loaded, false);
  });

  test('an estimate attributes by CPU time, so it is never loaded', () => {
    const e = energyResult('cpu', [estimateMeter()], [null], 0, trials([1, 1.1], [1.5, 1.5]));
    assert.equal(e.status === 'estimated' && e.otherCpu?.loaded, false);
  });

  test('compare and check do not call a difference real when either side was measured under load', () => {
    const side = (perTrial: number[], maxCores: number): EnergyMeasured => {
      const e = energyResult(
        'cpu',
        [new FakeMeter({ domain: 'cpu', powerW: 0 })],
        [null],
        0,
        trials(
          perTrial,
          perTrial.map(() => maxCores),
        ),
      );
      if (e.status === 'not-measured') throw new Error('no energy');
      return e;
    };
    const quiet = side([1, 1.01, 0.99], 0);
    const loaded = side([2, 2.02, 1.98], 1.9);
    const ratio = energyRatio({ name: 'a.json', energy: quiet }, { name: 'b.json', energy: loaded });
    assert.equal(ratio.significant, null);
    assert.match(ratio.text, /not called real: measured under other load/);
    assert.equal(
      ratio.test,
      'cannot call the change real: b.json was measured while other processes used up to 1.90 cores (more than 0.1 of a core), and the package meter counts their energy too; measure on a quiet machine',
    );
    const clean = energyRatio(
      { name: 'a.json', energy: quiet },
      { name: 'b.json', energy: side([2, 2.02, 1.98], 0) },
    );
    assert.equal(clean.significant, true);
    const verdict = testRegression(
      { name: 'base.json', energy: quiet },
      { name: 'new.json', energy: loaded },
      5,
    );
    assert.equal(verdict.method, 'untestable');
    assert.match(
      verdict.method === 'untestable' ? verdict.reason : '',
      /^cannot call the change real: new\.json was measured/,
    );
  });
});
