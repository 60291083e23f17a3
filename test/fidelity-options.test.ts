import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';

import { addFidelityOptions, limitOverrides, splitReference } from '../src/cli/fidelity-options.js';
import { addRatingOptions } from '../src/cli/rating-options.js';

function parse(args: string[]) {
  const command = new Command().exitOverride();
  const kept = addFidelityOptions(command);
  addRatingOptions(command);
  command.parse(args, { from: 'user' });
  const flags = command.opts<{ reference?: unknown; minAgreement?: number; maxKl?: number }>();
  return { ...splitReference(flags.reference, kept), overrides: limitOverrides(flags) };
}

describe("bench's fidelity flags", () => {
  test('--reference (fidelity) and --no-reference (rating) each keep their meaning, in either order', () => {
    assert.deepEqual(parse([]), { fidelity: undefined, rateAgainstReference: true, overrides: {} });
    assert.deepEqual(parse(['--reference', 'm/fp16']), {
      fidelity: 'm/fp16',
      rateAgainstReference: true,
      overrides: {},
    });
    assert.deepEqual(parse(['--no-reference']), {
      fidelity: undefined,
      rateAgainstReference: false,
      overrides: {},
    });
    for (const args of [
      ['--reference', 'm', '--no-reference'],
      ['--no-reference', '--reference', 'm'],
    ]) {
      assert.deepEqual(
        parse(args),
        { fidelity: 'm', rateAgainstReference: false, overrides: {} },
        args.join(' '),
      );
    }
  });

  test('only the limits given are overrides', () => {
    assert.deepEqual(parse(['--min-agreement', '0.995', '--max-kl', '0']).overrides, {
      minAgreement: 0.995,
      maxKl: 0,
    });
  });
});
