/**
 * Greedy generation over a detected layout, as AI Energy Score runs it: a prefill over the whole
 * prompt with empty pasts, then one token per step over the KV cache (present → past), the
 * argmax of the last position, the end-of-sequence token suppressed so that every query
 * generates exactly the budget. Batches left-pad their prompts; encoder-decoders run the encoder
 * once and keep its cross-attention cache from the first step.
 *
 * Teacher forcing (for the fidelity check) runs the same loop but feeds given tokens instead of
 * the argmax, keeping each step's log-softmax, so that two models' next-token distributions are
 * compared along one sequence, as llama.cpp's `perplexity --kl-divergence` does.
 */
import * as ort from 'onnxruntime-node';
import { float16BitsToFloat32 } from '../util/float16.js';
import type {
  CacheSlot,
  DecoderSignature,
  GenerationLayout,
  NamedInput,
} from '../workload/generation-layout.js';
import { systemClock, type Clock } from './workload.js';

/** What the loop needs of a session: run it on feeds. */
export type SessionRunner = Pick<ort.InferenceSession, 'run'>;

export interface GenerationSessions {
  first: SessionRunner;
  next: SessionRunner;
  encoder: SessionRunner | null;
}

export interface GenerateOptions {
  maxNewTokens: number;
  /**
   * Recompute the whole sequence at every step with empty pasts instead of using the cache:
   * what a layout without a cache does, and the reference the cached loop is tested against.
   */
  recompute?: boolean;
  clock?: Clock;
  /**
   * A speech or image encoder's input for the batch (input_features [batch, mels, frames] or
   * pixel_values [batch, channels, height, width]); the prompts then only count the queries.
   */
  features?: ort.Tensor;
  /**
   * Teacher forcing: feed `forcedTokens[b][step]` after each step instead of its argmax. Each row
   * holds exactly maxNewTokens tokens; its last is never fed (nothing is asked after it).
   */
  forcedTokens?: readonly (readonly number[])[];
  /** Keep each step's log-softmax of the next-token logits (float32, vocab-size rows). */
  logProbs?: boolean;
}

export interface Generation {
  /**
   * The argmax of each step for each query, end-of-sequence suppressed: exactly maxNewTokens each.
   * Free-running, these are the new tokens; teacher-forced, the model's pick along the forced ones.
   */
  tokens: number[][];
  /** With `logProbs`: per query, one log-softmax row per step; else null. */
  logProbs: Float32Array[][] | null;
  /** From the call to the first new token (the encoder and the prefill). */
  firstTokenMs: number;
  /** Each later step's time, one per new token after the first. */
  stepMs: number[];
  /** Whether every logit read was finite. */
  finite: boolean;
}

type Feeds = Record<string, ort.Tensor>;

function intTensor(input: NamedInput, values: number[], dims: number[]): ort.Tensor {
  if (input.dtype === 'int32') return new ort.Tensor('int32', Int32Array.from(values), dims);
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]!);
  return new ort.Tensor('int64', data, dims);
}

function emptyPast(slot: CacheSlot, batch: number): ort.Tensor {
  const dims = slot.emptyShape.map((d, axis) => (axis === slot.batchAxis ? batch : d));
  if (slot.dtype === 'float16') return new ort.Tensor('float16', new Uint16Array(0), dims);
  return new ort.Tensor('float32', new Float32Array(0), dims);
}

/** position_ids = cumsum(mask) − 1, padding at 1 (as transformers does), the last `take` columns. */
function positions(mask: number[][], take: number): number[] {
  const out: number[] = [];
  for (const row of mask) {
    let sum = 0;
    const full = row.map((m) => {
      sum += m;
      return m ? sum - 1 : 1;
    });
    out.push(...full.slice(full.length - take));
  }
  return out;
}

/**
 * Argmax of each row's last position, never one of `banned`; whether the logits were finite; and,
 * when asked, each row's log-softmax over the whole vocabulary (end-of-sequence included: it is
 * part of the model's distribution even where the loop never picks it).
 */
function nextTokens(
  logits: ort.Tensor,
  banned: ReadonlySet<number>,
  keepLogProbs: boolean,
): { tokens: number[]; finite: boolean; logProbs: Float32Array[] | null } {
  const [batch, seq, vocab] = logits.dims as [number, number, number];
  const data = logits.data as Float32Array | Uint16Array;
  const half = logits.type === 'float16';
  const tokens: number[] = [];
  const logProbs: Float32Array[] | null = keepLogProbs ? [] : null;
  let finite = true;
  for (let b = 0; b < batch; b++) {
    const offset = (b * seq + seq - 1) * vocab;
    const row = logProbs ? new Float32Array(vocab) : null;
    let best = -1;
    let bestValue = -Infinity;
    let max = -Infinity;
    for (let v = 0; v < vocab; v++) {
      const x = half ? float16BitsToFloat32(data[offset + v]!) : data[offset + v]!;
      if (!Number.isFinite(x)) finite = false;
      if (row) {
        row[v] = x;
        if (x > max) max = x;
      }
      if (banned.has(v)) continue;
      if (best < 0 || x > bestValue) {
        best = v;
        bestValue = x;
      }
    }
    tokens.push(best);
    if (row && logProbs) {
      // log-softmax in float64: x − max − log Σ exp(x − max).
      let sum = 0;
      for (let v = 0; v < vocab; v++) sum += Math.exp(row[v]! - max);
      const logSum = max + Math.log(sum);
      for (let v = 0; v < vocab; v++) row[v] = row[v]! - logSum;
      logProbs.push(row);
    }
  }
  return { tokens, finite, logProbs };
}

/** The feeds one decoder graph takes beside its cache. */
function decoderFeeds(
  sig: DecoderSignature,
  ids: number[][],
  mask: number[][] | null,
  usingCache: boolean,
  encoder: { states: ort.Tensor; mask: number[][] } | null,
): Feeds {
  const batch = ids.length;
  const seq = ids[0]!.length;
  const feeds: Feeds = { [sig.inputIds.name]: intTensor(sig.inputIds, ids.flat(), [batch, seq]) };
  if (sig.attentionMask && mask) {
    feeds[sig.attentionMask.name] = intTensor(sig.attentionMask, mask.flat(), [batch, mask[0]!.length]);
  }
  if (sig.positionIds && mask)
    feeds[sig.positionIds.name] = intTensor(sig.positionIds, positions(mask, seq), [batch, seq]);
  if (sig.numLogitsToKeep) feeds[sig.numLogitsToKeep.name] = intTensor(sig.numLogitsToKeep, [1], []);
  if (sig.useCacheBranch)
    feeds[sig.useCacheBranch] = new ort.Tensor('bool', Uint8Array.from([usingCache ? 1 : 0]), [1]);
  if (encoder) {
    if (sig.encoderHiddenStates) feeds[sig.encoderHiddenStates] = encoder.states;
    if (sig.encoderAttentionMask && encoder.mask.length > 0) {
      const m = encoder.mask;
      feeds[sig.encoderAttentionMask.name] = intTensor(sig.encoderAttentionMask, m.flat(), [
        m.length,
        m[0]!.length,
      ]);
    }
  }
  return feeds;
}

/** Prompts padded to the longest: on the left for a decoder, on the right for an encoder. */
function pad(
  prompts: number[][],
  padId: number,
  side: 'left' | 'right',
): { ids: number[][]; mask: number[][] } {
  const longest = Math.max(...prompts.map((p) => p.length));
  const ids: number[][] = [];
  const mask: number[][] = [];
  for (const p of prompts) {
    const fill = longest - p.length;
    const padIds = new Array<number>(fill).fill(padId);
    const zeros = new Array<number>(fill).fill(0);
    const ones = new Array<number>(p.length).fill(1);
    ids.push(side === 'left' ? [...padIds, ...p] : [...p, ...padIds]);
    mask.push(side === 'left' ? [...zeros, ...ones] : [...ones, ...zeros]);
  }
  return { ids, mask };
}

/** One greedy generate call over a batch of prompts (token ids, each at least one). */
export async function generate(
  layout: GenerationLayout,
  sessions: GenerationSessions,
  prompts: number[][],
  options: GenerateOptions,
): Promise<Generation> {
  const clock = options.clock ?? systemClock;
  const budget = options.maxNewTokens;
  if (!Number.isSafeInteger(budget) || budget < 1) throw new RangeError(`a budget of ${budget} new tokens`);
  if (prompts.length === 0 || prompts.some((p) => p.length === 0)) throw new RangeError('an empty prompt');
  const forced = options.forcedTokens ?? null;
  if (forced) {
    if (forced.length !== prompts.length)
      throw new RangeError(`${forced.length} forced continuations for ${prompts.length} prompts`);
    for (const [i, row] of forced.entries()) {
      if (row.length !== budget)
        throw new RangeError(
          `forced continuation ${i} has ${row.length} tokens, not the budget of ${budget}`,
        );
      if (row.some((t) => !Number.isSafeInteger(t) || t < 0))
        throw new RangeError(`forced continuation ${i} holds a token that is not a non-negative integer`);
    }
  }
  const recompute = options.recompute === true || layout.kind === 'no-cache';
  const banned = new Set(layout.eosTokenIds);
  const batch = prompts.length;
  const start = clock.nowMs();
  let finite = true;

  let encoder: { states: ort.Tensor; mask: number[][] } | null = null;
  let ids: number[][];
  let mask: number[][] | null;
  if (layout.encoder && sessions.encoder) {
    const enc = layout.encoder;
    const feeds: Feeds = {};
    let encoderMask: number[][] = [];
    if (enc.features) {
      if (!options.features || options.features.dims[0] !== batch) {
        throw new RangeError(`the encoder needs ${enc.features.name} for a batch of ${batch}`);
      }
      feeds[enc.features.name] = options.features;
    } else if (enc.inputIds) {
      const padded = pad(prompts, layout.padTokenId, 'right');
      feeds[enc.inputIds.name] = intTensor(enc.inputIds, padded.ids.flat(), [batch, padded.ids[0]!.length]);
      if (enc.attentionMask) {
        const width = padded.mask[0]!.length;
        feeds[enc.attentionMask.name] = intTensor(enc.attentionMask, padded.mask.flat(), [batch, width]);
      }
      encoderMask = padded.mask;
    }
    const out = await sessions.encoder.run(feeds);
    encoder = { states: out[enc.output] as ort.Tensor, mask: encoderMask };
    ids = prompts.map(() => [layout.decoderStartTokenId ?? layout.padTokenId]);
    // The decoder's own sequence has no padding and, in these exports, no mask input.
    mask = ids.map(() => [1]);
  } else {
    const padded = pad(prompts, layout.padTokenId, 'left');
    ids = padded.ids;
    mask = padded.mask;
  }

  const tokens: number[][] = prompts.map(() => []);
  const logProbs: Float32Array[][] | null = options.logProbs ? prompts.map(() => []) : null;
  const stepMs: number[] = [];
  let firstTokenMs = 0;
  let pasts: Feeds = {};
  /** The encoder's cross-attention cache, from the first step. */
  const crossCache: Feeds = {};

  for (let step = 0; step < budget; step++) {
    const stepStart = clock.nowMs();
    const cached = step > 0 && !recompute;
    const sig = cached ? layout.next : layout.first;
    const runner = cached ? sessions.next : sessions.first;
    const stepIds = cached ? ids.map((row) => row.slice(-1)) : ids;
    const feeds = decoderFeeds(sig, stepIds, mask, cached, encoder);
    for (const slot of sig.cache) {
      feeds[slot.past] = cached
        ? ((slot.encoder ? crossCache[slot.past] : pasts[slot.past]) ?? emptyPast(slot, batch))
        : emptyPast(slot, batch);
    }
    const out = await runner.run(feeds);
    const logits = out[sig.logits] as ort.Tensor;
    const picked = nextTokens(logits, banned, logProbs !== null);
    finite &&= picked.finite;
    const vocab = logits.dims[2]!;
    if (!recompute) {
      const nextPasts: Feeds = {};
      for (const slot of layout.next.cache) {
        const present = out[slot.present] as ort.Tensor | undefined;
        if (slot.encoder) {
          if (step === 0 && present) crossCache[slot.past] = present;
        } else if (present) nextPasts[slot.past] = present;
      }
      pasts = nextPasts;
    }
    for (let b = 0; b < batch; b++) {
      const fed = forced ? forced[b]![step]! : picked.tokens[b]!;
      if (fed >= vocab) throw new RangeError(`forced token ${fed} is outside the vocabulary of ${vocab}`);
      tokens[b]!.push(picked.tokens[b]!);
      logProbs?.[b]!.push(picked.logProbs![b]!);
      ids[b]!.push(fed);
      mask?.[b]!.push(1);
    }
    const now = clock.nowMs();
    if (step === 0) firstTokenMs = now - start;
    else stepMs.push(now - stepStart);
  }
  return { tokens, logProbs, firstTokenMs, stepMs, finite };
}
