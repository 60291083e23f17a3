import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError } from '../src/errors.js';
import {
  checkEnergyKwhPer1k,
  rateAgainst,
  rateCohort,
  sizeClassForParameters,
  starCounts,
  type Cohort,
} from '../src/rating/cohort.js';
import { AIES_V1_FILES, type ReferenceCohort } from '../src/rating/reference.js';
import {
  AIES_V1_DIR_URL,
  findReferenceCohort,
  loadReferenceCohorts,
  parseReferenceCsv,
} from '../src/sources/aies.js';
import { parseCsv } from '../src/sources/csv.js';
import { parseScaleName, quantileBand, rateValue, rateValues, SCALE_NAMES } from '../src/rating/scales.js';
import { TASK_NAMES } from '../src/workload/tasks.js';

function isUsageError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, `expected EnergyScoreError, got ${String(err)}`);
    assert.equal(err.kind, 'usage');
    assert.match(err.message, pattern);
    return true;
  };
}

function cohortOf(energies: number[], extra: Partial<Cohort> = {}): Cohort {
  return {
    task: 'text-classification',
    hardware: 'test GPU',
    entries: energies.map((energyKwhPer1k, i) => ({ model: `m${i}`, energyKwhPer1k, line: i + 2 })),
    source: 'test cohort',
    file: 'cohort.csv',
    ...extra,
  };
}

const stars = (energies: number[], scale: 'aies' | 'log' | 'quantile'): number[] =>
  rateValues(energies, scale).map((r) => r.stars);

describe('the AI Energy Score v1 reference', () => {
  test('ships 10 task files, 166 rows, with tool task names', async () => {
    const files = (await readdir(fileURLToPath(AIES_V1_DIR_URL))).filter((f) => f.endsWith('.csv'));
    assert.equal(files.length, 10);
    assert.deepEqual(files.map((f) => f.replace(/\.csv$/, '')).sort(), Object.keys(AIES_V1_FILES).sort());
    for (const task of Object.values(AIES_V1_FILES)) assert.ok(TASK_NAMES.includes(task), task);
    assert.equal(AIES_V1_FILES['asr'], 'automatic-speech-recognition');
    assert.equal(AIES_V1_FILES['text_classification'], 'text-classification');

    const cohorts = await loadReferenceCohorts();
    // 9 single cohorts + text generation's classes A, B, C.
    assert.equal(cohorts.length, 12);
    // 166 rows (counted with Python's csv module too), two models listed twice among them.
    assert.equal(
      cohorts.reduce((n, c) => n + c.entries.length, 0),
      166,
    );
    const tg = cohorts.filter((c) => c.task === 'text-generation');
    assert.deepEqual(
      tg.map((c) => [c.sizeClass, c.entries.length]),
      [
        ['A', 32],
        ['B', 3],
        ['C', 5],
      ],
    );
    assert.ok(cohorts.every((c) => c.hardware === 'NVIDIA H100 80GB'));
    // Scientific notation, CRLF, no final newline: mrm8488/bert-tiny-finetuned-squadv2 is 5.54E-05.
    const qa = cohorts.find((c) => c.task === 'question-answering');
    const tiny = qa?.entries.find((e) => e.model === 'mrm8488/bert-tiny-finetuned-squadv2');
    assert.equal(tiny?.energyKwhPer1k, 5.54e-5);
    assert.equal(qa?.entries.at(-1)?.model, 'google-t5/t5-small');
    // The documentation's anchor: distilgpt2 at 0.001313 kWh per 1k queries.
    const distilgpt2 = tg[0]?.entries.find((e) => e.model === 'distilbert/distilgpt2');
    assert.equal(distilgpt2?.energyKwhPer1k, 0.001313333);
  });

  test('every published energy_score equals the aies stars within its cohort', async () => {
    const cohorts = await loadReferenceCohorts();
    let checked = 0;
    for (const cohort of cohorts) {
      const rated = rateCohort(cohort, 'aies');
      cohort.entries.forEach((entry, i) => {
        const r = rated[i];
        assert.ok(r);
        assert.equal(
          r.rating.stars,
          entry.publishedStars,
          `${cohort.file} line ${entry.line} ${entry.model}: published ${entry.publishedStars}`,
        );
        assert.equal(r.rating.clamped, null);
        assert.equal(r.rating.singleton, false);
        checked++;
      });
    }
    assert.equal(checked, 166);
  });

  test('question answering: aies puts 15 of 18 at 5 stars; log and quantile spread them', async () => {
    const qa = await findReferenceCohort('question-answering');
    assert.equal(qa.entries.length, 18);
    assert.deepEqual(starCounts(rateCohort(qa, 'aies')), { 5: 15, 4: 0, 3: 2, 2: 0, 1: 1 });
    assert.deepEqual(starCounts(rateCohort(qa, 'log')), { 5: 5, 4: 5, 3: 3, 2: 2, 1: 3 });
    // 18 distinct values: floor(5 * i / 18) gives 4, 4, 3, 4, 3 from 5 stars down.
    assert.deepEqual(starCounts(rateCohort(qa, 'quantile')), { 5: 4, 4: 4, 3: 3, 2: 4, 1: 3 });

    const byModel = (scale: 'aies' | 'log' | 'quantile', model: string): number | undefined =>
      rateCohort(qa, scale).find((r) => r.model === model)?.rating.stars;
    assert.equal(byModel('aies', 'google-t5/t5-small'), 5);
    assert.equal(byModel('log', 'google-t5/t5-small'), 2);
    assert.equal(byModel('quantile', 'google-t5/t5-small'), 2);
    for (const scale of SCALE_NAMES) assert.equal(byModel(scale, 'google-t5/t5-11b'), 1);
  });

  test('findReferenceCohort needs a class for text generation and refuses custom', async () => {
    const c = await findReferenceCohort('text-generation', 'C');
    assert.equal(c.sizeClass, 'C');
    assert.equal(c.entries.length, 5);
    await assert.rejects(findReferenceCohort('text-generation'), isUsageError(/size class/));
    await assert.rejects(findReferenceCohort('custom'), isUsageError(/no 'custom' cohort/));
    const asr = await findReferenceCohort('automatic-speech-recognition');
    assert.equal(asr.entries.length, 13);
  });

  test('a missing data folder is a run error', async () => {
    await assert.rejects(loadReferenceCohorts('/nonexistent/aies-v1'), (err: unknown) => {
      assert.ok(err instanceof EnergyScoreError);
      assert.equal(err.kind, 'run');
      return true;
    });
  });
});

describe('aies scale', () => {
  test('five equal-width bands, the lowest energy 5 stars, hi in band 4', () => {
    // lo 0, hi 10: bands [0,2) [2,4) [4,6) [6,8) [8,10].
    assert.deepEqual(stars([0, 1.99, 2, 4, 5.99, 6, 8, 10], 'aies'), [5, 5, 4, 3, 3, 2, 1, 1]);
    const r = rateValue(2, [0, 10], 'aies');
    assert.deepEqual(r, { stars: 4, band: 1, clamped: null, singleton: false });
  });

  test('identical energies: every model 5 stars', () => {
    for (const scale of SCALE_NAMES) {
      assert.deepEqual(stars([0.3, 0.3, 0.3], scale), [5, 5, 5], scale);
      assert.ok(rateValues([0.3, 0.3], scale).every((r) => r.clamped === null && !r.singleton));
    }
  });

  test('a cohort of one: 5 stars, flagged singleton', () => {
    for (const scale of SCALE_NAMES) {
      assert.deepEqual(rateValues([0.7], scale), [{ stars: 5, band: 0, clamped: null, singleton: true }]);
      assert.deepEqual(rateCohort(cohortOf([0.7]), scale)[0]?.rating.singleton, true);
    }
    // Against a singleton, a different value is clamped like any value outside [lo, hi].
    assert.deepEqual(rateValue(0.8, [0.7], 'aies'), { stars: 1, band: 4, clamped: 'above', singleton: true });
    assert.deepEqual(rateValue(0.6, [0.7], 'aies'), { stars: 5, band: 0, clamped: 'below', singleton: true });
  });

  test('values outside [lo, hi] are clamped to the nearest band and flagged', () => {
    const cohort = cohortOf([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    for (const scale of SCALE_NAMES) {
      assert.deepEqual(rateAgainst(cohort, 0.5, scale), {
        stars: 5,
        band: 0,
        clamped: 'below',
        singleton: false,
      });
      assert.deepEqual(rateAgainst(cohort, 50, scale), {
        stars: 1,
        band: 4,
        clamped: 'above',
        singleton: false,
      });
      assert.equal(rateAgainst(cohort, 1, scale).clamped, null);
      assert.equal(rateAgainst(cohort, 10, scale).clamped, null);
      assert.equal(rateAgainst(cohort, 10, scale).stars, 1);
      assert.equal(rateAgainst(cohort, 1, scale).stars, 5);
    }
    // A new result inside the range is rated like a member.
    assert.equal(rateAgainst(cohortOf([0, 10]), 5, 'aies').stars, 3);
  });
});

describe('log scale', () => {
  test('equal-width bands of ln(E): each decade of a 1e-5..1 cohort is one band', () => {
    const values = [1e-5, 3e-4, 3e-3, 3e-2, 3e-1, 1];
    assert.deepEqual(stars(values, 'log'), [5, 4, 3, 2, 1, 1]);
    // The same cohort on the linear scale: all but the top two at 5 stars.
    assert.deepEqual(stars(values, 'aies'), [5, 5, 5, 5, 4, 1]);
  });

  test('a zero or negative energy is a usage error naming the row', () => {
    const cohort = cohortOf([0.1, 0, 0.3]);
    assert.throws(
      () => rateCohort(cohort, 'log'),
      isUsageError(/cohort\.csv line 3 \(model 'm1'\).*above zero/),
    );
    // aies and quantile take a zero.
    assert.deepEqual(
      rateCohort(cohort, 'aies').map((r) => r.rating.stars),
      [4, 5, 1],
    );
    assert.throws(
      () => rateAgainst(cohortOf([0.1, 0.3]), 0, 'log'),
      isUsageError(/rated result.*above zero/),
    );
    assert.throws(() => rateValue(1, [1, -2], 'log'), isUsageError(/cohort value 2/));
  });
});

describe('quantile scale', () => {
  test('10 distinct values: exactly 2 per star', () => {
    const values = [9, 3, 7, 1, 5, 10, 2, 8, 4, 6];
    assert.deepEqual(stars(values, 'quantile'), [1, 4, 2, 5, 3, 1, 5, 2, 4, 3]);
    assert.deepEqual(starCounts(rateCohort(cohortOf(values), 'quantile')), { 1: 2, 2: 2, 3: 2, 4: 2, 5: 2 });
  });

  test('ties always get the same stars, the best their position allows', () => {
    // Sorted: 1 1 1 2 3 4 4 4 4 5 → below counts 0 0 0 3 4 5 5 5 5 9.
    const values = [4, 1, 4, 2, 1, 3, 4, 5, 4, 1];
    const s = stars(values, 'quantile');
    assert.deepEqual(s, [3, 5, 3, 4, 5, 3, 3, 1, 3, 5]);
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        if (values[i] === values[j]) assert.equal(s[i], s[j]);
      }
    }
  });

  test('sizes not divisible by 5: bands differ by at most one model', () => {
    for (let n = 5; n <= 40; n++) {
      const values = Array.from({ length: n }, (_, i) => i + 1);
      const counts = Object.values(
        starCounts(values.map((v) => ({ rating: rateValue(v, values, 'quantile') }))),
      );
      assert.ok(Math.max(...counts) - Math.min(...counts) <= 1, `n=${n}: ${counts.join(',')}`);
    }
    // Small cohorts leave bands empty: of two, the better is 5 stars and the worse 3.
    assert.deepEqual(stars([1, 2], 'quantile'), [5, 3]);
    assert.equal(quantileBand(99, [1, 2, 3]), 4);
  });
});

describe('cohorts', () => {
  test('size classes: A up to and including 20B, B up to and including 66B, C above', () => {
    assert.equal(sizeClassForParameters(82e6), 'A');
    assert.equal(sizeClassForParameters(20e9), 'A');
    assert.equal(sizeClassForParameters(20e9 + 1), 'B');
    assert.equal(sizeClassForParameters(46.7e9), 'B');
    assert.equal(sizeClassForParameters(66e9), 'B');
    assert.equal(sizeClassForParameters(66e9 + 1), 'C');
    assert.equal(sizeClassForParameters(70e9), 'C');
    assert.throws(() => sizeClassForParameters(0), isUsageError(/positive/));
    assert.throws(() => sizeClassForParameters(Number.NaN), isUsageError(/positive/));
  });

  test('bad energies are usage errors naming the file and line', () => {
    assert.throws(
      () => rateCohort(cohortOf([0.1, Number.NaN]), 'aies'),
      isUsageError(/cohort\.csv line 3.*finite/),
    );
    assert.throws(
      () => rateCohort(cohortOf([0.1, -0.2]), 'aies'),
      isUsageError(/cohort\.csv line 3.*negative/),
    );
    assert.throws(() => rateCohort(cohortOf([0.1, Infinity]), 'quantile'), isUsageError(/line 3/));
    assert.throws(() => rateCohort(cohortOf([]), 'aies'), isUsageError(/no models/));
    assert.throws(() => rateAgainst(cohortOf([0.1, 0.2]), Number.NaN, 'aies'), isUsageError(/rated result/));
    const noFile = cohortOf([0.1, -1], { file: undefined, source: 'my list' });
    assert.throws(() => rateCohort(noFile, 'aies'), isUsageError(/^my list line 3/));
    // Non-numeric values from JSON.
    const fromJson = JSON.parse('{"entries":[{"model":"x","energyKwhPer1k":"0.1"}]}') as Pick<
      Cohort,
      'entries'
    >;
    assert.throws(() => rateCohort(cohortOf([], fromJson), 'aies'), isUsageError(/model 'x'.*not a number/));
  });

  test('energy text: decimals and scientific notation only', () => {
    assert.equal(checkEnergyKwhPer1k('5.54E-05', 'x'), 5.54e-5);
    assert.equal(checkEnergyKwhPer1k(' 0.0005904 ', 'x'), 0.0005904);
    assert.equal(checkEnergyKwhPer1k('.5', 'x'), 0.5);
    assert.equal(checkEnergyKwhPer1k('0', 'x'), 0);
    for (const bad of ['', ' ', 'n/a', 'NaN', 'Infinity', '0x10', '1,5', '1e', '-0.1']) {
      assert.throws(() => checkEnergyKwhPer1k(bad, 'f.csv line 9'), isUsageError(/^f\.csv line 9/), bad);
    }
  });

  test('scale names', () => {
    assert.equal(parseScaleName('log'), 'log');
    assert.throws(() => parseScaleName('linear'), isUsageError(/unknown rating scale 'linear'/));
  });
});

describe('CSV reader (RFC 4180)', () => {
  test('plain rows, CRLF, LF, BOM, no final newline, blank lines', () => {
    assert.deepEqual(parseCsv('\uFEFFa,b\r\n1,2\r\n\r\n3,\n,4', 't'), [
      { fields: ['a', 'b'], line: 1 },
      { fields: ['1', '2'], line: 2 },
      { fields: ['3', ''], line: 4 },
      { fields: ['', '4'], line: 5 },
    ]);
    assert.deepEqual(parseCsv('a\n', 't'), [{ fields: ['a'], line: 1 }]);
    assert.deepEqual(parseCsv('', 't'), []);
  });

  test('quoted fields with commas, doubled quotes and line breaks', () => {
    assert.deepEqual(parseCsv('"org/model, v2",1\n"say ""hi""",""\n"two\r\nlines",3\nx,4', 't'), [
      { fields: ['org/model, v2', '1'], line: 1 },
      { fields: ['say "hi"', ''], line: 2 },
      { fields: ['two\r\nlines', '3'], line: 3 },
      { fields: ['x', '4'], line: 5 },
    ]);
  });

  test('malformed quoting is a usage error naming the line', () => {
    assert.throws(() => parseCsv('a,b\n"open,1', 'f.csv'), isUsageError(/f\.csv line 2: unclosed/));
    assert.throws(() => parseCsv('"a"b,1', 'f.csv'), isUsageError(/line 1: text after a closing quote/));
    assert.throws(() => parseCsv('a\nb"c,1', 'f.csv'), isUsageError(/line 2: quote inside/));
  });

  test('leaderboard files: quoted model names, bad rows', () => {
    const text = 'model,total_gpu_energy,energy_score\r\n"org/a, b",0.2,1\r\norg/c,0.1,5';
    const [cohort] = parseReferenceCsv(text, 'x.csv', 'summarization');
    assert.deepEqual(
      cohort?.entries.map((e) => [e.model, e.energyKwhPer1k, e.publishedStars, e.line]),
      [
        ['org/a, b', 0.2, 1, 2],
        ['org/c', 0.1, 5, 3],
      ],
    );
    const header = 'model,total_gpu_energy,energy_score\n';
    assert.throws(
      () => parseReferenceCsv(header + 'm,abc,5', 'x.csv', 'summarization'),
      isUsageError(/x\.csv line 2 \(model 'm'\): energy is not a number/),
    );
    assert.throws(
      () => parseReferenceCsv(header + 'm,-1,5', 'x.csv', 'summarization'),
      isUsageError(/line 2.*negative/),
    );
    assert.throws(
      () => parseReferenceCsv(header + 'm,1,6', 'x.csv', 'summarization'),
      isUsageError(/energy_score must be 1 to 5/),
    );
    assert.throws(
      () => parseReferenceCsv(header + 'm,1', 'x.csv', 'summarization'),
      isUsageError(/line 2: 2 fields/),
    );
    assert.throws(
      () => parseReferenceCsv(header + 'm,1,5', 'x.csv', 'text-generation'),
      isUsageError(/no 'class' column/),
    );
    assert.throws(
      () =>
        parseReferenceCsv('model,total_gpu_energy,energy_score,class\nm,1,5,D', 'x.csv', 'text-generation'),
      isUsageError(/class must be one of A, B, C/),
    );
    assert.throws(() => parseReferenceCsv(header, 'x.csv', 'summarization'), isUsageError(/no rows/));
  });

  test('text generation splits by class, in A, B, C order', () => {
    const text = 'model,total_gpu_energy,energy_score,class\nc1,3,5,C\na1,1,5,A\na2,2,1,A';
    const cohorts: ReferenceCohort[] = parseReferenceCsv(text, 'tg.csv', 'text-generation');
    assert.deepEqual(
      cohorts.map((c) => [c.sizeClass, c.entries.map((e) => e.model)]),
      [
        ['A', ['a1', 'a2']],
        ['C', ['c1']],
      ],
    );
  });
});
