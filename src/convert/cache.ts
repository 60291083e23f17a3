/**
 * Converted precision variants on disk: made once from the fp32 file and kept under a cache
 * folder, keyed by the source's sha256, the precision and the converter's version, so that a
 * second bench of the same model reuses the file and a new converter makes a new one.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Conversion } from '../result/schema.js';
import type { Precision } from '../model/variants.js';
import { decodeModel, encodeModel } from '../model/onnx-proto.js';
import { errorMessage, usageError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { converterFor, converterVersionFor } from './registry.js';
import { ConversionRefused } from './types.js';

/** `$XDG_CACHE_HOME/energy-score/converted`, else `~/.cache/energy-score/converted`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env, home = os.homedir()): string {
  const base =
    env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME)
      ? env.XDG_CACHE_HOME
      : path.join(home, '.cache');
  return path.join(base, 'energy-score', 'converted');
}

export interface ConvertedFile {
  path: string;
  conversion: Conversion;
  /** Whether the file came from the cache rather than a conversion in this run. */
  cacheHit: boolean;
}

/** The cache's file name: `<sha256>.<precision>.<converter version>.onnx`, a JSON report beside it. */
export function cachedName(sourceSha256: string, precision: Precision, converterVersion: string): string {
  return `${sourceSha256}.${precision}.${converterVersion}.onnx`;
}

/**
 * The converted variant of `sourcePath` at `precision`, from the cache or made now. Throws
 * ConversionRefused when the converter cannot convert the model (or no converter makes it).
 */
export async function convertedVariant(
  sourcePath: string,
  precision: Precision,
  cacheDir: string,
): Promise<ConvertedFile> {
  const converter = converterFor(precision);
  const version = converterVersionFor(precision);
  if (!converter || !version) throw new ConversionRefused(`the tool has no converter to ${precision}`);
  const bytes = await readFile(sourcePath);
  const sha256 = sha256Of(bytes);
  const file = path.join(cacheDir, cachedName(sha256, precision, version));
  const reportFile = `${file}.json`;
  const cached = await readCached(file, reportFile);
  if (cached) return { path: file, conversion: cached, cacheHit: true };

  let source;
  try {
    source = decodeModel(bytes);
  } catch (err) {
    throw new ConversionRefused(
      `${path.basename(sourcePath)} is not a readable ONNX model (${(err as Error).message})`,
    );
  }
  const converted = converter(source);
  const conversion: Conversion = {
    converted: true,
    sourceFile: path.resolve(sourcePath),
    sourceSha256: sha256,
    recipe: converted.report.recipe,
    converterVersion: converted.report.converterVersion,
    cachedFile: file,
    opCountsBefore: converted.report.opCountsBefore,
    opCountsAfter: converted.report.opCountsAfter,
  };
  const encoded = encodeModel(converted.model);
  const entry: CacheEntry = { conversion, cachedSha256: sha256Of(encoded) };
  try {
    await mkdir(cacheDir, { recursive: true });
    // The model first, then its report: a report is only there when its model is whole.
    await writeFileAtomic(file, encoded);
    await writeFileAtomic(reportFile, `${JSON.stringify(entry, null, 2)}\n`);
  } catch (err) {
    throw usageError(
      `cannot keep the converted ${precision} model in ${cacheDir}: ${errorMessage(err)}`,
      'give a writable folder with --cache-dir',
    );
  }
  return { path: file, conversion, cacheHit: false };
}

/** The report beside a cached file: the conversion, and the file's own sha256 to check it by. */
interface CacheEntry {
  conversion: Conversion;
  cachedSha256: string;
}

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A cache entry whose file is whole (its sha256 matches the report's); undefined otherwise. */
async function readCached(file: string, reportFile: string): Promise<Conversion | undefined> {
  try {
    const entry = JSON.parse(await readFile(reportFile, 'utf8')) as CacheEntry;
    if (sha256Of(await readFile(file)) !== entry.cachedSha256) return undefined;
    return { ...entry.conversion, cachedFile: file };
  } catch {
    return undefined; // no entry, or a torn or changed one: convert again
  }
}
