import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { EnergyScoreError } from '../src/errors.js';
import {
  discoverModel,
  isFp32FileName,
  parsePrecision,
  parseVariantFileName,
  PRECISIONS,
  selectVariants,
  type ModelSource,
} from '../src/model/variants.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function isUsageError(pattern: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof EnergyScoreError, `EnergyScoreError, got ${String(err)}`);
    assert.equal(err.kind, 'usage');
    assert.match(err.message, pattern);
    return true;
  };
}

describe('parseVariantFileName', () => {
  test('isFp32FileName: an .onnx without a precision suffix', () => {
    for (const f of ['model.onnx', 'decoder_model_merged.onnx', 'encoder_model.onnx'])
      assert.equal(isFp32FileName(f), true, f);
    for (const f of [
      'model_fp16.onnx',
      'model_quantized.onnx',
      'model_q4f16.onnx',
      'decoder_model_int8.onnx',
      'tokenizer.json',
    ])
      assert.equal(isFp32FileName(f), false, f);
  });

  test('every suffix', () => {
    const cases: [string, string, string][] = [
      ['model.onnx', 'model', 'fp32'],
      ['model_fp16.onnx', 'model', 'fp16'],
      ['model_quantized.onnx', 'model', 'q8'],
      ['model_int8.onnx', 'model', 'int8'],
      ['model_uint8.onnx', 'model', 'uint8'],
      ['model_q4.onnx', 'model', 'q4'],
      ['model_q4f16.onnx', 'model', 'q4f16'],
      ['model_bnb4.onnx', 'model', 'bnb4'],
      ['decoder_model_merged_fp16.onnx', 'decoder_model_merged', 'fp16'],
      ['decoder_model_merged.onnx', 'decoder_model_merged', 'fp32'],
      ['encoder_model_q4f16.onnx', 'encoder_model', 'q4f16'],
    ];
    for (const [file, base, precision] of cases) {
      assert.deepEqual(parseVariantFileName(file), { base, precision }, file);
    }
  });

  test('a bare suffix is a base name, not a precision', () => {
    assert.deepEqual(parseVariantFileName('_fp16.onnx'), { base: '_fp16', precision: 'fp32' });
  });

  test('non-.onnx names are not variants', () => {
    for (const file of [
      'model.onnx_data',
      'model.onnx.data',
      'model.bin',
      'model',
      'config.json',
      'model.ONNX',
    ]) {
      assert.equal(parseVariantFileName(file), undefined, file);
    }
  });
});

describe('parsePrecision', () => {
  test('every precision parses to itself', () => {
    for (const p of PRECISIONS) assert.equal(parsePrecision(p), p);
  });

  test('aliases, case and spaces', () => {
    assert.equal(parsePrecision('float32'), 'fp32');
    assert.equal(parsePrecision('float16'), 'fp16');
    assert.equal(parsePrecision('quantized'), 'q8');
    assert.equal(parsePrecision(' FP16 '), 'fp16');
    assert.equal(parsePrecision('Quantized'), 'q8');
  });

  test('unknown → usage error naming it and listing the choices', () => {
    for (const text of ['fp8', 'int4', '', 'constructor', 'toString', '__proto__']) {
      assert.throws(
        () => parsePrecision(text),
        (err: unknown) => {
          isUsageError(/unknown precision/)(err);
          assert.ok((err as EnergyScoreError).message.includes(`'${text}'`));
          assert.match((err as EnergyScoreError).hint ?? '', /fp32, fp16, q8, int8, uint8, q4, q4f16, bnb4/);
          return true;
        },
        text,
      );
    }
  });
});

describe('discoverModel', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-variants-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  let counter = 0;

  /** A fresh directory holding placeholder files (discovery looks only at names). */
  function dirWith(files: string[]): string {
    const dir = path.join(tmp, `case-${counter++}`);
    fs.mkdirSync(dir);
    for (const file of files) {
      const target = path.join(dir, ...file.split('/'));
      fs.mkdirSync(path.dirname(target), { recursive: true });
      fs.writeFileSync(target, 'placeholder');
    }
    return dir;
  }

  test('files at the top level, in precision order, ignoring other files', async () => {
    const dir = dirWith([
      'model_quantized.onnx',
      'model.onnx',
      'model_fp16.onnx',
      'config.json',
      'model.onnx_data',
      'model_q4f16.onnx',
    ]);
    const source = await discoverModel(dir);
    assert.equal(source.name, path.basename(dir));
    assert.equal(source.argument, dir);
    assert.deepEqual(source.variants, [
      { precision: 'fp32', path: path.join(dir, 'model.onnx') },
      { precision: 'fp16', path: path.join(dir, 'model_fp16.onnx') },
      { precision: 'q8', path: path.join(dir, 'model_quantized.onnx') },
      { precision: 'q4f16', path: path.join(dir, 'model_q4f16.onnx') },
    ]);
  });

  test('files under onnx/', async () => {
    const dir = dirWith(['config.json', 'onnx/model.onnx', 'onnx/model_int8.onnx', 'onnx/model_bnb4.onnx']);
    const source = await discoverModel(dir);
    assert.deepEqual(source.variants, [
      { precision: 'fp32', path: path.join(dir, 'onnx', 'model.onnx') },
      { precision: 'int8', path: path.join(dir, 'onnx', 'model_int8.onnx') },
      { precision: 'bnb4', path: path.join(dir, 'onnx', 'model_bnb4.onnx') },
    ]);
  });

  test('the top level wins over onnx/ for the same precision; onnx/ fills the rest', async () => {
    const dir = dirWith(['model.onnx', 'onnx/model.onnx', 'onnx/model_fp16.onnx']);
    const source = await discoverModel(dir);
    assert.deepEqual(source.variants, [
      { precision: 'fp32', path: path.join(dir, 'model.onnx') },
      { precision: 'fp16', path: path.join(dir, 'onnx', 'model_fp16.onnx') },
    ]);
  });

  test('several bases with model among them: model is chosen', async () => {
    const dir = dirWith([
      'onnx/model.onnx',
      'onnx/model_fp16.onnx',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged_fp16.onnx',
      'onnx/encoder_model.onnx',
    ]);
    const source = await discoverModel(dir);
    assert.deepEqual(
      source.variants.map((v) => [v.precision, path.basename(v.path)]),
      [
        ['fp32', 'model.onnx'],
        ['fp16', 'model_fp16.onnx'],
      ],
    );
  });

  test('one base that is not model is used', async () => {
    const dir = dirWith(['onnx/decoder_model_merged.onnx', 'onnx/decoder_model_merged_q4.onnx']);
    const source = await discoverModel(dir);
    assert.deepEqual(
      source.variants.map((v) => [v.precision, path.basename(v.path)]),
      [
        ['fp32', 'decoder_model_merged.onnx'],
        ['q4', 'decoder_model_merged_q4.onnx'],
      ],
    );
  });

  test('several bases without model → usage error listing them', async () => {
    const dir = dirWith([
      'onnx/encoder_model.onnx',
      'onnx/decoder_model_merged.onnx',
      'onnx/decoder_model_merged_fp16.onnx',
    ]);
    await assert.rejects(
      discoverModel(dir),
      isUsageError(/holds several models \(decoder_model_merged, encoder_model\)/),
    );
  });

  test('an empty directory (or one without .onnx files) → usage error', async () => {
    await assert.rejects(discoverModel(dirWith([])), isUsageError(/no \.onnx model in/));
    await assert.rejects(
      discoverModel(dirWith(['config.json', 'onnx/tokenizer.json'])),
      isUsageError(/looked in it and in its onnx\/ folder/),
    );
  });

  test('a single file argument', async () => {
    const dir = dirWith(['model_fp16.onnx', 'model.onnx']);
    const file = path.join(dir, 'model_fp16.onnx');
    // Hugging Face's model*.onnx names say nothing, so the folder names the model.
    assert.deepEqual(await discoverModel(file), {
      name: path.basename(dir),
      argument: file,
      variants: [{ precision: 'fp16', path: file }],
    });
    // A file of another name is taken as fp32 whatever its extension.
    const other = path.join(dirWith(['weights.bin']), 'weights.bin');
    assert.deepEqual(await discoverModel(other), {
      name: 'weights.bin',
      argument: other,
      variants: [{ precision: 'fp32', path: other }],
    });
  });

  test('a model file under onnx/ is named after the folder above it', async () => {
    const dir = dirWith(['onnx/model_quantized.onnx', 'custom_name.onnx']);
    const nested = await discoverModel(path.join(dir, 'onnx', 'model_quantized.onnx'));
    assert.equal(nested.name, path.basename(dir));
    assert.equal(nested.variants[0]!.precision, 'q8');
    assert.equal((await discoverModel(path.join(dir, 'custom_name.onnx'))).name, 'custom_name');
  });

  test('a committed zoo directory', async () => {
    const dir = path.join(repoRoot, 'fixtures', 'zoo', 'encoder-tiny');
    const source = await discoverModel(dir);
    assert.equal(source.name, 'encoder-tiny');
    assert.deepEqual(
      source.variants.map((v) => v.precision),
      ['fp32', 'fp16', 'q8'],
    );
  });

  test('a missing path → usage error', async () => {
    await assert.rejects(discoverModel(path.join(tmp, 'does-not-exist')), isUsageError(/model not found/));
  });
});

describe('selectVariants', () => {
  const source: ModelSource = {
    name: 'demo',
    argument: 'demo',
    variants: [
      { precision: 'fp32', path: 'demo/model.onnx' },
      { precision: 'fp16', path: 'demo/model_fp16.onnx' },
      { precision: 'q8', path: 'demo/model_quantized.onnx' },
    ],
  };

  test('none requested → all', () => {
    assert.deepEqual(selectVariants(source, undefined), { selected: source.variants, missing: [] });
    assert.deepEqual(selectVariants(source, []), { selected: source.variants, missing: [] });
  });

  test('a requested subset, in the order given', () => {
    assert.deepEqual(selectVariants(source, ['q8', 'fp32']), {
      selected: [source.variants[2], source.variants[0]],
      missing: [],
    });
  });

  test('int8 falls back to the _quantized file, once', () => {
    assert.deepEqual(selectVariants(source, ['int8']), { selected: [source.variants[2]], missing: [] });
    assert.deepEqual(selectVariants(source, ['q8', 'int8']), { selected: [source.variants[2]], missing: [] });
  });

  test('int8 prefers a real _int8 file', () => {
    const withInt8: ModelSource = {
      ...source,
      variants: [...source.variants, { precision: 'int8', path: 'demo/model_int8.onnx' }],
    };
    assert.deepEqual(selectVariants(withInt8, ['int8']).selected, [withInt8.variants[3]]);
  });

  test('a missing precision is reported with a reason naming what was found', () => {
    const { selected, missing } = selectVariants(source, ['q4', 'fp16', 'uint8']);
    assert.deepEqual(selected, [source.variants[1]]);
    assert.deepEqual(missing, [
      { precision: 'q4', reason: 'demo has no q4 variant (model_q4.onnx); found: fp32, fp16, q8' },
      { precision: 'uint8', reason: 'demo has no uint8 variant (model_uint8.onnx); found: fp32, fp16, q8' },
    ]);
  });

  test('int8 without q8 or int8 is missing', () => {
    const fp32Only: ModelSource = { ...source, variants: [source.variants[0]!] };
    assert.deepEqual(selectVariants(fp32Only, ['int8']), {
      selected: [],
      missing: [{ precision: 'int8', reason: 'demo has no int8 variant (model_int8.onnx); found: fp32' }],
    });
  });
});
