import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';

import { decodeImage, MAX_IMAGE_PIXELS, type RgbImage } from '../src/inputs/image-decode.js';
import {
  centerCrop,
  defaultImageConfig,
  outputSize,
  parseImageConfig,
  preprocessImage,
  resampleCoefficients,
  resize,
} from '../src/inputs/image-preprocess.js';
import { imageQueries } from '../src/inputs/image-queries.js';
import { prepareData } from '../src/inputs/prepare.js';
import { inspectModel } from '../src/model/inspect.js';
import { planInputs } from '../src/workload/input-plan.js';
import { parseOverrides } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';
import { EnergyScoreError } from '../src/errors.js';
import { REPO_ROOT } from './helpers/cli.js';
import { GraphBuilder } from '../fixtures/onnx-builder.js';
import { encodeModel, TensorDataType } from '../src/model/onnx-proto.js';

const usage = (pattern: RegExp) => (err: unknown) =>
  err instanceof EnergyScoreError && err.exitCode === 2 && pattern.test(err.message);

function png(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number, number],
): Buffer {
  const image = new PNG({ width, height });
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b, a] = pixel(x, y);
      image.data.set([r, g, b, a], (y * width + x) * 4);
    }
  }
  return PNG.sync.write(image);
}

const rgb = (width: number, height: number, values: number[]): RgbImage => ({
  width,
  height,
  data: Uint8Array.from(values),
});
const grey = (values: number[]) =>
  rgb(
    values.length,
    1,
    values.flatMap((v) => [v, v, v]),
  );
const red = (image: RgbImage) => Array.from(image.data.filter((_, i) => i % 3 === 0));

describe('decoding images', () => {
  test('PNG and JPEG to RGB; transparency over white, as transformers converts to RGB', () => {
    const image = decodeImage(
      png(2, 1, (x) => (x === 0 ? [10, 20, 30, 255] : [0, 0, 0, 0])),
      'a.png',
    );
    assert.deepEqual([image.width, image.height, ...image.data], [2, 1, 10, 20, 30, 255, 255, 255]);
    const data = Buffer.alloc(16 * 8 * 4, 200);
    const jpg = jpeg.encode({ width: 16, height: 8, data }, 100).data;
    const decoded = decodeImage(jpg, 'a.jpg');
    assert.deepEqual([decoded.width, decoded.height], [16, 8]);
    assert.ok(
      decoded.data.every((v) => Math.abs(v - 200) <= 2),
      'a flat JPEG stays flat',
    );
  });

  test('1×1 and 10,000×2 px images decode; a header of 10,000×10,000 px is refused before decoding', () => {
    assert.deepEqual(
      [
        ...decodeImage(
          png(1, 1, () => [1, 2, 3, 255]),
          'one.png',
        ).data,
      ],
      [1, 2, 3],
    );
    assert.equal(
      decodeImage(
        png(10_000, 2, () => [0, 0, 0, 255]),
        'wide.png',
      ).width,
      10_000,
    );
    // Only the header: a real 100 MP PNG would be decoded if the size were not checked first.
    const header = Buffer.from(png(1, 1, () => [0, 0, 0, 255]));
    header.writeUInt32BE(10_000, 16);
    header.writeUInt32BE(10_000, 20);
    assert.throws(
      () => decodeImage(header, 'huge.png'),
      usage(new RegExp(`^huge.png is 10000×10000 px, more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels`)),
    );
  });

  test('a file that is not an image, or a broken one, is a usage error naming it', () => {
    assert.throws(
      () => decodeImage(Buffer.from('hello'), 'x.png'),
      usage(/^x.png is not a PNG or JPEG image/),
    );
    const cut = png(8, 8, () => [1, 1, 1, 255]).subarray(0, 40);
    assert.throws(() => decodeImage(cut, 'cut.png'), usage(/^cut.png is not a readable PNG image/));
    assert.throws(
      () => decodeImage(Buffer.from([0xff, 0xd8, 0xff, 0xd9]), 'e.jpg'),
      usage(/^e.jpg is not a readable JPEG image/),
    );
  });
});

describe('resizing as PIL does', () => {
  test('bilinear upscaling of [0, 255] to 4 px: [0, 64, 191, 255]', () => {
    assert.deepEqual(red(resize(grey([0, 255]), 4, 1, 2)), [0, 64, 191, 255]);
  });

  test('downscaling widens the filter (antialiasing): 4 px to 2 by bilinear weighs 3/7, 3/7, 1/7', () => {
    const coefficients = resampleCoefficients(4, 2, {
      support: 1,
      weight: (x) => Math.max(0, 1 - Math.abs(x)),
    });
    assert.deepEqual(coefficients, [
      { start: 0, weights: [3 / 7, 3 / 7, 1 / 7] },
      { start: 1, weights: [1 / 7, 3 / 7, 3 / 7] },
    ]);
    // (0·3 + 70·3 + 140) / 7 = 50 and (70 + 140·3 + 210·3) / 7 = 160
    assert.deepEqual(red(resize(grey([0, 70, 140, 210]), 2, 1, 2)), [50, 160]);
  });

  test('nearest picks the pixel under each output centre; bicubic keeps a flat image flat', () => {
    assert.deepEqual(red(resize(grey([10, 20, 30, 40]), 2, 1, 0)), [20, 40]);
    assert.deepEqual(red(resize(grey([90, 90, 90]), 7, 1, 3)), [90, 90, 90, 90, 90, 90, 90]);
  });

  test('centre crop takes the middle, padding with zeros where the image is smaller', () => {
    assert.deepEqual(red(centerCrop(grey([1, 2, 3, 4, 5]), 1, 3)), [2, 3, 4]);
    assert.deepEqual(red(centerCrop(grey([7]), 1, 3)), [0, 7, 0]);
  });
});

describe('preprocessor_config.json', () => {
  test('ViT: resize to the size, rescale, normalize; CHW, or HWC, or grey', () => {
    const config = parseImageConfig(
      { size: { height: 1, width: 2 }, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.25, 0.5] },
      'p.json',
    );
    const image = rgb(2, 1, [255, 0, 51, 0, 255, 102]);
    const chw = preprocessImage(image, config, 3, 'chw');
    assert.deepEqual(Array.from(chw), [1, -1, -2, 2, -0.6, -0.2].map(Math.fround));
    const hwc = preprocessImage(image, config, 3, 'hwc');
    assert.deepEqual(Array.from(hwc), [1, -2, -0.6, -1, 2, -0.2].map(Math.fround));
    const l = preprocessImage(
      rgb(1, 1, [255, 255, 255]),
      { ...config, size: { height: 1, width: 1 } },
      1,
      'chw',
    );
    assert.deepEqual(Array.from(l), [1]);
  });

  test('CLIP: the shortest edge, then a centre crop; ConvNeXT: shortest edge / crop_pct, then crop', () => {
    const clip = parseImageConfig(
      { size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, do_center_crop: true },
      'p.json',
    );
    assert.deepEqual(outputSize(clip, 300, 451), { height: 224, width: 224 });
    const noCrop = parseImageConfig({ size: { shortest_edge: 224 }, do_center_crop: false }, 'p.json');
    assert.deepEqual(outputSize(noCrop, 300, 451), { height: 224, width: 336 });
    const convnext = parseImageConfig({ size: { shortest_edge: 224 }, crop_pct: 0.875 }, 'p.json');
    assert.deepEqual(outputSize(convnext, 300, 451), { height: 224, width: 224 });
  });

  test('a field of the wrong type is a usage error naming the file and the field', () => {
    assert.throws(
      () => parseImageConfig({ size: 'big' }, '/m/preprocessor_config.json'),
      usage(/^\/m\/preprocessor_config.json: "size" is "big", not a size/),
    );
    assert.throws(
      () => parseImageConfig({ image_std: [0, 1, 1] }, 'p.json'),
      usage(/"image_std" .* not numbers other than 0/),
    );
    assert.throws(
      () => parseImageConfig({ do_resize: 'yes' }, 'p.json'),
      usage(/"do_resize" is "yes", not true or false/),
    );
  });
});

describe('image queries', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-img-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const CNN = path.join(REPO_ROOT, 'fixtures', 'zoo', 'cnn-small', 'model.onnx');
  const request = async (modelPath: string, choice: Parameters<typeof prepareData>[0]['choice']) => {
    const model = await inspectModel(modelPath);
    const task = getTask('image-classification');
    return { choice, model, plan: planInputs(model, task, parseOverrides({})), task, queries: 10, seed: 0 };
  };

  test('the image zoo model takes the bundled images through its preprocessor_config.json', async () => {
    const data = await prepareData(await request(CNN, { kind: 'default' }));
    assert.equal(data.info.source, 'bundled:images');
    assert.equal(data.info.preprocessing, path.join(path.dirname(CNN), 'preprocessor_config.json'));
    assert.equal(data.info.queries, 8);
    const rows = data.sizes!.map((s) => s.row!.values.pixel_values!.data);
    assert.equal(rows.length, 10);
    assert.equal(rows[0]!.length, 3 * 224 * 224);
    assert.equal(rows[8], rows[0], 'queries on one image share its row');
    assert.ok(
      Array.from(rows[0]!).every((v) => v >= -1 && v <= 1),
      'ViT normalization: (x / 255 - 0.5) / 0.5',
    );
  });

  test('--data DIR of images: 1×1 and 10,000×2 px images are resized to the input', async () => {
    const dir = path.join(tmp, 'imgs');
    fs.mkdirSync(dir);
    fs.writeFileSync(
      path.join(dir, 'a.png'),
      png(1, 1, () => [255, 255, 255, 255]),
    );
    fs.writeFileSync(
      path.join(dir, 'b.png'),
      png(10_000, 2, (x) => [x % 256, 0, 0, 255]),
    );
    const data = await prepareData(await request(CNN, { kind: 'path', path: dir }));
    assert.equal(data.info.source, `file:${dir}`);
    assert.equal(data.info.queries, 2);
    const first = data.sizes![0]!.row!.values.pixel_values!.data;
    assert.ok(
      Array.from(first).every((v) => v === 1),
      'a white pixel is 1 everywhere',
    );
  });

  test('an image the preprocessor does not bring to the input size is refused, naming both', async () => {
    const model = await inspectModel(CNN);
    const plan = planInputs(model, getTask('image-classification'), parseOverrides({}));
    const dir = path.join(tmp, 'm');
    fs.mkdirSync(dir);
    fs.copyFileSync(CNN, path.join(dir, 'model.onnx'));
    fs.writeFileSync(
      path.join(dir, 'preprocessor_config.json'),
      JSON.stringify({ size: { height: 384, width: 384 } }),
    );
    await assert.rejects(
      imageQueries(
        path.join(dir, 'model.onnx'),
        plan.inputs[0]!,
        [{ name: 'a.png', bytes: png(4, 4, () => [0, 0, 0, 255]) }],
        1,
      ),
      usage(/preprocessor_config.json makes a.png 384×384 px, but 'pixel_values' takes 224×224/),
    );
    // The bundled default falls back to synthetic inputs and says why.
    const fallback = await prepareData(await request(path.join(dir, 'model.onnx'), { kind: 'default' }));
    assert.equal(fallback.info.source, 'synthetic');
    assert.match(fallback.info.note ?? '', /the bundled images do not fit this model .*384×384/);
    fs.writeFileSync(path.join(dir, 'preprocessor_config.json'), '{"size": ');
    await assert.rejects(
      prepareData(await request(path.join(dir, 'model.onnx'), { kind: 'default' })),
      usage(/preprocessor_config.json is not valid JSON/),
    );
  });

  test('a broken image in a --data folder is a usage error naming it', async () => {
    const dir = path.join(tmp, 'broken');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.jpg'), 'not a jpeg');
    await assert.rejects(
      prepareData(await request(CNN, { kind: 'path', path: dir })),
      usage(/x.jpg is not a PNG or JPEG image/),
    );
  });

  test('without a preprocessor_config.json: resized to the input and scaled to 0-1', () => {
    const config = defaultImageConfig(2, 2);
    assert.deepEqual(
      Array.from(preprocessImage(rgb(1, 1, [255, 0, 51]), config, 3, 'chw')),
      [1, 1, 1, 1, 0, 0, 0, 0, 0.2, 0.2, 0.2, 0.2].map(Math.fround),
    );
  });

  test('a Hugging Face export’s dynamic [batch_size, num_channels, height, width] takes RGB images at 224 px', async () => {
    const g = new GraphBuilder('dynamic_image');
    const x = g.input('pixel_values', TensorDataType.FLOAT, [
      'batch_size',
      'num_channels',
      'height',
      'width',
    ]);
    g.op('ReduceMean', [x], [], { outputs: ['logits'] });
    g.output('logits', TensorDataType.FLOAT, [1, 1, 1, 1]);
    const file = path.join(tmp, 'dynamic.onnx');
    fs.writeFileSync(file, encodeModel(g.toModel('A model whose image dims are all dynamic.')));
    const req = await request(file, { kind: 'default' });
    assert.deepEqual(req.plan.dimsUsed, { batch_size: '<batch>', num_channels: 3, height: 224, width: 224 });
    const data = await prepareData(req);
    assert.equal(data.info.source, 'bundled:images');
    assert.equal(data.sizes![0]!.row!.values.pixel_values!.data.length, 3 * 224 * 224);
  });
});
