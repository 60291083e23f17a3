/**
 * `energy-score label`: the SVG (snapshots, escaping, wrapping, each energy and rating case), the
 * PNG rendered from it (size, and ink where text and stars should be), and the command.
 *
 * Snapshots are test/fixtures/label/*.svg, compared byte for byte. After an intended change to
 * the drawing, rewrite them with UPDATE_SNAPSHOTS=1 node --test dist/test/label.test.js and
 * look at the difference before committing it.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inflateSync } from 'node:zlib';

import { Resvg } from '@resvg/resvg-js';

import { EnergyScoreError } from '../src/errors.js';
import { labelPng } from '../src/label/png.js';
import { selectConfig } from '../src/label/select.js';
import { LABEL_HEIGHT_PX, LABEL_WIDTH_PX, labelSvg, ratedNote, unratedNote } from '../src/label/svg.js';
import { escapeXml, textWidthPx, truncate, wrap } from '../src/label/text.js';
import type { GpuInventoryEntry } from '../src/devices/gpu-inventory.js';
import {
  ENERGY_NOT_MEASURED,
  type ConfigResult,
  type EnergyMeasured,
  type RatingRated,
  type RunDocument,
} from '../src/result/schema.js';
import { assertExit, cli, cliEnv, REPO_ROOT } from './helpers/cli.js';
import { gpuEntry } from './helpers/documents.js';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'results', 'encoder-tiny-cpu.json');
const SNAPSHOTS = path.join(REPO_ROOT, 'test', 'fixtures', 'label');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-label-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A fresh copy of the recorded run: six CPU configurations, energy estimated, all unrated. */
function fixture(): RunDocument {
  return JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as RunDocument;
}

const h100 = (index: number): GpuInventoryEntry => gpuEntry(index);

function rating(stars: RatingRated['stars'], cohort: Partial<RatingRated['cohort']> = {}): RatingRated {
  return {
    status: 'rated',
    stars,
    band: (5 - stars) as RatingRated['band'],
    scale: 'aies',
    clamped: null,
    singleton: false,
    energyKwhPer1k: 0.0000612,
    energyStatus: 'measured',
    cohort: {
      kind: 'reference',
      source: 'AI Energy Score v1 leaderboard (February 2025)',
      task: 'text-classification',
      hardware: 'NVIDIA H100 80GB HBM3',
      sizeClass: null,
      size: 13,
      rangeKwhPer1k: [0.00002, 0.0001],
      ...cohort,
    },
  };
}

/** The fixture's first configuration, moved to an H100 with measured GPU energy and 3 stars. */
function ratedGpu(): { document: RunDocument; result: ConfigResult } {
  const document = fixture();
  document.environment.gpus = [h100(0), h100(1)];
  const result = document.results[0]!;
  const estimated = result.energy as EnergyMeasured;
  result.id = 'distilbert/distilbert-base-uncased/fp16/b1/cuda';
  result.model.name = 'distilbert/distilbert-base-uncased';
  result.device = 'cuda';
  result.precision = 'fp16';
  result.energy = {
    ...estimated,
    status: 'measured',
    basis: { domains: ['gpu'], figure: 'gross' },
    whPer1k: 0.0612,
    perQueryJ: 0.0612 * 3.6,
    domains: {
      gpu: {
        meter: 'nvml',
        method: 'counter',
        devices: ['gpu1'],
        perQueryJ: 0.22,
        netPerQueryJ: 0.2,
        avgPowerW: 180,
        peakPowerW: 210,
        idlePowerW: 70,
      },
    },
  };
  result.rating = rating(3);
  return { document, result };
}

function notMeasured(): { document: RunDocument; result: ConfigResult } {
  const document = fixture();
  const result = document.results[0]!;
  result.energy = ENERGY_NOT_MEASURED;
  return { document, result };
}

function withName(name: string): { document: RunDocument; result: ConfigResult } {
  const document = fixture();
  const result = document.results[0]!;
  result.model.name = name;
  return { document, result };
}

function assertSnapshot(name: string, actual: string): void {
  const file = path.join(SNAPSHOTS, name);
  if (process.env.UPDATE_SNAPSHOTS === '1') {
    fs.mkdirSync(SNAPSHOTS, { recursive: true });
    fs.writeFileSync(file, actual);
    return;
  }
  const expected = fs.readFileSync(file, 'utf8');
  assert.equal(actual, expected, `${name} differs (if intended: UPDATE_SNAPSHOTS=1, then review the diff)`);
}

/** The <text> elements' contents, unescaped markup left as it is. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
}

/** Parses with resvg's strict XML reader: throws on markup that is not well formed. */
function assertWellFormed(svg: string): void {
  assert.ok(new Resvg(svg, { font: { loadSystemFonts: false } }).width === LABEL_WIDTH_PX);
}

describe('label SVG', () => {
  test('estimated, unrated (the recorded run, best configuration): snapshot', () => {
    const document = fixture();
    const svg = labelSvg(document, selectConfig(document, 'run.json'));
    assertSnapshot('estimated-unrated.svg', svg);
    assertWellFormed(svg);
  });

  test('measured on a GPU, rated 3 stars on the reference: snapshot', () => {
    const { document, result } = ratedGpu();
    const svg = labelSvg(document, result);
    assertSnapshot('rated-gpu.svg', svg);
    assertWellFormed(svg);
  });

  test('energy not measured: snapshot', () => {
    const { document, result } = notMeasured();
    const svg = labelSvg(document, result);
    assertSnapshot('not-measured.svg', svg);
    assertWellFormed(svg);
  });

  test('is 260×364 px, and scale multiplies only the size attributes', () => {
    const { document, result } = ratedGpu();
    assert.match(labelSvg(document, result), /^<svg [^>]*width="260" height="364" viewBox="0 0 260 364"/);
    assert.match(
      labelSvg(document, result, { scale: 2 }),
      /^<svg [^>]*width="520" height="728" viewBox="0 0 260 364"/,
    );
  });

  test('shows model, variant, date, task, hardware (the GPU metered) and energy', () => {
    const { document, result } = ratedGpu();
    const t = texts(labelSvg(document, result));
    assert.deepEqual(t.slice(0, 12), [
      'energy-score',
      'Model',
      'distilbert/',
      'distilbert-base-uncased',
      'fp16 · batch 1 · cuda',
      'Scored',
      '2026-11-26',
      'Task',
      'text-classification',
      'Hardware',
      'NVIDIA H100 80GB',
      'HBM3',
    ]);
    assert.deepEqual(t.slice(12), [
      'Inference energy',
      'per 1k queries',
      '0.0612 Wh',
      'measured',
      'Energy Score',
      'Rated on the aies scale · AI Energy Score',
      'v1 leaderboard (February 2025), 13',
      'models',
      'AI Energy Score-style label · not official',
    ]);
  });

  test('earned stars are green, the rest grey; unrated shows five grey stars', () => {
    const stars = (svg: string) => [...svg.matchAll(/<polygon [^>]*fill="(#[0-9a-f]+)"/g)].map((m) => m[1]);
    const { document, result } = ratedGpu();
    // The first green star is the header's.
    assert.deepEqual(stars(labelSvg(document, result)), [
      '#3aa35b',
      ...Array(3).fill('#3aa35b'),
      ...Array(2).fill('#d9d9d9'),
    ]);
    const doc = fixture();
    assert.deepEqual(stars(labelSvg(doc, doc.results[0]!)), ['#3aa35b', ...Array(5).fill('#d9d9d9')]);
  });

  test('markup, quotes and formula characters in a name are escaped', () => {
    const { document, result } = withName(`a<b>&"c"'d' =1+2`);
    const svg = labelSvg(document, result);
    assert.ok(
      svg.includes(
        '<text x="16" y="81" font-size="16" font-weight="700">a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos; =1+2</text>',
      ),
    );
    assert.ok(svg.includes('<title>Energy label for a&lt;b&gt;&amp;&quot;c&quot;&apos;d&apos; =1+2 ('));
    assertWellFormed(svg);
  });

  test('a script tag in a name stays text, and control characters become U+FFFD', () => {
    const { document, result } = withName('<script>x</script>\u0001\uD800');
    const svg = labelSvg(document, result);
    assert.ok(!svg.includes('<script'));
    assert.equal(texts(svg)[2], '&lt;script&gt;x&lt;/script&gt;\uFFFD\uFFFD');
    assertWellFormed(svg);
  });

  test('a long name wraps after its slash, and its second line ends in an ellipsis', () => {
    const { document, result } = withName(
      'distilbert/distilbert-base-multilingual-cased-finetuned-on-a-very-long-corpus',
    );
    const t = texts(labelSvg(document, result));
    assert.deepEqual(t.slice(2, 5), ['distilbert/', 'distilbert-base-multili…', 'fp32 · batch 1 · cpu']);
  });

  test('a name with nowhere to break is split between characters', () => {
    const { document, result } = withName('x'.repeat(60));
    const t = texts(labelSvg(document, result));
    // Bold 16 px 'x' is estimated at 11.26 px: 20 fit in 228 px, and 18 before the ellipsis.
    assert.deepEqual(t.slice(2, 4), ['x'.repeat(20), `${'x'.repeat(18)}…`]);
  });

  test('estimated energy says "estimated" under the figure', () => {
    const document = fixture();
    const svg = labelSvg(document, document.results[0]!);
    assert.ok(
      svg.includes(
        '<text x="244" y="224" font-size="14" font-weight="500" text-anchor="end">0.00146 Wh</text>\n<text x="244" y="238" font-size="10" font-weight="700" text-anchor="end" fill="#a84e00">estimated</text>',
      ),
    );
  });

  test('energy not measured: no figure, and the note says why', () => {
    const { document, result } = notMeasured();
    const t = texts(labelSvg(document, result));
    assert.deepEqual(t.slice(12, 14), ['per 1k queries', 'not measured']);
    assert.deepEqual(t.slice(15, 18), [
      'Unrated: energy not measured (--meter',
      'none: no energy meter was used); ratings',
      'need measured energy and a cohort',
    ]);
    assert.ok(!t.some((line) => line.endsWith(' Wh')));
    assert.equal(
      unratedNote(result),
      'Unrated: energy not measured (--meter none: no energy meter was used); ratings need measured energy and a cohort',
    );
  });

  test('unrated: the note gives the first sentence of the reason', () => {
    const document = fixture();
    const result = document.results[0]!;
    result.rating = {
      status: 'unrated',
      reason: 'no cohort for text-classification on cpu: none given. Rate with --cohort FILE.',
      stars: null,
      scale: null,
    };
    assert.equal(unratedNote(result), 'Unrated: no cohort for text-classification on cpu: none given');
  });

  test('the rating note names the scale and cohort, and flags clamped, singleton and estimated', () => {
    assert.equal(
      ratedNote(rating(3)),
      'Rated on the aies scale · AI Energy Score v1 leaderboard (February 2025), 13 models',
    );
    assert.equal(
      ratedNote({ ...rating(5, { kind: 'within-run', source: 'this run', size: 9 }), clamped: 'below' }),
      'Rated on the aies scale · within this run, 9 configurations · below the cohort’s range',
    );
    assert.equal(
      ratedNote({
        ...rating(5, { kind: 'user', source: 'cohort.json', size: 1 }),
        singleton: true,
        energyStatus: 'estimated',
      }),
      'Rated on the aies scale · cohort.json, 1 entry · the only entry in its cohort · rated on estimated energy',
    );
    assert.equal(
      ratedNote({ ...rating(1, { size: 4 }), clamped: 'above', scale: 'log' }),
      'Rated on the log scale · AI Energy Score v1 leaderboard (February 2025), 4 models · above the cohort’s range',
    );
  });
});

describe('label text fitting', () => {
  test('width estimate: classes per character, bold 1.1 times', () => {
    const close = (actual: number, expected: number) =>
      assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}`);
    close(textWidthPx('il', { sizePx: 10 }), 6.4);
    close(textWidthPx('ab', { sizePx: 10 }), 12.8);
    close(textWidthPx('09', { sizePx: 10 }), 13.2);
    close(textWidthPx('AW', { sizePx: 10 }), 18);
    close(textWidthPx('ab', { sizePx: 10, bold: true }), 14.08);
    close(textWidthPx('日本', { sizePx: 10 }), 20);
    close(textWidthPx('e\u0301', { sizePx: 10 }), 6.4);
  });

  test('truncate keeps what fits and adds an ellipsis only when it cut', () => {
    const font = { sizePx: 10 };
    assert.equal(truncate('abc', 100, font), 'abc');
    // 'abcdef' is 38.4 px; 'abc…' is 27.2 px, 'abcd…' 33.6 px.
    assert.equal(truncate('abcdef', 30, font), 'abc…');
    // 'ab c…' is 30.4 px: the cut lands after the space, which goes.
    assert.equal(truncate('ab cdef', 30, font), 'ab…');
  });

  test('wrap breaks after spaces, slashes, hyphens and underscores', () => {
    const font = { sizePx: 10 };
    assert.deepEqual(wrap('aaaa bbbb cccc', 60, font, 3), ['aaaa bbbb', 'cccc']);
    assert.deepEqual(wrap('org/model-name_v2', 50, font, 3), ['org/', 'model-', 'name_v2']);
    // 'orgorg/ab-' fits in 70 px, but a slash that fills half the line wins over a later hyphen.
    assert.deepEqual(wrap('orgorg/ab-cdefgh', 70, font, 3), ['orgorg/', 'ab-cdefgh']);
    assert.deepEqual(wrap('org/ab-cdefghijk', 70, font, 3), ['org/ab-', 'cdefghijk']);
    // The last line takes the rest: 'cccc dddd eeee' is 86.4 px, 'cccc ddd…' 56 px.
    assert.deepEqual(wrap('aaaa bbbb cccc dddd eeee', 60, font, 2), ['aaaa bbbb', 'cccc ddd…']);
    assert.deepEqual(wrap('  ', 60, font, 2), []);
  });

  test('escapeXml escapes the five markup characters and folds white space', () => {
    assert.equal(escapeXml(`<a href="x">&'\n\t y`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos; y');
  });
});

describe('label configuration choice', () => {
  test('default: most stars, then least energy; unrated and unmeasured last', () => {
    const document = fixture();
    // Estimated energy, all unrated: the least energy wins (q8 b1, 0.00130 Wh).
    assert.equal(selectConfig(document, 'run.json').id, 'encoder-tiny/q8/b1/cpu');
    document.results[3]!.rating = rating(4);
    document.results[1]!.rating = rating(4);
    // Two with 4 stars: fp32 b8 (0.00296 Wh) beats fp16 b8 (0.00355 Wh).
    assert.equal(selectConfig(document, 'run.json').id, 'encoder-tiny/fp32/b8/cpu');
    document.results[1]!.status = 'failed';
    assert.equal(selectConfig(document, 'run.json').id, 'encoder-tiny/fp16/b8/cpu');
  });

  test('a configuration whose answers did not hold is passed over, unless nothing else ran', () => {
    const document = fixture();
    const failing = (reference: string) => ({
      reference,
      relation: 'same-model' as const,
      metric: 'top1-agreement',
      value: 0.9,
      threshold: 0.99,
      pass: false,
      queries: 100,
      figures: [
        { metric: 'top1-agreement', value: 0.9, threshold: 0.99, bound: 'min' as const, pass: false },
      ],
      inputs: 'synthetic',
    });
    const q8 = document.results.find((r) => r.id === 'encoder-tiny/q8/b1/cpu')!;
    q8.fidelity = failing('encoder-tiny/fp32/b1/cpu');
    assert.notEqual(selectConfig(document, 'run.json').id, q8.id);
    for (const r of document.results) if (r !== q8) r.status = 'failed';
    assert.equal(selectConfig(document, 'run.json').id, q8.id);
  });

  test('without any measured energy the run order decides', () => {
    const document = fixture();
    for (const r of document.results) r.energy = ENERGY_NOT_MEASURED;
    assert.equal(selectConfig(document, 'run.json').id, 'encoder-tiny/fp32/b1/cpu');
  });

  test('--config picks by id; an unknown id lists the ids', () => {
    const document = fixture();
    assert.equal(
      selectConfig(document, 'run.json', 'encoder-tiny/fp16/b8/cpu').id,
      'encoder-tiny/fp16/b8/cpu',
    );
    assert.throws(
      () => selectConfig(document, 'run.json', 'nope'),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.kind === 'usage' &&
        err.message === "no configuration 'nope' in run.json" &&
        err.hint ===
          'use one of: encoder-tiny/fp32/b1/cpu, encoder-tiny/fp32/b8/cpu, encoder-tiny/fp16/b1/cpu, encoder-tiny/fp16/b8/cpu, encoder-tiny/q8/b1/cpu, encoder-tiny/q8/b8/cpu',
    );
  });

  test('no results, or none that ran to the end, is a usage error', () => {
    const document = fixture();
    document.results[2]!.status = 'skipped';
    document.results[2]!.reason = 'no fp16 kernels';
    assert.throws(
      () => selectConfig(document, 'run.json', 'encoder-tiny/fp16/b1/cpu'),
      /configuration 'encoder-tiny\/fp16\/b1\/cpu' in run.json did not run to the end \(skipped: no fp16 kernels\)/,
    );
    for (const r of document.results) r.status = 'failed';
    assert.throws(
      () => selectConfig(document, 'run.json'),
      /run.json has no configuration that ran to the end/,
    );
    document.results = [];
    assert.throws(
      () => selectConfig(document, 'run.json'),
      (err: unknown) => err instanceof EnergyScoreError && err.message === 'run.json has no results',
    );
  });
});

/** Decodes an 8-bit RGBA, non-interlaced PNG (what resvg writes): size and pixels. */
function decodePng(png: Buffer): { width: number; height: number; rgba: Buffer } {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const data = png.subarray(offset + 8, offset + 8 + length);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      assert.deepEqual([data[8], data[9], data[12]], [8, 6, 0], 'bit depth 8, RGBA, not interlaced');
    }
    if (type === 'IDAT') idat.push(data);
    offset += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  const rgba = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= 4 ? rgba[y * stride + x - 4]! : 0;
      const b = y > 0 ? rgba[(y - 1) * stride + x]! : 0;
      const c = x >= 4 && y > 0 ? rgba[(y - 1) * stride + x - 4]! : 0;
      const p = a + b - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - b);
      const pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c][filter]!;
      rgba[y * stride + x] = (line[x]! + predictor) & 0xff;
    }
  }
  return { width, height, rgba };
}

/** Pixels in [x0, x1) × [y0, y1) that `match` (r, g, b, a). */
function countPixels(
  image: ReturnType<typeof decodePng>,
  [x0, y0, x1, y1]: [number, number, number, number],
  match: (r: number, g: number, b: number, a: number) => boolean,
): number {
  let n = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * image.width + x) * 4;
      if (match(image.rgba[i]!, image.rgba[i + 1]!, image.rgba[i + 2]!, image.rgba[i + 3]!)) n++;
    }
  }
  return n;
}

const isInk = (r: number, g: number, b: number, a: number) => a > 128 && r < 160 && g < 160 && b < 160;
const isGreen = (r: number, g: number, b: number, a: number) => a > 128 && g > 130 && r < 100 && b < 120;

describe('label PNG', () => {
  test('is 260×364 and has text where the model name and rows are', async () => {
    const { document, result } = ratedGpu();
    const image = decodePng(await labelPng(labelSvg(document, result)));
    assert.deepEqual([image.width, image.height], [LABEL_WIDTH_PX, LABEL_HEIGHT_PX]);
    // Model name (two bold lines), the rows' values, and the footer's white text on dark.
    assert.ok(countPixels(image, [16, 68, 244, 104], isInk) > 300);
    assert.ok(countPixels(image, [150, 126, 244, 196], isInk) > 200);
    const isWhite = (r: number, g: number, b: number) => r > 200 && g > 200 && b > 200;
    assert.ok(countPixels(image, [40, 326, 220, 342], isWhite) > 100);
    // Outside the card's corners: transparent.
    assert.equal(image.rgba[3], 0);
  });

  test('earned stars are drawn green; an unrated label has none in its star row', async () => {
    const { document, result } = ratedGpu();
    const rated = decodePng(await labelPng(labelSvg(document, result)));
    const row: [number, number, number, number] = [140, 252, 246, 276];
    // Three of five stars: green over the left three, none over the last two.
    assert.ok(countPixels(rated, [140, 252, 205, 276], isGreen) > 200);
    assert.equal(countPixels(rated, [206, 252, 246, 276], isGreen), 0);
    const doc = fixture();
    const unrated = decodePng(await labelPng(labelSvg(doc, doc.results[0]!)));
    assert.equal(countPixels(unrated, row, isGreen), 0);
  });

  test('a long name stays inside the 16 px margins', async () => {
    for (const name of ['W'.repeat(80), 'mmmm-wwww/'.repeat(8), 'Ab '.repeat(40)]) {
      const { document, result } = withName(name);
      const image = decodePng(await labelPng(labelSvg(document, result)));
      assert.ok(countPixels(image, [16, 68, 244, 104], isInk) > 300, name);
      assert.equal(countPixels(image, [245, 66, 258, 106], isInk), 0, name);
    }
  });

  test('with no font to draw text, it fails instead of drawing a label without words', async () => {
    const { document, result } = ratedGpu();
    await assert.rejects(
      labelPng(labelSvg(document, result), { fontFiles: [], loadSystemFonts: false }),
      (err: unknown) =>
        err instanceof EnergyScoreError &&
        err.kind === 'run' &&
        err.message === 'cannot draw the label’s text: no font was found',
    );
  });
});

describe('label command', () => {
  const env = cliEnv({});
  const file = (name: string, content: string) => {
    const p = path.join(tmp, name);
    fs.writeFileSync(p, content);
    return p;
  };

  test('-o - writes the SVG to stdout and says which configuration on stderr', async () => {
    const run = await cli(['label', FIXTURE, '-o', '-'], env);
    assertExit(run, 0);
    assert.equal(run.stdout, fs.readFileSync(path.join(SNAPSHOTS, 'estimated-unrated.svg'), 'utf8'));
    assert.equal(
      run.stderr,
      'label for encoder-tiny/q8/b1/cpu (least energy of 6, none rated; --config picks another) written to stdout\n',
    );
  });

  test('a rated run: the best-rated configuration, the same SVG as labelSvg', async () => {
    const run = await cli(['label', file('rated.json', JSON.stringify(ratedGpu().document)), '-o', '-'], env);
    assertExit(run, 0);
    assert.equal(run.stdout, fs.readFileSync(path.join(SNAPSHOTS, 'rated-gpu.svg'), 'utf8'));
    assert.equal(
      run.stderr,
      'label for distilbert/distilbert-base-uncased/fp16/b1/cuda (best rated of 6; --config picks another) written to stdout\n',
    );
  });

  test('--config picks the configuration', async () => {
    const run = await cli(['label', FIXTURE, '--config', 'encoder-tiny/fp16/b8/cpu', '-o', '-'], env);
    assertExit(run, 0);
    assert.ok(run.stdout.includes('>fp16 · batch 8 · cpu</text>'));
    assert.equal(run.stderr, 'label for encoder-tiny/fp16/b8/cpu written to stdout\n');
  });

  test('an -o ending in .png writes a 260×364 PNG, atomically', async () => {
    const out = path.join(tmp, 'out.png');
    const run = await cli(['label', FIXTURE, '-o', out], env);
    assertExit(run, 0);
    assert.equal(
      run.stdout,
      `label for encoder-tiny/q8/b1/cpu (least energy of 6, none rated; --config picks another) written to ${out}\n`,
    );
    const image = decodePng(fs.readFileSync(out));
    assert.deepEqual([image.width, image.height], [260, 364]);
    assert.ok(countPixels(image, [16, 68, 244, 104], isInk) > 100);
    assert.deepEqual(
      fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  test('--png writes PNG whatever the name; without it, SVG', async () => {
    const png = path.join(tmp, 'label-file');
    assertExit(await cli(['label', FIXTURE, '--png', '-o', png], env), 0);
    assert.equal(fs.readFileSync(png).subarray(1, 4).toString('latin1'), 'PNG');
    const svg = path.join(tmp, 'label.svg');
    assertExit(await cli(['label', FIXTURE, '-o', svg], env), 0);
    assert.equal(
      fs.readFileSync(svg, 'utf8'),
      fs.readFileSync(path.join(SNAPSHOTS, 'estimated-unrated.svg'), 'utf8'),
    );
  });

  const bad: [string, () => string[], RegExp][] = [
    [
      'a missing file',
      () => ['label', path.join(tmp, 'missing.json')],
      /error: cannot read .*missing\.json: no such file\n {2}hint: /,
    ],
    [
      'corrupt JSON',
      () => ['label', file('corrupt.json', '{"schemaVersion": 1,')],
      /error: .*corrupt\.json is not valid JSON: .*\n {2}hint: /,
    ],
    [
      'another schema version',
      () => ['label', file('v2.json', JSON.stringify({ ...fixture(), schemaVersion: 2 }))],
      /error: .*v2\.json has schema version 2, but .*\n {2}hint: /,
    ],
    [
      'a document with no results',
      () => ['label', file('empty.json', JSON.stringify({ ...fixture(), results: [] }))],
      /error: .*empty\.json has no results\n {2}hint: .*bench/,
    ],
    [
      'an unknown configuration',
      () => ['label', FIXTURE, '--config', 'nope/fp32/b1/cpu'],
      /error: no configuration 'nope\/fp32\/b1\/cpu' in .*encoder-tiny-cpu\.json\n {2}hint: use one of: encoder-tiny\/fp32\/b1\/cpu, /,
    ],
    [
      'PNG to stdout',
      () => ['label', FIXTURE, '--png', '-o', '-'],
      /error: PNG is not written to stdout\n {2}hint: /,
    ],
    [
      '--png with an .svg name',
      () => ['label', FIXTURE, '--png', '-o', path.join(tmp, 'x.svg')],
      /error: --png was given, but .*x\.svg ends in \.svg\n/,
    ],
  ];
  for (const [name, args, message] of bad) {
    test(`${name}: usage error, exit 2`, async () => {
      const run = await cli(args(), env);
      assertExit(run, 2);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
    });
  }

  test('--help shows examples', async () => {
    const run = await cli(['label', '--help'], env);
    assertExit(run, 0);
    assert.match(run.stdout, /Examples:\n {2}energy-score label result\.json /);
    assert.match(run.stdout, /not an official AI Energy Score label/);
  });
});
