/**
 * The generation adapter of the Workload port: one batch is one greedy generate call over the
 * batch's prompts (prefill, then decode over the KV cache), every query generating exactly the
 * budget. A second view of the same sessions, `prefillPass`, generates one token per query: the
 * prefill-only pass that optimum-benchmark measures on its own windows to split the energy.
 * `sampleOutputs` gives the first queries' continuations and next-token log-probabilities for
 * the fidelity check, outside the measured windows.
 */
import * as ort from 'onnxruntime-node';
import { EnergyScoreError, errorMessage } from '../errors.js';
import type { ConfigResult, LatencyQuantiles } from '../result/schema.js';
import { percentile } from '../stats/summary.js';
import { onnxRuntimeMessage } from '../util/first-line.js';
import { float32ToFloat16Bits } from '../util/float16.js';
import { SeededRandom, seedFrom } from '../util/random.js';
import type { GenerationLayout } from '../workload/generation-layout.js';
import { sampleQuerySizes } from '../workload/tasks.js';
import { generate, type GenerationSessions } from './generate.js';
import type { OrtWorkloadSpec } from './ort-workload.js';
import { executionProviders } from './providers.js';
import {
  systemClock,
  type BatchRun,
  type Clock,
  type OutputSample,
  type Preparation,
  type SampledWorkload,
  type Workload,
} from './workload.js';

export interface GenerationSpec {
  layout: GenerationLayout;
  maxNewTokens: number;
}

/** The warm-up's budget: two new tokens, as optimum-benchmark's energy_star scenario warms up. */
const WARMUP_NEW_TOKENS = 2;

/** The vocabulary assumed when neither the logits, the config nor an embedding table gives one. */
const FALLBACK_VOCAB = 100;

/**
 * The most log-probability floats one fidelity sample holds (256 MiB): queries × steps × vocab.
 * GPT-2's 50,257-token vocabulary at 10 new tokens keeps 133 queries; a 128k vocabulary, 52.
 */
export const SAMPLE_LOG_PROB_FLOATS_MAX = 64 * 1024 * 1024;

/**
 * How many of `wanted` queries a sample keeps so that queries × steps × vocab floats stay within
 * `maxFloats`: never fewer than one, whatever the vocabulary.
 */
export function sampleQueryLimit(
  wanted: number,
  steps: number,
  vocab: number,
  maxFloats: number = SAMPLE_LOG_PROB_FLOATS_MAX,
): number {
  return Math.max(1, Math.min(wanted, Math.floor(maxFloats / (steps * vocab))));
}

/** What the generate calls of the measured loop timed, for the result. */
export interface GenerationTimes {
  firstTokenMs: number[];
  interTokenMs: number[];
}

export class GenerationWorkload implements SampledWorkload {
  inputs: ConfigResult['inputs'] = null;
  sessionLoadMs: number | null = null;
  warmupBatches: number | null = null;
  promptTokensPerQueryMean = 0;
  promptsClipped = 0;
  readonly times: GenerationTimes = { firstTokenMs: [], interTokenMs: [] };
  readonly prefillTimes: GenerationTimes = { firstTokenMs: [], interTokenMs: [] };

  private readonly spec: OrtWorkloadSpec;
  private readonly generation: GenerationSpec;
  private readonly clock: Clock;
  private readonly opened: ort.InferenceSession[] = [];
  private sessions: GenerationSessions | null = null;
  private batches: number[][][] = [];
  private runs: BatchRun[] = [];
  private cursor = 0;
  private prefillCursor = 0;
  private readonly notes: string[] = [];
  /** Cap on a sample's log-probability floats; a constructor option so tests can lower it. */
  private readonly sampleFloatsMax: number;
  /**
   * A speech or image encoder's input, one tensor per batch size (the suite's clips are all 30 s;
   * an image encoder's size is fixed by the model).
   */
  private readonly features = new Map<number, ort.Tensor>();

  constructor(
    spec: OrtWorkloadSpec,
    generation: GenerationSpec,
    clock: Clock = systemClock,
    sampleFloatsMax: number = SAMPLE_LOG_PROB_FLOATS_MAX,
  ) {
    this.spec = spec;
    this.generation = generation;
    this.clock = clock;
    this.sampleFloatsMax = sampleFloatsMax;
  }

  get layout(): GenerationLayout {
    return this.generation.layout;
  }

  get maxNewTokens(): number {
    return this.generation.maxNewTokens;
  }

  async prepare(): Promise<Preparation> {
    const { spec } = this;
    const { layout, maxNewTokens } = this.generation;
    const room = layout.contextTokens - maxNewTokens;
    if (room < 1) {
      return {
        status: 'skipped',
        reason: `--max-new-tokens ${maxNewTokens} leaves no room for a prompt in the model's context of ${layout.contextTokens} tokens (${layout.contextSource}): use a budget below ${layout.contextTokens}`,
      };
    }
    this.buildPrompts(room);

    const loadStart = this.clock.nowMs();
    try {
      ort.env.logLevel = spec.onnxRuntimeLogs ? 'warning' : 'fatal';
      const options: ort.InferenceSession.SessionOptions = {
        executionProviders: executionProviders(spec.device),
        graphOptimizationLevel: 'all',
        logSeverityLevel: spec.onnxRuntimeLogs ? 2 : 4,
        ...(spec.threads !== undefined ? { intraOpNumThreads: spec.threads, interOpNumThreads: 1 } : {}),
      };
      const byPath = new Map<string, ort.InferenceSession>();
      const open = async (modelPath: string) => {
        let session = byPath.get(modelPath);
        if (!session) {
          session = await ort.InferenceSession.create(modelPath, options);
          byPath.set(modelPath, session);
          this.opened.push(session);
        }
        return session;
      };
      this.sessions = {
        first: await open(layout.first.path),
        next: await open(layout.next.path),
        encoder: layout.encoder ? await open(layout.encoder.path) : null,
      };
    } catch (err) {
      return {
        status: 'failed',
        reason: `ONNX Runtime could not load the ${layout.kind} layout: ${onnxRuntimeMessage(errorMessage(err))}`,
      };
    }
    this.sessionLoadMs = this.clock.nowMs() - loadStart;

    try {
      const first = await generate(layout, this.sessions, this.batches[0]!, {
        maxNewTokens,
        ...this.featuresOf(this.batches[0]!),
      });
      if (!first.finite) {
        return {
          status: 'failed',
          reason: 'the logits hold NaN or infinity: the model is numerically broken on these inputs',
        };
      }
      if (first.tokens.some((t) => t.length !== maxNewTokens)) {
        return { status: 'failed', reason: `a query did not generate ${maxNewTokens} tokens` };
      }
      const warmup = Math.max(1, spec.warmup);
      for (let i = 1; i < warmup; i++) {
        const batch = this.batches[i % this.batches.length]!;
        await generate(layout, this.sessions, batch, {
          maxNewTokens: Math.min(WARMUP_NEW_TOKENS, maxNewTokens),
          ...this.featuresOf(batch),
        });
      }
      this.warmupBatches = warmup;
    } catch (err) {
      if (err instanceof EnergyScoreError) throw err;
      const inputs = [layout.first, layout.next].flatMap((s) => s.cache.map((c) => c.past));
      return {
        status: 'skipped',
        reason: `the ${layout.description} could not be driven: ${onnxRuntimeMessage(errorMessage(err))} (cache inputs ${[...new Set(inputs)].slice(0, 4).join(', ') || 'none'}; pin their dims with --dim NAME=N, or bench one pass with --task custom)`,
      };
    }
    return { status: 'ready', passBatches: this.batches.length };
  }

  /** The suite's prompts: the task's lengths, clipped to leave the budget room in the context. */
  private buildPrompts(room: number): void {
    const { spec } = this;
    const { layout } = this.generation;
    const sizes = sampleQuerySizes(spec.task, spec.queries, spec.seed);
    // A speech or image encoder takes the query; the decoder starts from its start token alone.
    const encoded = layout.encoder?.features ?? null;
    const vocab = layout.vocabSize ?? FALLBACK_VOCAB;
    if (layout.vocabSize === null)
      this.notes.push(`the vocabulary is unknown: prompt ids drawn from 0-${vocab - 1}`);
    const special = new Set([...layout.eosTokenIds, layout.padTokenId, layout.decoderStartTokenId ?? -1]);
    const rng = new SeededRandom(seedFrom('prompts', spec.seed));
    const prompts: number[][] = [];
    let clipped = 0;
    for (const size of sizes) {
      const wanted = encoded ? 1 : Math.max(1, size.tokens ?? spec.task.promptTokens ?? 16);
      const length = Math.min(wanted, room);
      if (length < wanted) clipped++;
      const ids: number[] = [];
      while (ids.length < length) {
        const id = rng.int(0, vocab - 1);
        if (!special.has(id) || special.size >= vocab) ids.push(id);
      }
      prompts.push(ids);
    }
    this.promptsClipped = clipped;
    this.promptTokensPerQueryMean = encoded ? 0 : prompts.reduce((s, p) => s + p.length, 0) / prompts.length;
    this.batches = [];
    for (let i = 0; i < prompts.length; i += spec.batchSize)
      this.batches.push(prompts.slice(i, i + spec.batchSize));
    this.runs = this.batches.map((b) => ({ queries: b.length }));
    this.inputs = {
      dims: encoded
        ? { batch_size: spec.batchSize, [encoded.name]: encoded.dims.join('x') }
        : {
            batch_size: spec.batchSize,
            sequence_length: `per batch: longest prompt (1-${room} tokens, mean ${Math.round(this.promptTokensPerQueryMean)})`,
          },
      distinctBatches: this.batches.length,
      tokensPerQueryMean: this.promptTokensPerQueryMean,
      bytesPerBatchMax: Math.max(
        ...this.batches.map((b) => b.length * Math.max(...b.map((p) => p.length)) * 8),
      ),
    };
  }

  async runBatch(): Promise<BatchRun> {
    const index = this.cursor++ % this.batches.length;
    const batch = this.batches[index]!;
    const run = await generate(this.layout, this.requireSessions(), batch, {
      maxNewTokens: this.generation.maxNewTokens,
      clock: this.clock,
      ...this.featuresOf(batch),
    });
    this.times.firstTokenMs.push(run.firstTokenMs);
    this.times.interTokenMs.push(...run.stepMs);
    return this.runs[index]!;
  }

  /** The prefill-only pass: the same batches, one new token per query. */
  prefillPass(): Pick<Workload, 'runBatch'> {
    return {
      runBatch: async () => {
        const index = this.prefillCursor++ % this.batches.length;
        const batch = this.batches[index]!;
        const run = await generate(this.layout, this.requireSessions(), batch, {
          maxNewTokens: 1,
          clock: this.clock,
          ...this.featuresOf(batch),
        });
        this.prefillTimes.firstTokenMs.push(run.firstTokenMs);
        return this.runs[index]!;
      },
    };
  }

  /**
   * The first `count` queries of the suite at this configuration's batch size and budget, end of
   * sequence suppressed as in the measured loop: each query's free-running greedy tokens, and
   * the log-softmax of each step's next-token logits along `forcedTokens[i]` (teacher forcing on
   * the reference's continuation) or, without it, along the query's own tokens. Fewer queries
   * come back where their log-probabilities would pass the cap (a warning says so).
   */
  async sampleOutputs(count: number, forcedTokens?: readonly (readonly number[])[]): Promise<OutputSample> {
    const sessions = this.requireSessions();
    if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`a sample of ${count} queries`);
    const prompts = this.batches.flat();
    const wanted = Math.min(count, prompts.length);
    const budget = this.generation.maxNewTokens;
    let steps = budget;
    if (forcedTokens) {
      if (forcedTokens.length < wanted)
        throw new RangeError(`${forcedTokens.length} forced continuations for a sample of ${wanted} queries`);
      steps = forcedTokens[0]!.length;
      if (steps < 1 || forcedTokens.slice(0, wanted).some((row) => row.length !== steps))
        throw new RangeError(
          'the forced continuations must all hold the same number of tokens, at least one',
        );
    }
    let vocab = this.generation.layout.vocabSize;
    let kept = vocab === null ? wanted : sampleQueryLimit(wanted, steps, vocab, this.sampleFloatsMax);
    // Query i's encoder input is the same whatever the batch size, so configurations compare.
    const features = this.sampleFeatures(wanted);
    const queries: Extract<OutputSample, { kind: 'generation' }>['queries'] = [];
    for (let start = 0; start < kept; start += this.spec.batchSize) {
      const end = Math.min(start + this.spec.batchSize, kept);
      const batch = prompts.slice(start, end);
      const feed = features ? { features: features(start, end) } : {};
      const free = await generate(this.layout, sessions, batch, {
        maxNewTokens: budget,
        logProbs: !forcedTokens,
        ...feed,
      });
      const along = forcedTokens
        ? await generate(this.layout, sessions, batch, {
            maxNewTokens: steps,
            forcedTokens: forcedTokens.slice(start, end),
            logProbs: true,
            ...feed,
          })
        : free;
      if (!free.finite || !along.finite)
        throw new Error(
          'the logits hold NaN or infinity on the sampled queries: the model is numerically broken',
        );
      for (let b = 0; b < batch.length; b++)
        queries.push({ tokens: free.tokens[b]!, logProbs: along.logProbs![b]! });
      if (vocab === null) {
        // The vocabulary is the logits' width, known once a batch has run.
        vocab = queries[0]!.logProbs[0]!.length;
        kept = sampleQueryLimit(wanted, steps, vocab, this.sampleFloatsMax);
      }
    }
    queries.splice(kept);
    if (queries.length < wanted) {
      const note = `fidelity compares ${queries.length} of ${wanted} queries: their next-token log-probabilities (${steps} steps × ${vocab} tokens each) are capped at ${Number(((this.sampleFloatsMax * 4) / 2 ** 20).toPrecision(3))} MiB`;
      if (!this.notes.includes(note)) this.notes.push(note);
    }
    return { kind: 'generation', queries };
  }

  /**
   * A speech or image encoder's input for the first `count` queries, query by query (standard
   * normal, as featuresOf draws them), sliced per batch; null without such an encoder.
   */
  private sampleFeatures(count: number): ((start: number, end: number) => ort.Tensor) | null {
    const spec = this.generation.layout.encoder?.features;
    if (!spec) return null;
    const perQuery = spec.dims.reduce((a, b) => a * b, 1);
    const rng = new SeededRandom(seedFrom(spec.name, this.spec.seed));
    const values = new Float32Array(count * perQuery);
    for (let i = 0; i < values.length; i++) values[i] = rng.normal();
    return (start, end) => {
      const slice = values.subarray(start * perQuery, end * perQuery);
      const dims = [end - start, ...spec.dims];
      return spec.dtype === 'float16'
        ? new ort.Tensor('float16', Uint16Array.from(slice, float32ToFloat16Bits), dims)
        : new ort.Tensor('float32', Float32Array.from(slice), dims);
    };
  }

  /**
   * The batch's input_features or pixel_values where the encoder takes one (standard normal, as
   * the one-pass image models get): made once per batch size.
   */
  private featuresOf(batch: readonly number[][]): { features?: ort.Tensor } {
    const spec = this.generation.layout.encoder?.features;
    if (!spec) return {};
    let tensor = this.features.get(batch.length);
    if (!tensor) {
      const dims = [batch.length, ...spec.dims];
      const count = dims.reduce((a, b) => a * b, 1);
      const rng = new SeededRandom(seedFrom(spec.name, this.spec.seed));
      const values = new Float32Array(count);
      for (let i = 0; i < count; i++) values[i] = rng.normal();
      tensor =
        spec.dtype === 'float16'
          ? new ort.Tensor('float16', Uint16Array.from(values, float32ToFloat16Bits), dims)
          : new ort.Tensor('float32', values, dims);
      this.features.set(batch.length, tensor);
    }
    return { features: tensor };
  }

  private requireSessions(): GenerationSessions {
    if (!this.sessions) throw new Error('the generation workload ran before a successful prepare');
    return this.sessions;
  }

  async release(): Promise<void> {
    const opened = this.opened.splice(0);
    this.sessions = null;
    for (const session of opened) await session.release().catch(() => undefined);
  }

  warnings(): string[] {
    const { layout, maxNewTokens } = this.generation;
    const warnings = [...this.notes];
    if (this.promptsClipped > 0) {
      warnings.push(
        `${this.promptsClipped} of ${this.batches.flat().length} prompts were clipped to ${layout.contextTokens - maxNewTokens} tokens, so that prompt and ${maxNewTokens} new tokens fit the model's context of ${layout.contextTokens} (${layout.contextSource})`,
      );
    }
    if (layout.kind === 'no-cache') {
      warnings.push(
        'no KV cache: every step recomputes the whole sequence, so its energy per token is not comparable with cached runs',
      );
    }
    for (const assumption of layout.assumptions) warnings.push(`assumed: ${assumption}`);
    if (this.spec.precision === 'fp16' && this.spec.device === 'cpu') {
      warnings.push('fp16 on CPU: ONNX Runtime computes most fp16 ops in fp32 behind inserted casts');
    }
    return warnings;
  }
}

/** p50 and p95, or null for no values. */
export function quantiles(values: readonly number[]): LatencyQuantiles | null {
  if (values.length === 0) return null;
  return { p50: percentile(values, 50), p95: percentile(values, 95) };
}
