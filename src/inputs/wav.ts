/**
 * WAV files (RIFF/WAVE) to float samples: integer PCM of 8, 16, 24 or 32 bits and IEEE float of
 * 32 or 64 bits, plain or in a WAVE_FORMAT_EXTENSIBLE header, any number of channels. Anything
 * else (compressed formats, a file cut before its samples) is a usage error naming the file.
 */
import { usageError } from '../errors.js';

export interface WavAudio {
  sampleRateHz: number;
  /** One array per channel, each sample in [-1, 1]. */
  channels: Float32Array[];
}

const HINT = 'give a PCM or float WAV file (sox in.ext -b 16 out.wav converts most audio)';

const PCM = 1;
const FLOAT = 3;
const EXTENSIBLE = 0xfffe;

export function parseWav(bytes: Uint8Array, file: string): WavAudio {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number) =>
    at + 4 <= bytes.length ? String.fromCharCode(...bytes.subarray(at, at + 4)) : '';
  if (tag(0) !== 'RIFF' || tag(8) !== 'WAVE')
    throw usageError(`${file} is not a WAV file (no RIFF/WAVE header)`, HINT);
  let format: { code: number; channels: number; rate: number; bits: number; block: number } | null = null;
  let data: { start: number; length: number } | null = null;
  for (let at = 12; at + 8 <= bytes.length;) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > bytes.length) throw usageError(`${file} has a broken fmt chunk`, HINT);
      let code = view.getUint16(body, true);
      if (code === EXTENSIBLE && size >= 26 && body + 26 <= bytes.length)
        code = view.getUint16(body + 24, true);
      format = {
        code,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        block: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      // A streamed file may give 0 or 0xFFFFFFFF as its size: the samples run to the end.
      const length = size === 0 || body + size > bytes.length ? bytes.length - body : size;
      data = { start: body, length };
      break;
    }
    at = body + size + (size % 2);
  }
  if (!format) throw usageError(`${file} has no fmt chunk: it says nothing of its samples`, HINT);
  if (!data) throw usageError(`${file} has no data chunk: it holds no samples`, HINT);
  const { code, channels, rate, bits } = format;
  const supported =
    (code === PCM && [8, 16, 24, 32].includes(bits)) || (code === FLOAT && (bits === 32 || bits === 64));
  if (!supported) {
    const what =
      code === PCM
        ? `${bits}-bit PCM`
        : code === FLOAT
          ? `${bits}-bit float`
          : `format code ${code} (compressed)`;
    throw usageError(`${file} holds ${what} audio, which is not read`, HINT);
  }
  if (channels < 1 || rate < 1)
    throw usageError(`${file} says it has ${channels} channels at ${rate} Hz`, HINT);
  const bytesPerSample = bits / 8;
  const frame = bytesPerSample * channels;
  const frames = Math.floor(data.length / frame);
  if (frames === 0) throw usageError(`${file} holds no samples`, 'give a WAV file with sound in it');
  const out = Array.from({ length: channels }, () => new Float32Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const at = data.start + f * frame + c * bytesPerSample;
      out[c]![f] = sample(view, at, code, bits);
    }
  }
  return { sampleRateHz: rate, channels: out };
}

function sample(view: DataView, at: number, code: number, bits: number): number {
  if (code === FLOAT) return bits === 32 ? view.getFloat32(at, true) : view.getFloat64(at, true);
  switch (bits) {
    case 8:
      return (view.getUint8(at) - 128) / 128;
    case 16:
      return view.getInt16(at, true) / 32768;
    case 24: {
      const v = view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16);
      return v / 8388608;
    }
    default:
      return view.getInt32(at, true) / 2147483648;
  }
}

/** The mean of the channels: what transformers' pipelines do with stereo input. */
export function downmix(audio: WavAudio): Float32Array {
  if (audio.channels.length === 1) return audio.channels[0]!;
  const n = audio.channels[0]!.length;
  const out = new Float32Array(n);
  for (const channel of audio.channels) for (let i = 0; i < n; i++) out[i]! += channel[i]!;
  for (let i = 0; i < n; i++) out[i]! /= audio.channels.length;
  return out;
}

/** Half the width of the resampling filter, in zero crossings of the slower rate's sinc. */
const SINC_ZEROS = 16;

/**
 * Band-limited resampling: each output sample is the input convolved with a Hann-windowed sinc
 * whose cutoff is the lower of the two Nyquist frequencies (so downsampling does not alias).
 */
export function resample(samples: Float32Array, fromHz: number, toHz: number): Float32Array {
  if (fromHz === toHz) return samples;
  const ratio = toHz / fromHz;
  const outLength = Math.round(samples.length * ratio);
  const cutoff = Math.min(1, ratio);
  const half = SINC_ZEROS / cutoff;
  const out = new Float32Array(outLength);
  for (let i = 0; i < outLength; i++) {
    const center = i / ratio;
    const start = Math.max(0, Math.ceil(center - half));
    const end = Math.min(samples.length - 1, Math.floor(center + half));
    let sum = 0;
    for (let j = start; j <= end; j++) {
      const x = j - center;
      const window = 0.5 + 0.5 * Math.cos((Math.PI * x) / half);
      const arg = Math.PI * cutoff * x;
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
      sum += samples[j]! * cutoff * sinc * window;
    }
    out[i] = sum;
  }
  return out;
}
