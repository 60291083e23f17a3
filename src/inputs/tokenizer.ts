/**
 * A Hugging Face tokenizer from a model folder (tokenizer.json beside the model, with
 * tokenizer_config.json and config.json where present), through @huggingface/tokenizers: text
 * in, token ids out, with the special tokens the file's post-processor adds and truncation to
 * the model's context. Padding is the batch builder's: it pads with `padId`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { errorMessage, usageError } from '../errors.js';
import { decodeInputText, readInputFile } from '../util/read-input.js';
import { printable } from '../util/text-safety.js';

export interface TextTokenizer {
  /** The tokenizer.json it was read from. */
  file: string;
  /** The longest sequence the model takes, from tokenizer_config.json or config.json; undefined when neither says. */
  maxLength: number | undefined;
  /** The id padding takes: the pad token's, else config.json's pad_token_id, else 0. */
  padId: number;
  /** The highest id the tokenizer can give (its vocabulary with added tokens, less one). */
  maxId: number;
  /** Token ids with special tokens, at most `maxTokens` of them (specials kept, the text cut). */
  encode(text: string, maxTokens?: number): number[];
}

const MAX_TOKENIZER_BYTES = 64 * 1024 * 1024;
const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** transformers writes this (int(1e30)) when a tokenizer has no limit of its own. */
const NO_LIMIT = 1e18;

/** The folder a model file's tokenizer and configs live in: beside it, or above an `onnx/` folder. */
export function modelConfigDirs(modelPath: string): string[] {
  const dir = path.dirname(modelPath);
  return path.basename(dir) === 'onnx' ? [dir, path.dirname(dir)] : [dir];
}

/** The first of `dirs` holding `name`, or undefined. */
export function findBeside(dirs: string[], name: string): string | undefined {
  for (const dir of dirs) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  return undefined;
}

/** A JSON object from a config file, or a usage error naming the file. */
export async function readJsonObject(
  file: string,
  what: string,
  maxBytes = MAX_CONFIG_BYTES,
): Promise<Record<string, unknown>> {
  const hint = `fix or remove ${path.basename(file)} (it must be the JSON file a Hugging Face export writes)`;
  const bytes = await readInputFile(file, { what, hint, maxBytes });
  const text = decodeInputText(bytes, file, { what, binaryHint: hint });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw usageError(`${file} is not valid JSON: ${printable(errorMessage(err))}`, hint);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw usageError(`${file} is not ${what}: it holds no JSON object`, hint);
  }
  return value as Record<string, unknown>;
}

const positiveInt = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v < NO_LIMIT ? v : undefined;

/**
 * The tokenizer beside a model, or null when there is none. A tokenizer.json that cannot be read
 * or loaded is a usage error naming it.
 */
export async function loadTokenizer(modelPath: string): Promise<TextTokenizer | null> {
  const dirs = modelConfigDirs(modelPath);
  const file = findBeside(dirs, 'tokenizer.json');
  if (!file) return null;
  const json = await readJsonObject(file, 'a tokenizer.json', MAX_TOKENIZER_BYTES);
  const configFile = findBeside(dirs, 'tokenizer_config.json');
  const config = configFile ? await readJsonObject(configFile, 'a tokenizer_config.json') : {};
  const modelConfigFile = findBeside(dirs, 'config.json');
  const modelConfig = modelConfigFile ? await readJsonObject(modelConfigFile, 'a config.json') : {};
  return tokenizerFrom(file, json, config, modelConfig);
}

/** A tokenizer from the parsed files; `file` names tokenizer.json in errors. */
export function tokenizerFrom(
  file: string,
  json: Record<string, unknown>,
  config: Record<string, unknown>,
  modelConfig: Record<string, unknown> = {},
): TextTokenizer {
  const hint = `${path.basename(file)} must be a Hugging Face tokenizer (BPE, WordPiece or Unigram); re-export it, or remove it to run on synthetic token ids`;
  if (typeof json.model !== 'object' || json.model === null) {
    throw usageError(`${file} is not a tokenizer.json: it has no "model"`, hint);
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json, config);
    // Some faults show only when text goes through (a vocabulary without its unknown token).
    tokenizer.encode('energy score');
  } catch (err) {
    throw usageError(`${file} could not be loaded as a tokenizer: ${printable(errorMessage(err))}`, hint);
  }
  const vocab = tokenizer.get_vocab(true);
  let maxId = -1;
  for (const id of vocab.values()) maxId = Math.max(maxId, id);
  const limits = [
    positiveInt(config.model_max_length),
    positiveInt(modelConfig.max_position_embeddings),
    positiveInt(modelConfig.n_positions),
  ].filter((v): v is number => v !== undefined);
  const maxLength = limits.length ? Math.min(...limits) : undefined;
  const padToken = typeof config.pad_token === 'string' ? config.pad_token : padContent(config.pad_token);
  const padFromToken = padToken !== undefined ? tokenizer.token_to_id(padToken) : undefined;
  const padId = padFromToken ?? positiveOrZero(modelConfig.pad_token_id) ?? 0;

  const encode = (text: string, maxTokens?: number): number[] => {
    const ids = tokenizer.encode(text).ids;
    const cap = Math.min(maxTokens ?? Infinity, maxLength ?? Infinity);
    if (ids.length <= cap) return ids;
    return truncate(ids, tokenizer.encode(text, { add_special_tokens: false }).ids, cap);
  };
  return { file, maxLength, padId, maxId, encode };
}

function padContent(value: unknown): string | undefined {
  if (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { content?: unknown }).content === 'string'
  ) {
    return (value as { content: string }).content;
  }
  return undefined;
}

const positiveOrZero = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : undefined;

/**
 * Cuts a sequence to `cap` ids, keeping the special tokens around the text: `withSpecials` is
 * `plain` with a head and a tail added (as template post-processors do), so the text is cut and
 * the head and tail stay. Where plain cannot be found inside (a post-processor that rewrites the
 * text's ids), the end is cut.
 */
export function truncate(withSpecials: number[], plain: number[], cap: number): number[] {
  const limit = Math.max(0, cap);
  for (let start = 0; start + plain.length <= withSpecials.length; start++) {
    let match = true;
    for (let i = 0; i < plain.length && match; i++) match = withSpecials[start + i] === plain[i];
    if (!match) continue;
    const head = withSpecials.slice(0, start);
    const tail = withSpecials.slice(start + plain.length);
    const room = limit - head.length - tail.length;
    if (room < 0) return withSpecials.slice(0, limit);
    return [...head, ...plain.slice(0, room), ...tail];
  }
  return withSpecials.slice(0, limit);
}
