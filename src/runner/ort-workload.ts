/**
 * The ONNX Runtime adapter of the Workload port: one model variant at one batch size on one
 * device. Every input is built up front, so a batch is a bare session.run on cached feeds.
 */
import * as ort from 'onnxruntime-node';
import { EnergyScoreError, errorMessage } from '../errors.js';
import type { ModelInfo } from '../model/inspect.js';
import type { ConfigResult, InputData } from '../result/schema.js';
import { onnxRuntimeMessage } from '../util/first-line.js';
import type { InputOverrides } from '../workload/overrides.js';
import { planInputs, type SynthesisPlan } from '../workload/input-plan.js';
import { fillHint, outsideDomain } from '../workload/input-roles.js';
import { dimsForQueries, suiteQuerySizes } from '../workload/query-sizes.js';
import { planBatches, type BatchShape } from '../workload/batches.js';
import { batchBytes, checkBatchFits } from '../workload/memory-fit.js';
import { buildBatch, type Batch } from '../workload/tensors.js';
import type { QuerySize, TaskDefinition } from '../workload/tasks.js';
import { executionProviders, type Device } from './providers.js';
import { spinSessionOptions, type Spin } from './spin.js';
import { SAMPLE_BYTES, sampleBytes, splitOutputs, stackedFeeds } from './sample-outputs.js';
import {
  systemClock,
  type BatchRun,
  type Clock,
  type OutputSample,
  type Preparation,
  type SampledTensor,
  type SampledWorkload,
} from './workload.js';

export interface OrtWorkloadSpec {
  modelName: string;
  precision: string;
  model: ModelInfo;
  task: TaskDefinition;
  device: Device;
  batchSize: number;
  /** Intra-op threads; undefined leaves ONNX Runtime's default (one per physical core). */
  threads: number | undefined;
  queries: number;
  warmup: number;
  seed: number;
  overrides: InputOverrides;
  /** Let ONNX Runtime print its own log lines (warnings and errors) on stderr, as --verbose does. */
  onnxRuntimeLogs?: boolean;
  /** Intra-op spinning (src/runner/spin.ts); undefined leaves ONNX Runtime's default (on). */
  spin?: Spin;
  /** Real input values, prepared before the run (one size and row per query), and where they came from. */
  data?: { sizes: QuerySize[] | null; info: InputData };
}

/**
 * ONNX Runtime's log severities: 2 is its default (warnings and errors, coloured and timestamped
 * on stderr), 4 only fatal ones. A failure already reaches the user as our one-line reason, so
 * its log line would say it twice, in another format.
 */
const ORT_LOG_VERBOSE = 2;
const ORT_LOG_QUIET = 4;

/** Inputs are built before timing; above this many bytes a pool of batches is cycled instead. */
export const INPUT_POOL_BYTES = 256 * 1024 * 1024;

/** ONNX Runtime's words for "this provider has no kernel for that op or type". */
const UNSUPPORTED =
  /could not find an implementation|not_implemented|not implemented|not supported|unsupported/i;

export class OrtWorkload implements SampledWorkload {
  /** What the result records, each set once prepare gets that far. */
  inputs: ConfigResult['inputs'] = null;
  sessionLoadMs: number | null = null;
  warmupBatches: number | null = null;

  private readonly spec: OrtWorkloadSpec;
  private readonly clock: Clock;
  private session: ort.InferenceSession | null = null;
  private pool: Batch[] = [];
  private poolIndex: number[] = [];
  /** What each pool entry's batch reports, made once so a batch allocates nothing. */
  private runs: BatchRun[] = [];
  private cycled = false;
  private cursor = 0;
  /** The plan and the suite's batches, kept for the fidelity sample. */
  private plan: SynthesisPlan | null = null;
  private shapes: BatchShape[] = [];

  constructor(spec: OrtWorkloadSpec, clock: Clock = systemClock) {
    this.spec = spec;
    this.clock = clock;
  }

  /** Plans and builds the inputs, loads the session, warms up and checks the first outputs. */
  async prepare(): Promise<Preparation> {
    const spec = this.spec;
    const plan = planInputs(spec.model, spec.task, spec.overrides, `${spec.modelName} (${spec.precision})`);
    if (plan.fixedBatch !== undefined && plan.fixedBatch !== spec.batchSize) {
      return {
        status: 'skipped',
        reason: `the model's inputs have no dynamic batch dim (batch is fixed at ${plan.fixedBatch}): run it with --batch ${plan.fixedBatch}, or leave --batch out`,
      };
    }
    const querySizes = spec.data?.sizes ?? suiteQuerySizes(plan, spec.task, spec.queries, spec.seed);
    const shapes = planBatches(plan, querySizes, spec.batchSize);
    const largestBatchBytes = checkBatchFits(plan, shapes);

    this.plan = plan;
    this.shapes = shapes;
    const { pool, poolIndex, cycled } = buildInputPool(plan, shapes, largestBatchBytes, spec.seed);
    this.pool = pool;
    this.poolIndex = poolIndex;
    this.runs = pool.map((batch) => ({ queries: batch.queries }));
    this.cycled = cycled;
    const tokenCounts = querySizes.flatMap((q) => (q.tokens !== undefined ? [q.tokens] : []));
    this.inputs = {
      dims: spec.data?.sizes ? dimsForQueries(plan.dimsUsed, querySizes) : plan.dimsUsed,
      distinctBatches: pool.length,
      tokensPerQueryMean: tokenCounts.length
        ? tokenCounts.reduce((a, b) => a + b, 0) / tokenCounts.length
        : null,
      bytesPerBatchMax: largestBatchBytes,
      ...(spec.data ? { data: spec.data.info } : {}),
    };

    const logSeverityLevel = spec.onnxRuntimeLogs ? ORT_LOG_VERBOSE : ORT_LOG_QUIET;
    // The environment's logger is made with the first session: the level must be set before it.
    ort.env.logLevel = spec.onnxRuntimeLogs ? 'warning' : 'fatal';
    const loadStart = this.clock.nowMs();
    try {
      this.session = await ort.InferenceSession.create(spec.model.path, {
        executionProviders: executionProviders(spec.device),
        graphOptimizationLevel: 'all',
        logSeverityLevel,
        ...(spec.threads !== undefined ? { intraOpNumThreads: spec.threads, interOpNumThreads: 1 } : {}),
        ...(spec.spin !== undefined ? spinSessionOptions(spec.spin) : {}),
      });
    } catch (err) {
      const message = onnxRuntimeMessage(errorMessage(err));
      if (UNSUPPORTED.test(message)) {
        return {
          status: 'skipped',
          reason: `ONNX Runtime's ${spec.device} provider cannot run this ${spec.precision} model: ${message}`,
        };
      }
      return { status: 'failed', reason: `ONNX Runtime could not load ${spec.model.path}: ${message}` };
    }
    this.sessionLoadMs = this.clock.nowMs() - loadStart;

    try {
      // The first run checks the outputs, so a numerically broken variant fails loudly, not quietly.
      const warmupBatches = Math.max(1, spec.warmup);
      for (let i = 0; i < warmupBatches; i++) {
        const outputs = await this.session.run(pool[i % pool.length]!.feeds);
        if (i === 0) {
          const bad = findNonFinite(outputs);
          if (bad) {
            const domain = outsideDomain(plan, spec.model);
            const why = domain
              ? `the inputs were outside the operator's domain: ${domain}`
              : spec.precision === 'fp32'
                ? 'the model is numerically broken on these inputs'
                : `the model or its ${spec.precision} variant is numerically broken`;
            return {
              status: 'failed',
              reason: `output '${bad.name}' holds ${bad.kind} (${bad.count} of ${bad.total} values): ${why}`,
            };
          }
        }
      }
      this.warmupBatches = warmupBatches;
    } catch (err) {
      if (err instanceof EnergyScoreError) throw err;
      const message = onnxRuntimeMessage(errorMessage(err));
      const hint = fillHint(plan, spec.model, message);
      return { status: 'failed', reason: `session.run failed: ${message}${hint ? ` (${hint})` : ''}` };
    }
    return { status: 'ready', passBatches: shapes.length };
  }

  async runBatch(): Promise<BatchRun> {
    if (!this.session) throw new Error('runBatch before a successful prepare');
    const entry = this.poolIndex[this.cursor % this.poolIndex.length]!;
    this.cursor++;
    await this.session.run(this.pool[entry]!.feeds);
    return this.runs[entry]!;
  }

  /**
   * The suite's first `count` queries at this configuration's batch size, after prepare and
   * outside any window: each query's inputs built alone and stacked (sample-outputs.ts), each
   * output cut per query, float16 read as float32. It stops early past SAMPLE_BYTES of outputs.
   */
  async sampleOutputs(count: number): Promise<OutputSample> {
    const session = this.session;
    const plan = this.plan;
    if (!session || !plan) throw new Error('sampleOutputs before a successful prepare');
    // An output that cannot be split per query is left out of the sample; the comparison says so.
    const queries: Record<string, SampledTensor>[] = [];
    let bytes = 0;
    for (const shape of this.shapes) {
      if (queries.length >= count || bytes > SAMPLE_BYTES) break;
      const outputs = await session.run(stackedFeeds(plan, shape, queries.length, this.spec.seed));
      const split = splitOutputs(outputs as Record<string, ort.Tensor>, shape.queries);
      const taken = split.queries.slice(0, count - queries.length);
      bytes += taken.reduce((sum, q) => sum + sampleBytes(q), 0);
      queries.push(...taken);
    }
    return { kind: 'tensors', queries };
  }

  async release(): Promise<void> {
    const session = this.session;
    this.session = null;
    await session?.release().catch(() => undefined);
  }

  /** Caveats about how this configuration ran, for the result's warnings. */
  warnings(): string[] {
    const warnings: string[] = [];
    if (this.cycled) {
      warnings.push(
        `the suite's inputs exceed ${INPUT_POOL_BYTES / 1024 / 1024} MiB, so its first ${this.pool.length} batches were cycled in place of all ${this.poolIndex.length}`,
      );
    }
    if (this.spec.precision === 'fp16' && this.spec.device === 'cpu') {
      warnings.push('fp16 on CPU: ONNX Runtime computes most fp16 ops in fp32 behind inserted casts');
    }
    return warnings;
  }
}

/**
 * Builds the inputs before anything is timed: one batch per distinct batch shape (a fixed-shape
 * suite needs two: full batches and the last, shorter one), so the measured loop feeds inputs
 * from cache as a bare session.run loop does. When the distinct batches exceed the byte budget
 * (long audio, say), the first that fit are cycled instead.
 */
export function buildInputPool(
  plan: SynthesisPlan,
  shapes: BatchShape[],
  largestBatchBytes: number,
  seed: number,
): { pool: Batch[]; poolIndex: number[]; cycled: boolean } {
  const key = (s: BatchShape) =>
    `${s.queries}|${s.tokens}|${s.audioSamples}|${s.queryTokens.join(',')}|${s.queryAudioSamples.join(',')}|${s.queryRows?.map((r) => r?.key).join(',') ?? ''}`;
  const uniqueIndex = new Map<string, number>();
  const uniqueShapes: BatchShape[] = [];
  const poolIndex = shapes.map((shape) => {
    const k = key(shape);
    let index = uniqueIndex.get(k);
    if (index === undefined) {
      index = uniqueShapes.push(shape) - 1;
      uniqueIndex.set(k, index);
    }
    return index;
  });
  const uniqueBytes = uniqueShapes.reduce((sum, shape) => sum + batchBytes(plan, shape), 0);
  if (uniqueBytes <= INPUT_POOL_BYTES) {
    return {
      pool: uniqueShapes.map((shape, i) => buildBatch(plan, shape, seed + i)),
      poolIndex,
      cycled: false,
    };
  }
  const size = Math.max(
    1,
    Math.min(shapes.length, Math.floor(INPUT_POOL_BYTES / Math.max(1, largestBatchBytes))),
  );
  return {
    pool: shapes.slice(0, size).map((shape, i) => buildBatch(plan, shape, seed + i)),
    poolIndex: shapes.map((_, i) => i % size),
    cycled: true,
  };
}

interface NonFinite {
  name: string;
  kind: 'NaN' | 'infinity';
  count: number;
  total: number;
}

function findNonFinite(outputs: ort.InferenceSession.OnnxValueMapType): NonFinite | undefined {
  for (const [name, value] of Object.entries(outputs)) {
    const tensor = value as ort.Tensor;
    if (tensor.type !== 'float32' && tensor.type !== 'float64' && tensor.type !== 'float16') continue;
    const data = tensor.data as Float32Array | Float64Array | Uint16Array;
    let nan = 0;
    let inf = 0;
    for (let i = 0; i < data.length; i++) {
      if (tensor.type === 'float16') {
        const bits = data[i]!;
        if ((bits & 0x7c00) === 0x7c00) {
          if (bits & 0x3ff) nan++;
          else inf++;
        }
      } else if (Number.isNaN(data[i])) nan++;
      else if (!Number.isFinite(data[i])) inf++;
    }
    if (nan || inf) return { name, kind: nan ? 'NaN' : 'infinity', count: nan || inf, total: data.length };
  }
  return undefined;
}
