/**
 * Plans a model's inputs for a task: each dim's role (batch, tokens, audio, image, cache, pinned,
 * fixed), one size per dim name across inputs, and each input's fill, with the user's --dim,
 * --shape and --fill pins checked against the model.
 */
import { EnergyScoreError, usageError } from '../errors.js';
import { isOrtInputType, type OrtDType } from '../model/dtypes.js';
import type { ModelInfo, TensorInfo } from '../model/inspect.js';
import { parseConstant } from './fill-constant.js';
import { inputRole, type InputRole } from './input-roles.js';
import type { InputOverrides } from './overrides.js';
import type { TaskDefinition } from './tasks.js';

/** What decides a dim's size. */
export type DimRole = 'batch' | 'tokens' | 'audio' | 'image' | 'past' | 'pinned' | 'fixed' | 'default';

export interface DimPlan {
  role: DimRole;
  /** The size for every role but batch, tokens and audio, which vary per batch. */
  value: number;
  name: string | null;
}

export type FillKind =
  | { kind: 'constant'; text: string }
  | { kind: 'token-ids'; vocab: number }
  | { kind: 'attention-mask' }
  | { kind: 'zeros' }
  | { kind: 'positions' }
  | { kind: 'normal'; scale: number }
  | { kind: 'uniform-int'; min: number; max: number }
  | { kind: 'random-bool' }
  | { kind: 'text' }
  // Values an op's parameter needs (see input-roles.ts):
  /** A Reshape's target: the dims of `like` (the reshaped input) when the ranks agree, else ones and a -1. */
  | { kind: 'reshape-shape'; like: string | null }
  /** A Resize's sizes: the shape of `input`, which keeps the size; ones when it is unknown. */
  | { kind: 'shape-of'; input: string | null }
  /** Axes 0, 1, 2, ... (distinct, and valid for any rank at least as long). */
  | { kind: 'axes' }
  /** A Squeeze's axes: the dims of `of` that are 1. */
  | { kind: 'unit-axes'; of: string | null }
  /** A Resize's region of interest: every start 0, every end 1 (the whole input). */
  | { kind: 'roi' }
  /** A Split's sizes: parts of `of`'s dim `axis` that add up to it (a scalar: parts of 1). */
  | { kind: 'split-sizes'; of: string | null; axis: number }
  | { kind: 'uniform'; min: number; max: number };

/**
 * Which per-query length an input's dim 1 follows: positions past a query's tokens or audio
 * samples are padding (id 0, mask 0, silence). 'none' when every position is real.
 */
export type Padding = 'tokens' | 'audio' | 'none';

export interface InputPlan {
  name: string;
  dtype: OrtDType;
  dims: DimPlan[];
  fill: FillKind;
  padding: Padding;
  /** The op whose port decided the fill (a Resize's scales); absent when none did. */
  role?: InputRole;
}

export interface SynthesisPlan {
  inputs: InputPlan[];
  /** Every dim the plan chose, for the report: a size, or how it varies per query. */
  dimsUsed: Record<string, number | string>;
  /** The fixed batch of a model without a dynamic batch dim; undefined when batch is free. */
  fixedBatch: number | undefined;
  /** Cap on tokens per query: the model's fixed or pinned sequence dim. */
  maxTokens: number | undefined;
  fixedAudioSamples: number | undefined;
}
/** Used for a dynamic dim that no rule and no pin sizes. */
export const DEFAULT_OTHER_DIM = 1;
const DEFAULT_VOCAB = 100;

const TOKEN_DIM = /seq|token|length|len$|^n_ctx$/i;
const IMAGE_DIM = /height|width|^h$|^w$|size/i;
const PAST_DIM = /past|cache/i;
const CHANNEL_DIM = /channels?$/i;
const IDS_INPUT = /ids$|^tokens?$|^input$/i;
const MASK_INPUT = /mask/i;

function classifyFill(
  input: TensorInfo,
  dtype: OrtDType,
  model: ModelInfo,
  task: TaskDefinition,
  role: InputRole | null,
): FillKind {
  const name = input.name;
  const isInt = /int/.test(dtype);
  // What the graph does with an input outranks what its name suggests.
  if (role) return role.fill;
  if (dtype === 'string') return { kind: 'text' };
  // A mask is 1 on real positions and 0 on padding, whatever its numeric type (float masks too).
  if (MASK_INPUT.test(name)) return { kind: 'attention-mask' };
  if (isInt && /token_type|segment/i.test(name)) return { kind: 'zeros' };
  if (isInt && /position_ids/i.test(name)) return { kind: 'positions' };
  if (isInt && /sample_rate/i.test(name)) return { kind: 'constant', text: '16000' };
  if (isInt && model.embeddingVocab[name] !== undefined) {
    return { kind: 'token-ids', vocab: model.embeddingVocab[name]! };
  }
  if (isInt && IDS_INPUT.test(name)) return { kind: 'token-ids', vocab: DEFAULT_VOCAB };
  if (dtype === 'uint8') return { kind: 'uniform-int', min: 0, max: 255 };
  if (isInt) return { kind: 'zeros' };
  if (dtype === 'bool') return { kind: 'random-bool' };
  return { kind: 'normal', scale: task.modality === 'audio' ? 0.1 : 1 };
}

/** A user-named key, never one of Object.prototype's ('constructor', 'toString'). */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
/**
 * When inputs disagree about a dim they share by name (an audio model's attention_mask looks
 * like text, a pixel_mask's height like a token dim), the strongest role sizes it everywhere.
 */
const ROLE_STRENGTH: Record<DimRole, number> = {
  batch: 8,
  pinned: 7,
  fixed: 6,
  audio: 5,
  tokens: 4,
  image: 3,
  past: 2,
  default: 1,
};

/** Roles that need at least one element per query: a pin of 0 for them cannot run. */
const AT_LEAST_ONE: Partial<Record<DimRole, string>> = {
  batch: 'a batch needs at least one query',
  tokens: 'a sequence needs at least one token',
  audio: 'a clip needs at least one sample',
  image: 'an image needs at least one pixel',
};

/** Roles under which a fixed or pinned dim 1 of ids or a mask is still the token dim. */
const TOKEN_LIKE: ReadonlySet<DimRole> = new Set<DimRole>(['fixed', 'tokens', 'default']);

/** One input as the first pass sees it: its own roles, before dims shared by name are unified. */
interface Draft {
  input: TensorInfo;
  dtype: OrtDType;
  fill: FillKind;
  shape: (number | string | null)[];
  pinnedShape: number[] | undefined;
  /** Roles with the user's pins. */
  dims: DimPlan[];
  /** Roles the dims would have without pins (what a pin of 0 is checked against). */
  natural: DimPlan[];
  /** Where each pinned dim's value came from, for conflict messages. */
  pinSource: (string | null)[];
  role: InputRole | null;
}

/**
 * Decides every input's dims and fill. Throws a usage error for pins that name no input or dim,
 * or that contradict the model; its messages start with `modelName` (by default the model's
 * path) so that a run over several models says which one.
 */
export function planInputs(
  model: ModelInfo,
  task: TaskDefinition,
  overrides: InputOverrides,
  modelName: string | undefined = model.path,
): SynthesisPlan {
  try {
    return planModelInputs(model, task, overrides);
  } catch (err) {
    if (err instanceof EnergyScoreError && err.kind === 'usage' && modelName) {
      throw usageError(`${modelName}: ${err.message}`, err.hint);
    }
    throw err;
  }
}

function planModelInputs(model: ModelInfo, task: TaskDefinition, overrides: InputOverrides): SynthesisPlan {
  const inputNames = model.inputs.map((i) => i.name);
  const namedDims = new Set(
    model.inputs.flatMap((i) => (i.shape ?? []).filter((d) => typeof d === 'string')),
  );
  for (const name of [...Object.keys(overrides.shapes), ...Object.keys(overrides.fills)]) {
    if (!inputNames.includes(name)) {
      throw usageError(`the model has no input '${name}'`, `its inputs are: ${inputNames.join(', ')}`);
    }
  }
  for (const name of Object.keys(overrides.dims)) {
    if (!namedDims.has(name)) {
      const list = [...namedDims].join(', ') || 'none';
      throw usageError(`the model has no dynamic dim named '${name}'`, `its named dims are: ${list}`);
    }
  }

  // An op's parameter (a shape, axes, scales) has no batch dim: its dim 0 is its own length.
  const roles = new Map(
    model.inputs.map((i) => [i.name, isOrtInputType(i.dtype) ? inputRole(i.name, i.dtype, model) : null]),
  );
  const batched = model.inputs.filter((i) => !roles.get(i.name)?.parameter);
  const batchIsDynamic = batched.some((i) => i.shape && i.shape.length > 0 && typeof i.shape[0] !== 'number');
  let fixedBatch: number | undefined;
  if (!batchIsDynamic) {
    const first = batched.find((i) => i.shape && i.shape.length > 0);
    // An empty dim 0 (a model over empty tensors) is no batch of queries: each run is one query.
    fixedBatch = first && (first.shape![0] as number) > 0 ? (first.shape![0] as number) : 1;
  }

  // First pass: each input's roles on its own, as its name, dtype and shape suggest.
  const drafts = model.inputs.map((input) =>
    draftInput(input, model, task, overrides, batchIsDynamic, roles.get(input.name) ?? null),
  );

  // Second pass: a dim name is one size everywhere, set by the strongest role that any input gives it.
  const unified = unifyNamedDims(drafts, (d) => d.dims, true);
  const unifiedNatural = unifyNamedDims(drafts, (d) => d.natural, false);
  for (const draft of drafts) {
    draft.dims = draft.dims.map((d) => (d.name !== null ? { ...unified.get(d.name)!, name: d.name } : d));
    draft.natural = draft.natural.map((d) =>
      d.name !== null ? { ...unifiedNatural.get(d.name)!, name: d.name } : d,
    );
  }
  checkZeroPins(drafts, overrides, unifiedNatural);

  let maxTokens: number | undefined;
  let fixedAudioSamples: number | undefined;
  const inputs: InputPlan[] = [];
  for (const { input, dtype, fill, shape, dims, natural, role } of drafts) {
    const seq = dims[1];
    const seqIsTokens = seq !== undefined && TOKEN_LIKE.has(natural[1]!.role);
    const textFill = fill.kind === 'token-ids' || fill.kind === 'attention-mask';
    // A sequence dim that the model or a pin fixes caps every query's length.
    if (textFill && seqIsTokens && (seq.role === 'fixed' || seq.role === 'pinned')) {
      maxTokens = seq.value;
    }
    if (
      task.distribution.kind === 'audio' &&
      dtype.startsWith('float') &&
      fill.kind !== 'attention-mask' &&
      shape.length === 2 &&
      seq?.role !== 'audio'
    ) {
      fixedAudioSamples = seq?.value;
    }
    const constant = own(overrides.fills, input.name);
    const finalFill: FillKind = constant !== undefined ? { kind: 'constant', text: constant } : fill;
    let padding: Padding = 'none';
    if (seq !== undefined && dims[0]?.role === 'batch') {
      if (seq.role === 'tokens') padding = 'tokens';
      else if (seq.role === 'audio') padding = 'audio';
      else if (
        (finalFill.kind === 'token-ids' || finalFill.kind === 'attention-mask') &&
        seqIsTokens &&
        (seq.role === 'fixed' || seq.role === 'pinned')
      ) {
        padding = 'tokens';
      }
    }
    inputs.push({
      name: input.name,
      dtype,
      dims,
      fill: finalFill,
      padding,
      ...(role ? { role } : {}),
    });
  }

  for (const input of inputs) {
    if (input.fill.kind === 'constant') parseConstant(input.fill.text, input.dtype, input.name);
  }

  const dimsUsed: Record<string, number | string> = {};
  const dist = task.distribution;
  for (const input of inputs) {
    input.dims.forEach((d, index) => {
      const key = d.name ?? `${input.name}[${index}]`;
      if (d.role === 'batch') dimsUsed[key] = fixedBatch ?? '<batch>';
      else if (d.role === 'tokens' && dist.kind === 'tokens') {
        dimsUsed[key] =
          `per batch: longest query (${dist.minTokens}-${Math.min(dist.maxTokens, maxTokens ?? Infinity)} tokens, mean ${dist.meanTokens})`;
      } else if (d.role === 'tokens') dimsUsed[key] = `${task.promptTokens ?? DEFAULT_OTHER_DIM} tokens`;
      else if (d.role === 'audio' && dist.kind === 'audio') {
        dimsUsed[key] =
          `per batch: longest clip (${dist.minSeconds}-${dist.maxSeconds} s at ${dist.sampleRateHz} Hz)`;
      } else if (d.role !== 'fixed') dimsUsed[key] = d.value;
    });
  }
  return { inputs, dimsUsed, fixedBatch, maxTokens, fixedAudioSamples };
}

/** The first pass over one input: its fill, and each dim's role with and without the user's pins. */
function draftInput(
  input: TensorInfo,
  model: ModelInfo,
  task: TaskDefinition,
  overrides: InputOverrides,
  batchIsDynamic: boolean,
  role: InputRole | null,
): Draft {
  if (input.kind !== 'tensor' || !isOrtInputType(input.dtype)) {
    const what = {
      tensor: `a tensor of ${input.dtype}`,
      sequence: 'a sequence',
      map: 'a map',
      optional: 'an optional',
      unknown: 'of an unknown type',
    }[input.kind];
    throw usageError(
      `input '${input.name}' is ${what}, which onnxruntime-node cannot feed`,
      'export the model with tensor inputs of a standard type',
    );
  }
  const dtype = input.dtype;
  const fill = classifyFill(input, dtype, model, task, role);
  const pinnedShape = own(overrides.shapes, input.name);
  const shape = input.shape ?? (pinnedShape ? pinnedShape.map(() => null) : []);
  if (pinnedShape && pinnedShape.length !== shape.length) {
    throw usageError(
      `--shape ${input.name} has ${pinnedShape.length} dims but the input has ${shape.length}`,
      `the model declares ${input.name} as [${shape.map((d) => d ?? '?').join(', ')}]`,
    );
  }
  const isTextInput =
    fill.kind === 'token-ids' ||
    fill.kind === 'attention-mask' ||
    fill.kind === 'positions' ||
    fill.kind === 'zeros';
  const dist = task.distribution;
  const natural = shape.map((dim, index): DimPlan => {
    const name = typeof dim === 'string' ? dim : null;
    if (index === 0 && batchIsDynamic && typeof dim !== 'number' && !role?.parameter) {
      return { role: 'batch', value: 0, name };
    }
    if (typeof dim === 'number') return { role: 'fixed', value: dim, name };
    if (name !== null && PAST_DIM.test(name)) return { role: 'past', value: 0, name };
    // An image's channel dim left dynamic (num_channels in Hugging Face exports) is RGB.
    if (name !== null && CHANNEL_DIM.test(name) && shape.length === 4 && dtype.startsWith('float')) {
      return { role: 'default', value: 3, name };
    }
    const imageNamed = name !== null && IMAGE_DIM.test(name);
    // Dim 1 of a text-like input is its sequence, unless its name says it is an image's.
    const tokenish = (name !== null && TOKEN_DIM.test(name)) || (isTextInput && index === 1 && !imageNamed);
    if (dist.kind === 'audio' && dtype.startsWith('float') && shape.length === 2 && index === 1) {
      return { role: 'audio', value: 0, name };
    }
    if (tokenish && (dist.kind === 'tokens' || task.promptTokens !== undefined || task.modality === 'any')) {
      return { role: 'tokens', value: 0, name };
    }
    if (imageNamed && dist.kind === 'image') return { role: 'image', value: dist.sizePx, name };
    if (dist.kind === 'image' && shape.length === 4 && index >= 2 && dtype.startsWith('float')) {
      return { role: 'image', value: dist.sizePx, name };
    }
    return { role: 'default', value: DEFAULT_OTHER_DIM, name };
  });
  const pinSource: (string | null)[] = [];
  const dims = shape.map((dim, index): DimPlan => {
    const base = natural[index]!;
    pinSource.push(null);
    if (base.role === 'batch') return base;
    if (pinnedShape) {
      if (typeof dim === 'number' && dim !== pinnedShape[index]) {
        throw usageError(
          `--shape ${input.name} sets dim ${index} to ${pinnedShape[index]} but the model fixes it at ${dim}`,
          'pin only the dynamic dims',
        );
      }
      pinSource[index] = `--shape ${input.name}=${pinnedShape.join('x')}`;
      return { role: 'pinned', value: pinnedShape[index]!, name: base.name };
    }
    if (base.role === 'fixed') return base;
    const pinnedDim = base.name !== null ? own(overrides.dims, base.name) : undefined;
    if (pinnedDim !== undefined) {
      pinSource[index] = `--dim ${base.name}=${pinnedDim}`;
      return { role: 'pinned', value: pinnedDim, name: base.name };
    }
    return base;
  });
  return { input, dtype, fill, shape, pinnedShape, dims, natural, pinSource, role };
}

/**
 * The role and size of every named dim: the strongest role any input gives it. Two pins that give
 * one name different sizes are a usage error.
 */
function unifyNamedDims(
  drafts: Draft[],
  dimsOf: (draft: Draft) => DimPlan[],
  withPins: boolean,
): Map<string, DimPlan> {
  const chosen = new Map<string, { dim: DimPlan; source: string | null }>();
  for (const draft of drafts) {
    dimsOf(draft).forEach((dim, index) => {
      if (dim.name === null) return;
      const source = withPins ? draft.pinSource[index]! : null;
      const current = chosen.get(dim.name);
      if (current === undefined || ROLE_STRENGTH[dim.role] > ROLE_STRENGTH[current.dim.role]) {
        chosen.set(dim.name, { dim, source });
      } else if (dim.role === 'pinned' && current.dim.role === 'pinned' && dim.value !== current.dim.value) {
        throw usageError(
          `${current.source} sets ${dim.name} to ${current.dim.value} but ${source} sets it to ${dim.value}`,
          `every input with the dim ${dim.name} takes one size: pin it once with --dim ${dim.name}=N`,
        );
      }
    });
  }
  return new Map([...chosen].map(([name, { dim }]) => [name, dim]));
}

/** A pin of 0 is fine for a cache (past_sequence_length=0), not for a batch, sequence, clip or image. */
function checkZeroPins(
  drafts: Draft[],
  overrides: InputOverrides,
  naturalByName: Map<string, DimPlan>,
): void {
  for (const [name, value] of Object.entries(overrides.dims)) {
    const why = value === 0 ? AT_LEAST_ONE[naturalByName.get(name)?.role ?? 'default'] : undefined;
    if (why !== undefined) {
      throw usageError(
        `--dim ${name}=0: ${why}`,
        `pin ${name} to 1 or more; only past or cache dims may be 0`,
      );
    }
  }
  for (const { input, pinnedShape, natural } of drafts) {
    if (!pinnedShape) continue;
    pinnedShape.forEach((value, index) => {
      const role = natural[index]!.role;
      const why = value === 0 && role !== 'batch' ? AT_LEAST_ONE[role] : undefined;
      if (why !== undefined) {
        throw usageError(
          `--shape ${input.name}=${pinnedShape.join('x')}: dim ${index} is 0, but ${why}`,
          'pin it to 1 or more; only past or cache dims may be 0',
        );
      }
    });
  }
}
