import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';

import { Rotation, type Turn } from '../src/runner/turns.js';
import { MIN_PAIRED_ROUNDS, pairedRatio95, perRoundJ } from '../src/stats/paired-rounds.js';

/** A task that logs `name+round` on each of its turns and passes `passes` times before it ends. */
function task(
  name: string,
  passes: number,
  log: string[],
  satisfied: (round: number) => boolean = () => false,
) {
  return async (turn: Turn) => {
    const answers: { stop: boolean; othersRan: boolean }[] = [];
    for (let round = 1; ; round++) {
      log.push(`${name}${round}`);
      // Something else may try to run meanwhile: nothing does.
      await nextTurn();
      if (round > passes) return answers;
      const answer = await turn.pass(satisfied(round));
      answers.push(answer);
      if (answer.stop) return answers;
    }
  };
}

describe('the rotation of interleaved rounds', () => {
  test('tasks take turns in the order they joined, one at a time, round after round', async () => {
    const rotation = new Rotation(3);
    const log: string[] = [];
    let running = 0;
    let most = 0;
    const watched = (body: (turn: Turn) => Promise<unknown>) => async (turn: Turn) => {
      running++;
      most = Math.max(most, running);
      try {
        const paused = turn.pass.bind(turn);
        return await body({
          slices: turn.slices,
          pass: async (s) => {
            running--;
            const r = await paused(s);
            running++;
            most = Math.max(most, running);
            return r;
          },
        });
      } finally {
        running--;
      }
    };
    await Promise.all([
      rotation.run(watched(task('a', 2, log))),
      rotation.run(watched(task('b', 1, log))),
      rotation.run(watched(task('c', 2, log))),
    ]);
    // b ends after its second turn; a and c go on alternating.
    assert.deepEqual(log, ['a1', 'b1', 'c1', 'a2', 'b2', 'c2', 'a3', 'c3']);
    assert.equal(most, 1);
  });

  test('the run stops when every task still running met its target over the round just gone', async () => {
    const rotation = new Rotation(4);
    const log: string[] = [];
    const [a, b] = await Promise.all([
      rotation.run(task('a', 3, log, (round) => round >= 2)),
      // b meets it only from its third turn: the round after a's second is not unanimous.
      rotation.run(task('b', 3, log, (round) => round >= 3)),
    ]);
    assert.deepEqual(
      a.map((x) => x.stop),
      [false, false, true],
    );
    assert.deepEqual(
      b.map((x) => x.stop),
      [false, false, true],
    );
    assert.deepEqual(log, ['a1', 'b1', 'a2', 'b2', 'a3', 'b3']);
  });

  test('alone, a task passes straight back to itself: nothing else ran, and its own word decides', async () => {
    const rotation = new Rotation(2);
    const answers = await rotation.run(async (turn) => [await turn.pass(false), await turn.pass(true)]);
    assert.deepEqual(answers, [
      { stop: false, othersRan: false },
      { stop: true, othersRan: false },
    ]);
  });

  test('a task that throws hands the machine on; its error is its own', async () => {
    const rotation = new Rotation(2);
    const log: string[] = [];
    const failing = rotation.run(async (turn) => {
      log.push('a1');
      await turn.pass(false);
      throw new Error('session.run failed');
    });
    const other = rotation.run(task('b', 2, log));
    await assert.rejects(failing, /session\.run failed/);
    await other;
    assert.deepEqual(log, ['a1', 'b1', 'b2', 'b3']);
  });

  test('a rotation needs a whole number of slices', () => {
    assert.throws(() => new Rotation(0), RangeError);
    assert.throws(() => new Rotation(1.5), RangeError);
  });
});

describe('a pair compared round by round', () => {
  test("a round's figure is its windows' joules over their queries", () => {
    const rounds = perRoundJ({ perTrialJ: [1, 3, 5], perTrialQueries: [1, 3, 2], perTrialRound: [1, 1, 2] });
    assert.deepEqual(
      [...rounds],
      [
        [1, 2.5],
        [2, 5],
      ],
    );
  });

  test('a drift that moves both alike cancels: a steady ratio has a zero-width interval', () => {
    const a = {
      perTrialJ: [2, 2, 4, 4, 3, 3],
      perTrialQueries: [1, 1, 1, 1, 1, 1],
      perTrialRound: [1, 1, 2, 2, 3, 3],
    };
    const b = { ...a, perTrialJ: a.perTrialJ.map((j) => j / 2) };
    assert.deepEqual(pairedRatio95(a, b), { ratio: 2, low: 2, high: 2, rounds: 3 });
  });

  test("Student's t over the rounds' log ratios (scipy's t.ppf(0.975, 2) = 4.302652729749462)", () => {
    const queries = [10, 10, 10];
    const rounds = [1, 2, 3];
    const paired = pairedRatio95(
      { perTrialJ: [2, 3, 4], perTrialQueries: queries, perTrialRound: rounds },
      { perTrialJ: [1, 1, 2], perTrialQueries: queries, perTrialRound: rounds },
    )!;
    // Ratios 2, 3, 2: geometric mean exp((2 ln 2 + ln 3) / 3), from the same computation in Python.
    assert.ok(Math.abs(paired.ratio - 2.2894284851066637) < 1e-12);
    assert.ok(Math.abs(paired.low - 1.279893705437166) < 1e-9);
    assert.ok(Math.abs(paired.high - 4.0952485086466535) < 1e-9);
    assert.equal(paired.rounds, 3);
  });

  test('only the rounds both measured are paired; fewer than three give no interval', () => {
    const a = { perTrialJ: [2, 2, 2, 2], perTrialQueries: [1, 1, 1, 1], perTrialRound: [1, 2, 3, 4] };
    const b = { perTrialJ: [1, 1, 1], perTrialQueries: [1, 1, 1], perTrialRound: [1, 2, 3] };
    assert.equal(pairedRatio95(a, b)?.rounds, 3);
    const short = { perTrialJ: [1, 1], perTrialQueries: [1, 1], perTrialRound: [1, 2] };
    assert.equal(MIN_PAIRED_ROUNDS, 3);
    assert.equal(pairedRatio95(a, short), null);
  });

  test('a series that does not hold together gives no interval', () => {
    const good = { perTrialJ: [1, 1, 1], perTrialQueries: [1, 1, 1], perTrialRound: [1, 2, 3] };
    assert.equal(pairedRatio95({ ...good, perTrialRound: [1, 2] }, good), null);
    assert.equal(pairedRatio95({ ...good, perTrialJ: [1, 0, 1] }, good), null);
    assert.equal(pairedRatio95(good, { ...good, perTrialJ: [1, Number.NaN, 1] }), null);
  });
});
