/**
 * The bench use-case: plan the configurations, read the cohorts, start the meters and measure
 * idle power, run every configuration, rate. The document is handed out after every
 * configuration, so a caller can write what was measured before the next one starts.
 */
import os from 'node:os';
import { runError, type EnergyScoreError } from '../errors.js';
import type { CarbonSettings, Environment, RunDocument } from '../result/schema.js';
import { collectEnvironment } from '../env/environment.js';
import { int8IsaWarning } from '../devices/cpu-flags.js';
import { readGpuTemperaturesC } from '../devices/gpu-temperature.js';
import { stopMeters } from '../meters/registry.js';
import type { EnergyMeter } from '../meters/types.js';
import { rateItems, type RatingPlan } from '../rating/assign.js';
import type { ProtocolSettings } from '../runner/protocol.js';
import type { EnergySetup, RunHooks } from '../runner/run-config.js';
import { defaultSpin, type SpinSetting } from '../runner/spin.js';
import { newDocument, planBench, runBench, type BenchOptions, type PlannedConfig } from './bench-plan.js';
import { planFidelity, type FidelityRequest } from './fidelity.js';
import { startMeters, type MeterRequest } from './meters.js';
import { ratingPlan, type RatingRequest } from './rating-plan.js';
import { planRounds } from './rounds.js';

export interface BenchRequest {
  options: BenchOptions;
  meters: MeterRequest;
  /** `rounds` left out: interleaved rounds where they fit (app/rounds.ts). */
  protocol: ProtocolSettings;
  rating: RatingRequest;
  carbon: CarbonSettings;
  /** Fidelity against a reference (app/fidelity.ts); absent or 0 queries turns it off. */
  fidelity?: FidelityRequest;
  /** The command line, recorded in the result so the run can be repeated. */
  commandLine?: string[];
}

export interface BenchEvents {
  /** Idle power is being measured for this long, before the first configuration. */
  onIdle?: (seconds: number) => void;
  /** At a configuration's start, and in interleaved rounds at each of its later turns (`round` from 1). */
  onConfigStart?: (item: PlannedConfig, index: number, total: number, round?: number) => void;
  /** Queries done of one pass, and with meters the trials' time against their budget. */
  onProgress?: RunHooks['onProgress'];
  /** After every configuration, with the document as it stands (rated, `complete: false`). */
  onResult?: (document: RunDocument) => void | Promise<void>;
}

/** An 8-bit CPU configuration carries the caveat of the CPU's instruction set (VNNI or not). */
function withIsaWarning<T extends { precision: string; device: string; planWarnings?: string[] }>(
  spec: T,
  environment: Environment,
): T {
  const warning = int8IsaWarning(spec.precision, spec.device, environment.arch, environment.cpuFlags);
  return warning ? { ...spec, planWarnings: [...(spec.planWarnings ?? []), warning] } : spec;
}

/** Runs a whole bench. Aborting stops after the batch in flight; the document says `interrupted`. */
export async function bench(
  request: BenchRequest,
  events: BenchEvents = {},
  signal?: AbortSignal,
): Promise<RunDocument> {
  const planned = await planBench(request.options);
  // Cohort files are read before anything is measured: a bad one fails now, not after the run.
  const plan = await ratingPlan(request.rating);
  // A --reference naming no model of the run fails here too, before anything is measured.
  const fidelity = request.fidelity ? await planFidelity(planned, request.fidelity) : undefined;
  let meters: EnergyMeter[] = [];
  let document: RunDocument;
  try {
    const started = await startMeters(request.meters, 'process', events.onIdle);
    meters = started.meters;
    const spin: SpinSetting = request.options.spin
      ? { value: request.options.spin, source: 'given with --spin' }
      : defaultSpin({
          cpuEstimated: meters.some((m) => m.info.domain === 'cpu' && m.info.method === 'estimated'),
          loadAverage1: os.loadavg()[0] ?? 0,
        });
    // The environment after the meters: a hung nvidia-smi has then failed their probe already,
    // and the GPU list gives up at once instead of waiting out its own limit.
    const environment = await collectEnvironment();
    const configs = planned.map((item) =>
      item.spec ? { ...item, spec: withIsaWarning({ ...item.spec, spin: spin.value }, environment) } : item,
    );
    const specs = configs.flatMap((c) => (c.spec ? [c.spec] : []));
    const gpuMiB = environment.gpus.flatMap((g) => (g.memoryTotalMiB !== null ? [g.memoryTotalMiB] : []));
    const rounds = await planRounds(
      request.protocol.rounds,
      specs,
      meters.length > 0,
      os.freemem(),
      gpuMiB.length ? Math.min(...gpuMiB) * 2 ** 20 : null,
    );
    const protocol: ProtocolSettings = { ...request.protocol, rounds: rounds.rounds };
    document = newDocument(
      request.options,
      environment,
      {
        meter: request.meters.meter,
        gpus: request.meters.gpus ?? null,
        protocol,
        spin,
        ...(request.commandLine ? { commandLine: request.commandLine } : {}),
      },
      planned,
    );
    document.carbon = request.carbon;
    document.energyNotes = [...started.notes, ...(rounds.note ? [rounds.note] : [])];
    const energy: EnergySetup | undefined =
      meters.length > 0
        ? {
            meters,
            idlePowerW: started.idlePowerW,
            idleSeconds: started.idleSeconds,
            protocol,
            ...(meters.some((m) => m.info.domain === 'gpu')
              ? { gpuTemperaturesC: () => readGpuTemperaturesC() }
              : {}),
          }
        : undefined;
    const doc = document;
    await runBench(
      configs,
      doc,
      {
        ...(signal ? { signal } : {}),
        onConfigStart: events.onConfigStart,
        onProgress: events.onProgress,
        ...(fidelity ? { around: fidelity.around } : {}),
        onConfigEnd: async () => {
          rate(doc, plan);
          await events.onResult?.(doc);
        },
      },
      energy,
      started.unmeteredReason,
    );
  } finally {
    await stopMeters(meters);
  }
  if (signal?.aborted) document.interrupted = true;
  // Only the finished document says the run is complete: a crash or a kill leaves complete: false.
  document.complete = !document.interrupted;
  rate(document, plan);
  return document;
}

/**
 * The exit code a bench run ends with: 130 interrupted, 1 when a configuration failed or when
 * every one was skipped (nothing was measured), else 0.
 */
export function benchExitCode(document: RunDocument): number {
  if (document.interrupted) return 130;
  if (nothingMeasured(document)) return 1;
  return document.results.some((r) => r.status === 'failed') ? 1 : 0;
}

/**
 * A finished run in which every configuration was skipped measured nothing, which is not a
 * success: the error says so, and its hint gives the skip reasons (a fixed batch names the
 * --batch that runs). Undefined when something ran.
 */
export function nothingMeasured(document: RunDocument): EnergyScoreError | undefined {
  const results = document.results;
  if (document.interrupted || results.length === 0 || results.some((r) => r.status !== 'skipped')) {
    return undefined;
  }
  const reasons = [...new Set(results.map((r) => `${r.model.name}: ${r.reason ?? 'skipped'}`))];
  const shown = reasons.slice(0, 3).join('; ');
  return runError(
    `nothing was measured: ${results.length === 1 ? 'the configuration was' : `all ${results.length} configurations were`} skipped`,
    reasons.length > 3 ? `${shown}; and ${reasons.length - 3} more` : shown,
  );
}

function rate(document: RunDocument, plan: RatingPlan): void {
  rateItems(
    document.results.map((result) => ({ result, document, source: 'this run' })),
    plan,
  );
}
