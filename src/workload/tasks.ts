/**
 * The task registry: AI Energy Score's ten tasks plus `custom`, each with its standard suite
 * (how many queries, and the distribution of query sizes), seeded and reproducible.
 */
import { usageError } from '../errors.js';
import { SeededRandom, seedFrom } from '../util/random.js';

export const TASK_NAMES = [
  'text-classification',
  'sentence-similarity',
  'question-answering',
  'summarization',
  'text-generation',
  'image-classification',
  'object-detection',
  'automatic-speech-recognition',
  'image-captioning',
  'image-generation',
  'custom',
] as const;
export type TaskName = (typeof TASK_NAMES)[number];

export type Modality = 'text' | 'image' | 'audio' | 'any';

/** How large each query is. Sizes vary per query for text and audio, as real datasets do. */
export type QueryDistribution =
  | { kind: 'tokens'; meanTokens: number; minTokens: number; maxTokens: number; source: string }
  | { kind: 'image'; sizePx: number; source: string }
  | {
      kind: 'audio';
      meanSeconds: number;
      minSeconds: number;
      maxSeconds: number;
      sampleRateHz: number;
      source: string;
    }
  | { kind: 'fixed'; source: string };

export interface TaskDefinition {
  name: TaskName;
  description: string;
  modality: Modality;
  /** Queries in the standard suite (AI Energy Score uses 1,000 per task). */
  queries: number;
  distribution: QueryDistribution;
  /** Prompt tokens for tasks whose model also takes text beside the main modality. */
  promptTokens?: number;
}

/** One query's size: tokens for text, samples for audio; images are fixed by the model. */
export interface QuerySize {
  tokens?: number;
  audioSamples?: number;
  /** Real values from data (token ids, pixels, features) in place of synthetic ones. */
  row?: QueryRow;
}

/**
 * One query's real values, per input name: its row (every dim after the batch, row-major), and
 * what fills the row past them (the pad token id, silence). `key` names the data item, so that
 * queries on the same item share one tensor row.
 */
export interface QueryRow {
  key: string;
  values: Readonly<Record<string, { data: ArrayLike<number>; pad: number }>>;
}

const AIES_TOKENS = 'mean input tokens per query of AI Energy Score v1 datasets';

const TASKS: Record<TaskName, TaskDefinition> = {
  'text-classification': {
    name: 'text-classification',
    description: 'label a text (IMDB, Tweet Eval, Yelp)',
    modality: 'text',
    queries: 1000,
    distribution: { kind: 'tokens', meanTokens: 157, minTokens: 8, maxTokens: 512, source: AIES_TOKENS },
  },
  'sentence-similarity': {
    name: 'sentence-similarity',
    description: 'embed sentences to compare them (STS Benchmark, Sentence Compression, Phrase Similarity)',
    modality: 'text',
    queries: 1000,
    distribution: { kind: 'tokens', meanTokens: 23, minTokens: 4, maxTokens: 128, source: AIES_TOKENS },
  },
  'question-answering': {
    name: 'question-answering',
    description: 'extract an answer span (SQuAD v2, XTreme, SquadShifts)',
    modality: 'text',
    queries: 1000,
    distribution: { kind: 'tokens', meanTokens: 11, minTokens: 4, maxTokens: 64, source: AIES_TOKENS },
  },
  summarization: {
    name: 'summarization',
    description: 'summarize a document (CNN Daily Mail, SamSUM, ArXiv); one encoder pass per query',
    modality: 'text',
    queries: 1000,
    distribution: { kind: 'tokens', meanTokens: 384, minTokens: 16, maxTokens: 1024, source: AIES_TOKENS },
  },
  'text-generation': {
    name: 'text-generation',
    description: 'continue a prompt (WikiText, OSCAR, UltraChat); one forward pass over the prompt per query',
    modality: 'text',
    queries: 1000,
    distribution: { kind: 'tokens', meanTokens: 369, minTokens: 16, maxTokens: 1024, source: AIES_TOKENS },
  },
  'image-classification': {
    name: 'image-classification',
    description: 'label an image (ImageNet, Food 101, Bean Disease)',
    modality: 'image',
    queries: 1000,
    distribution: {
      kind: 'image',
      sizePx: 224,
      source: 'images resized to the model input, 224 px when dynamic',
    },
  },
  'object-detection': {
    name: 'object-detection',
    description: 'find objects in an image (COCO 2017, Visual Genome, Plastic in River)',
    modality: 'image',
    queries: 1000,
    distribution: {
      kind: 'image',
      sizePx: 640,
      source: 'images resized to the model input, 640 px when dynamic',
    },
  },
  'automatic-speech-recognition': {
    name: 'automatic-speech-recognition',
    description: 'transcribe speech (LibriSpeech, Common Voice, People’s Speech); one encoder pass per query',
    modality: 'audio',
    queries: 1000,
    distribution: {
      kind: 'audio',
      meanSeconds: 10,
      minSeconds: 1,
      maxSeconds: 30,
      sampleRateHz: 16000,
      source: 'utterances of 1-30 s (mean 10 s) at 16 kHz',
    },
  },
  'image-captioning': {
    name: 'image-captioning',
    description:
      'describe an image (COCO 2014, Red Caps, New Yorker Caption Contest); a generation through a vision encoder-decoder, one pass per query otherwise',
    modality: 'image',
    queries: 1000,
    distribution: {
      kind: 'image',
      sizePx: 224,
      source: 'images resized to the model input, 224 px when dynamic',
    },
    promptTokens: 16,
  },
  'image-generation': {
    name: 'image-generation',
    description: 'draw from a caption (COCO 2014 captions, DiffusionDB, Nouns); one denoiser pass per query',
    modality: 'text',
    queries: 1000,
    distribution: {
      kind: 'tokens',
      meanTokens: 16,
      minTokens: 4,
      maxTokens: 77,
      source: 'caption lengths in tokens',
    },
  },
  custom: {
    name: 'custom',
    description: 'your own model: every dynamic dim at its default or the value you pin',
    modality: 'any',
    queries: 1000,
    distribution: { kind: 'fixed', source: 'every query the same size' },
  },
};

export function listTasks(): TaskDefinition[] {
  return TASK_NAMES.map((name) => TASKS[name]);
}

export function getTask(name: string): TaskDefinition {
  const task = Object.hasOwn(TASKS, name) ? TASKS[name as TaskName] : undefined;
  if (!task) throw usageError(`unknown task '${name}'`, `use one of: ${TASK_NAMES.join(', ')}`);
  return task;
}

/** Log-normal spread with this mean (before clamping); sigma 0.6 gives the long tail of real texts. */
const LOG_SIGMA = 0.6;

function logNormal(rng: SeededRandom, meanValue: number): number {
  const mu = Math.log(meanValue) - (LOG_SIGMA * LOG_SIGMA) / 2;
  return Math.exp(mu + LOG_SIGMA * rng.normal());
}

/**
 * The size of each query in the suite. The same task, count, seed and cap always give the same
 * list. `maxTokens` caps text lengths at what the model takes (its fixed or pinned sequence dim).
 */
export function sampleQuerySizes(
  task: TaskDefinition,
  count: number,
  seed: number,
  caps: { maxTokens?: number } = {},
): QuerySize[] {
  const rng = new SeededRandom(seedFrom(task.name, seed));
  const dist = task.distribution;
  const sizes: QuerySize[] = [];
  for (let i = 0; i < count; i++) {
    if (dist.kind === 'tokens') {
      const max = Math.min(dist.maxTokens, caps.maxTokens ?? Infinity);
      const min = Math.min(dist.minTokens, max);
      sizes.push({ tokens: clamp(Math.round(logNormal(rng, dist.meanTokens)), min, max) });
    } else if (dist.kind === 'audio') {
      const seconds = clamp(logNormal(rng, dist.meanSeconds), dist.minSeconds, dist.maxSeconds);
      sizes.push({ audioSamples: Math.round(seconds * dist.sampleRateHz) });
    } else if (task.promptTokens) {
      sizes.push({ tokens: task.promptTokens });
    } else {
      sizes.push({});
    }
  }
  return sizes;
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}
