/**
 * Runs one configuration (a model variant at one batch size on one device): load the session,
 * build every input up front, warm up, then time each session.run and nothing else.
 */
import * as ort from 'onnxruntime-node';
import { EnergyScoreError, errorMessage } from '../errors.js';
import { firstLine, onnxRuntimeMessage } from '../util/first-line.js';
import type { ModelInfo } from '../model/inspect.js';
import { ENERGY_NOT_MEASURED, blankResult, type ConfigResult } from '../result/schema.js';
import { countOutliers, summarize } from '../stats/summary.js';
import type { InputOverrides } from '../workload/overrides.js';
import {
  buildBatch,
  checkBatchFits,
  planBatches,
  planInputs,
  suiteQuerySizes,
  batchBytes,
  type Batch,
  type BatchShape,
  type SynthesisPlan,
} from '../workload/synthesize.js';
import type { TaskDefinition } from '../workload/tasks.js';
import { thermalDriftWarnings } from '../devices/gpu-temperature.js';
import type { EnergyMeter } from '../meters/types.js';
import { executionProviders, type Device } from './providers.js';
import {
  energyResult,
  headlineMeterIndexes,
  markEach,
  readEach,
  type Marks,
  trialPerQueryJ,
  trialsDone,
  windowSeconds,
  type ProtocolSettings,
  type Trial,
} from './protocol.js';

export interface ConfigSpec {
  modelName: string;
  precision: string;
  model: ModelInfo;
  task: TaskDefinition;
  taskSource: string;
  device: Device;
  batchSize: number;
  /** Intra-op threads; undefined leaves ONNX Runtime's default (one per physical core). */
  threads: number | undefined;
  queries: number;
  warmup: number;
  seed: number;
  overrides: InputOverrides;
  /** Meters and protocol; without them the suite runs once and only time is measured. */
  energy?: EnergySetup;
}

export interface EnergySetup {
  meters: EnergyMeter[];
  /** Idle power per meter (index-aligned), measured once before the run; null when not measured. */
  idlePowerW: (number | null)[];
  idleSeconds: number;
  protocol: ProtocolSettings;
  /** GPU temperatures by index, read before and after the trials when a GPU meter runs. */
  gpuTemperaturesC?: () => Promise<Map<number, number> | null>;
}

export interface RunHooks {
  /** Called after every measured batch with the queries done so far. */
  onProgress?: (queriesDone: number, queriesTotal: number) => void;
  /** Aborting stops the measured loop after the batch in flight. */
  signal?: AbortSignal;
}

/** Progress callbacks and RSS samples at most this often, so the measured loop stays bare. */
const PROGRESS_EVERY_MS = 50;

/** Inputs are built before timing; above this many bytes a pool of batches is cycled instead. */
export const INPUT_POOL_BYTES = 256 * 1024 * 1024;

export function configId(modelName: string, precision: string, batchSize: number, device: string): string {
  return `${modelName}/${precision}/b${batchSize}/${device}`;
}

function emptyResult(spec: ConfigSpec): ConfigResult {
  return blankResult({
    id: configId(spec.modelName, spec.precision, spec.batchSize, spec.device),
    model: {
      name: spec.modelName,
      path: spec.model.path,
      file: spec.model.fileName,
      sha256: spec.model.sha256,
      fileSizeBytes: spec.model.fileSizeBytes,
      parameters: spec.model.parameterCount,
    },
    task: spec.task.name,
    taskSource: spec.taskSource,
    device: spec.device,
    precision: spec.precision,
    batchSize: spec.batchSize,
    threads: spec.threads ?? null,
  });
}

/** ONNX Runtime's words for "this provider has no kernel for that op or type". */
const UNSUPPORTED =
  /could not find an implementation|not_implemented|not implemented|not supported|unsupported/i;

const toMB = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function runConfiguration(spec: ConfigSpec, hooks: RunHooks = {}): Promise<ConfigResult> {
  const result = emptyResult(spec);
  const skip = (reason: string): ConfigResult => ({ ...result, status: 'skipped', reason });
  const fail = (reason: string): ConfigResult => ({ ...result, status: 'failed', reason });

  const plan = planInputs(spec.model, spec.task, spec.overrides, `${spec.modelName} (${spec.precision})`);
  if (plan.fixedBatch !== undefined && plan.fixedBatch !== spec.batchSize) {
    return skip(
      `the model's inputs have no dynamic batch dim (batch is fixed at ${plan.fixedBatch}); only --batch ${plan.fixedBatch} can run`,
    );
  }
  const querySizes = suiteQuerySizes(plan, spec.task, spec.queries, spec.seed);
  const shapes = planBatches(plan, querySizes, spec.batchSize);
  const largestBatchBytes = checkBatchFits(plan, shapes);

  const { pool, poolIndex, cycled } = buildInputPool(plan, shapes, largestBatchBytes, spec.seed);
  const tokenCounts = querySizes.flatMap((q) => (q.tokens !== undefined ? [q.tokens] : []));
  result.inputs = {
    dims: plan.dimsUsed,
    distinctBatches: pool.length,
    tokensPerQueryMean: tokenCounts.length
      ? tokenCounts.reduce((a, b) => a + b, 0) / tokenCounts.length
      : null,
    bytesPerBatchMax: largestBatchBytes,
  };

  let session: ort.InferenceSession;
  const loadStart = performance.now();
  try {
    session = await ort.InferenceSession.create(spec.model.path, {
      executionProviders: executionProviders(spec.device),
      graphOptimizationLevel: 'all',
      ...(spec.threads !== undefined ? { intraOpNumThreads: spec.threads, interOpNumThreads: 1 } : {}),
    });
  } catch (err) {
    const message = onnxRuntimeMessage(errorMessage(err));
    if (UNSUPPORTED.test(message)) {
      return skip(
        `ONNX Runtime's ${spec.device} provider cannot run this ${spec.precision} model: ${message}`,
      );
    }
    return fail(`ONNX Runtime could not load ${spec.model.path}: ${message}`);
  }
  result.sessionLoadMs = performance.now() - loadStart;

  try {
    // The first run checks the outputs, so a numerically broken variant fails loudly, not quietly.
    const warmupBatches = Math.max(1, spec.warmup);
    for (let i = 0; i < warmupBatches; i++) {
      const outputs = await session.run(pool[i % pool.length]!.feeds);
      if (i === 0) {
        const bad = findNonFinite(outputs);
        if (bad) {
          return fail(
            `output '${bad.name}' holds ${bad.kind} (${bad.count} of ${bad.total} values): ${
              spec.precision === 'fp32'
                ? 'the model is numerically broken on these inputs'
                : `the model or its ${spec.precision} variant is numerically broken`
            }`,
          );
        }
      }
    }
    result.warmupBatches = warmupBatches;

    const batchCount = shapes.length;
    const latenciesMs: number[] = [];
    let peakRss = process.memoryUsage.rss();
    let cursor = 0;

    /** Runs whole passes of the suite, at least `minBatches` batches and `minSeconds`; times each run. */
    const runBatches = async (minBatches: number, minSeconds: number) => {
      let queries = 0;
      let count = 0;
      const start = performance.now();
      const minMs = minSeconds * 1000;
      let now = start;
      let lastProgress = start;
      // Whole passes only, so every window holds the suite's mix of query sizes. The loop does
      // as little as it can besides session.run: one clock read after each run serves the
      // latency, the window and the progress throttle.
      while (count < minBatches || now - start < minMs || cursor % batchCount !== 0) {
        if (hooks.signal?.aborted) return { queries, seconds: (now - start) / 1000, completed: false };
        const batch = pool[poolIndex[cursor % batchCount]!]!;
        const t0 = performance.now();
        await session.run(batch.feeds);
        now = performance.now();
        latenciesMs.push(now - t0);
        queries += batch.queries;
        cursor++;
        count++;
        // Progress and resident memory at most every 50 ms: reading RSS is a syscall.
        if (now - lastProgress >= PROGRESS_EVERY_MS) {
          lastProgress = now;
          peakRss = Math.max(peakRss, process.memoryUsage.rss());
          hooks.onProgress?.(queries, Math.max(spec.queries, queries));
        }
      }
      hooks.onProgress?.(queries, Math.max(spec.queries, queries));
      return { queries, seconds: (now - start) / 1000, completed: true };
    };

    let queriesDone = 0;
    let loopSeconds = 0;
    const energyWarnings: string[] = [];
    const energy = spec.energy;
    if (!energy || energy.meters.length === 0) {
      const pass = await runBatches(batchCount, 0);
      queriesDone = pass.queries;
      loopSeconds = pass.seconds;
      if (!pass.completed)
        return { ...result, status: 'interrupted', reason: 'stopped before the suite finished' };
    } else {
      // Trials: each a whole pass of the suite and at least one meter window, repeated until the
      // 95 % interval of energy per query is tight or the budget is spent.
      const meters = energy.meters;
      const failed = new Set<number>();
      // The headline meters among those still working, as indexes into `meters`.
      const headlineNow = () => {
        const working = meters.flatMap((_, i) => (failed.has(i) ? [] : [i]));
        return headlineMeterIndexes(
          spec.device,
          working.map((i) => meters[i]!),
        ).map((k) => working[k]!);
      };
      const windowS = windowSeconds(
        headlineNow().map((i) => meters[i]!),
        energy.protocol.minWindowS,
      );
      const trials: Trial[] = [];
      let perTrialJ: number[] = [];
      const temperaturesBefore = (await energy.gpuTemperaturesC?.()) ?? null;
      // A meter that fails drops out of this configuration; the others carry on.
      const readWindow = (from: Marks, to: Marks) =>
        readEach(
          meters,
          from,
          to,
          (i, err) => {
            failed.add(i);
            energyWarnings.push(
              `meter ${meters[i]!.info.name} failed and was dropped: ${firstLine(errorMessage(err))}`,
            );
          },
          (i) => failed.has(i),
        );
      // Windows are back to back (one window's end mark is the next one's start), and each is
      // read while the next one runs: a polled meter waits for a sample after the window's end,
      // and that wait must not stall the work.
      let pending: { queries: number; readings: Promise<Trial['readings']> } | null = null;
      const collect = async () => {
        if (!pending) return;
        trials.push({ queries: pending.queries, readings: await pending.readings });
        pending = null;
        // Recomputed over every trial from the meters still working, as the reported figures are.
        const headline = headlineNow();
        perTrialJ = trials.map((t) => trialPerQueryJ(t, headline));
      };
      const trialsStart = performance.now();
      let from = await markEach(meters);
      for (;;) {
        const pass = await runBatches(batchCount, windowS);
        const to = await markEach(meters);
        await collect();
        if (!pass.completed) break;
        queriesDone += pass.queries;
        loopSeconds += pass.seconds;
        pending = { queries: pass.queries, readings: readWindow(from, to) };
        from = to;
        const elapsedS = (performance.now() - trialsStart) / 1000;
        if (trialsDone(perTrialJ, elapsedS, energy.protocol, trials.length + 1)) break;
      }
      await collect();
      if (hooks.signal?.aborted)
        return { ...result, status: 'interrupted', reason: 'stopped before the trials finished' };
      energyWarnings.push(
        ...thermalDriftWarnings(temperaturesBefore, (await energy.gpuTemperaturesC?.()) ?? null),
      );
      const working = meters.flatMap((m, i) => (failed.has(i) ? [] : [i]));
      if (working.length > 0 && trials.length > 0) {
        result.energy = energyResult(
          spec.device,
          working.map((i) => meters[i]!),
          working.map((i) => energy.idlePowerW[i] ?? null),
          energy.idleSeconds,
          trials.map((t) => ({ queries: t.queries, readings: working.map((i) => t.readings[i]!) })),
          energy.protocol.targetCi,
        );
        if (result.energy.status === 'not-measured') {
          if (energyWarnings.length) result.energy.reason += `; ${energyWarnings.join('; ')}`;
        } else result.energy.warnings.push(...energyWarnings);
      } else {
        result.energy = {
          ...ENERGY_NOT_MEASURED,
          reason: `every meter failed: ${energyWarnings.join('; ')}`,
        };
      }
    }
    peakRss = Math.max(peakRss, process.memoryUsage.rss());

    const perQueryMs = latenciesMs.map((ms, i) => ms / pool[poolIndex[i % batchCount]!]!.queries);
    const batchSummary = summarize(latenciesMs);
    const queryStats = summarize(perQueryMs);
    const outliers = countOutliers(latenciesMs);
    const warnings: string[] = [];
    // A few outliers in a thousand batches are normal on a busy machine; more than 1 % is worth a look.
    if (outliers >= 2 && outliers > latenciesMs.length * 0.01) {
      warnings.push(
        `${outliers} of ${latenciesMs.length} batches were latency outliers (modified z-score above 14): another process may have interfered`,
      );
    }
    if (cycled) {
      warnings.push(
        `the suite's inputs exceed ${INPUT_POOL_BYTES / 1024 / 1024} MiB, so its first ${pool.length} batches were cycled in place of all ${batchCount}`,
      );
    }
    if (spec.precision === 'fp16' && spec.device === 'cpu') {
      warnings.push('fp16 on CPU: ONNX Runtime computes most fp16 ops in fp32 behind inserted casts');
    }
    return {
      ...result,
      queries: queriesDone,
      batches: latenciesMs.length,
      latencyMs: {
        mean: batchSummary.mean,
        p50: batchSummary.p50,
        p95: batchSummary.p95,
        p99: batchSummary.p99,
        min: batchSummary.min,
        max: batchSummary.max,
        stddev: batchSummary.stddev,
      },
      latencyPerQueryMs: {
        mean: queryStats.mean,
        p50: queryStats.p50,
        p95: queryStats.p95,
        p99: queryStats.p99,
      },
      throughputQps: queriesDone / loopSeconds,
      measuredSeconds: loopSeconds,
      peakRssMB: toMB(peakRss),
      outlierBatches: outliers,
      warnings,
    };
  } catch (err) {
    if (err instanceof EnergyScoreError) throw err;
    return fail(`session.run failed: ${onnxRuntimeMessage(errorMessage(err))}`);
  } finally {
    await session.release().catch(() => undefined);
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
    `${s.queries}|${s.tokens}|${s.audioSamples}|${s.queryTokens.join(',')}|${s.queryAudioSamples.join(',')}`;
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
