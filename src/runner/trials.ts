/**
 * The trial loop over a Workload: meter windows back to back, each read while the next runs,
 * repeated until the 95 % interval of energy per query is tight or the budget is spent. It knows
 * nothing of what a batch runs, and takes its clock, so tests drive it with fakes.
 */
import { errorMessage } from '../errors.js';
import type { EnergyMeter } from '../meters/types.js';
import { ENERGY_NOT_MEASURED, type EnergyMeasured, type EnergyNotMeasured } from '../result/schema.js';
import { firstLine } from '../util/first-line.js';
import {
  energyResult,
  headlineMeterIndexes,
  markEach,
  readEach,
  trialPerQueryJ,
  trialsDone,
  windowSeconds,
  type Marks,
  type ProtocolSettings,
  type Trial,
} from './protocol.js';
import { systemClock, type Clock, type Workload } from './workload.js';

/** Progress callbacks at most this often, so the measured loop stays bare. */
export const PROGRESS_EVERY_MS = 50;

export interface TrialRun {
  workload: Pick<Workload, 'runBatch'>;
  /** Batches in one pass of the suite, from the workload's preparation. */
  passBatches: number;
  device: string;
  /** Without meters the suite runs once and only time is measured. */
  meters: readonly EnergyMeter[];
  protocol: ProtocolSettings;
  clock?: Clock;
  /** Aborting stops the loop after the batch in flight. */
  signal?: AbortSignal;
  /**
   * Queries done so far in the current window: after a batch at most every 50 ms, and once more
   * when the window ends.
   */
  onProgress?: (queriesInWindow: number) => void;
}

export interface TrialsOutcome {
  /** The trials read, in order; none without meters. */
  trials: Trial[];
  /** Meters that failed and were dropped, as indexes into the meters, in the order they failed. */
  droppedMeters: number[];
  /** Why each dropped meter was dropped. */
  meterWarnings: string[];
  /** Every batch run, an interrupted window's included: its latency and its queries. */
  latenciesMs: number[];
  batchQueries: number[];
  /** Queries and loop seconds of the completed windows. */
  queries: number;
  seconds: number;
  interrupted: boolean;
}

export async function runTrials(run: TrialRun): Promise<TrialsOutcome> {
  const { workload, passBatches, device, meters, protocol, signal, onProgress } = run;
  const clock = run.clock ?? systemClock;
  // Whole passes end when the batch count is a multiple of the pass: a pass of 0 never would.
  if (!(Number.isInteger(passBatches) && passBatches >= 1)) {
    throw new RangeError(`a pass must hold at least one batch, not ${passBatches}`);
  }
  const latenciesMs: number[] = [];
  const batchQueries: number[] = [];
  let cursor = 0;

  /** Runs whole passes of the suite for at least `minSeconds`; times each batch. */
  const runWindow = async (minSeconds: number) => {
    let queries = 0;
    let count = 0;
    const start = clock.nowMs();
    const minMs = minSeconds * 1000;
    let now = start;
    let lastProgress = start;
    // The loop does as little as it can besides the batch: one clock read after each serves
    // the latency, the window and the progress throttle.
    while (count < passBatches || now - start < minMs || cursor % passBatches !== 0) {
      if (signal?.aborted) return { queries, seconds: (now - start) / 1000, completed: false };
      const t0 = clock.nowMs();
      const batch = await workload.runBatch();
      now = clock.nowMs();
      latenciesMs.push(now - t0);
      batchQueries.push(batch.queries);
      queries += batch.queries;
      cursor++;
      count++;
      if (now - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = now;
        onProgress?.(queries);
      }
    }
    onProgress?.(queries);
    return { queries, seconds: (now - start) / 1000, completed: true };
  };

  const outcome: TrialsOutcome = {
    trials: [],
    droppedMeters: [],
    meterWarnings: [],
    latenciesMs,
    batchQueries,
    queries: 0,
    seconds: 0,
    interrupted: false,
  };

  if (meters.length === 0) {
    const pass = await runWindow(0);
    if (pass.completed) {
      outcome.queries = pass.queries;
      outcome.seconds = pass.seconds;
    } else outcome.interrupted = true;
    return outcome;
  }

  const { trials, droppedMeters, meterWarnings } = outcome;
  const dropped = new Set<number>();
  // The headline meters among those still working, as indexes into `meters`.
  const headlineNow = () => {
    const working = meters.flatMap((_, i) => (dropped.has(i) ? [] : [i]));
    return headlineMeterIndexes(
      device,
      working.map((i) => meters[i]!),
    ).map((k) => working[k]!);
  };
  const windowS = windowSeconds(
    headlineNow().map((i) => meters[i]!),
    protocol.minWindowS,
  );
  let perTrialJ: number[] = [];
  // A meter that fails drops out of this configuration; the others carry on.
  const readWindow = (from: Marks, to: Marks) =>
    readEach(
      meters,
      from,
      to,
      (i, err) => {
        dropped.add(i);
        droppedMeters.push(i);
        meterWarnings.push(
          `meter ${meters[i]!.info.name} failed and was dropped: ${firstLine(errorMessage(err))}`,
        );
      },
      (i) => dropped.has(i),
    );
  // Windows are back to back (one window's end mark is the next one's start), and each is read
  // while the next one runs: a polled meter waits for a sample after the window's end, and that
  // wait must not stall the work.
  let pending: { queries: number; readings: Promise<Trial['readings']> } | null = null;
  const collect = async () => {
    if (!pending) return;
    trials.push({ queries: pending.queries, readings: await pending.readings });
    pending = null;
    // Recomputed over every trial from the meters still working, as the reported figures are.
    const headline = headlineNow();
    perTrialJ = trials.map((t) => trialPerQueryJ(t, headline));
  };
  const trialsStart = clock.nowMs();
  let from = await markEach(meters);
  for (;;) {
    const pass = await runWindow(windowS);
    const to = await markEach(meters);
    await collect();
    if (!pass.completed) break;
    outcome.queries += pass.queries;
    outcome.seconds += pass.seconds;
    pending = { queries: pass.queries, readings: readWindow(from, to) };
    from = to;
    const elapsedS = (clock.nowMs() - trialsStart) / 1000;
    if (trialsDone(perTrialJ, elapsedS, protocol, trials.length + 1)) break;
    // Every meter has failed: further windows would measure nothing, only take time.
    if (dropped.size === meters.length) break;
  }
  await collect();
  outcome.interrupted = signal?.aborted ?? false;
  return outcome;
}

export interface TrialsEnergySetup {
  device: string;
  meters: readonly EnergyMeter[];
  /** Idle power per meter (index-aligned), or null where not measured. */
  idlePowerW: readonly (number | null)[];
  idleSeconds: number;
  targetCi: number;
}

/**
 * The result's energy from the trials and the meters still working; `warnings` (the dropped
 * meters' and any others) go into its warnings, or into its reason when it is not measured.
 */
export function trialsEnergy(
  setup: TrialsEnergySetup,
  outcome: Pick<TrialsOutcome, 'trials' | 'droppedMeters'>,
  warnings: readonly string[],
): EnergyMeasured | EnergyNotMeasured {
  const { meters } = setup;
  const { trials } = outcome;
  const working = meters.flatMap((_, i) => (outcome.droppedMeters.includes(i) ? [] : [i]));
  if (working.length === 0 || trials.length === 0) {
    return { ...ENERGY_NOT_MEASURED, reason: `every meter failed: ${warnings.join('; ')}` };
  }
  const energy = energyResult(
    setup.device,
    working.map((i) => meters[i]!),
    working.map((i) => setup.idlePowerW[i] ?? null),
    setup.idleSeconds,
    trials.map((t) => ({ queries: t.queries, readings: working.map((i) => t.readings[i]!) })),
    setup.targetCi,
  );
  if (energy.status === 'not-measured') {
    if (warnings.length) energy.reason += `; ${warnings.join('; ')}`;
  } else energy.warnings.push(...warnings);
  return energy;
}
