/**
 * Real inputs for a model: which data (--data, the bundled set for the modality, or synthetic),
 * through which of the model's own files (tokenizer.json, preprocessor_config.json), into one
 * row of values per query. All of it happens before the measured loop, and its time is recorded
 * apart (`inputs.data.preprocessMs`).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EnergyScoreError, usageError } from '../errors.js';
import type { ModelInfo } from '../model/inspect.js';
import type { InputData } from '../result/schema.js';
import type { SynthesisPlan } from '../workload/input-plan.js';
import { sampleQuerySizes, type QuerySize, type TaskDefinition } from '../workload/tasks.js';
import { readUserData, type UserData } from './data-files.js';
import { textQueries, type TextSource } from './text-queries.js';
import { loadTokenizer } from './tokenizer.js';
import { imageQueries, type MediaFile } from './image-queries.js';
import { AUDIO_EXTENSIONS, IMAGE_EXTENSIONS } from './data-files.js';
import { audioQueries } from './audio-queries.js';

/** --data: left out (the bundled set where the model can use it), `synthetic`, or a path. */
export type DataChoice =
  { kind: 'default' } | { kind: 'synthetic' } | { kind: 'path'; path: string; column?: string };

export interface PreparedData {
  info: InputData;
  /** One size (and row of values) per query; null for synthetic inputs. */
  sizes: QuerySize[] | null;
}

export interface DataRequest {
  choice: DataChoice;
  /** The model file (its folder holds the tokenizer and preprocessor files). */
  model: ModelInfo;
  plan: SynthesisPlan;
  task: TaskDefinition;
  queries: number;
  seed: number;
}

export const BUNDLED_DIR_URL = new URL('../../../data/inputs/', import.meta.url);
export const BUNDLED_TEXT = fileURLToPath(new URL('text/passages.txt', BUNDLED_DIR_URL));
export const BUNDLED_IMAGES = fileURLToPath(new URL('images/', BUNDLED_DIR_URL));
export const BUNDLED_SPEECH = fileURLToPath(new URL('speech/', BUNDLED_DIR_URL));

export function syntheticData(note: string | null): PreparedData {
  return {
    info: {
      source: 'synthetic',
      tokenizer: null,
      preprocessing: null,
      queries: 0,
      sha256: null,
      preprocessMs: 0,
      preprocessMsPerItem: null,
      note,
    },
    sizes: null,
  };
}

/** What the model's inputs take real values for: its token ids, its image, its audio. */
export type InputModality = 'text' | 'image' | 'audio';

/** The modality of real data the plan's inputs can take, or null when none (a custom model). */
export function planModality(plan: SynthesisPlan): { modality: InputModality; input: string } | null {
  const audio = plan.inputs.find(
    (i) =>
      i.dtype.startsWith('float') &&
      (i.name === 'input_features' ||
        i.dims.some((d) => d.role === 'audio') ||
        /^(input_values|audio|waveform)$/.test(i.name)),
  );
  if (audio) return { modality: 'audio', input: audio.name };
  const image = plan.inputs.find(
    (i) =>
      i.dtype.startsWith('float') &&
      i.dims.length === 4 &&
      (i.dims.some((d) => d.role === 'image') ||
        [1, 3].includes(i.dims[1]!.value) ||
        [1, 3].includes(i.dims[3]!.value)),
  );
  if (image) return { modality: 'image', input: image.name };
  const ids =
    plan.inputs.find((i) => i.fill.kind === 'token-ids' && i.name === 'input_ids') ??
    plan.inputs.find((i) => i.fill.kind === 'token-ids');
  if (ids) return { modality: 'text', input: ids.name };
  return null;
}

export async function prepareData(request: DataRequest): Promise<PreparedData> {
  const { choice } = request;
  if (choice.kind === 'synthetic') return syntheticData('synthetic inputs, as --data synthetic asks');
  const target = planModality(request.plan);
  const started = performance.now();
  if (!target) {
    if (choice.kind === 'path') {
      throw usageError(
        `--data ${choice.path}: ${request.model.path} has no input that takes text, images or audio`,
        'leave --data out (or give --data synthetic) to run it on synthetic inputs',
      );
    }
    return syntheticData(null);
  }
  const user =
    choice.kind === 'path'
      ? await readUserData(choice.path, choice.column, request.task.name === 'text-generation')
      : null;
  if (user && user.kind !== target.modality) {
    throw usageError(
      `--data ${choice.kind === 'path' ? choice.path : ''} holds ${user.kind === 'text' ? 'text' : user.kind === 'image' ? 'images' : 'audio'}, but ${request.model.path} takes ${target.modality === 'text' ? 'text' : target.modality === 'image' ? 'images' : 'audio'} (input '${target.input}')`,
      "give data of the model's modality, or --data synthetic",
    );
  }
  const prepared =
    target.modality === 'text'
      ? await textData(request, target.input, user)
      : await mediaData(target.modality, request, target.input, user);
  if (prepared.sizes) {
    prepared.info.preprocessMs = performance.now() - started;
    prepared.info.preprocessMsPerItem =
      prepared.info.queries > 0 ? prepared.info.preprocessMs / prepared.info.queries : null;
  }
  return prepared;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

async function textData(
  request: DataRequest,
  idsInput: string,
  user: UserData | null,
): Promise<PreparedData> {
  const { model, plan, task, queries, seed } = request;
  const tokenizer = await loadTokenizer(model.path);
  if (!tokenizer) {
    if (user) {
      throw usageError(
        `--data ${request.choice.kind === 'path' ? request.choice.path : ''} is text, but there is no tokenizer.json beside ${model.path} to turn it into token ids`,
        "put the model's tokenizer.json (and tokenizer_config.json) beside it, as a Hugging Face export has them",
      );
    }
    return syntheticData('no tokenizer.json beside the model: synthetic token ids');
  }
  const vocab = model.embeddingVocab[idsInput];
  if (vocab !== undefined && tokenizer.maxId >= vocab) {
    throw usageError(
      `${tokenizer.file} gives token ids up to ${tokenizer.maxId}, but ${model.path} has ${vocab} embeddings for '${idsInput}'`,
      'the tokenizer belongs to another model: use the one exported with this model',
    );
  }
  let source: TextSource;
  let name: string;
  let hash: string;
  if (user && user.kind === 'text') {
    source = { texts: user.texts, kind: 'queries' };
    name = `file:${request.choice.kind === 'path' ? request.choice.path : ''}`;
    hash = user.sha256;
  } else {
    const bytes = fs.readFileSync(BUNDLED_TEXT);
    source = { texts: bytes.toString('utf8').split('\n').filter(Boolean), kind: 'stream' };
    name = 'bundled:text';
    hash = sha256(bytes);
  }
  // The bundled stream is cut into the suite's own query lengths; a user's queries keep theirs.
  const targets =
    source.kind === 'stream'
      ? sampleQuerySizes(
          task,
          queries,
          seed,
          plan.maxTokens !== undefined ? { maxTokens: plan.maxTokens } : {},
        ).map((q) => q.tokens)
      : [];
  const sizes = textQueries(source, {
    tokenizer,
    idsInput,
    count: queries,
    targetTokens: targets,
    maxTokens: plan.maxTokens,
  });
  const distinct = new Set(sizes.map((s) => s.row?.key)).size;
  return {
    info: {
      source: name,
      tokenizer: tokenizer.file,
      preprocessing: null,
      queries: distinct,
      sha256: hash,
      preprocessMs: 0,
      preprocessMsPerItem: null,
      note: null,
    },
    sizes,
  };
}

/** Every file of a bundled folder with one of `extensions`, sorted by name, and the folder's sha256. */
function bundledFiles(dir: string, extensions: string[]): { files: MediaFile[]; sha256: string } {
  const hash = createHash('sha256');
  const files = fs
    .readdirSync(dir)
    .filter((n) => extensions.includes(path.extname(n).toLowerCase()))
    .sort()
    .map((name) => {
      const bytes = fs.readFileSync(path.join(dir, name));
      hash.update(`${name}\0${sha256(bytes)}\n`);
      return { name: path.join(dir, name), bytes };
    });
  return { files, sha256: hash.digest('hex') };
}

/** What differs between the two media the model's own preprocessing reads. */
const MEDIA = {
  image: {
    bundledDir: BUNDLED_IMAGES,
    extensions: IMAGE_EXTENSIONS,
    bundledName: 'bundled:images',
    unfit: (why: string) => `the bundled images do not fit this model (${why}): synthetic pixel values`,
    queries: imageQueries,
  },
  audio: {
    bundledDir: BUNDLED_SPEECH,
    extensions: AUDIO_EXTENSIONS,
    bundledName: 'bundled:speech',
    unfit: (why: string) => `the bundled speech does not fit this model (${why}): synthetic audio`,
    queries: async (...args: Parameters<typeof audioQueries>) => {
      const out = await audioQueries(...args);
      return { ...out, note: out.notes.length ? out.notes.join('; ') : null };
    },
  },
} as const;

/** Images or audio, the user's or the bundled set, through the model's preprocessor config. */
async function mediaData(
  kind: 'image' | 'audio',
  request: DataRequest,
  inputName: string,
  user: UserData | null,
): Promise<PreparedData> {
  const medium = MEDIA[kind];
  const input = request.plan.inputs.find((i) => i.name === inputName)!;
  const source =
    user && user.kind === kind ? user : { ...bundledFiles(medium.bundledDir, medium.extensions), kind };
  try {
    const out = await medium.queries(request.model.path, input, source.files, request.queries);
    return {
      info: {
        source: user
          ? `file:${request.choice.kind === 'path' ? request.choice.path : ''}`
          : medium.bundledName,
        tokenizer: null,
        preprocessing: out.preprocessing,
        queries: out.distinct,
        sha256: source.sha256,
        preprocessMs: 0,
        preprocessMsPerItem: null,
        note: out.note,
      },
      sizes: out.sizes,
    };
  } catch (err) {
    // The bundled set is a default: a model that cannot take it runs on synthetic values. A
    // broken preprocessor config, or the user's own files, are errors.
    if (
      user ||
      !(err instanceof EnergyScoreError) ||
      /preprocessor_config\.json(:| is| could)/.test(err.message)
    )
      throw err;
    return syntheticData(medium.unfit(err.message));
  }
}
