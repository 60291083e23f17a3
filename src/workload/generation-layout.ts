/**
 * Finds how a generative model is driven: which files, which inputs carry the KV cache and
 * which outputs refill it, the ids' dtypes, the context and the end-of-sequence tokens. Read
 * from the folder (genai_config.json, config.json, generation_config.json and the optimum file
 * names) and from each graph's own signature, since exports differ (int32 or int64 ids,
 * `past_seq_len` or `past_sequence_length`, with or without position_ids).
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Dim, ModelInfo, TensorInfo } from '../model/inspect.js';
import { parseVariantFileName, PRECISIONS, type ModelSource } from '../model/variants.js';
import type { InputOverrides } from './overrides.js';

export type LayoutKind = 'genai' | 'single' | 'merged' | 'pair' | 'seq2seq' | 'no-cache';

/** One cache input, the output that refills it, and how to make it empty. */
export interface CacheSlot {
  past: string;
  /** The output whose value feeds `past` on the next step. */
  present: string;
  dtype: string;
  /** The empty tensor's shape at batch 1: the batch dim is `batchAxis`, the sequence dim 0. */
  emptyShape: number[];
  batchAxis: number;
  /** Encoder-decoder cross-attention cache: filled once, at the first step, then kept. */
  encoder: boolean;
}

export interface NamedInput {
  name: string;
  dtype: string;
}

/** What one decoder graph takes and gives. */
export interface DecoderSignature {
  path: string;
  inputIds: NamedInput;
  attentionMask: NamedInput | null;
  positionIds: NamedInput | null;
  numLogitsToKeep: NamedInput | null;
  useCacheBranch: string | null;
  encoderHiddenStates: string | null;
  encoderAttentionMask: NamedInput | null;
  logits: string;
  cache: CacheSlot[];
}

/** An encoder run once per query: of token ids (text), log-mel features (speech) or pixels (image). */
export interface EncoderSignature {
  path: string;
  /** Text encoders: the prompt's ids and mask. */
  inputIds: NamedInput | null;
  attentionMask: NamedInput | null;
  /**
   * Speech encoders (Whisper's `input_features`, [mels, frames] past the batch) and image encoders
   * (ViT's `pixel_values`, [channels, height, width]): the input and its shape past the batch.
   */
  features: (NamedInput & { dims: number[] }) | null;
  output: string;
}

/** The encoder inputs that take one fixed-shape float tensor per query. */
export const ENCODER_TENSOR_INPUTS: readonly string[] = ['input_features', 'pixel_values'];

/** The encoder's signature, or why it cannot be driven. */
export function readEncoder(
  encoder: Pick<ModelInfo, 'path' | 'inputs' | 'outputs'>,
  overrides: InputOverrides,
): { encoder: EncoderSignature } | { unsupported: string } {
  const output =
    encoder.outputs.find((o) => o.name === 'last_hidden_state')?.name ?? encoder.outputs[0]?.name;
  if (!output) return { unsupported: 'the encoder has no output' };
  const ids = encoder.inputs.find((i) => i.name === 'input_ids');
  const mask = encoder.inputs.find((i) => i.name === 'attention_mask');
  const named = (t: TensorInfo | undefined) => (t ? { name: t.name, dtype: t.dtype } : null);
  if (ids)
    return {
      encoder: {
        path: encoder.path,
        inputIds: named(ids),
        attentionMask: named(mask),
        features: null,
        output,
      },
    };
  // Speech (Whisper's log-mel input_features) or image (ViT's pixel_values): one fixed-shape tensor.
  const features = encoder.inputs.find((i) => ENCODER_TENSOR_INPUTS.includes(i.name));
  const others = encoder.inputs.filter((i) => i !== features).map((i) => i.name);
  if (!features || others.length > 0 || !['float32', 'float16'].includes(features.dtype)) {
    const names = encoder.inputs.map((i) => i.name).join(', ');
    return {
      unsupported: `the encoder takes ${names}: text encoders (input_ids), speech encoders (input_features alone) and image encoders (pixel_values alone) are driven`,
    };
  }
  const example =
    features.name === 'pixel_values' ? 'ViT takes 3 × 224 × 224' : 'Whisper takes 80 or 128 × 3000';
  const dims: number[] = [];
  for (const d of (features.shape ?? []).slice(1)) {
    const size = typeof d === 'number' ? d : d ? overrides.dims[d] : undefined;
    if (size === undefined || size < 1) {
      return {
        unsupported: `the encoder's ${features.name} has a dim ${d ? `'${d}'` : 'without a name'} that is not fixed: pin it with --dim ${d ?? 'NAME'}=N (${example})`,
      };
    }
    dims.push(size);
  }
  return {
    encoder: {
      path: encoder.path,
      inputIds: null,
      attentionMask: null,
      features: { name: features.name, dtype: features.dtype, dims },
      output,
    },
  };
}

export interface GenerationLayout {
  kind: LayoutKind;
  /** In words, for the report: "optimum single-file decoder (model.onnx)". */
  description: string;
  /** The graph of the first step (prefill). */
  first: DecoderSignature;
  /** The graph of every later step: the same file except for the legacy pair. */
  next: DecoderSignature;
  encoder: EncoderSignature | null;
  /** Longest sequence (prompt + new tokens) the model takes, and where that figure came from. */
  contextTokens: number;
  contextSource: string;
  eosTokenIds: number[];
  padTokenId: number;
  /** Encoder-decoders: the token each decoder sequence starts with. */
  decoderStartTokenId: number | null;
  vocabSize: number | null;
  modelType: string | null;
  /** What was assumed for want of a config file, in words. */
  assumptions: string[];
}

export type LayoutDetection =
  | { status: 'found'; layout: GenerationLayout }
  /** No generative layout: the model runs one pass per query, as before. */
  | { status: 'none'; reason: string }
  /** Generative, but not in a way this tool can drive: skipped with the reason. */
  | { status: 'unsupported'; reason: string };

/** What a folder holds, by the names the exporters use. */
export interface GenerativeFiles {
  folder: string;
  genaiConfig: Record<string, unknown> | null;
  config: Record<string, unknown> | null;
  generationConfig: Record<string, unknown> | null;
  /** Model files found, by role: the fp32 files (no precision suffix). */
  files: RoleFiles;
  /**
   * The same roles per precision suffix, as transformers.js names them
   * (`decoder_model_merged_q4.onnx`, `encoder_model_fp16.onnx`); fp32 is `files`.
   */
  byPrecision: Record<string, RoleFiles>;
}

export type RoleFiles = Partial<
  Record<'model' | 'merged' | 'decoder' | 'withPast' | 'encoder' | 'genaiDecoder', string>
>;

const FILE_ROLES: [keyof RoleFiles, string][] = [
  ['model', 'model'],
  ['merged', 'decoder_model_merged'],
  ['decoder', 'decoder_model'],
  ['withPast', 'decoder_with_past_model'],
  ['encoder', 'encoder_model'],
];

/** The folder's files as those of one precision variant: its own files in every role. */
export function filesFor(found: GenerativeFiles, precision: string): GenerativeFiles {
  if (precision === 'fp32') return found;
  return { ...found, files: found.byPrecision[precision] ?? {} };
}

async function isFile(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isFile() ?? false;
}

async function readJson(p: string): Promise<Record<string, unknown> | null> {
  if (!(await isFile(p))) return null;
  try {
    const value: unknown = JSON.parse((await readFile(p, 'utf8')).replace(/^\uFEFF/, ''));
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

/**
 * The config files and model files of a folder (or of the folder holding a file), looking in
 * it and its onnx/ subfolder as Hugging Face exports lay them out.
 */
export async function readGenerativeFiles(argument: string): Promise<GenerativeFiles> {
  const info = await stat(argument).catch(() => undefined);
  const folder = info?.isDirectory() ? argument : path.dirname(argument);
  // Config files sit at the top; model files at the top or under onnx/.
  const parent = path.basename(folder) === 'onnx' ? path.dirname(folder) : folder;
  const configIn = async (name: string) =>
    (await readJson(path.join(folder, name))) ?? (await readJson(path.join(parent, name)));
  const files: RoleFiles = {};
  const byPrecision: Record<string, RoleFiles> = {};
  for (const dir of [folder, path.join(folder, 'onnx')]) {
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      const parsed = parseVariantFileName(name);
      const role = parsed && FILE_ROLES.find(([, base]) => base === parsed.base)?.[0];
      if (!parsed || !role || !(await isFile(path.join(dir, name)))) continue;
      const into = parsed.precision === 'fp32' ? files : (byPrecision[parsed.precision] ??= {});
      into[role] ??= path.join(dir, name);
    }
  }
  const genaiConfig = await configIn('genai_config.json');
  const decoderFile = stringAt(genaiConfig, ['model', 'decoder', 'filename']);
  if (decoderFile && !decoderFile.includes('/') && (await isFile(path.join(folder, decoderFile)))) {
    files.genaiDecoder = path.join(folder, decoderFile);
  }
  return {
    folder,
    genaiConfig,
    config: await configIn('config.json'),
    generationConfig: await configIn('generation_config.json'),
    files,
    byPrecision,
  };
}

/**
 * A folder whose models together make one generative model (a decoder pair, a merged decoder,
 * an encoder-decoder, a genai export): the file that stands for it in the report. Null for
 * anything else, which the ordinary variant discovery handles.
 */
export function generativeMainFile(found: GenerativeFiles): { path: string; kind: LayoutKind } | null {
  const f = found.files;
  if (found.genaiConfig && f.genaiDecoder) return { path: f.genaiDecoder, kind: 'genai' };
  if (f.encoder && (f.decoder || f.merged)) return { path: (f.decoder ?? f.merged)!, kind: 'seq2seq' };
  if (f.model) return null;
  if (f.merged) return { path: f.merged, kind: 'merged' };
  if (f.decoder && f.withPast) return { path: f.decoder, kind: 'pair' };
  return null;
}

/**
 * A folder whose files make one generative model (a decoder pair, a merged decoder, an
 * encoder-decoder, a genai export), which the variant discovery would refuse as several models:
 * one variant per precision suffix its main file has. Null for anything else.
 */
export function generativeSource(argument: string, files: GenerativeFiles): ModelSource | null {
  const main = generativeMainFile(files);
  if (!main || path.resolve(files.folder) !== path.resolve(argument)) return null;
  const variants = PRECISIONS.flatMap((precision) => {
    const file = generativeMainFile(filesFor(files, precision));
    return file?.kind === main.kind ? [{ precision, path: file.path }] : [];
  });
  return { name: path.basename(path.resolve(argument)), argument, variants };
}

// ---------------------------------------------------------------------------------------------
// Reading the signatures
// ---------------------------------------------------------------------------------------------

function stringAt(obj: Record<string, unknown> | null, keys: string[]): string | undefined {
  let at: unknown = obj;
  for (const k of keys) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[k] : undefined;
  return typeof at === 'string' ? at : undefined;
}

function numberAt(obj: Record<string, unknown> | null, keys: string[]): number | undefined {
  let at: unknown = obj;
  for (const k of keys) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[k] : undefined;
  return typeof at === 'number' && Number.isSafeInteger(at) && at >= 0 ? at : undefined;
}

function tokenIds(value: unknown): number[] | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return [value];
  if (Array.isArray(value)) {
    const ids = value.filter((v): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0);
    return ids.length ? ids : undefined;
  }
  return undefined;
}

const ID_DTYPES = ['int32', 'int64'];

/** Names other than the cache that a decoder may take, with their roles. */
const KNOWN_INPUTS =
  /^(input_ids|attention_mask|position_ids|num_logits_to_keep|use_cache_branch|encoder_hidden_states|encoder_attention_mask)$/;

/** The output that refills a past input: present.* for past_key_values.*, present_* for past_*. */
function presentFor(
  past: string,
  outputs: readonly string[],
  patterns: [RegExp, string][],
): string | undefined {
  for (const [re, replacement] of patterns) {
    if (re.test(past)) {
      const candidate = past.replace(re, replacement);
      if (outputs.includes(candidate)) return candidate;
    }
  }
  return undefined;
}

/** genai's `%d` name patterns as a regular expression over the layer number. */
function patternRegex(pattern: string): RegExp {
  const escaped = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace('%d', '(\\d+)');
  return new RegExp(`^${escaped}$`);
}

interface SignatureContext {
  /** genai's name patterns, past → present, where its config gives them. */
  genaiPatterns: [RegExp, string][];
  /** Sizes of named dims: the user's --dim pins, then the configs' figures. */
  dimSizes: Record<string, number>;
  headSize: number | undefined;
  kvHeads: number | undefined;
}

const BATCH_DIM = /^(batch|batch_size|N|B)$/i;
const SEQUENCE_DIM = /seq|past|length|total|len/i;

/**
 * A decoder's signature, or why it cannot be driven. `needsCache` says whether this graph is
 * expected to take past inputs (the first graph of the legacy pair does not).
 */
export function readSignature(
  model: Pick<ModelInfo, 'path' | 'inputs' | 'outputs'>,
  context: SignatureContext,
): { signature: DecoderSignature } | { unsupported: string } {
  const input = (name: string) => model.inputs.find((i) => i.name === name);
  const named = (name: string): NamedInput | null => {
    const found = input(name);
    return found ? { name, dtype: found.dtype } : null;
  };
  const inputIds = named('input_ids');
  if (!inputIds) return { unsupported: `${path.basename(model.path)} has no input_ids input` };
  const outputNames = model.outputs.map((o) => o.name);
  const logits = outputNames.includes('logits') ? 'logits' : undefined;
  if (!logits) return { unsupported: `${path.basename(model.path)} has no logits output` };
  const logitsRank = model.outputs.find((o) => o.name === 'logits')?.shape?.length;
  if (logitsRank !== undefined && logitsRank !== 3) {
    return {
      unsupported: `${path.basename(model.path)} gives logits of rank ${logitsRank}, not one row per token ([batch, sequence, vocab])`,
    };
  }
  for (const n of [inputIds, named('attention_mask'), named('position_ids')]) {
    if (n && !ID_DTYPES.includes(n.dtype)) {
      return { unsupported: `input '${n.name}' is ${n.dtype}, not int32 or int64` };
    }
  }
  const patterns: [RegExp, string][] = [
    ...context.genaiPatterns,
    [/^past_key_values\./, 'present.'],
    [/^past_key_values_/, 'present_'],
    [/^past_/, 'present_'],
    [/^past\./, 'present.'],
  ];
  const cache: CacheSlot[] = [];
  const unknown: string[] = [];
  for (const tensor of model.inputs) {
    if (KNOWN_INPUTS.test(tensor.name)) continue;
    const isPast = /^past/.test(tensor.name) || context.genaiPatterns.some(([re]) => re.test(tensor.name));
    if (!isPast) {
      unknown.push(tensor.name);
      continue;
    }
    const encoderCache = /encoder|cross/.test(tensor.name);
    // A with-past decoder takes the cross-attention cache but never outputs it: the first
    // step's graph does, and it is kept from there.
    const present =
      presentFor(tensor.name, outputNames, patterns) ??
      (encoderCache
        ? tensor.name.replace(/^past_key_values\./, 'present.').replace(/^past_/, 'present_')
        : undefined);
    if (!present) {
      unknown.push(`${tensor.name} (no matching present output)`);
      continue;
    }
    const shaped = emptyShape(tensor, context);
    if ('unsupported' in shaped) return shaped;
    cache.push({
      past: tensor.name,
      present,
      dtype: tensor.dtype,
      emptyShape: shaped.shape,
      batchAxis: shaped.batchAxis,
      encoder: encoderCache,
    });
  }
  if (unknown.length) {
    return {
      unsupported: `inputs it cannot drive as a KV cache or a known input: ${unknown.join(', ')} (a state it cannot size or refill); bench one forward pass with --task custom, sizing and filling such inputs with --dim NAME=N and --fill INPUT=VALUE`,
    };
  }
  return {
    signature: {
      path: model.path,
      inputIds,
      attentionMask: named('attention_mask'),
      positionIds: named('position_ids'),
      numLogitsToKeep: named('num_logits_to_keep'),
      useCacheBranch: input('use_cache_branch') ? 'use_cache_branch' : null,
      encoderHiddenStates: input('encoder_hidden_states') ? 'encoder_hidden_states' : null,
      encoderAttentionMask: named('encoder_attention_mask'),
      logits,
      cache,
    },
  };
}

/**
 * The shape of an empty past: [batch, heads, 0, head] (or [2, batch, heads, 0, head] for a
 * combined cache). The sequence dim is the rank's second to last; other symbolic dims come from
 * a --dim pin or the config, else the input cannot be sized.
 */
function emptyShape(
  tensor: TensorInfo,
  context: SignatureContext,
): { shape: number[]; batchAxis: number } | { unsupported: string } {
  const shape: Dim[] | null = tensor.shape;
  if (!shape || shape.length < 3) {
    return {
      unsupported: `cache input '${tensor.name}' has no shape of rank 3 or more: its sizes are unknown`,
    };
  }
  const sequenceAxis = shape.length - 2;
  let batchAxis = shape.findIndex((d) => typeof d === 'string' && BATCH_DIM.test(d));
  if (batchAxis < 0) batchAxis = shape.length === 5 ? 1 : 0;
  const out: number[] = [];
  for (const [axis, d] of shape.entries()) {
    if (axis === sequenceAxis) out.push(0);
    else if (axis === batchAxis) out.push(1);
    else if (typeof d === 'number') out.push(d);
    else {
      const name = d ?? '';
      const size =
        (name ? context.dimSizes[name] : undefined) ??
        (axis === shape.length - 1 ? context.headSize : undefined) ??
        (axis === sequenceAxis - 1 ? context.kvHeads : undefined);
      if (size === undefined) {
        const pin = name && !SEQUENCE_DIM.test(name) ? `--dim ${name}=N` : '--dim NAME=N';
        return {
          unsupported: `cache input '${tensor.name}' has a dim ${name ? `'${name}'` : 'without a name'} (axis ${axis}) that neither the model nor its config sizes: pin it with ${pin}`,
        };
      }
      out.push(size);
    }
  }
  return { shape: out, batchAxis };
}

// ---------------------------------------------------------------------------------------------
// The layout
// ---------------------------------------------------------------------------------------------

/** The default context when nothing says what the model takes: the suite's longest prompt. */
export const DEFAULT_CONTEXT_TOKENS = 1024;

export interface LayoutRequest {
  /** The model file being run (a precision variant, or the main file of a folder layout). */
  model: ModelInfo;
  /** What the folder holds (from readGenerativeFiles). */
  files: GenerativeFiles;
  overrides: InputOverrides;
  /** Reads another graph of the layout (the pair's second file, the encoder). */
  inspect: (modelPath: string) => Promise<ModelInfo>;
}

/** Detects the layout, in the order: genai_config.json, merged, single file, pair, encoder-decoder, no cache. */
export async function detectLayout(request: LayoutRequest): Promise<LayoutDetection> {
  const { model, files, overrides } = request;
  const { config, generationConfig, genaiConfig } = files;
  const assumptions: string[] = [];
  const decoderConfig = (genaiConfig?.model as Record<string, unknown> | undefined)?.decoder as
    Record<string, unknown> | undefined;
  const genaiPatterns: [RegExp, string][] = [];
  if (genaiConfig && decoderConfig) {
    for (const [pastKey, presentKey] of [
      ['past_key_names', 'present_key_names'],
      ['past_value_names', 'present_value_names'],
      ['past_names', 'present_names'],
    ] as const) {
      const past = stringAt(decoderConfig, ['inputs', pastKey]);
      const present = stringAt(decoderConfig, ['outputs', presentKey]);
      if (past?.includes('%d') && present?.includes('%d')) {
        genaiPatterns.push([patternRegex(past), present.replace('%d', '$1')]);
      }
    }
  }
  const heads =
    numberAt(decoderConfig ?? null, ['num_key_value_heads']) ??
    numberAt(config, ['num_key_value_heads']) ??
    numberAt(config, ['num_attention_heads']) ??
    numberAt(config, ['n_head']);
  const hidden =
    numberAt(config, ['hidden_size']) ?? numberAt(config, ['n_embd']) ?? numberAt(config, ['d_model']);
  const headSize =
    numberAt(decoderConfig ?? null, ['head_size']) ??
    numberAt(config, ['head_dim']) ??
    (hidden && heads ? hidden / heads : undefined);
  const context: SignatureContext = {
    genaiPatterns,
    dimSizes: overrides.dims,
    headSize: headSize !== undefined && Number.isInteger(headSize) ? headSize : undefined,
    kvHeads: heads,
  };

  const read = async (modelPath: string) =>
    readSignature(modelPath === model.path ? model : await request.inspect(modelPath), context);

  let kind: LayoutKind;
  let description: string;
  let first: DecoderSignature;
  let next: DecoderSignature;
  let encoder: GenerationLayout['encoder'] = null;
  const base = path.basename(model.path);
  const main = read(model.path);
  const mainSig = await main;
  if ('unsupported' in mainSig) {
    const hasPast = model.inputs.some((i) => /^past/.test(i.name));
    if (!hasPast && !genaiConfig) return { status: 'none', reason: mainSig.unsupported };
    return { status: 'unsupported', reason: mainSig.unsupported };
  }
  const sig = mainSig.signature;
  if (genaiConfig && files.files.genaiDecoder === model.path) {
    kind = 'genai';
    description = `onnxruntime-genai export (genai_config.json, ${base})`;
    first = next = sig;
  } else if (sig.encoderHiddenStates) {
    if (!files.files.encoder) {
      return {
        status: 'unsupported',
        reason: `${base} takes encoder_hidden_states but no encoder_model.onnx sits beside it`,
      };
    }
    const encoderInfo = await request.inspect(files.files.encoder);
    const encoderRead = readEncoder(encoderInfo, overrides);
    if ('unsupported' in encoderRead) return { status: 'unsupported', reason: encoderRead.unsupported };
    encoder = encoderRead.encoder;
    first = sig;
    if (sig.useCacheBranch) {
      next = sig;
      kind = 'seq2seq';
      description = `encoder-decoder (${path.basename(files.files.encoder)} + ${base})`;
    } else if (files.files.withPast) {
      const second = await read(files.files.withPast);
      if ('unsupported' in second) return { status: 'unsupported', reason: second.unsupported };
      next = second.signature;
      kind = 'seq2seq';
      description = `encoder-decoder (${path.basename(files.files.encoder)} + ${base} + ${path.basename(files.files.withPast)})`;
    } else {
      return {
        status: 'unsupported',
        reason: `${base} has no decoder_with_past_model.onnx beside it to decode with`,
      };
    }
  } else if (sig.useCacheBranch) {
    kind = 'merged';
    description = `merged decoder (${base}, use_cache_branch)`;
    first = next = sig;
  } else if (sig.cache.length > 0) {
    kind = 'single';
    description = `decoder with KV cache (${base})`;
    first = next = sig;
    if (model.path === files.files.withPast && files.files.decoder) {
      // The pair given by its second file: prefill with the first.
      const firstSig = await read(files.files.decoder);
      if (!('unsupported' in firstSig)) {
        kind = 'pair';
        first = firstSig.signature;
        description = `decoder pair (decoder_model.onnx + ${base})`;
      }
    }
  } else if (files.files.withPast && model.path === files.files.decoder) {
    const second = await read(files.files.withPast);
    if ('unsupported' in second) return { status: 'unsupported', reason: second.unsupported };
    if (second.signature.cache.length === 0) {
      return { status: 'unsupported', reason: `${path.basename(files.files.withPast)} takes no past inputs` };
    }
    kind = 'pair';
    description = `decoder pair (${base} + ${path.basename(files.files.withPast)})`;
    first = sig;
    next = second.signature;
  } else {
    kind = 'no-cache';
    description = `decoder without a KV cache (${base}): the whole sequence is recomputed at every step`;
    first = next = sig;
  }
  if (kind !== 'no-cache' && next.cache.length === 0) {
    return { status: 'unsupported', reason: `${path.basename(next.path)} takes no past inputs` };
  }
  const presentOutputs = new Set(model.outputs.map((o) => o.name));
  if (kind === 'pair' && !next.cache.every((c) => presentOutputs.has(c.present))) {
    return {
      status: 'unsupported',
      reason: `${base} does not output every present tensor that ${path.basename(next.path)} takes as past`,
    };
  }

  // Context: genai's context_length, then config.json, then a fixed or pinned dim, then a default.
  let contextTokens: number | undefined;
  let contextSource = '';
  const fromConfig: [Record<string, unknown> | null, string[], string][] = [
    [genaiConfig, ['model', 'context_length'], 'genai_config.json model.context_length'],
    [config, ['max_position_embeddings'], 'config.json max_position_embeddings'],
    [config, ['n_positions'], 'config.json n_positions'],
    [config, ['max_target_positions'], 'config.json max_target_positions'],
    // A VisionEncoderDecoder's config nests its decoder's.
    [config, ['decoder', 'max_position_embeddings'], 'config.json decoder.max_position_embeddings'],
    [config, ['decoder', 'n_positions'], 'config.json decoder.n_positions'],
  ];
  for (const [obj, keys, source] of fromConfig) {
    const value = numberAt(obj, keys);
    if (value !== undefined && value > 1) {
      contextTokens = value;
      contextSource = source;
      break;
    }
  }
  if (contextTokens === undefined) {
    const maskShape = model.inputs.find((i) => i.name === first.attentionMask?.name)?.shape;
    const fixed = typeof maskShape?.[1] === 'number' ? maskShape[1] : undefined;
    const pinned = Object.values(overrides.dims).filter((n) => n > 1);
    if (fixed !== undefined && fixed > 1) {
      contextTokens = fixed;
      contextSource = 'the attention mask’s fixed length';
    } else if (pinned.length) {
      contextTokens = Math.max(...pinned);
      contextSource = 'the largest --dim pinned';
    } else {
      contextTokens = DEFAULT_CONTEXT_TOKENS;
      contextSource = `a default of ${DEFAULT_CONTEXT_TOKENS} tokens (the suite's longest prompt)`;
    }
    assumptions.push(
      `no config.json gives the context: assumed ${contextTokens} tokens, from ${contextSource}`,
    );
  }

  const eos =
    tokenIds(generationConfig?.eos_token_id) ??
    tokenIds((genaiConfig?.model as Record<string, unknown> | undefined)?.eos_token_id) ??
    tokenIds(config?.eos_token_id);
  if (!eos) assumptions.push('no config gives an end-of-sequence token: none is suppressed');
  const pad =
    tokenIds(generationConfig?.pad_token_id) ??
    tokenIds((genaiConfig?.model as Record<string, unknown> | undefined)?.pad_token_id) ??
    tokenIds(config?.pad_token_id) ??
    eos;
  if (!tokenIds(config?.pad_token_id) && !tokenIds(generationConfig?.pad_token_id) && !genaiConfig) {
    assumptions.push(
      `no pad token in a config: left padding uses ${pad ? `the end-of-sequence token ${pad[0]}` : 'token 0'}`,
    );
  }
  const start =
    tokenIds(generationConfig?.decoder_start_token_id) ??
    tokenIds(config?.decoder_start_token_id) ??
    undefined;
  if (kind === 'seq2seq' && !start) {
    assumptions.push(`no decoder_start_token_id in a config: decoding starts from token ${pad?.[0] ?? 0}`);
  }
  const logitsShape = model.outputs.find((o) => o.name === 'logits')?.shape;
  const lastDim = logitsShape?.[logitsShape.length - 1];
  const vocabSize =
    (typeof lastDim === 'number' ? lastDim : undefined) ??
    numberAt(config, ['vocab_size']) ??
    numberAt((genaiConfig?.model as Record<string, unknown> | null) ?? null, ['vocab_size']) ??
    model.embeddingVocab.input_ids ??
    null;
  const modelType = stringAt(config, ['model_type']) ?? stringAt(genaiConfig, ['model', 'type']) ?? null;
  if (!config && !genaiConfig) assumptions.unshift('no config.json beside the model');

  return {
    status: 'found',
    layout: {
      kind,
      description,
      first,
      next,
      encoder,
      contextTokens,
      contextSource,
      eosTokenIds: eos ?? [],
      padTokenId: pad?.[0] ?? 0,
      decoderStartTokenId: kind === 'seq2seq' ? (start?.[0] ?? pad?.[0] ?? 0) : null,
      vocabSize,
      modelType,
      assumptions,
    },
  };
}
