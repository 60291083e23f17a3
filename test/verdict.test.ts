import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import {
  blankResult,
  type ConfigResult,
  type EnergyMeasured,
  type Fidelity,
  type FidelityFigure,
} from '../src/result/schema.js';
import {
  compareEnergy,
  frugalVerdicts,
  MIN_VERDICT_DIFFERENCE,
  verdictLines,
  verdictTexts,
} from '../src/render/verdict.js';
import { fidelityCell, fidelityValueText, referenceIds } from '../src/render/fidelity-text.js';

/** Energy per query with a 95 % half-width, estimated with a ±35 % model band unless measured. */
function energy(
  perQueryJ: number,
  ci95J: number | null,
  status: 'measured' | 'estimated' = 'estimated',
): EnergyMeasured {
  return {
    status,
    basis: { domains: ['cpu', 'dram'], figure: 'gross' },
    perQueryJ,
    whPer1k: (perQueryJ * 1000) / 3600,
    queriesPerJ: 1 / perQueryJ,
    ci95PerQueryJ: ci95J,
    ci95Relative: ci95J === null ? null : ci95J / perQueryJ,
    net: { perQueryJ, whPer1k: (perQueryJ * 1000) / 3600 },
    avgPowerW: 10,
    peakPowerW: null,
    trials: 10,
    windowSeconds: 0.2,
    idleSeconds: 0,
    domains: {},
    modelBand:
      status === 'estimated' ? { relative: 0.35, method: 'curve-w-per-thread', source: 'test' } : null,
    meters: [],
    warnings: [],
  };
}

/** A configuration `model/precision/bN/cpu` with the given energy. */
function config(id: string, e: EnergyMeasured | null, task = 'text-classification'): ConfigResult {
  const [model, precision, batch] = id.split('/');
  const r = blankResult({
    id,
    model: { name: model!, path: '', file: '', sha256: null, fileSizeBytes: null, parameters: null },
    task,
    taskSource: 'test',
    device: 'cpu',
    precision: precision!,
    batchSize: Number(batch!.slice(1)),
    threads: null,
  });
  if (e) r.energy = e;
  r.throughputQps = 100;
  return r;
}

/** Top-1 agreement against `reference`, held to 99 %, on 1,000 bundled texts. */
function agreement(
  reference: string,
  value: number,
  relation: Fidelity['relation'] = 'same-model',
): Fidelity {
  const figures: FidelityFigure[] = [
    { metric: 'top1-agreement', value, threshold: 0.99, bound: 'min', pass: value >= 0.99 },
    { metric: 'max-abs-logit-delta', value: 0.04, threshold: null, bound: 'max', pass: null },
  ];
  return {
    reference,
    relation,
    metric: 'top1-agreement',
    value,
    threshold: 0.99,
    pass: value >= 0.99,
    queries: 1000,
    figures,
    inputs: 'bundled:gutenberg-sentences',
  };
}

const REF = 'encoder-small/fp32/b1/cpu';

function with_(r: ConfigResult, fidelity: Fidelity): ConfigResult {
  r.fidelity = fidelity;
  return r;
}

describe('the energy comparison', () => {
  test('apart when the 95 % intervals do not overlap, indistinguishable when they do', () => {
    assert.deepEqual(compareEnergy(energy(0.5, 0.05), energy(1, 0.05)), { ratio: 2, outcome: 'less' });
    assert.deepEqual(compareEnergy(energy(2, 0.1), energy(1, 0.1)), { ratio: 0.5, outcome: 'more' });
    assert.deepEqual(compareEnergy(energy(0.9, 0.06), energy(1, 0.05)), {
      ratio: 1 / 0.9,
      outcome: 'indistinguishable',
    });
    assert.equal(compareEnergy(energy(0.5, null), energy(1, 0.05)).outcome, 'no-interval');
  });

  test('the shared model band cancels; an estimate against a measurement carries its band', () => {
    // 0.7 ± 0.05 against 1 ± 0.05: apart on the statistical intervals alone (the same estimate).
    assert.equal(compareEnergy(energy(0.7, 0.05), energy(1, 0.05)).outcome, 'less');
    // Against a measured figure the estimate's ±35 % band (0.35 × 1 J) is no longer common to both.
    assert.equal(
      compareEnergy(energy(0.7, 0.05, 'measured'), energy(1, 0.05, 'estimated')).outcome,
      'indistinguishable',
    );
  });

  test('told apart by less than 10 %: slight, which the verdict does not act on', () => {
    assert.equal(MIN_VERDICT_DIFFERENCE, 0.1);
    // 0.95 ± 0.001 against 1 ± 0.001: apart, but 1.053× only.
    assert.deepEqual(compareEnergy(energy(0.95, 0.001), energy(1, 0.001)), {
      ratio: 1 / 0.95,
      outcome: 'slight',
    });
    // A ratio (reference ÷ candidate) of 1.1 is acted on.
    assert.equal(compareEnergy(energy(1 / 1.1, 0.001), energy(1, 0.001)).outcome, 'less');
    assert.equal(compareEnergy(energy(1.05, 0.001), energy(1, 0.001)).outcome, 'slight');
    const results = [
      config(REF, energy(1, 0.001)),
      with_(config('encoder-small/int8/b1/cpu', energy(0.95, 0.001)), agreement(REF, 1)),
    ];
    assert.equal(frugalVerdicts(results)[0]!.frugal.id, REF);
    assert.equal(
      verdictLines(results)[2],
      '  int8 at batch 1: 1.05× less energy per query, under the 10 % a verdict acts on; top-1 agreement 100.0 %',
    );
  });

  test('candidates within 10 % of the cheapest tie with it, and the tie goes to the closest answers', () => {
    const results = [
      config(REF, energy(1, 0.001)),
      with_(config('encoder-small/int8/b1/cpu', energy(0.5, 0.001)), agreement(REF, 0.995)),
      with_(config('encoder-small/fp16/b1/cpu', energy(0.53, 0.001)), agreement(REF, 1)),
    ];
    const [verdict] = frugalVerdicts(results);
    assert.equal(verdict!.frugal.id, 'encoder-small/fp16/b1/cpu');
    assert.deepEqual(
      verdict!.ties.map((t) => t.id),
      ['encoder-small/int8/b1/cpu'],
    );
  });

  test('a whole-package figure measured under other processes’ load is not told apart', () => {
    const loaded = energy(0.5, 0.01, 'measured');
    loaded.otherCpu = { meanCores: 0.5, maxCores: 0.8, limitCores: 0.1, loaded: true };
    assert.equal(compareEnergy(loaded, energy(1, 0.01, 'measured')).outcome, 'loaded');
  });
});

/** `e` with windows in rounds 1-4, two per round, each round's J/query given (one query each). */
function inRounds(e: EnergyMeasured, perRoundJ: readonly number[]): EnergyMeasured {
  const perTrialJ = perRoundJ.flatMap((j) => [j, j]);
  return {
    ...e,
    perTrialJ,
    perTrialQueries: perTrialJ.map(() => 1),
    perTrialRound: perRoundJ.flatMap((_, k) => [k + 1, k + 1]),
  };
}

describe('the energy comparison in interleaved rounds', () => {
  test('the ratio round by round decides: a drift both saw cancels, though their intervals overlap', () => {
    // The machine slowed down over the run: each figure's interval is wide (±0.3 J), but in every
    // round the candidate used 0.8 of the reference's energy.
    const drift = [1, 1.2, 1.4, 1.6];
    const reference = inRounds(energy(1.3, 0.3), drift);
    const candidate = inRounds(
      energy(1.04, 0.24),
      drift.map((j) => j * 0.8),
    );
    const comparison = compareEnergy(candidate, reference);
    assert.equal(comparison.outcome, 'less');
    assert.equal(comparison.ratio, 1.3 / 1.04);
    assert.equal(comparison.paired?.rounds, 4);
    assert.ok(Math.abs(comparison.paired!.low - 1.25) < 1e-12);
    assert.ok(Math.abs(comparison.paired!.high - 1.25) < 1e-12);
  });

  test('a ratio that changes sides from round to round is indistinguishable, though the intervals are apart', () => {
    const reference = inRounds(energy(1, 0.01), [1, 1, 1, 1]);
    const candidate = inRounds(energy(0.9, 0.01), [0.7, 1.1, 0.7, 1.1]);
    assert.equal(compareEnergy(candidate, reference).outcome, 'indistinguishable');
  });

  test('rounds pair only figures of the same power model; an estimate against a measurement keeps its band', () => {
    // The reference's ±35 % band (0.35 J) reaches the measured candidate's 0.7 J.
    const reference = inRounds(energy(1, 0.01), [1, 1, 1, 1]);
    const candidate = inRounds(energy(0.7, 0.01, 'measured'), [0.7, 0.7, 0.7, 0.7]);
    const comparison = compareEnergy(candidate, reference);
    assert.equal(comparison.paired, undefined);
    assert.equal(comparison.outcome, 'indistinguishable');
  });

  test('the pair in words carries the interval of the ratio, read the way the ratio is', () => {
    const drift = [1, 1.2, 1.4, 1.6];
    const results = [
      config(REF, inRounds(energy(1.3, 0.3), drift)),
      with_(
        config(
          'encoder-small/int8/b1/cpu',
          inRounds(
            energy(1.04, 0.24),
            drift.map((j) => j * 0.8),
          ),
        ),
        agreement(REF, 1),
      ),
      with_(
        config(
          'encoder-small/fp16/b1/cpu',
          inRounds(
            energy(1.625, 0.3),
            drift.map((j) => j * 1.25),
          ),
        ),
        agreement(REF, 1),
      ),
    ];
    const lines = verdictLines(results);
    assert.match(
      lines[0]!,
      /^encoder-small int8 at batch 1: 1\.3× less energy per query than fp32 at batch 1/,
    );
    assert.ok(
      lines.includes(
        '  int8 at batch 1: 1.3× less energy per query (95 % interval 1.25–1.25× over 4 interleaved rounds); top-1 agreement 100.0 %',
      ),
      lines.join('\n'),
    );
    assert.ok(
      lines.includes(
        '  fp16 at batch 1: 1.3× more energy per query (95 % interval 1.25–1.25× over 4 interleaved rounds); top-1 agreement 100.0 %',
      ),
      lines.join('\n'),
    );
  });
});

describe('the frugal verdict', () => {
  /** encoder-small: fp32 b1 (the reference), int8 b8 passing, fp16 b1 rejected, fp16 b8 indistinguishable. */
  function run(): ConfigResult[] {
    return [
      config(REF, energy(0.0031, 0.0001)),
      with_(config('encoder-small/fp16/b1/cpu', energy(0.0024, 0.0001)), agreement(REF, 0.96)),
      with_(config('encoder-small/fp16/b8/cpu', energy(0.003, 0.0002)), agreement(REF, 0.999)),
      with_(config('encoder-small/int8/b8/cpu', energy(0.001, 0.0001)), agreement(REF, 0.996)),
    ];
  }

  test('names the least-energy configuration whose answers hold, against the reference, pair by pair', () => {
    assert.deepEqual(verdictTexts(run()), [
      {
        headline:
          'encoder-small int8 at batch 8: 3.1× less energy per query than fp32 at batch 1 (estimated energy), top-1 agreement 99.6 % on 1,000 real texts',
        details: [
          'against encoder-small fp32 at batch 1 (the reference):',
          'fp16 at batch 1: rejected, top-1 agreement 96.0 % < 99 %; 1.3× less energy per query',
          'fp16 at batch 8: 1.03× less energy per query, indistinguishable (within the 95 % intervals); top-1 agreement 99.9 %',
          'int8 at batch 8: 3.1× less energy per query; top-1 agreement 99.6 %',
        ],
      },
    ]);
  });

  test('the reference stays the frugal choice when no passing configuration is distinguishably cheaper', () => {
    const results = run().slice(0, 3);
    assert.deepEqual(verdictLines(results), [
      'encoder-small fp32 at batch 1 stays the frugal choice: no configuration whose answers hold uses distinguishably less energy per query than it (by 10 % or more) (estimated energy)',
      '  against encoder-small fp32 at batch 1 (the reference):',
      '  fp16 at batch 1: rejected, top-1 agreement 96.0 % < 99 %; 1.3× less energy per query',
      '  fp16 at batch 8: 1.03× less energy per query, indistinguishable (within the 95 % intervals); top-1 agreement 99.9 %',
    ]);
  });

  test('without fidelity records: energy alone, saying the answers were not compared', () => {
    const results = run().map((r) => {
      delete r.fidelity;
      return r;
    });
    assert.deepEqual(verdictLines(results), [
      'encoder-small int8 at batch 8: 3.1× less energy per query than fp32 at batch 1 (estimated energy); answers not compared (no fidelity figures): energy alone',
      '  against encoder-small fp32 at batch 1 (the reference):',
      '  fp16 at batch 1: 1.3× less energy per query',
      '  fp16 at batch 8: 1.03× less energy per query, indistinguishable (within the 95 % intervals)',
      '  int8 at batch 8: 3.1× less energy per query',
    ]);
    assert.deepEqual(verdictLines(results.slice(0, 1)), []);
    results[1]!.energy = energy(0.0031, 0.0003);
    assert.equal(
      verdictLines(results.slice(0, 2))[0],
      'encoder-small fp32 at batch 1 stays the frugal choice: no configuration uses distinguishably less energy per query than it (by 10 % or more) (estimated energy); answers not compared (no fidelity figures)',
    );
  });

  test('another model is compared only against a --reference naming it, as agreement with that model', () => {
    const medium = 'encoder-medium/fp32/b1/cpu';
    const results = [
      config(medium, energy(0.05, 0.001)),
      with_(
        config('encoder-tiny/q8/b1/cpu', energy(0.00315, 0.0001)),
        agreement(medium, 0.992, 'other-model'),
      ),
      // Its own fp32 was not compared with anything: a group of its own, on energy alone.
      config('encoder-tiny/fp32/b1/cpu', energy(0.004, 0.0001)),
      config('encoder-tiny/fp32/b8/cpu', energy(0.0035, 0.0001)),
    ];
    assert.deepEqual(verdictLines(results), [
      'encoder-tiny q8 at batch 1: 15.9× less energy per query than encoder-medium fp32 at batch 1 (estimated energy), top-1 agreement with encoder-medium 99.2 % on 1,000 real texts',
      '  against encoder-medium fp32 at batch 1 (the reference):',
      '  encoder-tiny q8 at batch 1: 15.9× less energy per query; top-1 agreement with encoder-medium 99.2 %',
      'encoder-tiny fp32 at batch 8: 1.1× less energy per query than fp32 at batch 1 (estimated energy); answers not compared (no fidelity figures): energy alone',
      '  against encoder-tiny fp32 at batch 1 (the reference):',
      '  fp32 at batch 8: 1.1× less energy per query',
    ]);
    const byId = new Map(results.map((r) => [r.id, r]));
    assert.equal(fidelityCell(results[1]!, referenceIds(results), byId), 'top-1 99.2 % ✓ vs encoder-medium');
    assert.equal(fidelityCell(results[0]!, referenceIds(results), byId), 'reference');
    assert.equal(fidelityCell(results[2]!, referenceIds(results), byId), '–');
  });

  test('two runs within each other’s intervals choose the same configuration', () => {
    // Run A: fp16 b8 the cheapest; run B: int8 b8 — but the two are within each other's 95 %
    // intervals in both runs, so the tie rule decides, the same way both times.
    const runA = [
      config(REF, energy(0.0031, 0.0001)),
      with_(config('encoder-small/fp16/b8/cpu', energy(0.0015, 0.0001)), agreement(REF, 0.999)),
      with_(config('encoder-small/int8/b8/cpu', energy(0.00155, 0.0001)), agreement(REF, 0.996)),
    ];
    const runB = structuredClone(runA);
    (runB[1]!.energy as EnergyMeasured).perQueryJ = 0.00158;
    (runB[2]!.energy as EnergyMeasured).perQueryJ = 0.00149;
    const structure = (results: ConfigResult[]) =>
      verdictLines(results).map((line) => line.replace(/\d+(\.\d+)?×/g, 'N×'));
    assert.deepEqual(structure(runA), structure(runB));
    assert.deepEqual(
      frugalVerdicts(runA).map((v) => [v.frugal.id, v.ties.map((t) => t.id)]),
      [['encoder-small/fp16/b8/cpu', ['encoder-small/int8/b8/cpu']]],
    );
    assert.deepEqual(
      frugalVerdicts(runB).map((v) => [v.frugal.id, v.ties.map((t) => t.id)]),
      [['encoder-small/fp16/b8/cpu', ['encoder-small/int8/b8/cpu']]],
    );
    assert.equal(
      verdictLines(runB)[0],
      'encoder-small fp16 at batch 8: 2.0× less energy per query than fp32 at batch 1 (estimated energy), top-1 agreement 99.9 % on 1,000 real texts; as cheap within the 95 % intervals: int8 at batch 8',
    );
  });

  test('one verdict per task, each named by its task', () => {
    const results = [
      ...verdictInputs('text-classification'),
      ...verdictInputs('image-classification').map((r) => {
        r.id = r.id.replace('encoder-small', 'cnn');
        r.model.name = 'cnn';
        if (r.fidelity) {
          r.fidelity.reference = 'cnn/fp32/b1/cpu';
          r.fidelity.inputs = 'synthetic';
        }
        return r;
      }),
    ];
    const headlines = verdictTexts(results).map((v) => v.headline);
    assert.deepEqual(headlines, [
      'text-classification: encoder-small int8 at batch 8: 3.1× less energy per query than fp32 at batch 1 (estimated energy), top-1 agreement 99.6 % on 1,000 real texts',
      'image-classification: cnn int8 at batch 8: 3.1× less energy per query than fp32 at batch 1 (estimated energy), top-1 agreement 99.6 % on 1,000 synthetic inputs',
    ]);
  });

  test('without energy: the throughput of the configurations whose answers hold', () => {
    const results = [
      config(REF, null),
      with_(config('encoder-small/int8/b8/cpu', null), agreement(REF, 0.996)),
      with_(config('encoder-small/fp16/b8/cpu', null), agreement(REF, 0.9)),
    ];
    results[1]!.throughputQps = 300;
    results[2]!.throughputQps = 900;
    assert.deepEqual(verdictLines(results), [
      'encoder-small int8 at batch 8 serves 3.0× the queries per second of fp32 at batch 1 (energy not measured), top-1 agreement 99.6 %',
      '  against encoder-small fp32 at batch 1 (the reference):',
      '  int8 at batch 8: energy not measured; top-1 agreement 99.6 %',
      '  fp16 at batch 8: rejected, top-1 agreement 90.0 % < 99 %',
    ]);
  });

  test('answers compared with a configuration outside the group: the verdict names it', () => {
    // The fp32 reference failed: energy is set against fp32 at batch 8, the answers were not.
    const results = run();
    results[0]!.status = 'failed';
    results.push(config('encoder-small/fp32/b8/cpu', energy(0.0029, 0.0001)));
    assert.deepEqual(verdictLines(results).slice(0, 2), [
      'encoder-small int8 at batch 8: 2.9× less energy per query than fp32 at batch 8 (estimated energy), top-1 agreement 99.6 % on 1,000 real texts',
      '  against encoder-small fp32 at batch 8 (the reference; answers compared with encoder-small/fp32/b1/cpu):',
    ]);
  });

  test('each token budget has its own verdict: a longer generation is another job', () => {
    const at = (id: string, budget: number, j: number) => {
      const r = config(`${id}/n${budget}`, energy(j, j / 100), 'text-generation');
      r.generation = { newTokensPerQuery: budget } as ConfigResult['generation'];
      return r;
    };
    const results = [
      at('gpt/fp32/b1/cpu', 10, 1),
      at('gpt/q8/b1/cpu', 10, 0.5),
      at('gpt/fp32/b1/cpu', 100, 10),
      at('gpt/q8/b1/cpu', 100, 4),
    ];
    assert.deepEqual(
      verdictTexts(results).map((v) => v.headline),
      [
        'gpt q8 at batch 1, 10 new tokens: 2.0× less energy per query than fp32 at batch 1, 10 new tokens (estimated energy); answers not compared (no fidelity figures): energy alone',
        'gpt q8 at batch 1, 100 new tokens: 2.5× less energy per query than fp32 at batch 1, 100 new tokens (estimated energy); answers not compared (no fidelity figures): energy alone',
      ],
    );
  });

  function verdictInputs(task: string): ConfigResult[] {
    return [
      config(REF, energy(0.0031, 0.0001), task),
      with_(config('encoder-small/int8/b8/cpu', energy(0.001, 0.0001), task), agreement(REF, 0.996)),
    ];
  }
});

describe('fidelity figures in words', () => {
  test('a metric the tool does not know is shown as given, control characters made harmless', () => {
    const f = agreement(REF, 0.5);
    f.metric = '\u001b[2Jodd-metric';
    const r = with_(config('encoder-small/fp16/b1/cpu', null), f);
    const cell = fidelityCell(r, new Set(), new Map());
    assert.equal(cell, '\uFFFD[2Jodd-metric 0.5000 ✗');
  });

  test('shares as percentages that never round onto their threshold or to 100 %', () => {
    assert.equal(fidelityValueText('top1-agreement', 0.996, 0.99), '99.6 %');
    assert.equal(fidelityValueText('top1-agreement', 0.9995, 0.99), '99.95 %');
    assert.equal(fidelityValueText('top1-agreement', 0.98996, 0.99), '98.996 %');
    assert.equal(fidelityValueText('top1-agreement', 1, 0.99), '100.0 %');
    assert.equal(fidelityValueText('cosine-mean', 0.998765, 0.99), '0.9988');
  });
});
