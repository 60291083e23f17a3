/**
 * Finds a model's precision variants by the file naming of Hugging Face ONNX exports:
 * model.onnx, model_fp16.onnx, model_quantized.onnx, model_int8.onnx, ... in a directory or its onnx/.
 */
import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage, usageError } from '../errors.js';

export const PRECISIONS = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'] as const;
export type Precision = (typeof PRECISIONS)[number];

/** File-name suffix of each precision, as transformers.js names them (q8 is `_quantized`). */
const SUFFIX: Record<Precision, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};

/** The file name of a precision variant beside `base.onnx`: `model_fp16.onnx` for fp16 of `model`. */
export function variantFileName(base: string, precision: Precision): string {
  return `${base}${SUFFIX[precision]}.onnx`;
}

const ALIASES: Record<string, Precision> = {
  float32: 'fp32',
  float16: 'fp16',
  quantized: 'q8',
};

export interface ModelVariant {
  precision: Precision;
  path: string;
}

export interface ModelSource {
  /** A short name for tables: the directory's name, or the file's name without `.onnx`. */
  name: string;
  /** What the user gave. */
  argument: string;
  variants: ModelVariant[];
}

/** A requested precision this model does not have, kept so the report can say why it was skipped. */
export interface MissingVariant {
  precision: Precision;
  reason: string;
}

/** Splits `model_fp16.onnx` into base `model` and precision `fp16`. Longest suffix first (q4f16 before fp16). */
export function parseVariantFileName(fileName: string): { base: string; precision: Precision } | undefined {
  if (!fileName.endsWith('.onnx')) return undefined;
  const stem = fileName.slice(0, -'.onnx'.length);
  const bySuffixLength = PRECISIONS.filter((p) => SUFFIX[p] !== '').sort(
    (a, b) => SUFFIX[b].length - SUFFIX[a].length,
  );
  for (const precision of bySuffixLength) {
    const suffix = SUFFIX[precision];
    if (stem.endsWith(suffix) && stem.length > suffix.length) {
      return { base: stem.slice(0, -suffix.length), precision };
    }
  }
  return { base: stem, precision: 'fp32' };
}

/** An `.onnx` file name without a precision suffix: an fp32 export (`model.onnx`, `decoder_model.onnx`). */
export function isFp32FileName(fileName: string): boolean {
  return parseVariantFileName(fileName)?.precision === 'fp32';
}

export function parsePrecision(text: string): Precision {
  const key = text.trim().toLowerCase();
  const precision =
    (Object.hasOwn(ALIASES, key) ? ALIASES[key] : undefined) ??
    (PRECISIONS as readonly string[]).find((p) => p === key);
  if (!precision) {
    throw usageError(`unknown precision '${text}'`, `use one of: ${PRECISIONS.join(', ')} (quantized = q8)`);
  }
  return precision as Precision;
}

const HINT_MODEL =
  'give an .onnx file or a directory holding model.onnx, or run `energy-score bench` with no model for the demo';

/** What a path is when it is neither a file nor a folder, for messages. */
function kindOf(info: Stats): string {
  if (info.isFIFO()) return 'a named pipe (FIFO)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice() || info.isBlockDevice()) return 'a device';
  return 'a special file';
}

/** A stat or readdir failure other than "not there", in words. */
function unreadable(target: string, err: unknown) {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EACCES' || code === 'EPERM') {
    return usageError(`cannot read ${target}: permission denied`, `check who may read it (ls -ld ${target})`);
  }
  if (code === 'ENOTDIR')
    return usageError(`cannot read ${target}: a folder in its path is a file`, 'check the path');
  return usageError(`cannot read ${target}: ${errorMessage(err)}`, HINT_MODEL);
}

/** Folder entries, following symbolic links (a Hugging Face cache links every file into blobs/). */
async function entriesOf(dir: string): Promise<{ name: string; path: string; info: Stats }[] | null> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw unreadable(dir, err);
  }
  const entries = [];
  for (const name of names.sort()) {
    const at = path.join(dir, name);
    // A dangling link or an entry removed meanwhile is no model.
    const info = await stat(at).catch(() => undefined);
    if (info) entries.push({ name, path: at, info });
  }
  return entries;
}

/** Subfolders of `dir` that hold models themselves (a zoo of model folders), for the hint. */
async function modelFolders(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of (await entriesOf(dir).catch(() => null)) ?? []) {
    if (!entry.info.isDirectory()) continue;
    for (const inner of [entry.path, path.join(entry.path, 'onnx')]) {
      const files = (await entriesOf(inner).catch(() => null)) ?? [];
      if (files.some((f) => f.info.isFile() && parseVariantFileName(f.name))) {
        found.push(entry.path);
        break;
      }
    }
  }
  return found;
}

export async function discoverModel(argument: string): Promise<ModelSource> {
  let info: Stats;
  try {
    info = await stat(argument);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw usageError(`model not found: ${argument}`, HINT_MODEL);
    throw unreadable(argument, err);
  }
  if (!info.isFile() && !info.isDirectory()) {
    throw usageError(`cannot read ${argument}: it is ${kindOf(info)}, not an .onnx file`, HINT_MODEL);
  }
  if (info.isFile()) {
    const parsed = parseVariantFileName(path.basename(argument));
    // model.onnx / model_fp16.onnx say nothing: name them after their folder (above onnx/).
    let name = parsed ? path.basename(argument, '.onnx') : path.basename(argument);
    if (parsed?.base === 'model') {
      const dir = path.dirname(path.resolve(argument));
      name = path.basename(path.basename(dir) === 'onnx' ? path.dirname(dir) : dir);
    }
    return { name, argument, variants: [{ precision: parsed?.precision ?? 'fp32', path: argument }] };
  }

  const candidates: { base: string; precision: Precision; path: string }[] = [];
  for (const dir of [argument, path.join(argument, 'onnx')]) {
    for (const entry of (await entriesOf(dir)) ?? []) {
      const parsed = parseVariantFileName(entry.name);
      if (!parsed) continue;
      if (!entry.info.isFile()) {
        if (entry.info.isDirectory()) continue;
        // Skipping it would leave bench measuring another variant, or none, with no word why.
        throw usageError(
          `cannot read ${entry.path}: it is ${kindOf(entry.info)}, not an .onnx file`,
          HINT_MODEL,
        );
      }
      candidates.push({ ...parsed, path: entry.path });
    }
  }
  if (candidates.length === 0) {
    const folders = await modelFolders(argument);
    if (folders.length > 0) {
      const shown = folders.slice(0, 4).map((f) => (/\s/.test(f) ? JSON.stringify(f) : f));
      throw usageError(
        `no .onnx model in ${argument} itself, but it holds ${folders.length === 1 ? 'a model folder' : `${folders.length} model folders`}: ${folders.map((f) => path.basename(f)).join(', ')}`,
        `pass the models to measure: energy-score bench ${shown.join(' ')}${folders.length > 4 ? ' …' : ''} (bench takes several; inspect takes one)`,
      );
    }
    throw usageError(
      `no .onnx model in ${argument} (looked in it and in its onnx/ folder)`,
      'point at the .onnx file, or at a directory exported with Hugging Face naming (model.onnx, model_fp16.onnx, ...)',
    );
  }
  const bases = [...new Set(candidates.map((c) => c.base))].sort();
  const base = bases.includes('model') ? 'model' : bases.length === 1 ? bases[0]! : undefined;
  if (!base) {
    throw usageError(
      `${argument} holds several models (${bases.join(', ')})`,
      'pass the .onnx file of the one to measure',
    );
  }
  const byPrecision = new Map<Precision, string>();
  // The top folder wins over onnx/ when both hold the same variant.
  for (const c of candidates)
    if (c.base === base && !byPrecision.has(c.precision)) byPrecision.set(c.precision, c.path);
  const variants = PRECISIONS.filter((p) => byPrecision.has(p)).map((p) => ({
    precision: p,
    path: byPrecision.get(p)!,
  }));
  return { name: path.basename(path.resolve(argument)), argument, variants };
}

/**
 * Picks the requested precisions; all variants when none are requested. `int8` falls back to
 * the `_quantized` file (Hugging Face's usual int8 export) when there is no `_int8` file.
 */
export function selectVariants(
  source: ModelSource,
  requested: readonly Precision[] | undefined,
): { selected: ModelVariant[]; missing: MissingVariant[] } {
  if (!requested || requested.length === 0) return { selected: source.variants, missing: [] };
  const selected: ModelVariant[] = [];
  const missing: MissingVariant[] = [];
  for (const precision of requested) {
    const found =
      source.variants.find((v) => v.precision === precision) ??
      (precision === 'int8' ? source.variants.find((v) => v.precision === 'q8') : undefined);
    if (found && !selected.includes(found)) selected.push(found);
    else if (!found) {
      const have = source.variants.map((v) => v.precision).join(', ');
      missing.push({
        precision,
        reason: `${source.name} has no ${precision} variant (model${SUFFIX[precision]}.onnx); found: ${have}`,
      });
    }
  }
  return { selected, missing };
}
