/**
 * Audio queries: each WAV file read, downmixed to mono and resampled to the model's rate, then
 * either Whisper's log-mel features (an `input_features` [batch, mels, frames] input) or the
 * waveform itself ([batch, samples], normalized when the preprocessor says so), one row per clip.
 */
import path from 'node:path';
import { usageError } from '../errors.js';
import type { InputPlan } from '../workload/input-plan.js';
import type { QuerySize } from '../workload/tasks.js';
import { MAX_DISTINCT_ROW_BYTES, type MediaFile } from './image-queries.js';
import { LogMelExtractor, parseLogMelConfig, WHISPER_DEFAULTS } from './log-mel.js';
import { findBeside, modelConfigDirs, readJsonObject } from './tokenizer.js';
import { downmix, parseWav, resample } from './wav.js';

export interface AudioQueries {
  sizes: QuerySize[];
  preprocessing: string | null;
  distinct: number;
  notes: string[];
}

/** Mono samples at `rateHz`, and what was done to get them (for the result's note). */
export function readClip(file: MediaFile, rateHz: number): { samples: Float32Array; changes: string[] } {
  const audio = parseWav(file.bytes, file.name);
  const changes: string[] = [];
  if (audio.channels.length > 1) changes.push(`${audio.channels.length} channels downmixed`);
  let samples = downmix(audio);
  if (audio.sampleRateHz !== rateHz) {
    changes.push(`resampled from ${audio.sampleRateHz} Hz`);
    samples = resample(samples, audio.sampleRateHz, rateHz);
  }
  return { samples, changes };
}

export async function audioQueries(
  modelPath: string,
  input: InputPlan,
  files: MediaFile[],
  count: number,
): Promise<AudioQueries> {
  const configFile = findBeside(modelConfigDirs(modelPath), 'preprocessor_config.json');
  const json = configFile ? await readJsonObject(configFile, 'a preprocessor_config.json') : {};
  const notes: string[] = [];
  const rows: Float32Array[] = [];
  const note = (file: MediaFile, changes: string[]) => {
    if (changes.length) notes.push(`${path.basename(file.name)}: ${changes.join(', ')}`);
  };
  if (input.dims.length === 3) {
    const mels = input.dims[1]!.value;
    const config = parseLogMelConfig(
      json,
      configFile ?? 'the Whisper defaults',
      mels || WHISPER_DEFAULTS.featureSize,
    );
    const extractor = new LogMelExtractor(config);
    const frames = input.dims[2]!.value;
    if (config.featureSize !== mels || extractor.frames !== frames) {
      throw usageError(
        `${configFile ?? "Whisper's default features"} give [${config.featureSize}, ${extractor.frames}] per clip, but '${input.name}' takes [${mels}, ${frames}]`,
        configFile
          ? `the preprocessor is another model's: fix feature_size or chunk_length in ${path.basename(configFile)}`
          : "add the model's preprocessor_config.json beside it",
      );
    }
    const keep = Math.max(
      1,
      Math.min(files.length, count, Math.floor(MAX_DISTINCT_ROW_BYTES / (mels * frames * 4))),
    );
    for (const file of files.slice(0, keep)) {
      const { samples, changes } = readClip(file, config.samplingRateHz);
      const chunk = config.chunkLengthS * config.samplingRateHz;
      if (samples.length > chunk) changes.push(`cut to its first ${config.chunkLengthS} s`);
      note(file, changes);
      rows.push(extractor.extract(samples));
    }
    const sizes = Array.from({ length: count }, (_, i) => ({
      row: { key: `a${i % rows.length}`, values: { [input.name]: { data: rows[i % rows.length]!, pad: 0 } } },
    }));
    return { sizes, preprocessing: configFile ?? null, distinct: rows.length, notes };
  }
  // A waveform input: the samples themselves, each query as long as its clip.
  const rate = typeof json.sampling_rate === 'number' && json.sampling_rate > 0 ? json.sampling_rate : 16000;
  const normalize = json.do_normalize === true;
  let bytes = 0;
  for (const file of files.slice(0, count)) {
    const { samples, changes } = readClip(file, rate);
    note(file, changes);
    if (normalize) normalizeInPlace(samples);
    bytes += samples.length * 4;
    if (bytes > MAX_DISTINCT_ROW_BYTES && rows.length > 0) break;
    rows.push(samples);
  }
  const sizes = Array.from({ length: count }, (_, i) => ({
    audioSamples: rows[i % rows.length]!.length,
    row: { key: `a${i % rows.length}`, values: { [input.name]: { data: rows[i % rows.length]!, pad: 0 } } },
  }));
  return { sizes, preprocessing: configFile ?? null, distinct: rows.length, notes };
}

/** Zero mean and unit variance, as Wav2Vec2FeatureExtractor's do_normalize (variance + 1e-7). */
export function normalizeInPlace(samples: Float32Array): void {
  let mean = 0;
  for (const v of samples) mean += v;
  mean /= samples.length;
  let variance = 0;
  for (const v of samples) variance += (v - mean) ** 2;
  variance /= samples.length;
  const scale = 1 / Math.sqrt(variance + 1e-7);
  for (let i = 0; i < samples.length; i++) samples[i] = (samples[i]! - mean) * scale;
}
