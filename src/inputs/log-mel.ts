/**
 * Whisper's input features, as transformers' WhisperFeatureExtractor computes them: the clip
 * padded (or cut) to chunk_length seconds, a centred STFT (reflect padding, periodic Hann window of
 * n_fft, hop_length), the power spectrum through a Slaney-normalized mel filter bank, log10 with
 * a floor of 1e-10, the last frame dropped, clamped to 8 below the maximum, then (x + 4) / 4.
 */
import { usageError } from '../errors.js';

export interface LogMelConfig {
  featureSize: number;
  samplingRateHz: number;
  nFft: number;
  hopLength: number;
  chunkLengthS: number;
}

/** openai/whisper-*'s preprocessor_config.json (large-v3 has 128 mel bins). */
export const WHISPER_DEFAULTS: LogMelConfig = {
  featureSize: 80,
  samplingRateHz: 16000,
  nFft: 400,
  hopLength: 160,
  chunkLengthS: 30,
};

export function parseLogMelConfig(
  json: Record<string, unknown>,
  file: string,
  featureSize: number,
): LogMelConfig {
  const field = (name: string, fallback: number): number => {
    const v = json[name];
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      throw usageError(
        `${file}: "${name}" is ${JSON.stringify(v)?.slice(0, 40)}, not a whole number of 1 or more`,
        "fix the field, or remove the file to use Whisper's defaults (80 or 128 mel bins, n_fft 400, hop 160, 30 s)",
      );
    }
    return v;
  };
  const config = {
    featureSize: field('feature_size', featureSize),
    samplingRateHz: field('sampling_rate', WHISPER_DEFAULTS.samplingRateHz),
    nFft: field('n_fft', WHISPER_DEFAULTS.nFft),
    hopLength: field('hop_length', WHISPER_DEFAULTS.hopLength),
    chunkLengthS: field('chunk_length', WHISPER_DEFAULTS.chunkLengthS),
  };
  if (config.nFft < 2)
    throw usageError(`${file}: "n_fft" is ${config.nFft}, too short for a spectrum`, 'Whisper uses 400');
  return config;
}

/** Frames of features for one chunk: samples / hop (3000 for 30 s at 16 kHz, hop 160). */
export function framesPerChunk(config: LogMelConfig): number {
  return Math.floor((config.chunkLengthS * config.samplingRateHz) / config.hopLength);
}

// --- the mel scale and filter bank (transformers' audio_utils, Slaney's scale and norm) ---

const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = 15;
const LOG_STEP = 27 / Math.log(6.4);

export function hzToMel(hz: number): number {
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) * LOG_STEP : (3 * hz) / 200;
}

export function melToHz(mel: number): number {
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp((mel - MIN_LOG_MEL) / LOG_STEP) : (200 * mel) / 3;
}

/** [nMels][bins] triangular filters from 0 Hz to Nyquist, each scaled by 2 / its width (area 1). */
export function melFilterBank(bins: number, nMels: number, samplingRateHz: number): Float64Array[] {
  const maxHz = samplingRateHz / 2;
  const melMax = hzToMel(maxHz);
  const edges = Array.from({ length: nMels + 2 }, (_, i) => melToHz((melMax * i) / (nMels + 1)));
  const fftHz = Array.from({ length: bins }, (_, k) => (Math.floor(samplingRateHz / 2) * k) / (bins - 1));
  return Array.from({ length: nMels }, (_, m) => {
    const [lo, mid, hi] = [edges[m]!, edges[m + 1]!, edges[m + 2]!];
    const norm = 2 / (hi - lo);
    return Float64Array.from(
      fftHz,
      (f) => Math.max(0, Math.min((f - lo) / (mid - lo), (hi - f) / (hi - mid))) * norm,
    );
  });
}

// --- the spectrum: a mixed-radix FFT for any length (Whisper's 400 = 2⁴ · 5²) ---

function smallestFactor(n: number): number {
  for (let p = 2; p * p <= n; p++) if (n % p === 0) return p;
  return n;
}

/** Discrete Fourier transform of a complex sequence, by recursive decimation in time. */
export class Fft {
  readonly n: number;
  private readonly cos: Float64Array;
  private readonly sin: Float64Array;

  constructor(n: number) {
    this.n = n;
    this.cos = Float64Array.from({ length: n }, (_, t) => Math.cos((2 * Math.PI * t) / n));
    this.sin = Float64Array.from({ length: n }, (_, t) => Math.sin((2 * Math.PI * t) / n));
  }

  /** X[k] = Σ x[j] e^{-2πi jk/n}, for k < n. */
  transform(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
    return this.rec(re, im, 1);
  }

  /** The transform of a sequence of length n / step, whose twiddles are every step-th of n's. */
  private rec(re: Float64Array, im: Float64Array, step: number): [Float64Array, Float64Array] {
    const n = re.length;
    if (n === 1) return [re, im];
    const p = smallestFactor(n);
    const m = n / p;
    const subs: [Float64Array, Float64Array][] = [];
    if (p === n) {
      for (let r = 0; r < p; r++) subs.push([Float64Array.of(re[r]!), Float64Array.of(im[r]!)]);
    } else {
      for (let r = 0; r < p; r++) {
        const sr = new Float64Array(m);
        const si = new Float64Array(m);
        for (let j = 0; j < m; j++) {
          sr[j] = re[r + j * p]!;
          si[j] = im[r + j * p]!;
        }
        subs.push(this.rec(sr, si, step * p));
      }
    }
    const outRe = new Float64Array(n);
    const outIm = new Float64Array(n);
    for (let k = 0; k < n; k++) {
      let sumRe = 0;
      let sumIm = 0;
      for (let r = 0; r < p; r++) {
        const [sr, si] = subs[r]!;
        const a = sr[k % m]!;
        const b = si[k % m]!;
        // W^{rk} = e^{-2πi rk/n}, read from the table of the full length.
        const t = (((r * k) % n) * step) % this.n;
        const c = this.cos[t]!;
        const s = -this.sin[t]!;
        sumRe += a * c - b * s;
        sumIm += a * s + b * c;
      }
      outRe[k] = sumRe;
      outIm[k] = sumIm;
    }
    return [outRe, outIm];
  }
}

/** Whisper's log-mel features of one clip, at the config's sampling rate. */
export class LogMelExtractor {
  readonly config: LogMelConfig;
  readonly frames: number;
  private readonly fft: Fft;
  private readonly window: Float64Array;
  private readonly filters: Float64Array[];
  /** Each filter's nonzero bins [first, end): a triangle covers a few of the 201. */
  private readonly spans: [number, number][];

  constructor(config: LogMelConfig) {
    this.config = config;
    this.frames = framesPerChunk(config);
    this.fft = new Fft(config.nFft);
    // Periodic Hann (np.hanning(n + 1)[:-1]), as transformers' window_function("hann") gives.
    this.window = Float64Array.from(
      { length: config.nFft },
      (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / config.nFft),
    );
    this.filters = melFilterBank(Math.floor(config.nFft / 2) + 1, config.featureSize, config.samplingRateHz);
    this.spans = this.filters.map((f) => {
      const first = f.findIndex((w) => w !== 0);
      let end = f.length;
      while (end > 0 && f[end - 1] === 0) end--;
      return first < 0 ? [0, 0] : [first, end];
    });
  }

  /** [featureSize × frames] values, mel bin major (input_features' [80, 3000] for one query). */
  extract(samples: Float32Array): Float32Array {
    const { nFft, hopLength, chunkLengthS, samplingRateHz, featureSize } = this.config;
    const length = chunkLengthS * samplingRateHz;
    const padded = new Float64Array(length);
    padded.set(samples.subarray(0, length));
    const half = Math.floor(nFft / 2);
    // Reflect padding of half a window at each end (numpy's "reflect": the edge sample not repeated).
    const at = (i: number): number => {
      let j = i - half;
      if (j < 0) j = -j;
      if (j >= length) j = 2 * (length - 1) - j;
      return padded[j]!;
    };
    const bins = half + 1;
    const logMel = new Float64Array(featureSize * this.frames);
    let max = -Infinity;
    const re = new Float64Array(nFft);
    const im = new Float64Array(nFft);
    const power = new Float64Array(bins);
    for (let t = 0; t < this.frames; t++) {
      let silent = true;
      for (let i = 0; i < nFft; i++) {
        const v = at(t * hopLength + i);
        if (v !== 0) silent = false;
        re[i] = v * this.window[i]!;
        im[i] = 0;
      }
      if (silent) {
        // No sound in the frame: every mel energy is 0, its log the floor (-10).
        for (let m = 0; m < featureSize; m++) logMel[m * this.frames + t] = -10;
        if (-10 > max) max = -10;
        continue;
      }
      const [xr, xi] = this.fft.transform(re, im);
      for (let k = 0; k < bins; k++) power[k] = xr[k]! * xr[k]! + xi[k]! * xi[k]!;
      for (let m = 0; m < featureSize; m++) {
        const filter = this.filters[m]!;
        const [first, end] = this.spans[m]!;
        let sum = 0;
        for (let k = first; k < end; k++) sum += filter[k]! * power[k]!;
        const v = Math.log10(Math.max(sum, 1e-10));
        logMel[m * this.frames + t] = v;
        if (v > max) max = v;
      }
    }
    const out = new Float32Array(featureSize * this.frames);
    for (let i = 0; i < out.length; i++) out[i] = (Math.max(logMel[i]!, max - 8) + 4) / 4;
    return out;
  }
}
