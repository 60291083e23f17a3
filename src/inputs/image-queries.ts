/**
 * Image queries: each image decoded and put through the model's preprocessor_config.json (or,
 * without one, resized to the model's input and scaled to 0–1), one row of pixel values per
 * distinct image, shared by every query on it.
 */
import path from 'node:path';
import { usageError } from '../errors.js';
import type { InputPlan } from '../workload/input-plan.js';
import type { QuerySize } from '../workload/tasks.js';
import { decodeImage } from './image-decode.js';
import {
  defaultImageConfig,
  outputSize,
  parseImageConfig,
  preprocessImage,
  type ChannelLayout,
  type ImageProcessorConfig,
} from './image-preprocess.js';
import { findBeside, modelConfigDirs, readJsonObject } from './tokenizer.js';

/** Distinct rows kept in memory at most; past it the first items that fit are cycled. */
export const MAX_DISTINCT_ROW_BYTES = 256 * 1024 * 1024;

export interface MediaFile {
  name: string;
  bytes: Uint8Array;
}

export interface ImageQueries {
  sizes: QuerySize[];
  preprocessing: string | null;
  distinct: number;
  note: string | null;
}

/** The model input's image layout: channels and their place, height and width. */
export function imageLayout(
  input: InputPlan,
): { channels: 1 | 3; layout: ChannelLayout; height: number; width: number } | null {
  const v = input.dims.map((d) => d.value);
  if (v.length !== 4) return null;
  if (v[1] === 3 || v[1] === 1) return { channels: v[1], layout: 'chw', height: v[2]!, width: v[3]! };
  if (v[3] === 3 || v[3] === 1) return { channels: v[3], layout: 'hwc', height: v[1]!, width: v[2]! };
  return null;
}

/** The model's image processor: its preprocessor_config.json, else the default; and that file. */
export async function imageProcessor(
  modelPath: string,
  height: number,
  width: number,
): Promise<{ config: ImageProcessorConfig; file: string | null }> {
  const file = findBeside(modelConfigDirs(modelPath), 'preprocessor_config.json');
  if (!file) return { config: defaultImageConfig(height, width), file: null };
  return { config: parseImageConfig(await readJsonObject(file, 'a preprocessor_config.json'), file), file };
}

/**
 * Rows for `count` queries from `files`. An image the processor does not bring to the model's
 * input size is a usage error naming the processor file and the input.
 */
export async function imageQueries(
  modelPath: string,
  input: InputPlan,
  files: MediaFile[],
  count: number,
): Promise<ImageQueries> {
  const layout = imageLayout(input);
  if (!layout) {
    throw usageError(
      `input '${input.name}' [${input.dims.map((d) => d.value).join(', ')}] is not an image of 1 or 3 channels`,
      'run it on synthetic values (--data synthetic), or pin its shape with --shape',
    );
  }
  const { config, file } = await imageProcessor(modelPath, layout.height, layout.width);
  const rowBytes = layout.channels * layout.height * layout.width * 4;
  const keep = Math.max(1, Math.min(files.length, count, Math.floor(MAX_DISTINCT_ROW_BYTES / rowBytes)));
  const rows: Float32Array[] = [];
  for (const item of files.slice(0, keep)) {
    const image = decodeImage(item.bytes, item.name);
    const out = outputSize(config, image.height, image.width);
    if (out.height !== layout.height || out.width !== layout.width) {
      const by = file ?? 'the default preprocessing';
      throw usageError(
        `${by} makes ${path.basename(item.name)} ${out.width}×${out.height} px, but '${input.name}' takes ${layout.width}×${layout.height}`,
        file
          ? `the preprocessor belongs to another model input size: pin the image dims to its size (--dim height=${out.height} --dim width=${out.width}), or fix ${path.basename(file)}`
          : 'pin the image dims with --dim',
      );
    }
    rows.push(preprocessImage(image, config, layout.channels, layout.layout));
  }
  const sizes: QuerySize[] = Array.from({ length: count }, (_, i) => ({
    row: { key: `i${i % rows.length}`, values: { [input.name]: { data: rows[i % rows.length]!, pad: 0 } } },
  }));
  const note =
    keep < Math.min(files.length, count)
      ? `the first ${keep} of ${files.length} images fit in memory and are cycled`
      : null;
  return { sizes, preprocessing: file, distinct: rows.length, note };
}
