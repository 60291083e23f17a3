/**
 * Runs one configuration (a model variant at one batch size on one device): the ONNX Runtime
 * workload, prepared, then timed alone or in trials against the meters, into a result.
 */
import { EnergyScoreError, errorMessage } from '../errors.js';
import { onnxRuntimeMessage } from '../util/first-line.js';
import {
  blankResult,
  ENERGY_NOT_MEASURED,
  energyNotMeasured,
  type ConfigResult,
  type EnergyNotMeasured,
} from '../result/schema.js';
import { countOutliers, summarize } from '../stats/summary.js';
import { thermalDriftWarnings } from '../devices/gpu-temperature.js';
import type { EnergyMeter } from '../meters/types.js';
import { DEFAULT_PROTOCOL, type ProtocolSettings } from './protocol.js';
import { OrtWorkload, type OrtWorkloadSpec } from './ort-workload.js';
import { GenerationWorkload, type GenerationSpec } from './generation-workload.js';
import type { SampledWorkload, Workload } from './workload.js';
import { generationFigures } from './generation-figures.js';
import { budgetWarnings, runTrials, trialsEnergy, type TrialsOutcome } from './trials.js';
import type { Turn } from './turns.js';

export interface ConfigSpec extends OrtWorkloadSpec {
  taskSource: string;
  /** Meters and protocol; without them the suite runs once and only time is measured. */
  energy?: EnergySetup;
  /** Why there is no `energy`, for the result (default: --meter none). */
  unmeteredReason?: string;
  /** The run has several thread counts (--threads 1,2,4): the id names this one's. */
  threadsInId?: boolean;
  /** What planning found worth saying about this configuration, for the result's warnings. */
  planWarnings?: string[];
  /** A generative layout and its budget: each batch is one generate call instead of one pass. */
  generation?: GenerationSpec;
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

/** Where a configuration's trials stand in their time budget: they may end sooner, at the interval target. */
export interface TrialClock {
  elapsedS: number;
  budgetS: number;
}

export interface RunHooks {
  /**
   * Called with the queries done so far in the trials (of one pass of the suite, `queriesTotal`),
   * and with the trials' time against their budget where meters run: at most every 50 ms, and as
   * each window ends.
   */
  onProgress?: (queriesDone: number, queriesTotal: number, time?: TrialClock) => void;
  /** Aborting stops the measured loop after the batch in flight. */
  signal?: AbortSignal;
  /** The configuration's place in interleaved rounds (turns.ts); without it the trials run in one stretch. */
  turn?: Turn;
  /**
   * Called after the measured trials of a configuration that ran to the end, before its session
   * is released: the fidelity sample is taken here, outside every window.
   */
  afterTrials?: (workload: Workload) => Promise<void>;
}

/** The workload that runs a configuration: one pass per batch, or a generation loop. */
export function openWorkload(spec: ConfigSpec): OrtWorkload | GenerationWorkload {
  return spec.generation ? new GenerationWorkload(spec, spec.generation) : new OrtWorkload(spec);
}

/** Whether a workload can give its outputs for the fidelity check. */
export function isSampled(workload: Workload): workload is SampledWorkload {
  return typeof (workload as Partial<SampledWorkload>).sampleOutputs === 'function';
}

/**
 * `model/precision/bBATCH/device`, then `/nTOKENS` for a generation budget and `/tTHREADS` where
 * threads are a dimension of the run.
 */
export function configId(
  modelName: string,
  precision: string,
  batchSize: number,
  device: string,
  extra: { threads?: number; maxNewTokens?: number } = {},
): string {
  const budget = extra.maxNewTokens !== undefined ? `/n${extra.maxNewTokens}` : '';
  const threads = extra.threads !== undefined ? `/t${extra.threads}` : '';
  return `${modelName}/${precision}/b${batchSize}/${device}${budget}${threads}`;
}

/** The energy of a configuration that has none: why there was no meter, or why its trials gave none. */
function unmeasured(spec: ConfigSpec, why: string): EnergyNotMeasured {
  const metered = (spec.energy?.meters.length ?? 0) > 0;
  return energyNotMeasured(metered ? why : (spec.unmeteredReason ?? ENERGY_NOT_MEASURED.reason));
}

function emptyResult(spec: ConfigSpec): ConfigResult {
  const result = blankResult({
    id: configId(spec.modelName, spec.precision, spec.batchSize, spec.device, {
      threads: spec.threadsInId ? spec.threads : undefined,
      maxNewTokens: spec.generation?.maxNewTokens,
    }),
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
  return { ...result, energy: unmeasured(spec, 'the configuration ended before its trials') };
}

const toMB = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

export async function runConfiguration(spec: ConfigSpec, hooks: RunHooks = {}): Promise<ConfigResult> {
  const result = emptyResult(spec);
  const workload = openWorkload(spec);
  try {
    const preparation = await workload.prepare();
    if (workload.inputs) result.inputs = workload.inputs;
    if (workload.sessionLoadMs !== null) result.sessionLoadMs = workload.sessionLoadMs;
    if (preparation.status !== 'ready') {
      return {
        ...result,
        status: preparation.status,
        reason: preparation.reason,
        energy: unmeasured(
          spec,
          `the configuration ${preparation.status === 'skipped' ? 'was skipped' : 'failed'} before its trials`,
        ),
      };
    }
    if (workload.warmupBatches !== null) result.warmupBatches = workload.warmupBatches;
    try {
      const measured = await measure(spec, hooks, workload, preparation.passBatches, result);
      if (measured.status === 'ok' && hooks.afterTrials) await hooks.afterTrials(workload);
      return measured;
    } catch (err) {
      if (err instanceof EnergyScoreError) throw err;
      return {
        ...result,
        status: 'failed',
        reason: `session.run failed: ${onnxRuntimeMessage(errorMessage(err))}`,
        energy: unmeasured(spec, 'the configuration failed during its trials'),
      };
    }
  } finally {
    await workload.release();
  }
}

/** The timed part: trials (or one pass without meters), then the result's figures. */
async function measure(
  spec: ConfigSpec,
  hooks: RunHooks,
  workload: OrtWorkload | GenerationWorkload,
  passBatches: number,
  result: ConfigResult,
): Promise<ConfigResult> {
  const energy = spec.energy;
  const meters = energy?.meters ?? [];
  let peakRss = process.memoryUsage.rss();
  // Progress is throttled by the loop, so resident memory (a syscall) is sampled with it.
  const protocol = energy?.protocol ?? DEFAULT_PROTOCOL;
  // A generative configuration runs two sets of trials (prefill, then generate), each on its budget.
  const budgetS = protocol.maxSeconds * (workload instanceof GenerationWorkload ? 2 : 1);
  // The prefill trials' seconds, which the generate trials' progress continues from.
  let earlierS = 0;
  const onProgress = (queries: number, elapsedS: number) => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    const time = meters.length ? { elapsedS: earlierS + elapsedS, budgetS } : undefined;
    hooks.onProgress?.(queries, Math.max(spec.queries, queries), time);
  };
  const temperaturesBefore = meters.length ? ((await energy?.gpuTemperaturesC?.()) ?? null) : null;
  // A generative configuration first runs the prefill-only pass on its own windows, as
  // optimum-benchmark does, so that decode energy is generate − prefill.
  const trialsOf = (w: Pick<Workload, 'runBatch'>) =>
    runTrials({
      workload: w,
      passBatches,
      device: spec.device,
      meters,
      protocol,
      signal: hooks.signal,
      onProgress,
      ...(hooks.turn ? { turn: hooks.turn } : {}),
    });
  const prefill: TrialsOutcome | null =
    workload instanceof GenerationWorkload ? await trialsOf(workload.prefillPass()) : null;
  earlierS = prefill?.elapsedS ?? 0;
  const outcome = await trialsOf(workload);
  if (outcome.interrupted || prefill?.interrupted) {
    const unfinished = meters.length ? 'the trials' : 'the suite';
    return {
      ...result,
      status: 'interrupted',
      reason: `stopped before ${unfinished} finished`,
      energy: unmeasured(spec, 'interrupted before its trials finished: a partial run is not reported'),
    };
  }
  let resultEnergy = result.energy;
  if (energy && meters.length) {
    const warnings = [
      ...budgetWarnings(outcome, passBatches, energy.protocol),
      ...outcome.meterWarnings,
      ...thermalDriftWarnings(temperaturesBefore, (await energy.gpuTemperaturesC?.()) ?? null),
    ];
    const setup = { ...energy, device: spec.device, targetCi: energy.protocol.targetCi };
    resultEnergy = trialsEnergy(setup, outcome, warnings);
  }
  const prefillEnergy =
    prefill && energy && meters.length
      ? trialsEnergy({ ...energy, device: spec.device, targetCi: energy.protocol.targetCi }, prefill, [])
      : null;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());

  const { latenciesMs, batchQueries, queries, seconds } = outcome;
  const perQueryMs = latenciesMs.map((ms, i) => ms / batchQueries[i]!);
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
  warnings.push(...(spec.planWarnings ?? []), ...workload.warnings());
  const generation =
    workload instanceof GenerationWorkload && prefill
      ? generationFigures(workload, resultEnergy, prefillEnergy, outcome, prefill)
      : null;
  if (generation?.warning) warnings.push(generation.warning);
  return {
    ...result,
    ...(generation ? { generation: generation.figures } : {}),
    energy: resultEnergy,
    queries,
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
    throughputQps: queries / seconds,
    measuredSeconds: seconds,
    peakRssMB: toMB(peakRss),
    outlierBatches: outliers,
    warnings,
  };
}
