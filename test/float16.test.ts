import { test } from 'node:test';
import assert from 'node:assert/strict';

import { float16BitsToFloat32, float32ToFloat16Bits } from '../src/util/float16.js';

test('float32ToFloat16Bits gives the exact IEEE half bits', () => {
  const cases: [number, number][] = [
    [0, 0x0000],
    [-0, 0x8000],
    [1, 0x3c00],
    [-2, 0xc000],
    [65504, 0x7bff], // largest finite half
    [65519.99, 0x7bff], // just below the halfway point to Inf
    [65520, 0x7c00], // halfway to the next (Inf) rounds to even → Inf
    [Infinity, 0x7c00],
    [-Infinity, 0xfc00],
    [1e-8, 0x0000], // below half the smallest subnormal → 0
    [-1e-8, 0x8000],
    [5.960464477539063e-8, 0x0001], // 2^-24, smallest subnormal
    [2 ** -25, 0x0000], // tie between 0 and the smallest subnormal → even (0)
    [2 ** -25 * 1.0001, 0x0001],
    [6.097555160522461e-5, 0x03ff], // largest subnormal
    [6.103515625e-5, 0x0400], // 2^-14, smallest normal
    [0.1, 0x2e66],
    [1 + 2 ** -11, 0x3c00], // tie between 0x3c00 and 0x3c01 → even 0x3c00
    [1 + 3 * 2 ** -11, 0x3c02], // tie between 0x3c01 and 0x3c02 → even 0x3c02
    [1 + 2 ** -11 + 2 ** -20, 0x3c01], // just above the tie
  ];
  for (const [value, bits] of cases) {
    assert.equal(float32ToFloat16Bits(value), bits, `${value} → 0x${bits.toString(16)}`);
  }
});

test('NaN maps to a quiet half NaN', () => {
  const bits = float32ToFloat16Bits(NaN);
  assert.equal(bits, 0x7e00);
  assert.ok(Number.isNaN(float16BitsToFloat32(bits)));
});

test('float16BitsToFloat32 decodes special and boundary patterns', () => {
  assert.ok(Object.is(float16BitsToFloat32(0x0000), 0));
  assert.ok(Object.is(float16BitsToFloat32(0x8000), -0));
  assert.equal(float16BitsToFloat32(0x3c00), 1);
  assert.equal(float16BitsToFloat32(0xc000), -2);
  assert.equal(float16BitsToFloat32(0x7bff), 65504);
  assert.equal(float16BitsToFloat32(0x0001), 2 ** -24);
  assert.equal(float16BitsToFloat32(0x0400), 2 ** -14);
  assert.equal(float16BitsToFloat32(0x2e66), 0.0999755859375);
  assert.equal(float16BitsToFloat32(0x7c00), Infinity);
  assert.equal(float16BitsToFloat32(0xfc00), -Infinity);
  assert.ok(Number.isNaN(float16BitsToFloat32(0x7c01)));
  assert.ok(Number.isNaN(float16BitsToFloat32(0xfe00)));
});

test('every non-NaN half bit pattern survives a round trip through float32', () => {
  let checked = 0;
  for (let bits = 0; bits <= 0xffff; bits++) {
    const isNaN = (bits & 0x7c00) === 0x7c00 && (bits & 0x03ff) !== 0;
    if (isNaN) continue;
    const value = float16BitsToFloat32(bits);
    assert.equal(Math.fround(value), value, `0x${bits.toString(16)} is exact in float32`);
    const back = float32ToFloat16Bits(value);
    if (back !== bits) assert.fail(`0x${bits.toString(16)} → ${value} → 0x${back.toString(16)}`);
    checked++;
  }
  assert.equal(checked, 65536 - 2 * 1023);
});
