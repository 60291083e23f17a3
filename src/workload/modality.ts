/**
 * What a model's inputs can take (text, images, audio), read from their names, types and shapes,
 * and the check that a task given with --task is one of those: a text encoder benched as image
 * classification would run on a sequence of one token and be filed under the wrong cohort.
 */
import { usageError } from '../errors.js';
import type { ModelInfo } from '../model/inspect.js';
import { inferTask } from './infer-task.js';
import type { TaskDefinition } from './tasks.js';

export type InputKind = 'text' | 'image' | 'audio';

const AUDIO_INPUT = /^(input_features|input_values|audio|audio_values|waveform|speech)$/;
const IMAGE_INPUT = /pixel_values|^images?$|^input_image/;
const IDS_INPUT = /input_ids$|^ids$|^tokens?$/;

/** The kinds of data the model's inputs take; empty when none is recognisable (a custom model). */
export function inputKinds(model: Pick<ModelInfo, 'inputs' | 'embeddingVocab'>): Set<InputKind> {
  const kinds = new Set<InputKind>();
  for (const input of model.inputs) {
    const float = input.dtype.startsWith('float');
    const integer = /int/.test(input.dtype);
    if (float && AUDIO_INPUT.test(input.name)) kinds.add('audio');
    else if (float && (IMAGE_INPUT.test(input.name) || input.shape?.length === 4)) kinds.add('image');
    else if (integer && (IDS_INPUT.test(input.name) || model.embeddingVocab[input.name] !== undefined))
      kinds.add('text');
  }
  return kinds;
}

/** The kind of data a task's queries are; null where any model may run it (custom, denoisers). */
export function taskKind(task: TaskDefinition): InputKind | null {
  if (task.name === 'custom' || task.name === 'image-generation') return null;
  return task.modality === 'any' ? null : task.modality;
}

const KIND_WORD: Record<InputKind, string> = { text: 'text', image: 'images', audio: 'audio' };

/** A usage error when the model's inputs clearly take another kind of data than the task's. */
export function checkTaskFits(model: ModelInfo, modelName: string, task: TaskDefinition): void {
  const want = taskKind(task);
  const kinds = inputKinds(model);
  if (want === null || kinds.size === 0 || kinds.has(want)) return;
  const inputs = model.inputs
    .map((i) => `${i.name} ${i.dtype} [${(i.shape ?? []).map((d) => d ?? '?').join(', ')}]`)
    .join(', ');
  const inferred = inferTask(model).task;
  throw usageError(
    `--task ${task.name} takes ${KIND_WORD[want]}, but ${modelName}'s inputs take ${[...kinds].map((k) => KIND_WORD[k]).join(' and ')} (${inputs})`,
    inferred !== 'custom'
      ? `leave --task out to run it as ${inferred} (inferred from its inputs), or pass that task`
      : "pass a task of its inputs' kind, or --task custom",
  );
}
