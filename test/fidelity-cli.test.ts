import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import type { RunDocument } from '../src/result/schema.js';
import { assertExit, cli, cliEnv } from './helpers/cli.js';

const ENCODER = 'fixtures/zoo/encoder-tiny';

describe('bench fidelity end to end', () => {
  test('every non-reference configuration carries fidelity against fp32 at batch 1, and check holds it', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-fidelity-'));
    try {
      const json = path.join(dir, 'result.json');
      const run = await cli(
        [
          'bench',
          ENCODER,
          '--precision',
          'fp32,fp16,int8',
          '--queries',
          '20',
          '--warmup',
          '1',
          '--meter',
          'none',
          '--json',
          json,
        ],
        cliEnv({}),
      );
      assertExit(run, 0);
      const document = JSON.parse(fs.readFileSync(json, 'utf8')) as RunDocument;
      const byPrecision = new Map(document.results.map((r) => [r.precision, r]));
      assert.deepEqual([...byPrecision.keys()], ['fp32', 'fp16', 'q8']);
      assert.equal(byPrecision.get('fp32')!.fidelity, undefined, 'the reference has no fidelity of its own');
      for (const precision of ['fp16', 'q8']) {
        const result = byPrecision.get(precision)!;
        const f = result.fidelity;
        assert.ok(f, `${precision} has fidelity`);
        assert.equal(f.reference, 'encoder-tiny/fp32/b1/cpu');
        assert.equal(f.relation, 'same-model');
        assert.equal(f.metric, 'top1-agreement');
        assert.equal(f.threshold, 0.99);
        assert.equal(f.queries, 20, 'the suite has 20 queries, fewer than the default 100');
        assert.equal(f.inputs, 'bundled:text');
        assert.ok(f.value >= 0 && f.value <= 1, `${precision}: agreement ${f.value}`);
        assert.equal(f.pass, f.value >= 0.99);
        const delta = f.figures.find((x) => x.metric === 'max-abs-logit-delta');
        assert.ok(
          delta && delta.value > 0,
          `${precision}: a lower precision changes the logits (${delta?.value})`,
        );
        // fp16 rounds each value to 11 significant bits: the logits move by far less than 1.
        if (precision === 'fp16') assert.ok(delta.value < 0.1, `fp16 delta ${delta.value}`);
        assert.ok(!result.warnings.some((w) => w.startsWith('fidelity')), result.warnings.join('; '));
      }

      const gate = await cli(['check', json, '--require-fidelity', '--min-agreement', '0'], cliEnv({}));
      assertExit(gate, 0);
      assert.match(
        gate.stdout,
        /pass {2}encoder-tiny\/fp16\/b1\/cpu: top1-agreement of logits \S+ meets --min-agreement 0 \(against encoder-tiny\/fp32\/b1\/cpu on 20 queries\)/,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('bad fidelity flags are usage errors', async () => {
    const bad = await cli(['bench', ENCODER, '--min-agreement', '1.5'], cliEnv({}));
    assertExit(bad, 2);
    assert.match(bad.stderr, /--min-agreement '1.5' is not a number from 0 to 1/);
    const unknown = await cli(
      ['bench', ENCODER, '--queries', '2', '--meter', 'none', '--reference', 'nosuch'],
      cliEnv({}),
    );
    assertExit(unknown, 2);
    assert.match(unknown.stderr, /--reference nosuch: no model named 'nosuch' in this run/);
  });
});
