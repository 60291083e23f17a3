import { describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { EnergyScoreError } from '../src/errors.js';
import {
  NO_OVERRIDES,
  parseDimOption,
  parseFillOption,
  parseOverrides,
  parseShapeOption,
} from '../src/workload/overrides.js';

function usageErrorNaming(flag: string, pattern?: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, `EnergyScoreError, got ${String(err)}`);
    assert.equal(err.kind, 'usage');
    assert.ok(err.message.includes(flag), `'${err.message}' names ${flag}`);
    if (pattern) assert.match(err.message, pattern);
    assert.ok(err.hint?.includes(flag), `hint '${err.hint}' names ${flag}`);
    return true;
  };
}

describe('parseOverrides: well-formed pins', () => {
  test('nothing given', () => {
    assert.deepEqual(parseOverrides({}), { dims: {}, shapes: {}, fills: {} });
    assert.deepEqual(parseOverrides({}), NO_OVERRIDES);
  });

  test('dims, shapes and fills', () => {
    assert.deepEqual(
      parseOverrides({
        dim: ['sequence_length=128', ' past_sequence_length = 0 ', 'num_features=007'],
        shape: ['pixel_values=1x3x224x224', 'x = 2 x 3', 'sample_rate=scalar', 'v=5'],
        fill: ['attention_mask=1', 'prompt=a=b', 'flag= true '],
      }),
      {
        dims: { sequence_length: 128, past_sequence_length: 0, num_features: 7 },
        shapes: { pixel_values: [1, 3, 224, 224], x: [2, 3], sample_rate: [], v: [5] },
        fills: { attention_mask: '1', prompt: 'a=b', flag: 'true' },
      },
    );
  });

  test('single-option parsers', () => {
    assert.deepEqual(parseDimOption('batch=4'), ['batch', 4]);
    assert.deepEqual(parseDimOption(`n=${Number.MAX_SAFE_INTEGER}`), ['n', Number.MAX_SAFE_INTEGER]);
    assert.deepEqual(parseShapeOption('x=0x4'), ['x', [0, 4]]);
    // `scalar` is the documented way to pin a rank-0 shape.
    assert.deepEqual(parseShapeOption('x=scalar'), ['x', []]);
    assert.deepEqual(parseFillOption('x=-1.5'), ['x', '-1.5']);
  });

  test('a repeated name keeps the last value', () => {
    assert.deepEqual(parseOverrides({ dim: ['a=1', 'a=2'] }).dims, { a: 2 });
  });
});

describe('parseOverrides: malformed pins are usage errors naming the flag', () => {
  const cases: [keyof Parameters<typeof parseOverrides>[0], string, string, RegExp][] = [
    ['dim', 'foo', '--dim', /malformed --dim 'foo'/],
    ['dim', '=3', '--dim', /malformed --dim '=3'/],
    ['dim', 'a=', '--dim', /malformed --dim 'a='/],
    ['dim', ' =3', '--dim', /malformed/],
    ['dim', 'a=-1', '--dim', /--dim a: '-1' is not a whole number/],
    ['dim', 'a=1.5', '--dim', /--dim a: '1.5' is not a whole number/],
    ['dim', 'a=1e3', '--dim', /not a whole number/],
    ['dim', 'a=x', '--dim', /not a whole number/],
    ['dim', 'a=99999999999999999999', '--dim', /--dim a: 99999999999999999999 is out of range/],
    ['shape', 'x', '--shape', /malformed --shape 'x'/],
    ['shape', '=1x2', '--shape', /malformed/],
    ['shape', 'x=', '--shape', /malformed/],
    ['shape', 'x=1xax3', '--shape', /--shape x: 'a' is not a whole number/],
    ['shape', 'x=1x-2', '--shape', /--shape x: '-2' is not a whole number/],
    ['shape', 'x=1x', '--shape', /--shape x: '' is not a whole number/],
    ['shape', 'x=1*3', '--shape', /not a whole number/],
    ['shape', 'x=scalars', '--shape', /not a whole number/],
    ['shape', 'x=[]', '--shape', /not a whole number/],
    ['fill', 'x=', '--fill', /malformed --fill 'x='/],
    ['fill', '=1', '--fill', /malformed --fill '=1'/],
    ['fill', 'x', '--fill', /malformed --fill 'x'/],
    ['fill', 'x=  ', '--fill', /malformed/],
  ];
  for (const [option, text, flag, pattern] of cases) {
    test(`${flag} ${text}`, () => {
      assert.throws(() => parseOverrides({ [option]: [text] }), usageErrorNaming(flag, pattern));
    });
  }

  test('one bad pin among good ones still fails', () => {
    assert.throws(
      () => parseOverrides({ dim: ['a=1'], shape: ['x=1x2', 'y=1xz'] }),
      usageErrorNaming('--shape', /--shape y/),
    );
  });
});
