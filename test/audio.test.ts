import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { audioQueries, normalizeInPlace } from '../src/inputs/audio-queries.js';
import {
  Fft,
  hzToMel,
  LogMelExtractor,
  melFilterBank,
  melToHz,
  WHISPER_DEFAULTS,
} from '../src/inputs/log-mel.js';
import { prepareData } from '../src/inputs/prepare.js';
import { downmix, parseWav, resample } from '../src/inputs/wav.js';
import { inspectModel } from '../src/model/inspect.js';
import { planInputs, type InputPlan } from '../src/workload/input-plan.js';
import { parseOverrides } from '../src/workload/overrides.js';
import { getTask } from '../src/workload/tasks.js';
import { EnergyScoreError } from '../src/errors.js';
import { REPO_ROOT } from './helpers/cli.js';

const usage = (pattern: RegExp) => (err: unknown) =>
  err instanceof EnergyScoreError && err.exitCode === 2 && pattern.test(err.message);

/** A WAV file: format code, channels, rate, bits, and the raw sample bytes. */
function wav(
  code: number,
  channels: number,
  rate: number,
  bits: number,
  data: Buffer,
  extensible = false,
): Buffer {
  const fmt = Buffer.alloc(extensible ? 40 : 16);
  fmt.writeUInt16LE(extensible ? 0xfffe : code, 0);
  fmt.writeUInt16LE(channels, 2);
  fmt.writeUInt32LE(rate, 4);
  fmt.writeUInt32LE((rate * channels * bits) / 8, 8);
  fmt.writeUInt16LE((channels * bits) / 8, 12);
  fmt.writeUInt16LE(bits, 14);
  if (extensible) {
    fmt.writeUInt16LE(22, 16);
    fmt.writeUInt16LE(code, 24);
  }
  const chunk = (id: string, body: Buffer) => {
    const head = Buffer.alloc(8);
    head.write(id, 0, 'latin1');
    head.writeUInt32LE(body.length, 4);
    return Buffer.concat([head, body, body.length % 2 ? Buffer.alloc(1) : Buffer.alloc(0)]);
  };
  const body = Buffer.concat([
    Buffer.from('WAVE'),
    chunk('LIST', Buffer.from('INFOx')),
    chunk('fmt ', fmt),
    chunk('data', data),
  ]);
  const riff = Buffer.alloc(8);
  riff.write('RIFF', 0, 'latin1');
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

function int16(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 2);
  values.forEach((v, i) => b.writeInt16LE(v, i * 2));
  return b;
}

describe('WAV files', () => {
  test('16-bit, 8-bit, 24-bit and float PCM, plain and extensible, to samples in [-1, 1]', () => {
    assert.deepEqual(
      Array.from(parseWav(wav(1, 1, 16000, 16, int16([0, 16384, -32768])), 'a.wav').channels[0]!),
      [0, 0.5, -1],
    );
    assert.deepEqual(
      Array.from(parseWav(wav(1, 1, 8000, 8, Buffer.from([128, 192, 0])), 'a.wav').channels[0]!),
      [0, 0.5, -1],
    );
    assert.deepEqual(
      Array.from(parseWav(wav(1, 1, 16000, 24, Buffer.from([0, 0, 0x40, 0, 0, 0x80])), 'a.wav').channels[0]!),
      [0.5, -1],
    );
    const f32 = Buffer.alloc(8);
    f32.writeFloatLE(0.25, 0);
    f32.writeFloatLE(-0.75, 4);
    const audio = parseWav(wav(3, 1, 44100, 32, f32, true), 'a.wav');
    assert.equal(audio.sampleRateHz, 44100);
    assert.deepEqual(Array.from(audio.channels[0]!), [0.25, -0.75]);
  });

  test('stereo is two channels; the downmix is their mean', () => {
    const audio = parseWav(wav(1, 2, 16000, 16, int16([16384, 0, -16384, -16384])), 's.wav');
    assert.equal(audio.channels.length, 2);
    assert.deepEqual(Array.from(downmix(audio)), [0.25, -0.5]);
  });

  test('not a WAV, no samples, a compressed format: usage errors naming the file', () => {
    assert.throws(
      () => parseWav(Buffer.from('hello world, no riff'), 'x.wav'),
      usage(/^x.wav is not a WAV file/),
    );
    assert.throws(
      () => parseWav(wav(1, 1, 16000, 16, Buffer.alloc(0)), 'e.wav'),
      usage(/^e.wav holds no samples/),
    );
    assert.throws(
      () => parseWav(wav(2, 1, 16000, 4, Buffer.alloc(8)), 'adpcm.wav'),
      usage(/^adpcm.wav holds format code 2 \(compressed\) audio/),
    );
    assert.throws(
      () => parseWav(wav(1, 1, 16000, 16, int16([1])).subarray(0, 30), 'cut.wav'),
      usage(/^cut.wav has no (fmt|data) chunk/),
    );
  });

  test('resampling 8 kHz to 16 kHz: a 440 Hz tone stays the tone, within 0.2 %', () => {
    const tone = (rate: number, n: number) =>
      Float32Array.from({ length: n }, (_, i) => Math.sin((2 * Math.PI * 440 * i) / rate));
    const out = resample(tone(8000, 800), 8000, 16000);
    assert.equal(out.length, 1600);
    const exact = tone(16000, 1600);
    for (let i = 200; i < 1400; i++)
      assert.ok(Math.abs(out[i]! - exact[i]!) < 2e-3, `sample ${i}: ${out[i]} vs ${exact[i]}`);
    // Down from 44.1 kHz: a 1 kHz tone survives, one above the new Nyquist (9 kHz) is filtered out.
    const high = Float32Array.from({ length: 4410 }, (_, i) => Math.sin((2 * Math.PI * 9000 * i) / 44100));
    const down = resample(high, 44100, 16000);
    const rms = Math.sqrt(down.slice(300, 1300).reduce((s, v) => s + v * v, 0) / 1000);
    assert.ok(rms < 0.02, `9 kHz at 16 kHz is filtered out (rms ${rms})`);
  });

  test('zero mean, unit variance', () => {
    const x = Float32Array.of(1, 2, 3, 4);
    normalizeInPlace(x);
    const expected = [-1.5, -0.5, 0.5, 1.5].map((v) => Math.fround(v / Math.sqrt(1.25 + 1e-7)));
    assert.deepEqual(Array.from(x), expected);
  });
});

describe('log-mel features', () => {
  test('the FFT of length 400 (2⁴·5²) and 7 (prime) agree with a direct DFT to 1e-9', () => {
    for (const n of [400, 7, 12]) {
      const re = Float64Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) + (i % 3));
      const im = new Float64Array(n);
      const [xr, xi] = new Fft(n).transform(re, im);
      for (let k = 0; k < n; k++) {
        let sr = 0;
        let si = 0;
        for (let j = 0; j < n; j++) {
          sr += re[j]! * Math.cos((2 * Math.PI * j * k) / n);
          si -= re[j]! * Math.sin((2 * Math.PI * j * k) / n);
        }
        assert.ok(Math.abs(xr[k]! - sr) < 1e-9 && Math.abs(xi[k]! - si) < 1e-9, `n ${n} bin ${k}`);
      }
    }
  });

  test('Slaney’s mel scale: linear below 1 kHz (15 mel), logarithmic above, and invertible', () => {
    assert.equal(hzToMel(1000), 15);
    assert.equal(hzToMel(500), 7.5);
    assert.ok(Math.abs(hzToMel(6400) - 42) < 1e-12, '27 mel per factor 6.4 above 1 kHz');
    for (const hz of [0, 300, 1000, 4321, 8000]) assert.ok(Math.abs(melToHz(hzToMel(hz)) - hz) < 1e-9);
  });

  test('the filter bank: 80 triangles over 201 bins, each of area 1 in Hz (Slaney norm)', () => {
    const filters = melFilterBank(201, 80, 16000);
    assert.equal(filters.length, 80);
    assert.equal(filters[0]!.length, 201);
    // The wide high filters span 9 to 15 bins of 40 Hz, enough to sum each triangle: Σ w · 40 Hz ≈ 1.
    for (const m of [60, 70, 79]) {
      const area = filters[m]!.reduce((s, w) => s + w, 0) * 40;
      assert.ok(Math.abs(area - 1) < 0.03, `filter ${m} area ${area}`);
    }
  });

  test('features equal a direct computation (reflect pad, periodic Hann, DFT power, mel, log10, clamp, scale) to 1e-5', () => {
    const extractor = new LogMelExtractor(WHISPER_DEFAULTS);
    assert.equal(extractor.frames, 3000);
    const clip = Float32Array.from(
      { length: 3200 },
      (_, i) => 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16000) + 0.1 * Math.sin(i * 0.77),
    );
    const features = extractor.extract(clip);
    assert.equal(features.length, 80 * 3000);

    // The reference, written out the slow way from transformers' formulas.
    const n = 400;
    const hop = 160;
    const total = 480000;
    const x = (i: number) => (i >= 0 && i < clip.length ? clip[i]! : 0);
    const reflect = (i: number) => (i < 200 ? x(200 - i) : x(i - 200));
    const filters = melFilterBank(201, 80, 16000);
    const reference = new Float64Array(80 * 3000);
    for (let t = 0; t < 3000; t++) {
      const start = t * hop;
      // Past the clip every sample of the frame is 0: its power is 0, its log the floor.
      const live = start - 200 < clip.length;
      for (let m = 0; m < 80; m++) reference[m * 3000 + t] = -10;
      if (!live) continue;
      const power = new Float64Array(201);
      for (let k = 0; k <= 200; k++) {
        let re = 0;
        let im = 0;
        for (let j = 0; j < n; j++) {
          const v = reflect(start + j) * (0.5 - 0.5 * Math.cos((2 * Math.PI * j) / n));
          re += v * Math.cos((2 * Math.PI * j * k) / n);
          im -= v * Math.sin((2 * Math.PI * j * k) / n);
        }
        power[k] = re * re + im * im;
      }
      for (let m = 0; m < 80; m++) {
        let sum = 0;
        for (let k = 0; k <= 200; k++) sum += filters[m]![k]! * power[k]!;
        reference[m * 3000 + t] = Math.log10(Math.max(sum, 1e-10));
      }
    }
    assert.ok(total / hop === 3000);
    const max = reference.reduce((a, b) => Math.max(a, b), -Infinity);
    for (let i = 0; i < reference.length; i++) {
      const expected = (Math.max(reference[i]!, max - 8) + 4) / 4;
      assert.ok(Math.abs(features[i]! - expected) < 1e-5, `value ${i}: ${features[i]} vs ${expected}`);
    }
    // The 440 Hz tone is loudest in the mel bin whose centre is nearest 440 Hz.
    const frame = 5;
    let loudest = 0;
    for (let m = 1; m < 80; m++)
      if (features[m * 3000 + frame]! > features[loudest * 3000 + frame]!) loudest = m;
    const centre = (m: number) => melToHz((hzToMel(8000) * (m + 1)) / 81);
    assert.ok(Math.abs(centre(loudest) - 440) < 40, `bin ${loudest} centred at ${centre(loudest)} Hz`);
  });
});

describe('speech queries', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'energy-score-wav-'));
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const SPEECH = path.join(REPO_ROOT, 'fixtures', 'zoo', 'speech-encoder', 'model.onnx');
  const request = async (
    modelPath: string,
    choice: Parameters<typeof prepareData>[0]['choice'],
    queries = 12,
  ) => {
    const model = await inspectModel(modelPath);
    const task = getTask('automatic-speech-recognition');
    return { choice, model, plan: planInputs(model, task, parseOverrides({})), task, queries, seed: 0 };
  };

  test('the Whisper-style encoder takes log-mel features of the bundled speech', async () => {
    const data = await prepareData(await request(SPEECH, { kind: 'default' }));
    assert.equal(data.info.source, 'bundled:speech');
    assert.equal(data.info.preprocessing, path.join(path.dirname(SPEECH), 'preprocessor_config.json'));
    assert.equal(data.info.queries, 10);
    assert.equal(data.info.note, null, 'the bundled clips are 16 kHz mono already');
    const row = data.sizes![0]!.row!.values.input_features!.data;
    assert.equal(row.length, 80 * 3000);
    assert.equal(data.sizes![10]!.row!.values.input_features!.data, row);
  });

  test('--data DIR: an 8 kHz clip is resampled and a stereo one downmixed, and the result says so', async () => {
    const dir = path.join(tmp, 'clips');
    fs.mkdirSync(dir);
    const tone = (rate: number, n: number) =>
      int16(Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * 300 * i) / rate))));
    fs.writeFileSync(path.join(dir, 'narrow.wav'), wav(1, 1, 8000, 16, tone(8000, 8000)));
    fs.writeFileSync(path.join(dir, 'stereo.wav'), wav(1, 2, 16000, 16, tone(16000, 16000)));
    const data = await prepareData(await request(SPEECH, { kind: 'path', path: dir }, 4));
    assert.equal(data.info.source, `file:${dir}`);
    assert.equal(data.info.queries, 2);
    assert.equal(data.info.note, 'narrow.wav: resampled from 8000 Hz; stereo.wav: 2 channels downmixed');
  });

  test('a broken WAV in --data is a usage error naming it; features of another size are refused', async () => {
    const dir = path.join(tmp, 'bad');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'x.wav'), 'RIFF....WAVEnope');
    await assert.rejects(
      prepareData(await request(SPEECH, { kind: 'path', path: dir })),
      usage(/x.wav has no fmt chunk/),
    );
    const input: InputPlan = {
      name: 'input_features',
      dtype: 'float32',
      dims: [
        { role: 'batch', value: 0, name: 'batch_size' },
        { role: 'fixed', value: 128, name: null },
        { role: 'fixed', value: 3000, name: null },
      ],
      fill: { kind: 'normal', scale: 0.1 },
      padding: 'none',
    };
    await assert.rejects(
      audioQueries(SPEECH, input, [{ name: 'a.wav', bytes: wav(1, 1, 16000, 16, int16([1, 2])) }], 1),
      usage(/preprocessor_config.json give \[80, 3000\] per clip, but 'input_features' takes \[128, 3000\]/),
    );
  });

  test('a waveform input (input_values) gets the samples, normalized where do_normalize says so, each query its clip’s length', async () => {
    const dir = path.join(tmp, 'w2v');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'model.onnx'), '');
    const input: InputPlan = {
      name: 'input_values',
      dtype: 'float32',
      dims: [
        { role: 'batch', value: 0, name: 'batch_size' },
        { role: 'audio', value: 0, name: 'sequence_length' },
      ],
      fill: { kind: 'normal', scale: 0.1 },
      padding: 'audio',
    };
    const clips = [
      { name: 'a.wav', bytes: wav(1, 1, 16000, 16, int16([16384, -16384, 16384, -16384])) },
      { name: 'b.wav', bytes: wav(1, 1, 16000, 16, int16([8192, 8192])) },
    ];
    const raw = await audioQueries(path.join(dir, 'model.onnx'), input, clips, 3);
    assert.equal(raw.preprocessing, null);
    assert.deepEqual(
      raw.sizes.map((s) => s.audioSamples),
      [4, 2, 4],
    );
    assert.deepEqual(Array.from(raw.sizes[1]!.row!.values.input_values!.data), [0.25, 0.25]);
    fs.writeFileSync(
      path.join(dir, 'preprocessor_config.json'),
      JSON.stringify({ feature_size: 1, sampling_rate: 16000, do_normalize: true }),
    );
    const normalized = await audioQueries(path.join(dir, 'model.onnx'), input, clips, 1);
    const scale = 1 / Math.sqrt(0.25 + 1e-7);
    assert.deepEqual(
      Array.from(normalized.sizes[0]!.row!.values.input_values!.data),
      [0.5, -0.5, 0.5, -0.5].map((v) => Math.fround(v * scale)),
    );
  });

  test('a clip longer than 30 s is cut to its first 30 s for log-mel features, and the note says so', async () => {
    const long = int16(Array.from({ length: 31 * 16000 }, (_, i) => (i % 50) - 25));
    const model = await inspectModel(SPEECH);
    const plan = planInputs(model, getTask('automatic-speech-recognition'), parseOverrides({}));
    const out = await audioQueries(
      SPEECH,
      plan.inputs[0]!,
      [{ name: 'long.wav', bytes: wav(1, 1, 16000, 16, long) }],
      1,
    );
    assert.deepEqual(out.notes, ['long.wav: cut to its first 30 s']);
    assert.equal(out.sizes[0]!.row!.values.input_features!.data.length, 80 * 3000);
  });
});
