/**
 * PNG and JPEG files to RGB pixels, with pngjs and jpeg-js (pure JavaScript). The size in the
 * file's header is checked before anything is decoded, so that a huge image is refused instead
 * of taking all the memory; a file that does not decode is a usage error naming it.
 */
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { errorMessage, usageError } from '../errors.js';
import { printable } from '../util/text-safety.js';

/** 8-bit RGB, row-major, 3 bytes a pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** The most pixels an image may have: 40 MP is 160 MB of RGBA while it decodes. */
export const MAX_IMAGE_PIXELS = 40_000_000;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

const HINT = 'give an 8-bit PNG or a baseline or progressive JPEG, or leave it out of the --data folder';

export function decodeImage(bytes: Uint8Array, file: string): RgbImage {
  const isPng = PNG_SIGNATURE.every((b, i) => bytes[i] === b);
  const isJpeg = bytes[0] === 0xff && bytes[1] === 0xd8;
  if (!isPng && !isJpeg) throw usageError(`${file} is not a PNG or JPEG image`, HINT);
  const size = isPng ? pngSize(bytes) : jpegSize(bytes);
  if (!size)
    throw usageError(
      `${file} is not a readable ${isPng ? 'PNG' : 'JPEG'} image: no size in its header`,
      HINT,
    );
  checkSize(size.width, size.height, file);
  let rgba: Uint8Array;
  let width: number;
  let height: number;
  try {
    if (isPng) {
      const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      ({ width, height } = png);
      rgba = png.data;
    } else {
      const image = jpeg.decode(bytes, {
        useTArray: true,
        formatAsRGBA: true,
        maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
        maxMemoryUsageInMB: 1024,
      });
      ({ width, height } = image);
      rgba = image.data;
    }
  } catch (err) {
    throw usageError(
      `${file} is not a readable ${isPng ? 'PNG' : 'JPEG'} image: ${printable(errorMessage(err))}`,
      HINT,
    );
  }
  checkSize(width, height, file);
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; j < data.length; i += 4, j += 3) {
    // Transparent pixels are composited over white, as transformers' convert_to_rgb does.
    const alpha = rgba[i + 3]! / 255;
    data[j] = Math.round(rgba[i]! * alpha + 255 * (1 - alpha));
    data[j + 1] = Math.round(rgba[i + 1]! * alpha + 255 * (1 - alpha));
    data[j + 2] = Math.round(rgba[i + 2]! * alpha + 255 * (1 - alpha));
  }
  return { width, height, data };
}

function checkSize(width: number, height: number, file: string): void {
  if (width < 1 || height < 1) throw usageError(`${file} is an empty image (${width}×${height} px)`, HINT);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw usageError(
      `${file} is ${width}×${height} px, more than the ${MAX_IMAGE_PIXELS / 1e6} megapixels an input image may have`,
      'scale it down first (the model sees it resized to its input size anyway)',
    );
  }
}

/** Width and height from the IHDR chunk, which a PNG must start with. */
function pngSize(bytes: Uint8Array): { width: number; height: number } | null {
  if (bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (String.fromCharCode(...bytes.subarray(12, 16)) !== 'IHDR') return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Width and height from the first start-of-frame marker (SOF0–SOF15 but DHT, JPG and DAC). */
function jpegSize(bytes: Uint8Array): { width: number; height: number } | null {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) return null;
    const marker = bytes[i + 1]!;
    if (marker === 0xff) {
      i++;
      continue;
    }
    const length = (bytes[i + 2]! << 8) | bytes[i + 3]!;
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: (bytes[i + 5]! << 8) | bytes[i + 6]!, width: (bytes[i + 7]! << 8) | bytes[i + 8]! };
    }
    i += 2 + length;
  }
  return null;
}
