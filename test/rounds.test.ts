/** Interleaved rounds in a bench: how many, in what order the configurations take turns, and how a run ends. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  collectEnvironment,
  DEFAULT_PROTOCOL,
  newDocument,
  parseOverrides,
  planBench,
  runBench,
} from '../src/index.js';
import type { BenchHooks, BenchOptions } from '../src/app/bench-plan.js';
import { planRounds } from '../src/app/rounds.js';
import { DEFAULT_ROUNDS } from '../src/runner/protocol.js';
import type { EnergySetup } from '../src/runner/run-config.js';
import type { RunDocument } from '../src/result/schema.js';
import { FakeMeter } from '../src/testing/fake-meter.js';
import { assertExit, cli, cliEnv, QUICK_ENERGY } from './helpers/cli.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

const options: BenchOptions = {
  models: [path.join(repoRoot, 'fixtures/zoo/encoder-tiny')],
  task: undefined,
  devices: ['cpu'],
  precisions: ['fp32', 'fp16'],
  batchSizes: [1],
  queries: 8,
  warmup: 1,
  threads: [1],
  seed: 0,
  overrides: parseOverrides({}),
};

/** Slices of 0.2 s, windows of 0.05 s, and a target never met: every round runs. */
const energy = (rounds: number): EnergySetup => ({
  meters: [new FakeMeter({ domain: 'cpu', powerW: 30 })],
  idlePowerW: [null],
  idleSeconds: 0,
  protocol: {
    ...DEFAULT_PROTOCOL,
    minWindowS: 0.05,
    minTrials: 1,
    targetCi: 1e-12,
    maxSeconds: 0.2 * rounds,
    warmupWindows: 0,
    rounds,
  },
});

async function bench(
  rounds: number,
  hooks: (log: [number, number | undefined][]) => BenchHooks = () => ({}),
) {
  const planned = await planBench(options);
  const log: [number, number | undefined][] = [];
  const given = hooks(log);
  const document = await runBench(
    planned,
    newDocument(options, await collectEnvironment()),
    {
      ...given,
      onConfigStart: (item, index, total, round) => {
        log.push([index, round]);
        given.onConfigStart?.(item, index, total, round);
      },
    },
    energy(rounds),
  );
  return { document, log };
}

describe('how many rounds a bench runs', () => {
  test(`two or more measured configurations interleave in ${DEFAULT_ROUNDS} rounds when their sessions fit`, async () => {
    const specs = (await planBench(options)).flatMap((p) => (p.spec ? [p.spec] : []));
    assert.equal(specs.length, 2);
    const plenty = 64 * 2 ** 30;
    assert.deepEqual(await planRounds(undefined, specs, true, plenty), {
      rounds: DEFAULT_ROUNDS,
      note: null,
    });
    assert.deepEqual(await planRounds(6, specs, true, plenty), { rounds: 6, note: null });
    assert.deepEqual(await planRounds(1, specs, true, plenty), { rounds: 1, note: null });
    // One configuration, or none measured: nothing to interleave with.
    assert.deepEqual(await planRounds(undefined, specs.slice(0, 1), true, plenty), { rounds: 1, note: null });
    assert.deepEqual(await planRounds(undefined, specs, false, plenty), { rounds: 1, note: null });
  });

  test('sessions that would not fit in free memory run one after another, unless --rounds says otherwise', async () => {
    const specs = (await planBench(options)).flatMap((p) => (p.spec ? [p.spec] : []));
    const bytes = specs.reduce((n, s) => n + s.model.fileSizeBytes, 0);
    // The sessions take about twice their files, and may take half the free memory.
    const tight = bytes * 4 - 1;
    const auto = await planRounds(undefined, specs, true, tight);
    assert.equal(auto.rounds, 1);
    assert.match(
      auto.note!,
      /^configurations measured one after another, not in interleaved rounds: the 2 configurations' sessions, open together, would take about .* free \(--rounds N interleaves anyway\)$/,
    );
    const asked = await planRounds(3, specs, true, tight);
    assert.equal(asked.rounds, 3);
    assert.match(asked.note!, /^--rounds 3: the 2 configurations' sessions/);
    assert.equal((await planRounds(undefined, specs, true, bytes * 4)).rounds, DEFAULT_ROUNDS);
  });
});

describe('how many rounds a bench on a GPU runs', () => {
  test('CUDA sessions interleave only where the GPU memory is known and holds them', async () => {
    const specs = (await planBench(options)).flatMap((p) =>
      p.spec ? [{ ...p.spec, device: 'cuda' as const }] : [],
    );
    const plenty = 64 * 2 ** 30;
    assert.equal((await planRounds(undefined, specs, true, plenty, 80 * 2 ** 30)).rounds, DEFAULT_ROUNDS);
    const unknown = await planRounds(undefined, specs, true, plenty, null);
    assert.equal(unknown.rounds, 1);
    assert.match(
      unknown.note!,
      /the CUDA sessions, open together, would take about .* of a GPU memory nvidia-smi did not report/,
    );
    const small = await planRounds(undefined, specs, true, plenty, 1024);
    assert.equal(small.rounds, 1);
    assert.match(small.note!, /of the GPU's 1\.0 KiB \(--rounds N interleaves anyway\)$/);
  });
});

describe('a bench in interleaved rounds', () => {
  test('the configurations take turns round after round; results come in plan order, their windows by round', async () => {
    const { document, log } = await bench(3);
    assert.deepEqual(log, [
      [0, 1],
      [1, 1],
      [0, 2],
      [1, 2],
      [0, 3],
      [1, 3],
    ]);
    assert.deepEqual(
      document.results.map((r) => [r.id, r.status]),
      [
        ['encoder-tiny/fp32/b1/cpu', 'ok'],
        ['encoder-tiny/fp16/b1/cpu', 'ok'],
      ],
    );
    for (const r of document.results) {
      assert.equal(r.energy.status, 'measured');
      const rounds = r.energy.status === 'measured' ? r.energy.perTrialRound! : [];
      assert.deepEqual([...new Set(rounds)], [1, 2, 3], r.id);
      assert.deepEqual(rounds, [...rounds].sort(), `${r.id}: in order`);
    }
  });

  test('--rounds 1 runs them one after another, as before: no round in the events or the windows', async () => {
    const { document, log } = await bench(1);
    assert.deepEqual(log, [
      [0, undefined],
      [1, undefined],
    ]);
    assert.ok(
      document.results.every((r) => r.energy.status === 'measured' && r.energy.perTrialRound === undefined),
    );
  });

  test('Ctrl-C: those in progress end interrupted at their next turn; one not yet started is left out', async () => {
    const controller = new AbortController();
    const { document } = await bench(3, () => ({
      signal: controller.signal,
      onConfigStart: (_item, index, _total, round) => {
        if (index === 1 && round === 2) controller.abort();
      },
    }));
    assert.equal(document.interrupted, true);
    assert.deepEqual(
      document.results.map((r) => r.status),
      ['interrupted', 'interrupted'],
    );
    const early = new AbortController();
    const first = await bench(3, () => ({
      signal: early.signal,
      onConfigStart: () => early.abort(),
    }));
    assert.deepEqual(
      first.document.results.map((r) => [r.id, r.status]),
      [['encoder-tiny/fp32/b1/cpu', 'interrupted']],
    );
    assert.deepEqual(first.log, [[0, 1]]);
  });

  test('an error ends the run as it does in order: the others do not run on', async () => {
    let log: [number, number | undefined][] = [];
    await assert.rejects(
      bench(3, (l) => {
        log = l;
        return {
          around: async (spec, run) => {
            if (spec.precision === 'fp32') throw new Error('the reference could not be sampled');
            return run({});
          },
        };
      }),
      /the reference could not be sampled/,
    );
    assert.deepEqual(log, [[0, 1]]);
  });
});

describe('bench --rounds', () => {
  test('names the rounds the run takes, recorded with the protocol and on every window', async () => {
    const run = await cli(
      [
        'bench',
        'fixtures/zoo/encoder-tiny',
        '--precision',
        'fp32,fp16',
        ...QUICK_ENERGY,
        '--max-trials',
        '4',
        '--max-seconds',
        '0.8',
        '--rounds',
        '2',
        '--fidelity-queries',
        '0',
        '--json',
        '-',
      ],
      cliEnv({}),
    );
    assertExit(run, 0);
    const document = JSON.parse(run.stdout) as RunDocument;
    assert.equal(document.settings.protocol?.rounds, 2);
    for (const r of document.results) {
      const energy = r.energy;
      assert.ok(energy.status !== 'not-measured', r.id);
      // Four windows of 0.2 s at most, over two rounds of 0.4 s: both rounds are in the figure.
      assert.ok(new Set(energy.perTrialRound).size > 1, `${r.id}: ${JSON.stringify(energy.perTrialRound)}`);
    }
  });

  test('--rounds 0 is a usage error', async () => {
    const run = await cli(['bench', '--rounds', '0'], cliEnv({}));
    assertExit(run, 2);
    assert.match(run.stderr, /--rounds '0' is not a whole number of at least 1/);
  });
});
