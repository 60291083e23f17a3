/**
 * An image processor as a Hugging Face preprocessor_config.json describes it: resize (to a size,
 * or the shortest edge), centre crop, rescale, normalize by mean and std, channel order. Resizing
 * follows PIL's resampling (what transformers calls through): a separable convolution whose filter
 * widens with the downscale factor (antialiasing), rounded to 8 bits after each pass.
 */
import { usageError } from '../errors.js';
import type { RgbImage } from './image-decode.js';

export interface ImageProcessorConfig {
  doResize: boolean;
  /** Exact size, or the shortest edge (the other edge keeps the aspect ratio). */
  size: { height: number; width: number } | { shortestEdge: number } | null;
  /** PIL's codes: 0 nearest, 2 bilinear, 3 bicubic (1 and 4, 5 are read as bicubic / bilinear). */
  resample: 0 | 2 | 3;
  doCenterCrop: boolean;
  cropSize: { height: number; width: number } | null;
  /** ConvNeXT's crop_pct: resize the shortest edge to size / crop_pct, then crop to size. */
  cropPct: number | null;
  doRescale: boolean;
  rescaleFactor: number;
  doNormalize: boolean;
  mean: number[];
  std: number[];
  /** MobileViT's do_flip_channel_order: BGR instead of RGB. */
  flipChannels: boolean;
}

/** Without a preprocessor_config.json: resize to the model's input and scale to 0–1. */
export function defaultImageConfig(height: number, width: number): ImageProcessorConfig {
  return {
    doResize: true,
    size: { height, width },
    resample: 2,
    doCenterCrop: false,
    cropSize: null,
    cropPct: null,
    doRescale: true,
    rescaleFactor: 1 / 255,
    doNormalize: false,
    mean: [0, 0, 0],
    std: [1, 1, 1],
    flipChannels: false,
  };
}

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Reads the image fields of a preprocessor_config.json; a field of the wrong type names the file. */
export function parseImageConfig(json: Record<string, unknown>, file: string): ImageProcessorConfig {
  const bad = (field: string, expected: string): never => {
    throw usageError(
      `${file}: "${field}" is ${JSON.stringify(json[field])?.slice(0, 40)}, not ${expected}`,
      'fix the field, or remove the file to use the default (resize to the model input, scale to 0-1)',
    );
  };
  const bool = (field: string, fallback: boolean) =>
    json[field] === undefined
      ? fallback
      : typeof json[field] === 'boolean'
        ? (json[field] as boolean)
        : bad(field, 'true or false');
  const side = (v: unknown) => isNum(v) && Number.isInteger(v) && v > 0;
  const sizeOf = (field: string): { height: number; width: number } | { shortestEdge: number } | null => {
    const v = json[field];
    if (v === undefined || v === null) return null;
    if (side(v)) return { height: v as number, width: v as number };
    if (typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (side(o.height) && side(o.width)) return { height: o.height as number, width: o.width as number };
      if (side(o.shortest_edge)) return { shortestEdge: o.shortest_edge as number };
    }
    return bad(field, 'a size ({"height": H, "width": W}, {"shortest_edge": N} or N)');
  };
  const triple = (field: string, fallback: number[]): number[] => {
    const v = json[field];
    if (v === undefined) return fallback;
    if (isNum(v)) return [v, v, v];
    if (Array.isArray(v) && (v.length === 3 || v.length === 1) && v.every(isNum)) {
      const values = v as number[];
      return values.length === 1 ? [values[0]!, values[0]!, values[0]!] : values;
    }
    return bad(field, 'three numbers');
  };
  const crop = sizeOf('crop_size');
  const resampleCode =
    json.resample === undefined
      ? 2
      : isNum(json.resample)
        ? json.resample
        : bad('resample', 'a PIL resampling code');
  const std = triple('image_std', [0.5, 0.5, 0.5]);
  if (std.some((s) => s === 0)) bad('image_std', 'numbers other than 0');
  const rescaleFactor =
    json.rescale_factor === undefined
      ? 1 / 255
      : isNum(json.rescale_factor)
        ? json.rescale_factor
        : bad('rescale_factor', 'a number');
  const cropPct =
    json.crop_pct === undefined || json.crop_pct === null
      ? null
      : isNum(json.crop_pct) && json.crop_pct > 0
        ? json.crop_pct
        : bad('crop_pct', 'a number above 0');
  return {
    doResize: bool('do_resize', true),
    size: sizeOf('size'),
    resample: resampleCode === 0 ? 0 : resampleCode === 3 || resampleCode === 1 ? 3 : 2,
    doCenterCrop: bool('do_center_crop', crop !== null && !('shortestEdge' in crop)),
    cropSize: crop && 'height' in crop ? crop : null,
    cropPct,
    doRescale: bool('do_rescale', true),
    rescaleFactor,
    doNormalize: bool('do_normalize', true),
    mean: triple('image_mean', [0.5, 0.5, 0.5]),
    std,
    flipChannels: bool('do_flip_channel_order', false),
  };
}

type Size = { height: number; width: number };

/** What the processor does to an image of this size: resize to, then crop to (either may be null). */
export function processSteps(
  config: ImageProcessorConfig,
  height: number,
  width: number,
): { resize: Size | null; crop: Size | null } {
  const crop = config.doCenterCrop && config.cropSize ? config.cropSize : null;
  const size = config.size;
  if (!config.doResize || !size) return { resize: null, crop };
  const edge = 'height' in size ? (size.height === size.width ? size.height : null) : size.shortestEdge;
  // ConvNeXT: below 384 px, resize the shortest edge to edge / crop_pct and crop to edge × edge.
  if (config.cropPct !== null && edge !== null && edge < 384) {
    return {
      resize: shortest(Math.trunc(edge / config.cropPct), height, width),
      crop: { height: edge, width: edge },
    };
  }
  return { resize: 'height' in size ? size : shortest(size.shortestEdge, height, width), crop };
}

/** The size the processor gives an image of this size: after resizing and cropping. */
export function outputSize(config: ImageProcessorConfig, height: number, width: number): Size {
  const steps = processSteps(config, height, width);
  return steps.crop ?? steps.resize ?? { height, width };
}

/** transformers' get_resize_output_image_size with default_to_square=False. */
function shortest(edge: number, height: number, width: number): Size {
  return height <= width
    ? { height: edge, width: Math.trunc((edge * width) / height) }
    : { height: Math.trunc((edge * height) / width), width: edge };
}

export type ChannelLayout = 'chw' | 'hwc';

/**
 * The model's pixel values for one image: `channels` (3, or 1 for grey) in `layout`, at the
 * processor's output size, which the caller has checked against the model's input.
 */
export function preprocessImage(
  image: RgbImage,
  config: ImageProcessorConfig,
  channels: 1 | 3,
  layout: ChannelLayout,
): Float32Array {
  const steps = processSteps(config, image.height, image.width);
  let current = image;
  if (steps.resize) current = resize(current, steps.resize.width, steps.resize.height, config.resample);
  if (steps.crop) current = centerCrop(current, steps.crop.height, steps.crop.width);
  const { width, height, data } = current;
  const plane = width * height;
  const out = new Float32Array(plane * channels);
  const scale = config.doRescale ? config.rescaleFactor : 1;
  for (let p = 0; p < plane; p++) {
    const rgb = [data[p * 3]!, data[p * 3 + 1]!, data[p * 3 + 2]!];
    if (config.flipChannels) rgb.reverse();
    // Grey as PIL's convert('L') weighs the channels (ITU-R 601-2 luma).
    const values = channels === 1 ? [(rgb[0]! * 299 + rgb[1]! * 587 + rgb[2]! * 114) / 1000] : rgb;
    for (let c = 0; c < channels; c++) {
      let v = values[c]! * scale;
      if (config.doNormalize) v = (v - config.mean[c]!) / config.std[c]!;
      out[layout === 'chw' ? c * plane + p : p * channels + c] = v;
    }
  }
  return out;
}

/** transformers' center_crop: the middle of the image, padded with zeros where it is smaller. */
export function centerCrop(image: RgbImage, height: number, width: number): RgbImage {
  const top = Math.floor((image.height - height) / 2);
  const left = Math.floor((image.width - width) / 2);
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = y + top;
    if (sy < 0 || sy >= image.height) continue;
    for (let x = 0; x < width; x++) {
      const sx = x + left;
      if (sx < 0 || sx >= image.width) continue;
      const s = (sy * image.width + sx) * 3;
      const d = (y * width + x) * 3;
      data[d] = image.data[s]!;
      data[d + 1] = image.data[s + 1]!;
      data[d + 2] = image.data[s + 2]!;
    }
  }
  return { width, height, data };
}

type Filter = { support: number; weight: (x: number) => number };

const BILINEAR: Filter = { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) };
const BICUBIC: Filter = {
  support: 2,
  weight: (t) => {
    const a = -0.5;
    const x = Math.abs(t);
    if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
    if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
    return 0;
  },
};

/** For each output pixel: the first input pixel it reads and the weights (PIL's precompute_coeffs). */
export function resampleCoefficients(
  inSize: number,
  outSize: number,
  filter: Filter,
): { start: number; weights: number[] }[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const out: { start: number; weights: number[] }[] = [];
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const start = Math.max(Math.trunc(center - support + 0.5), 0);
    const end = Math.min(Math.trunc(center + support + 0.5), inSize);
    const weights: number[] = [];
    let total = 0;
    for (let x = start; x < end; x++) {
      const w = filter.weight((x - center + 0.5) / filterScale);
      weights.push(w);
      total += w;
    }
    out.push({ start, weights: weights.map((w) => (total !== 0 ? w / total : 0)) });
  }
  return out;
}

/** Resizes with PIL's resampling (nearest, bilinear or bicubic), horizontally and then vertically. */
export function resize(image: RgbImage, width: number, height: number, resample: 0 | 2 | 3): RgbImage {
  if (image.width === width && image.height === height) return image;
  if (resample === 0) return resizeNearest(image, width, height);
  const filter = resample === 3 ? BICUBIC : BILINEAR;
  const horizontal =
    image.width === width
      ? image
      : pass(image, width, image.height, resampleCoefficients(image.width, width, filter), true);
  return horizontal.height === height
    ? horizontal
    : pass(horizontal, width, height, resampleCoefficients(horizontal.height, height, filter), false);
}

function pass(
  image: RgbImage,
  width: number,
  height: number,
  coefficients: { start: number; weights: number[] }[],
  horizontal: boolean,
): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const { start, weights } = coefficients[horizontal ? x : y]!;
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < weights.length; k++) {
        const s = horizontal ? (y * image.width + start + k) * 3 : ((start + k) * image.width + x) * 3;
        const w = weights[k]!;
        r += image.data[s]! * w;
        g += image.data[s + 1]! * w;
        b += image.data[s + 2]! * w;
      }
      const d = (y * width + x) * 3;
      data[d] = clamp8(r);
      data[d + 1] = clamp8(g);
      data[d + 2] = clamp8(b);
    }
  }
  return { width, height, data };
}

const clamp8 = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

function resizeNearest(image: RgbImage, width: number, height: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(image.height - 1, Math.floor(((y + 0.5) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const sx = Math.min(image.width - 1, Math.floor(((x + 0.5) * image.width) / width));
      const s = (sy * image.width + sx) * 3;
      const d = (y * width + x) * 3;
      data[d] = image.data[s]!;
      data[d + 1] = image.data[s + 1]!;
      data[d + 2] = image.data[s + 2]!;
    }
  }
  return { width, height, data };
}
