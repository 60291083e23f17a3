import { test } from 'node:test';
import assert from 'node:assert/strict';

import { SeededRandom, seedFrom } from '../src/util/random.js';

test('SeededRandom(42).next() gives the pinned mulberry32 stream', () => {
  const rng = new SeededRandom(42);
  const values = Array.from({ length: 5 }, () => rng.next());
  assert.deepEqual(
    values,
    [0.6011037519201636, 0.44829055899754167, 0.8524657934904099, 0.6697340414393693, 0.17481389874592423],
  );
});

test('SeededRandom(42).int() and normal() are pinned too', () => {
  const ints = new SeededRandom(42);
  assert.deepEqual(
    Array.from({ length: 5 }, () => ints.int(1, 6)),
    [4, 3, 6, 5, 2],
  );
  const normals = new SeededRandom(42);
  assert.deepEqual(
    Array.from({ length: 3 }, () => normals.normal()),
    [-1.2848381576290195, -0.9453528099747296, -0.6112802846514629],
  );
});

test('next() stays in [0, 1) and int() in [min, max], reaching both bounds', () => {
  const rng = new SeededRandom(7);
  const seen = new Set<number>();
  for (let i = 0; i < 10_000; i++) {
    const x = rng.next();
    assert.ok(x >= 0 && x < 1, `next() = ${x}`);
    const n = rng.int(-3, 3);
    assert.ok(Number.isInteger(n) && n >= -3 && n <= 3, `int(-3, 3) = ${n}`);
    seen.add(n);
  }
  assert.deepEqual(
    [...seen].sort((a, b) => a - b),
    [-3, -2, -1, 0, 1, 2, 3],
  );
  const single = new SeededRandom(1);
  for (let i = 0; i < 100; i++) assert.equal(single.int(5, 5), 5);
});

test('the same seed gives the same stream, a different seed a different one', () => {
  const a = new SeededRandom(123456);
  const b = new SeededRandom(123456);
  const c = new SeededRandom(123457);
  const streamA = Array.from({ length: 100 }, () => a.next());
  const streamB = Array.from({ length: 100 }, () => b.next());
  const streamC = Array.from({ length: 100 }, () => c.next());
  assert.deepEqual(streamA, streamB);
  assert.notDeepEqual(streamA, streamC);
  // Seeds are taken as uint32.
  assert.equal(new SeededRandom(-1).next(), new SeededRandom(0xffffffff).next());
});

test('seedFrom is 32-bit FNV-1a and stable', () => {
  assert.equal(seedFrom(''), 0x811c9dc5);
  assert.equal(seedFrom('a'), 0xe40c292c);
  assert.equal(seedFrom('encoder-tiny'), 3287242688);
  assert.equal(seedFrom('encoder-tiny', 1), 1078374933);
  assert.equal(seedFrom('encoder-tiny'), seedFrom('encoder-tiny'));
  assert.notEqual(seedFrom('encoder-tiny'), seedFrom('encoder-small'));
});
