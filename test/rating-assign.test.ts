import { describe, test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { EnergyScoreError } from '../src/errors.js';
import { rateItems, type RatingPlan } from '../src/rating/assign.js';
import type { ReferenceCohort } from '../src/rating/reference.js';
import {
  cohortKey,
  dedupeRows,
  hardwareKey,
  identityKey,
  isRow,
  rowOfResult,
  type EnergyRow,
} from '../src/rating/rows.js';
import { loadReferenceCohorts } from '../src/sources/aies.js';
import { readRowFile } from '../src/sources/files.js';
import type { RunDocument } from '../src/result/schema.js';
import {
  gpuDocument,
  measuredEnergy,
  recordedDocument,
  RECORDED_CPU_RESULT,
  setEnergy,
} from './helpers/documents.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-rating-'));
let reference: ReferenceCohort[];
before(async () => {
  reference = await loadReferenceCohorts();
});

function plan(overrides: Partial<RatingPlan> = {}): RatingPlan {
  return {
    scale: 'aies',
    cohortRows: [],
    cohortSource: '',
    within: false,
    withinSource: 'this run',
    reference,
    hint: 'To rate it: --rate-within-run',
    ...overrides,
  };
}

function rate(doc: RunDocument, p: RatingPlan): void {
  rateItems(
    doc.results.map((result) => ({ result, document: doc, source: 'this run' })),
    p,
  );
}

function starsOf(doc: RunDocument): (number | string)[] {
  return doc.results.map((r) => (r.rating.status === 'rated' ? r.rating.stars : 'unrated'));
}

function isUsageError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError);
    assert.equal(err.kind, 'usage');
    assert.match(err.message, pattern);
    return true;
  };
}

describe('rows', () => {
  test('a configuration becomes a row in kWh per 1,000 queries', () => {
    const doc = recordedDocument();
    const row = rowOfResult(doc.results[0]!, doc, 'r.json');
    assert.ok(isRow(row));
    assert.equal(row.energyKwhPer1k, 0.0014643060079033642 / 1000);
    assert.equal(row.energyBasis, 'cpu+dram');
    assert.equal(row.energyStatus, 'estimated');
    assert.equal(row.hardware, 'Intel Xeon® Processor');
    assert.equal(row.sizeClass, null);
  });

  test('no row for a skipped configuration or one without energy, with why', () => {
    const doc = recordedDocument();
    doc.results[0]!.status = 'skipped';
    assert.deepEqual(rowOfResult(doc.results[0]!, doc, 'r.json'), {
      reason: 'the configuration was skipped',
    });
    doc.results[1]!.energy = {
      status: 'not-measured',
      reason: '--meter none: no energy meter was used',
      perQueryJ: null,
      whPer1k: null,
      queriesPerJ: null,
    };
    assert.deepEqual(rowOfResult(doc.results[1]!, doc, 'r.json'), {
      reason: 'energy not measured: --meter none: no energy meter was used',
    });
    // A document built in memory (the library, no file reader) gets the same check.
    const energy = measuredEnergy(doc.results[2]!) as unknown as Record<string, unknown>;
    energy.whPer1k = null;
    assert.deepEqual(rowOfResult(doc.results[2]!, doc, 'r.json'), {
      reason: 'its energy figures are unusable: whPer1k is null, not a finite number',
    });
  });

  test('hardware names compare without vendor, memory type, case or punctuation', () => {
    assert.equal(hardwareKey('NVIDIA H100 80GB HBM3'), 'h100 80gb');
    assert.equal(hardwareKey('NVIDIA H100 80GB'), 'h100 80gb');
    assert.equal(hardwareKey('Intel(R) Xeon(R) Gold 6338'), 'intel xeon gold 6338');
    assert.notEqual(hardwareKey('NVIDIA H100 PCIe'), hardwareKey('NVIDIA H100 80GB HBM3'));
  });

  test('GPU energy, CPU energy and estimates fall in different cohorts', () => {
    const cpu = recordedDocument();
    const gpu = gpuDocument('NVIDIA H100 80GB HBM3', [1]);
    const cpuRow = rowOfResult(cpu.results[0]!, cpu, 'a') as EnergyRow;
    const gpuRow = rowOfResult(gpu.results[0]!, gpu, 'b') as EnergyRow;
    assert.equal(cohortKey(cpuRow), 'text-classification|intel xeon processor|cpu+dram|estimated||');
    assert.equal(cohortKey(gpuRow), 'text-classification|h100 80gb|gpu|measured||');
  });

  test('de-duplication keeps the newest run of each configuration', () => {
    const older = recordedDocument();
    const newer = recordedDocument();
    newer.createdAt = '2026-12-01T00:00:00.000Z';
    setEnergy(newer.results[0]!, 9);
    const rows = [older, newer].flatMap((d) =>
      d.results.map((r) => rowOfResult(r, d, d === older ? 'old.json' : 'new.json')).filter(isRow),
    );
    const { rows: kept, dropped } = dedupeRows(rows);
    assert.equal(dropped, 6);
    assert.equal(kept.length, 6);
    assert.ok(kept.every((r) => r.source === 'new.json'));
    assert.equal(kept[0]!.energyKwhPer1k, 0.009);
    // Published rows (no hash, no date) with different energies are two rows, as the board lists them.
    const published = { ...kept[0]!, sha256: null, createdAt: '' };
    assert.notEqual(identityKey(published), identityKey({ ...published, energyKwhPer1k: 0.5 }));
  });
});

describe('rating configurations', () => {
  test('CPU results with no cohort stay unrated, saying how to get a rating', () => {
    const doc = recordedDocument();
    rate(doc, plan());
    assert.deepEqual(starsOf(doc), Array(6).fill('unrated'));
    const r = doc.results[0]!.rating;
    assert.equal(r.status, 'unrated');
    assert.equal(
      r.reason,
      'no cohort for text-classification on Intel Xeon® Processor (cpu+dram energy, estimated): ' +
        'the shipped reference (AI Energy Score v1) rates GPU energy measured on one NVIDIA H100. To rate it: --rate-within-run',
    );
  });

  test('within the run: the aies bands of the run’s own range', () => {
    const doc = recordedDocument();
    // Wh/1k as recorded: 0.00146, 0.00296, 0.00159, 0.00355, 0.00130, 0.00327.
    rate(doc, plan({ within: true }));
    assert.deepEqual(starsOf(doc), [5, 2, 5, 1, 5, 1]);
    const r = doc.results[4]!.rating;
    assert.equal(r.status, 'rated');
    if (r.status !== 'rated') return;
    assert.equal(r.cohort.kind, 'within-run');
    assert.equal(r.cohort.source, 'this run');
    assert.equal(r.cohort.size, 6);
    assert.equal(r.energyStatus, 'estimated');
    assert.equal(r.clamped, null);
    assert.equal(r.cohort.rangeKwhPer1k[0], r.energyKwhPer1k, 'q8 b1 is the lowest');
  });

  test('the stars at both ends of each energy’s 95 % interval', () => {
    const doc = recordedDocument();
    rate(doc, plan({ within: true }));
    // ci95Relative 0.063, 0.152, 0.233, 0.114, 0.080, 0.181 against the run's range.
    assert.deepEqual(
      doc.results.map((r) => (r.rating.status === 'rated' ? r.rating.starsWithin95 : 'unrated')),
      [
        [5, 5],
        [1, 3],
        [4, 5],
        [1, 1],
        [5, 5],
        [1, 2],
      ],
    );
    for (const r of doc.results) measuredEnergy(r).ci95Relative = null;
    rate(doc, plan({ within: true }));
    assert.ok(doc.results.every((r) => r.rating.status === 'rated' && r.rating.starsWithin95 === null));
  });

  test('within the run on the quantile and log scales', () => {
    const doc = recordedDocument();
    rate(doc, plan({ within: true, scale: 'quantile' }));
    // Sorted: q8b1 fp32b1 fp16b1 fp32b8 q8b8 fp16b8 → below = 1,3,2,5,0,4 → floor(5·below/6).
    assert.deepEqual(starsOf(doc), [5, 3, 4, 1, 5, 2]);
    // ln(E / lo) / ln(hi / lo): fp32 b8 is at 0.82 of the log range (band 4), not 0.73 as on the linear one.
    rate(doc, plan({ within: true, scale: 'log' }));
    assert.deepEqual(starsOf(doc), [5, 1, 5, 1, 5, 1]);
  });

  test('an H100 GPU result is rated against the AI Energy Score v1 reference', () => {
    // text_classification: lo 0.000216022, hi 0.027787079 kWh/1k.
    const doc = gpuDocument('NVIDIA H100 80GB HBM3', [0.3, 12, 0.1, 50]);
    rate(doc, plan());
    assert.deepEqual(starsOf(doc), [5, 3, 5, 1]);
    const ratings = doc.results.map((r) => r.rating);
    assert.deepEqual(
      ratings.map((r) => (r.status === 'rated' ? r.clamped : 'unrated')),
      [null, null, 'below', 'above'],
    );
    const first = ratings[0]!;
    assert.equal(first.status, 'rated');
    if (first.status !== 'rated') return;
    assert.deepEqual(first.cohort, {
      kind: 'reference',
      source: 'AI Energy Score v1 leaderboard (February 2025)',
      task: 'text-classification',
      hardware: 'NVIDIA H100 80GB',
      sizeClass: null,
      size: 13,
      rangeKwhPer1k: [0.000216022, 0.027787079],
    });
  });

  test('--no-reference, another GPU, or estimated GPU energy: unrated, with the reason', () => {
    const off = gpuDocument('NVIDIA H100 80GB HBM3', [0.3]);
    rate(off, plan({ reference: [] }));
    assert.match(
      (off.results[0]!.rating as { reason: string }).reason,
      /: the shipped reference cohorts were not used\. To rate it/,
    );
    const a100 = gpuDocument('NVIDIA A100-SXM4-80GB', [0.3]);
    rate(a100, plan());
    assert.match(
      (a100.results[0]!.rating as { reason: string }).reason,
      /^no cohort for text-classification on NVIDIA A100-SXM4-80GB \(gpu energy, measured\): the shipped reference \(AI Energy Score v1\) rates GPU energy measured on one NVIDIA H100/,
    );
  });

  test('generative tasks are not rated against the reference: one pass is not a generation', () => {
    const doc = gpuDocument('NVIDIA H100 80GB HBM3', [1.313333]);
    doc.results[0]!.task = 'text-generation';
    doc.results[0]!.model.parameters = 82e6;
    rate(doc, plan());
    assert.match(
      (doc.results[0]!.rating as { reason: string }).reason,
      /^no cohort for text-generation class A on NVIDIA H100 80GB HBM3 \(gpu energy, measured\): the text-generation suite runs one forward pass per query where AI Energy Score measured whole generations/,
    );
  });

  test('text generation is rated within its size class', () => {
    const doc = recordedDocument();
    doc.results = doc.results.slice(0, 3);
    for (const r of doc.results) r.task = 'text-generation';
    doc.results[0]!.model.parameters = 7e9;
    doc.results[1]!.model.parameters = 20e9;
    doc.results[2]!.model.parameters = 30e9;
    rate(doc, plan({ within: true }));
    const cohorts = doc.results.map((r) =>
      r.rating.status === 'rated' ? `${r.rating.cohort.sizeClass}:${r.rating.cohort.size}` : 'unrated',
    );
    assert.deepEqual(cohorts, ['A:2', 'A:2', 'B:1']);
  });

  test('a cohort of one is flagged', () => {
    const doc = recordedDocument();
    doc.results = doc.results.slice(0, 1);
    rate(doc, plan({ within: true }));
    const r = doc.results[0]!.rating;
    assert.equal(r.status, 'rated');
    if (r.status === 'rated') {
      assert.equal(r.stars, 5);
      assert.equal(r.singleton, true);
    }
  });

  test('--cohort rows: against them, clamped outside their range; with the run, one pool', async () => {
    const earlier = recordedDocument();
    earlier.createdAt = '2026-01-01T00:00:00.000Z';
    for (const r of earlier.results) r.model.sha256 = 'older-model';
    const cohortFile = path.join(tmp, 'earlier.json');
    fs.writeFileSync(cohortFile, JSON.stringify(earlier));
    const { rows } = await readRowFile(cohortFile);
    assert.equal(rows.length, 6);

    const doc = recordedDocument();
    setEnergy(doc.results[0]!, 0.001);
    setEnergy(doc.results[1]!, 0.01);
    rate(doc, plan({ cohortRows: rows, cohortSource: cohortFile }));
    assert.deepEqual(starsOf(doc).slice(0, 2), [5, 1]);
    const [below, above] = doc.results.map((r) => r.rating);
    assert.equal(below?.status === 'rated' && below.clamped, 'below');
    assert.equal(above?.status === 'rated' && above.clamped, 'above');
    assert.equal(below?.status === 'rated' && below.cohort.kind, 'user');

    rate(doc, plan({ cohortRows: rows, cohortSource: cohortFile, within: true }));
    const pooled = doc.results[0]!.rating;
    assert.equal(pooled.status === 'rated' && pooled.cohort.size, 12);
    assert.equal(pooled.status === 'rated' && pooled.cohort.source, `this run and ${cohortFile}`);
    assert.equal(pooled.status === 'rated' && pooled.clamped, null);
  });
});

describe('cohort files', () => {
  const write = (name: string, text: string): string => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test('an AI Energy Score-format CSV named after its task', async () => {
    const file = write('summarization.csv', 'model,total_gpu_energy,energy_score\na,0.5,5\nb,2.5,1\n');
    const { rows } = await readRowFile(file);
    assert.deepEqual(
      rows.map((r) => [r.model, r.task, r.hardware, r.energyKwhPer1k, r.energyBasis, r.energyStatus]),
      [
        ['a', 'summarization', 'NVIDIA H100 80GB', 0.5, 'gpu', 'measured'],
        ['b', 'summarization', 'NVIDIA H100 80GB', 2.5, 'gpu', 'measured'],
      ],
    );
  });

  const bad: [string, string, string, RegExp][] = [
    [
      'unnamed task',
      'cohort.csv',
      'model,total_gpu_energy,energy_score\na,1,5\n',
      /must be named after its task/,
    ],
    ['missing column', 'summarization.csv', 'model,energy\na,1\n', /no 'total_gpu_energy' column/],
    [
      'non-numeric energy',
      'summarization.csv',
      'model,total_gpu_energy,energy_score\na,lots,5\n',
      /line 2 \(model 'a'\): energy is not a number: "lots"/,
    ],
    [
      'negative energy',
      'summarization.csv',
      'model,total_gpu_energy,energy_score\na,-1,5\n',
      /line 2 \(model 'a'\): energy cannot be negative: -1/,
    ],
    ['empty', 'summarization.csv', '', /the file is empty/],
    ['other extension', 'cohort.txt', 'x', /cannot tell what this file holds/],
    ['corrupt JSON', 'broken.json', '{"schemaVersion": 1,', /not valid JSON/],
    [
      'other schema',
      'v2.json',
      '{"schemaVersion": 2, "tool": {"name": "energy-score"}, "results": []}',
      /schema version 2/,
    ],
  ];
  for (const [name, file, text, pattern] of bad) {
    test(`bad file: ${name}`, async () => {
      const dir = fs.mkdtempSync(path.join(tmp, 'bad-'));
      const full = path.join(dir, file);
      fs.writeFileSync(full, text);
      await assert.rejects(readRowFile(full), isUsageError(pattern));
    });
  }

  test('the recorded result document gives one row per configuration', async () => {
    const { rows, left } = await readRowFile(RECORDED_CPU_RESULT);
    assert.equal(rows.length, 6);
    assert.deepEqual(left, []);
  });
});

describe('review cases', () => {
  test('an older run of the same configurations in --cohort is the file’s, not this run’s', async () => {
    const older = recordedDocument();
    older.createdAt = '2020-01-01T00:00:00.000Z';
    const file = path.join(tmp, 'older-run.json');
    fs.writeFileSync(file, JSON.stringify(older));
    const { rows } = await readRowFile(file);
    const doc = recordedDocument();
    rate(doc, plan({ cohortRows: rows, cohortSource: file }));
    const r = doc.results[0]!.rating;
    assert.equal(r.status === 'rated' && r.cohort.kind, 'user');
    assert.equal(r.status === 'rated' && r.cohort.source, file);
  });

  test('our one-pass figures never share a cohort with AI Energy Score’s generations', async () => {
    const file = path.join(fs.mkdtempSync(path.join(tmp, 'tg-')), 'text_generation.csv');
    fs.writeFileSync(file, 'model,total_gpu_energy,energy_score,class\nx,0.001,5,A\ny,0.02,1,A\n');
    const { rows } = await readRowFile(file);
    assert.deepEqual(
      rows.map((r) => r.protocol),
      ['ai-energy-score', 'ai-energy-score'],
    );
    const doc = gpuDocument('NVIDIA H100 80GB HBM3', [1]);
    doc.results[0]!.task = 'text-generation';
    doc.results[0]!.model.parameters = 1e9;
    rate(doc, plan({ cohortRows: rows, cohortSource: file }));
    assert.match(
      (doc.results[0]!.rating as { reason: string }).reason,
      /^no cohort for text-generation class A on NVIDIA H100 80GB HBM3 \(gpu energy, measured\): the text-generation suite runs one forward pass/,
    );
  });

  test('two H100s are not rated against the one-H100 reference', () => {
    const doc = gpuDocument('NVIDIA H100 80GB HBM3', [0.3]);
    doc.environment.gpus.push({ ...doc.environment.gpus[0]!, index: 1 });
    measuredEnergy(doc.results[0]!).domains.gpu!.devices = ['gpu0', 'gpu1'];
    rate(doc, plan());
    assert.match(
      (doc.results[0]!.rating as { reason: string }).reason,
      /^no cohort for text-classification on 2× NVIDIA H100 80GB HBM3 .*rates GPU energy measured on one NVIDIA H100/,
    );
  });

  test('text generation with an unknown parameter count is not rated', () => {
    const doc = recordedDocument();
    for (const r of doc.results) {
      r.task = 'text-generation';
      r.model.parameters = null;
    }
    rate(doc, plan({ within: true }));
    assert.equal(
      (doc.results[0]!.rating as { reason: string }).reason,
      'not rated: text generation is rated within a size class, and the model’s parameter count is unknown',
    );
  });

  test('a cohort of 300,000 rows rates without running out of stack', () => {
    const base = rowOfResult(recordedDocument().results[0]!, recordedDocument(), 'big.csv') as EnergyRow;
    const rows = Array.from({ length: 300_000 }, (_, i) => ({
      ...base,
      model: `m${i}`,
      sha256: `sha-${i}`,
      energyKwhPer1k: (i + 1) * 1e-9,
    }));
    const doc = recordedDocument();
    rate(doc, plan({ cohortRows: rows, cohortSource: 'big.csv' }));
    const r = doc.results[0]!.rating;
    assert.equal(r.status === 'rated' && r.cohort.size, 300_000);
    assert.deepEqual(r.status === 'rated' && r.cohort.rangeKwhPer1k, [1e-9, 300_000 * 1e-9]);
  });

  test('an AI Energy Score-format CSV may leave out energy_score', async () => {
    const file = path.join(fs.mkdtempSync(path.join(tmp, 'nostars-')), 'sentence_similarity.csv');
    fs.writeFileSync(file, 'model,total_gpu_energy\na,0.001\nb,0.004\n');
    const { rows } = await readRowFile(file);
    assert.deepEqual(
      rows.map((r) => [r.model, r.energyKwhPer1k]),
      [
        ['a', 0.001],
        ['b', 0.004],
      ],
    );
  });

  test('a result file: energy that is not a number reads as not measured; BOM accepted; no environment refused', async () => {
    const doc = recordedDocument() as unknown as { results: { energy: Record<string, unknown> }[] };
    doc.results[0]!.energy.whPer1k = null;
    doc.results[1]!.energy.perQueryJ = -5;
    const file = path.join(tmp, 'bad-energy.json');
    fs.writeFileSync(file, '\uFEFF' + JSON.stringify(doc));
    const { rows, left } = await readRowFile(file);
    assert.equal(rows.length, 4);
    assert.deepEqual(left, [
      {
        id: 'encoder-tiny/fp32/b1/cpu',
        reason:
          "energy not measured: the file's energy figures are unusable: whPer1k is null, not a finite number",
      },
      {
        id: 'encoder-tiny/fp32/b8/cpu',
        reason: "energy not measured: the file's energy figures are unusable: perQueryJ is -5, not above 0",
      },
    ]);
    const noEnv = { ...recordedDocument(), environment: undefined };
    const noEnvFile = path.join(tmp, 'no-env.json');
    fs.writeFileSync(noEnvFile, JSON.stringify(noEnv));
    await assert.rejects(
      readRowFile(noEnvFile),
      isUsageError(/no-env\.json is not a valid result document: environment is missing$/),
    );
  });
});
